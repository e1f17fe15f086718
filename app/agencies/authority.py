"""The oversight authority in force on a date (KASN until 22 August 2024, BKN since, a new body by about October
2027): data with dates, not code.

Each `oversight_authorities` row is one period with what letters and emails of a recommendation issued in it
say: the body's name, its head's title, the signing official's title, the addressee and the request of a level-3
escalation (this body's own powers, under its law), the copies, and the sources; and who receives that level-3
escalation (`level3_to`, `level3_cc`: recipient rules of the ladder, app/escalations/ladder.py `for_authority`), the
administrative actions it asks for (`level3_actions`), the legal basis it cites (`level3_basis`) and the body's own
mailboxes (`mailboxes`, for a body without an escalation target of its own), and the ladder its recommendations
climb when it is not the configured one (`ladder`, app/escalations/ladder.py `ladder_of`). The rows ship in
`app/agencies/reference/authorities.json`, loaded by `flask agencies load-reference` (`load_authorities`); the next
body is one row more (that file or the admin page), no code change.

A recommendation keeps the short name of the authority that issued it (`Recommendation.authority_name`, set at
issue); `profile_for(short_name, day)` finds that authority's row for the day of issue, so a KASN-era
recommendation still open speaks as KASN, and a new one as the body in force.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, g, has_app_context
from sqlalchemy import or_, select

from app.core.clock import utcnow
from app.core.vocab import ROLE_LABELS, SIGNER_ROLE_LABEL, Role
from app.db import db
from app.models.core import OversightAuthority

REFERENCE_JSON = Path(__file__).resolve().parent / "reference" / "authorities.json"
PROFILE_FIELDS = (
    "name",
    "letter_format",
    "legal_basis",
    "head_title",
    "signer_title",
    "address",
    "level3_addressee",
    "level3_request",
    "level3_copies",
    "sources",
    "signer_role_label",
    "level3_to",
    "level3_cc",
    "level3_actions",
    "level3_basis",
    "mailboxes",
    "letter_manual",
    "ladder",
)
# The pattern of a letter number when the authority's row names none (the column's default).
DEFAULT_LETTER_FORMAT = "R-{seq}/{short}/{month}/{year}"
# Full names of the bodies known by their short name, for an authority without a row (configuration only).
KNOWN_NAMES = {
    "KASN": "Komisi Aparatur Sipil Negara",
    "BKN": "Badan Kepegawaian Negara",
    "KEMENPANRB": "Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi",
}


def authority_on(day: date) -> OversightAuthority | None:
    return db.session.scalar(
        select(OversightAuthority)
        .where(
            OversightAuthority.valid_from <= day,
            or_(OversightAuthority.valid_to.is_(None), OversightAuthority.valid_to >= day),
        )
        .order_by(OversightAuthority.valid_from.desc())
        .limit(1)
    )


def authority_name_on(day: date) -> str:
    row = authority_on(day)
    return row.short_name if row is not None else current_app.config.get("OVERSIGHT_AUTHORITY_NAME", "KASN")


@dataclass(frozen=True)
class AuthorityProfile:
    """What a letter or an email of one recommendation says about the authority that issued it."""

    short_name: str
    name: str
    head_title: str
    signer_title: str
    address: str
    level3_addressee: str
    level3_request: str
    level3_copies: tuple[str, ...]
    legal_basis: str
    # Who receives the level-3 escalation (recipient rules of the ladder; empty: the ladder's own), the
    # administrative actions it asks for, the legal basis it cites, and the body's own mailboxes.
    level3_to: tuple[str, ...] = ()
    level3_cc: tuple[str, ...] = ()
    level3_actions: tuple[str, ...] = ()
    level3_basis: str = ""
    mailboxes: tuple[str, ...] = ()
    # How its letters are numbered (app/letters/numbering.py): the pattern, and whether a number typed elsewhere
    # (the body's own records system) is taken instead.
    letter_format: str = DEFAULT_LETTER_FORMAT
    letter_manual: bool = False
    # The ladder its recommendations climb (JSON, app/escalations/ladder.py `ladder_of`); empty: the configured one.
    ladder: str = ""

    def as_context(self) -> dict[str, Any]:
        return {
            "short_name": self.short_name,
            "name": self.name,
            "head_title": self.head_title,
            "signer_title": self.signer_title,
            "address": self.address,
            "legal_basis": self.legal_basis,
            "level3_addressee": self.level3_addressee,
            "level3_request": self.level3_request,
            "level3_copies": list(self.level3_copies),
            "level3_to": list(self.level3_to),
            "level3_cc": list(self.level3_cc),
            "level3_actions": list(self.level3_actions),
            "level3_basis": self.level3_basis,
        }


def _generic(short_name: str) -> AuthorityProfile:
    """An authority known only by its short name (no row covers it): neutral wording, no powers assumed."""
    name = KNOWN_NAMES.get(short_name.upper().replace("-", ""), short_name)
    return AuthorityProfile(
        short_name=short_name,
        name=name,
        head_title=f"Pimpinan {short_name}",
        signer_title=f"Pimpinan {name}",
        address="",
        level3_addressee=f"Pimpinan {name}",
        level3_request=(
            "Rekomendasi tersebut tetap tidak ditindaklanjuti setelah eskalasi kepada kementerian pengawas. Kami "
            "mohon langkah lebih lanjut sesuai kewenangan dan peraturan perundang-undangan yang berlaku."
        ),
        level3_copies=(),
        legal_basis="",
    )


def profile_for(short_name: str | None, day: date | None) -> AuthorityProfile:
    """`_profile_for`, remembered for the app context (a sweep renders many emails of few authorities)."""
    memo = g.setdefault("_authority_profiles", {}) if has_app_context() else {}
    key = (short_name, day)
    if key not in memo:
        memo[key] = _profile_for(short_name, day)
    return memo[key]


def issuer_profile(short_name: str | None, issued_at: datetime | None, timezone: str) -> AuthorityProfile:
    """The authority that issued a recommendation (`authority_name`, `issued_at`), as on its day of issue in the
    agency's zone: what its emails, letters, sweep and ladder go by."""
    return profile_for(short_name, issued_at.astimezone(ZoneInfo(timezone)).date() if issued_at else None)


def _profile_for(short_name: str | None, day: date | None) -> AuthorityProfile:
    """The authority `short_name` as it was on `day` (the recommendation's day of issue): its row for that day,
    else its latest row; rows in the database first, then the shipped reference rows (a database not yet loaded
    with them still speaks correctly of KASN and BKN); else neutral wording. Without a short name, the
    authority in force on `day`."""
    if not short_name:
        row = authority_on(day) if day is not None else None
        if row is None:
            return _generic(str(current_app.config.get("OVERSIGHT_AUTHORITY_NAME") or "KASN"))
        short_name = row.short_name
    stmt = select(OversightAuthority).where(OversightAuthority.short_name == short_name)
    if day is not None:
        dated = db.session.scalar(
            stmt.where(
                OversightAuthority.valid_from <= day,
                or_(OversightAuthority.valid_to.is_(None), OversightAuthority.valid_to >= day),
            )
            .order_by(OversightAuthority.valid_from.desc())
            .limit(1)
        )
        if dated is not None:
            return _profile(dated)
    latest = db.session.scalar(stmt.order_by(OversightAuthority.valid_from.desc()).limit(1))
    if latest is not None:
        return _profile(latest)
    shipped = [row for row in _shipped() if row.short_name == short_name]
    covering = [row for row in shipped if day is not None and _covers(row, day)]
    chosen = (covering or shipped)[-1:] if (covering or shipped) else []
    return _profile(chosen[0]) if chosen else _generic(short_name)


def _covers(row: OversightAuthority, day: date) -> bool:
    return row.valid_from <= day and (row.valid_to is None or row.valid_to >= day)


@lru_cache(maxsize=1)
def _shipped() -> tuple[OversightAuthority, ...]:
    """The reference rows as unsaved objects, oldest first (never added to a session)."""
    data = json.loads(REFERENCE_JSON.read_text(encoding="utf-8"))
    rows = [
        OversightAuthority(
            short_name=item["short_name"],
            valid_from=date.fromisoformat(item["valid_from"]),
            valid_to=date.fromisoformat(item["valid_to"]) if item.get("valid_to") else None,
            **_profile_values(item),
        )
        for item in data["authorities"]
    ]
    return tuple(sorted(rows, key=lambda row: row.valid_from))


def _profile_values(item: dict[str, Any]) -> dict[str, Any]:
    """The row's fields from a reference item; a file that does not say `letter_manual` means false, and a ladder
    it writes as a list is kept as its JSON text."""
    values = {field: item.get(field) for field in PROFILE_FIELDS}
    values["letter_manual"] = bool(item.get("letter_manual", False))
    if isinstance(values["ladder"], list):  # the file may write a ladder as JSON itself; the row holds its text
        values["ladder"] = json.dumps(values["ladder"], ensure_ascii=False)
    return values


def split_list(value: str | None, separator: str = ";") -> tuple[str, ...]:
    """`a; b;; c` → ("a", "b", "c"): the lists a row holds as text (copies, rules, actions, mailboxes)."""
    return tuple(part.strip() for part in (value or "").split(separator) if part.strip())


def _profile(row: OversightAuthority) -> AuthorityProfile:
    generic = _generic(row.short_name)
    copies = split_list(row.level3_copies)
    return AuthorityProfile(
        short_name=row.short_name,
        name=row.name,
        head_title=row.head_title or generic.head_title,
        signer_title=row.signer_title or f"Pimpinan {row.name}",
        address=row.address or "",
        level3_addressee=row.level3_addressee or f"Pimpinan {row.name}",
        level3_request=row.level3_request or generic.level3_request,
        level3_copies=copies,
        legal_basis=row.legal_basis or "",
        level3_to=tuple(rule.lower() for rule in split_list(row.level3_to)),
        level3_cc=tuple(rule.lower() for rule in split_list(row.level3_cc)),
        level3_actions=split_list(row.level3_actions),
        level3_basis=row.level3_basis or "",
        mailboxes=tuple(address.lower() for address in split_list(row.mailboxes, ",")),
        letter_format=row.letter_format or DEFAULT_LETTER_FORMAT,
        letter_manual=bool(row.letter_manual),
        ladder=(row.ladder or "").strip(),
    )


def load_authorities(path: Path | None = None) -> dict[str, int]:
    """Upsert the shipped authority rows (key: short name and start date); running it again changes nothing.
    Rows an administrator added (other keys) are left alone. Flushes."""
    data = json.loads((path or REFERENCE_JSON).read_text(encoding="utf-8"))
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for item in data["authorities"]:
        start = date.fromisoformat(item["valid_from"])
        end = date.fromisoformat(item["valid_to"]) if item.get("valid_to") else None
        row = db.session.scalar(
            select(OversightAuthority).where(
                OversightAuthority.short_name == item["short_name"], OversightAuthority.valid_from == start
            )
        )
        values = {"valid_to": end, **_profile_values(item)}
        if row is None:
            db.session.add(OversightAuthority(short_name=item["short_name"], valid_from=start, **values))
            counts["created"] += 1
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    db.session.flush()
    if has_app_context():
        g.pop("_authority_profiles", None)
        g.pop("_role_labels", None)
    return counts


def role_labels(day: date | None = None) -> dict[Any, str]:
    """The names of the roles as people see them on `day` (default today): the `commissioner` role is called as
    the authority in force calls its signing official ("Komisioner" under KASN; BKN has no commissioners). The
    role keys of the API never change."""
    day = day or utcnow().date()
    memo = g.setdefault("_role_labels", {}) if has_app_context() else {}
    if day not in memo:
        row = authority_on(day)
        if row is None:
            signer = ROLE_LABELS[Role.COMMISSIONER] if _configured_is_kasn() else SIGNER_ROLE_LABEL
        else:
            signer = row.signer_role_label or (
                ROLE_LABELS[Role.COMMISSIONER] if row.short_name == "KASN" else SIGNER_ROLE_LABEL
            )
        memo[day] = {**ROLE_LABELS, Role.COMMISSIONER: signer}
    return memo[day]


def _configured_is_kasn() -> bool:
    return str(current_app.config.get("OVERSIGHT_AUTHORITY_NAME") or "KASN").upper() == "KASN"
