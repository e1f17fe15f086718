"""Render an email (subject, plain text, HTML) from its kind and a context, in Indonesian.

Templates live in `notifications/templates/notifications/`: `<kind>.txt` (it also holds the subject in a
`subject` block) and `<kind>.html`, both extending the one layout. The context is handed in by the sender: a
case's emails take theirs from `app.letters.context`, which knows the case; this module knows only templates
and text layout.
"""

from __future__ import annotations

import logging
import re
import textwrap
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, meta, select_autoescape

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

# Every kind an email can be, with its reader. A kind not listed here is refused, so a typo in a caller
# raises instead of sending a blank email.
KINDS: dict[str, str] = {
    "recommendation_issued": "PPK",
    "receipt_recorded": "PPK",
    "deadline_extended": "PPK",
    "reminder": "PPK",
    "overdue": "PPK, tembusan penyelidik",
    "escalation": "Kementerian PANRB / Kementerian Dalam Negeri",
    "final_report": "Ketua lembaga pengawas, tembusan kementerian dan BKN",
    "escalation_resolved": "Kementerian yang menerima eskalasi",
    "digest": "Kementerian PANRB / Kementerian Dalam Negeri (ringkasan mingguan)",
    "follow_up_reported": "Penyelidik",
    "follow_up_accepted": "PPK",
    "follow_up_rejected": "PPK",
    "clarification_requested": "Penyelidik / komisioner",
    "clarification_answered": "PPK",
    "mail_test": "Administrator",
    "audit_checkpoint": "Kotak surat independen penyimpan jangkar riwayat (docs/audit.md)",
    "notice_digest": "Setiap pengguna (email harian notifikasi)",
    "forwarded_recommendation_issued": "Kantor Bawaslu yang meneruskan laporan",
    "forwarded_followed_up": "Kantor Bawaslu yang meneruskan laporan",
    "intake_verification_late": "Pejabat penanda tangan (batas verifikasi laporan terlewati)",
}

SUBJECT_PREFIX = "[Tindak]"
TEXT_WIDTH = 78


class UnknownNotificationKind(ValueError):
    """`render` (and so `enqueue`) was given a kind that has no templates."""


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """One Jinja environment for the process: templates are compiled once, not per email, and not checked
    against their files on every use (they change with a deployment, which restarts the process)."""
    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        auto_reload=False,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def compile_templates() -> int:
    """Compile every kind's templates (and the layouts they extend) now; return how many.

    The scheduler calls this at start: a template that does not compile stops it there, with the template's
    name and line, instead of failing the first email of every sweep; and the sweep, whose transaction holds
    the claimed recommendations, does not compile templates while it holds them."""
    env = _environment()
    names = [f"notifications/{kind}.{ext}" for kind in KINDS for ext in ("txt", "html")]
    for name in names:
        env.get_template(name)
    return len(names)


def render(kind: str, context: Mapping[str, Any], recipient: str) -> tuple[str, str, str | None]:
    """Return `(subject, text, html)` for `kind` from `context` (built by its sender, e.g. the case's email
    context of app.letters.context), addressed to `recipient`.

    Raises `UnknownNotificationKind` for a kind without templates. The subject always carries the case
    number (when there is a case) and is a single line.
    """
    if kind not in KINDS:
        raise UnknownNotificationKind(f"unknown notification kind: {kind!r}")
    context = {**context, "recipient": recipient}
    env = _environment()
    text_template = env.get_template(f"notifications/{kind}.txt")
    html_template = env.get_template(f"notifications/{kind}.html")
    # The subject block and the plain text share one template context (the text names neither `subject` nor
    # `title`): one copy of the context fewer per email.
    text_context = text_template.new_context(context)
    title = _one_line(env.concat(text_template.blocks["subject"](text_context)))
    number = context["case"]["number"] if context["case"] else ""
    subject = f"{SUBJECT_PREFIX} {number} — {title}" if number else f"{SUBJECT_PREFIX} {title}"
    context["subject"] = subject[:255]
    context["title"] = title
    text = _tidy_text(env.concat(text_template.root_render_func(text_context)))
    html = html_template.render(context)
    return context["subject"], text, html


@lru_cache(maxsize=64)
def uses_recipient(kind: str) -> bool:
    """Whether the email of `kind` names its recipient (else one rendering serves every recipient)."""
    if kind not in KINDS:
        raise UnknownNotificationKind(f"unknown notification kind: {kind!r}")
    env = _environment()
    assert env.loader is not None
    names: set[str] = set()
    for name in (f"{kind}.txt", f"{kind}.html", "_layout.txt", "_layout.html"):
        source, _, _ = env.loader.get_source(env, f"notifications/{name}")
        names |= meta.find_undeclared_variables(env.parse(source))
    return "recipient" in names


def _one_line(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


_FIELD_PREFIX = re.compile(r"^[^\s:][^:]{0,40}?\s+: ")


_TRAILING_SPACE = re.compile(r"[^\S\n]+$", re.MULTILINE)
_LONG_LINE = re.compile(rf"^.{{{TEXT_WIDTH + 1},}}$", re.MULTILINE)
_BLANK_RUN = re.compile(r"\n{3,}")


def _tidy_text(value: str) -> str:
    """Plain text: paragraphs wrapped at 78 columns (words and links never split), no trailing spaces,
    at most one blank line in a row. `Label : value` lines wrap under their value. (Whole-text regular
    expressions: only the long lines reach Python code.)"""
    text = _TRAILING_SPACE.sub("", "\n".join(value.splitlines()))
    text = _LONG_LINE.sub(_wrapped, text)
    return _BLANK_RUN.sub("\n\n", text).strip() + "\n"


def _wrapped(match: re.Match[str]) -> str:
    line = match.group(0)
    prefix = _FIELD_PREFIX.match(line)
    return "\n".join(wrap_line(line, TEXT_WIDTH, " " * len(prefix.group(0)) if prefix else ""))


def wrap_line(line: str, width: int, indent: str = "") -> list[str]:
    """`textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)`,
    the same lines, cut at spaces found with `str.rfind` instead of walking every word: the sweep renders
    thousands of emails, and textwrap was a third of their cost. Lines holding a tab go to textwrap itself."""
    if "\t" in line:
        return textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)
    out: list[str] = []
    rest = line.rstrip(" ")  # whitespace never ends a line
    while rest:
        lead = indent if out else ""  # the first line is not indented
        room = width - len(lead)
        if len(rest) <= room:
            out.append(lead + rest)
            break
        cut = rest.rfind(" ", 0, room + 1)
        piece = rest[:cut].rstrip(" ") if cut > 0 else ""
        if not piece:
            if rest[0] == " ":  # leading whitespace that does not fit with the first word is dropped
                rest = rest.lstrip(" ")
                continue
            cut = rest.find(" ")  # a word longer than the room stays whole, on a line of its own
            if cut == -1:
                out.append(lead + rest)
                break
            piece = rest[:cut]
        out.append(lead + piece)
        rest = rest[cut:].lstrip(" ")
    return out
