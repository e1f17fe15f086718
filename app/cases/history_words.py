"""The case history in words: each row's title, and its payload as labelled values a person reads.

The history keeps what the code wrote (keys, codes, ISO instants, the calendar's version string); the case page
shows it here, never a key: each key has a label (the event's own form label first, so the PPK's letter number is
not called the recommendation's), each coded value its word, a number of days says "hari kerja", an escalation
row says which level was reached, when, how late and whether its email went out. A key without a label is left
out rather than shown raw (`tests/web/test_words_and_errors.py` walks every event and checks that none is left).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from app.agencies.authority import role_labels
from app.audit.history import SYSTEM_ACTOR
from app.calendar.working_days import FOLLOW_UP_RULE
from app.cases import assignment, elections, outcomes
from app.core import vocab
from app.core.states import STATUS_LABELS, CaseEvent
from app.db import db
from app.escalations.ladder import DEFAULT_LADDER
from app.i18n import format_day, format_instant
from app.models.auth import User
from app.web.filters import current_locale, label
from app.web.schema_forms import FIELD_LABELS, N_
from workflows import TRANSITIONS

# History rows written outside the transition table.
OTHER_EVENT_LABELS = {
    "create": N_("Perkara dicatat"),
    "update": N_("Data perkara diubah"),
    "imported": N_("Perkara diimpor"),
    "attachment_added": N_("Berkas diunggah"),
    "escalation_level_reached": N_("Tingkat eskalasi tercapai"),
    "escalation": N_("Eskalasi"),
    "pseudonymised": N_("Data pribadi diganti nama samaran (lewat masa simpan)"),
    **outcomes.EVENT_LABELS,  # a block of data/services in SIASN recorded, lifted
    **assignment.EVENT_LABELS,  # the case given to another investigator
    **elections.EVENT_LABELS,  # the neutrality case linked to an election by hand, or unlinked
}
ESCALATION_EVENTS = frozenset({"escalation_level_reached", "escalation"})

# Shown elsewhere on the page (the agency is in the header, a document is named by its file).
HIDDEN_KEYS = frozenset({"agency_id", "attachment_id", "label", "kind"})

# Labels of the keys the code adds beside an event's own fields (effects, the sweep, uploads, the import).
KEY_LABELS = {
    "number": N_("Nomor perkara"),
    "working_days": N_("Jumlah hari kerja"),
    "calendar_version": N_("Kalender kerja"),
    "rule": N_("Aturan tenggat"),
    "legal_source": N_("Dasar aturan tenggat"),
    "category": N_("Kategori"),
    "source": N_("Sumber laporan"),
    "has_reporter": N_("Ada identitas pelapor"),
    "filename": N_("Nama berkas"),
    "sha256": "SHA-256",
    "purpose": N_("Keperluan"),
    "changed": N_("Yang diubah"),
    "due_at": N_("Tenggat"),
    "received_on": N_("Tanggal diterima"),
    "is_lighter": N_("Lebih ringan dari rekomendasi"),
    "is_late": N_("Terlambat"),
    "working_days_taken": N_("Hari kerja terpakai"),
    "document_id": N_("Dokumen"),
    "previous_sanction": N_("Sanksi sebelumnya"),
    "level": N_("Tingkat"),
    "cycle": N_("Siklus tenggat"),
    "reached_at": N_("Tercapai pada"),
    "days_late": N_("Keterlambatan saat dicatat"),
    "body": N_("Kementerian tujuan"),
    "notified": N_("Email pemberitahuan"),
    "external_ref": N_("Nomor asal"),
    "file": N_("Berkas impor"),
    "row": N_("Baris"),
    "status": N_("Status"),
    "reported_on": N_("Tanggal laporan"),
    "reporter": N_("Pelapor (rahasia)"),
    "occurred_on": N_("Tanggal kejadian"),
    "summary": N_("Uraian kejadian"),
    "subcategory": N_("Subkategori (netralitas)"),
    "pseudonymised": N_("Data yang diganti"),
    "retention_years": N_("Masa simpan (tahun)"),
    **outcomes.PAYLOAD_LABELS,
    **assignment.PAYLOAD_LABELS,
    **elections.PAYLOAD_LABELS,
}

VOCABULARIES: dict[str, dict[Any, str]] = {
    "sanction": vocab.SANCTION_LABELS,
    "sanction_imposed": vocab.SANCTION_LABELS,
    "revised_sanction": vocab.SANCTION_LABELS,
    "previous_sanction": vocab.SANCTION_LABELS,
    "sanction_form": vocab.SANCTION_FORMS,
    "category": vocab.CATEGORY_LABELS,
    "subcategory": vocab.NEUTRALITY_SUBCATEGORIES,
    "source": vocab.SOURCE_LABELS,
    "scope": outcomes.SCOPE_LABELS,
    "body": vocab.BODY_LABELS,
    "status": STATUS_LABELS,
    "outcome": {"upheld": N_("Rekomendasi tetap"), "revised": N_("Rekomendasi diubah")},
    "purpose": {
        "evidence": N_("Bukti"),
        "follow_up": N_("Tindak lanjut"),
        "clarification": N_("Klarifikasi"),
        "other": N_("Lainnya"),
    },
    "pseudonymised": {"reporter": N_("Identitas pelapor"), "reported_person": N_("Nama, NIP dan jabatan terlapor")},
    "rule": {FOLLOW_UP_RULE: N_("Tenggat tindak lanjut rekomendasi oleh PPK")},
}
# The deadline's source when no rule is recorded (app.calendar.working_days.follow_up_rule).
CONFIGURED_SOURCE = "konfigurasi FOLLOW_UP_WORKING_DAYS"
# The ladder's rungs by kind, for a row that carries no label.
LADDER_LABELS = {rung["kind"]: rung["label"] for rung in DEFAULT_LADDER}
_CALENDAR_VERSION = re.compile(r"^holidays-(?P<version>[\w.]+)\+ovr-(?P<digest>[0-9a-f]+)$")
NO_OVERRIDES = "e3b0c44298fc"  # the digest of no override (sha256 of nothing, as Calendar.version writes it)


@cache
def _event_labels(event: str) -> dict[str, str]:
    """The labels (untranslated) of an event's own fields: its form's, so that each letter number is named for
    the letter it is (the recommendation's, the PPK's objection, the reply, the extension)."""
    if event not in CaseEvent._value2member_map_:
        return {}
    schema = TRANSITIONS[CaseEvent(event)].schema()
    return {name: fld.metadata.get("label") or FIELD_LABELS.get(name, "") for name, fld in schema.fields.items()}


def key_label(event: str, key: str) -> str | None:
    """The reader's label of `key` in a row of `event`, or None when the key has none (then it is not shown)."""
    text = _event_labels(event).get(key) or KEY_LABELS.get(key) or FIELD_LABELS.get(key)
    return gettext(text) if text else None


def _instant(value: Any) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_instant(moment, locale=current_locale())


def _day(value: Any) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return format_day(day, locale=current_locale())


def _days(value: Any) -> str:
    return gettext("%(n)s hari kerja", n=value)


def calendar_words(value: str) -> str:
    """`holidays-0.109+ovr-…` in words: whose holidays, which data, whether an administrator's override counted."""
    match = _CALENDAR_VERSION.match(value or "")
    if match is None:
        return gettext("Kalender hari kerja aplikasi")
    text = gettext(
        "Hari libur nasional dan cuti bersama menurut data kalender versi %(version)s", version=match["version"]
    )
    if match["digest"] != NO_OVERRIDES:
        text += "; " + gettext("dengan pengecualian yang ditetapkan administrator")
    return text


def _legal_source(value: str) -> str:
    if value == CONFIGURED_SOURCE:
        return gettext("Pengaturan aplikasi (belum ada aturan tenggat yang tercatat)")
    return value


def _days_late(value: Any) -> str:
    if not value:
        return gettext("belum lewat tenggat")
    return gettext("%(n)s hari kerja setelah tenggat", n=value)


def _notified(value: Any) -> str:
    if value:
        return gettext("dikirim kepada penerima tingkat ini")
    return gettext("tidak dikirim saat tingkat ini tercapai (tingkat terlewati atau alamat penerima belum ada)")


def _cycle(value: Any) -> str:
    return gettext("ke-%(n)s", n=int(value) + 1)


def _changed(value: Any) -> str:
    """What an edit changed: the fields by their labels (the reporter's identity is never copied)."""
    if not isinstance(value, dict):
        return str(value)
    parts = []
    for key, new in value.items():
        text = KEY_LABELS.get(key) or FIELD_LABELS.get(key)
        if not text:
            continue
        name = gettext(text)
        if key == "reporter":
            parts.append(name)
        elif isinstance(new, dict):
            inner = [
                f"{gettext(FIELD_LABELS[f'{key}.{k}'])}: {v}"
                for k, v in new.items()
                if v not in (None, "") and f"{key}.{k}" in FIELD_LABELS
            ]
            parts.append(f"{name} ({'; '.join(inner)})" if inner else name)
        else:
            parts.append(f"{name}: {value_words(key, new)}")
    return "; ".join(parts)


def _person(value: Any) -> str:
    """A staff member (or an election) as the history keeps them (`{"id", "name"}`): the name."""
    if isinstance(value, dict):
        return str(value.get("name") or gettext("(tanpa nama)"))
    return str(value)


FORMATTERS: dict[str, Callable[[Any], str]] = {
    "assignee": _person,
    "from_assignee": _person,
    "to_assignee": _person,
    "from_election": _person,
    "to_election": _person,
    "working_days": _days,
    "working_days_taken": _days,
    "calendar_version": calendar_words,
    "legal_source": _legal_source,
    "days_late": _days_late,
    "notified": _notified,
    "cycle": _cycle,
    "reached_at": _instant,
    "due_at": _instant,
    "changed": _changed,
}


def value_words(key: str, value: Any) -> str:
    """A stored value as the reader reads it: a word for a code, a date or an instant in their language."""
    if key in FORMATTERS:
        try:
            return FORMATTERS[key](value)
        except (TypeError, ValueError):
            return str(value)
    if key in VOCABULARIES and isinstance(value, str):
        return label(VOCABULARIES[key], value)
    if isinstance(value, bool):
        return gettext("ya") if value else gettext("tidak")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return _day(value)
        except ValueError:
            return value
    if isinstance(value, str) and len(value) > 18 and value[4] == "-" and value[10] in "T ":
        try:
            return _instant(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        return "; ".join(f"{key_label('', k) or k}: {value_words(k, v)}" for k, v in value.items() if key_label("", k))
    return str(value)


def actor_words(rows: list[dict[str, Any]]) -> dict[int, str]:
    """Who acted in each row (by seq), as the viewer may see it: name and role for the authority's staff (the row
    carries the actor's id), the row's own label for an outside party (role and office), "Sistem" for the
    scheduler, never an address or a key."""
    ids = {row["actor_id"] for row in rows if row.get("actor_id")}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    roles = role_labels()
    words = {}
    for row in rows:
        person = people.get(row.get("actor_id") or 0)
        if person is not None:
            words[row["seq"]] = f"{person.name} ({label(roles, person.role)})"
        elif row.get("actor") in (None, "", SYSTEM_ACTOR):
            words[row["seq"]] = gettext("Sistem")
        else:
            stored = str(row["actor"])  # an outside party's label (role and office), written in Indonesian
            words[row["seq"]] = gettext(stored)
    return words


def event_title(event: str, payload: dict[str, Any]) -> str:
    """The row's title: the event's label; an escalation names the rung reached ("Eskalasi: Pengingat (tingkat 0)")."""
    if event in CaseEvent._value2member_map_:
        return gettext(TRANSITIONS[CaseEvent(event)].label)
    title = gettext(OTHER_EVENT_LABELS.get(event, N_("Peristiwa lain")))
    if event in ESCALATION_EVENTS and payload.get("level") is not None:
        rung = payload.get("label") or LADDER_LABELS.get(str(payload.get("kind")))
        level = gettext("tingkat %(level)s", level=payload["level"])
        title = f"{title}: {gettext(rung)} ({level})" if rung else f"{title}: {level}"
    return title


def details(event: str, payload: dict[str, Any], files: dict[int, str]) -> list[tuple[str, str]]:
    """The payload as (label, words) pairs; empty values, keys shown elsewhere and keys without a label left out."""
    rows = []
    for key, value in (payload or {}).items():
        if value in (None, "") or key in HIDDEN_KEYS:
            continue
        if key == "level" and event in ESCALATION_EVENTS:
            continue  # the title names the level
        if key == "cycle" and not value:
            continue  # the first cycle is the only one most cases have: said only once the deadline restarted
        name = key_label(event, key)
        if name is None:
            continue
        rows.append((name, files.get(value, "-") if key == "document_id" else value_words(key, value)))
    return rows
