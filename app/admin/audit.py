"""The administrator's audit page: who did what — every row of every case's history, and the sign-in log (sign-ins,
refused sign-ins, emails sent again from the outbox) — newest first, in keyset pages, filtered by person, kind,
date range (days in WIB) and case number.

The two tables are read as one ordered stream (UNION ALL of their keys, ordered by time, source and id), so a page
is one query of 51 keys and the rows behind them; the cursor holds the last key (instant, source, id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext, lazy_gettext
from sqlalchemy import and_, literal, or_, select, union_all

from app.agencies.authority import role_labels
from app.calendar.working_days import DEFAULT_TIMEZONE, zone
from app.cases.history_words import event_title
from app.core.pagination import decode_cursor, encode_cursor
from app.db import UTCDateTime, db
from app.errors import ValidationFailed
from app.models.auth import User
from app.models.cases import Case, CaseHistory
from app.models.notifications import ActivityEvent
from app.web.filters import label

PAGE_SIZE = 50
HISTORY, ACTIVITY = "h", "a"
CASE_EVENTS = "case"

KIND_LABELS: dict[str, Any] = {
    CASE_EVENTS: lazy_gettext("Riwayat perkara"),
    "sign_in": lazy_gettext("Masuk"),
    "sign_in_failed": lazy_gettext("Gagal masuk"),
    "outbox_resend": lazy_gettext("Email dikirim ulang"),
}
REASON_LABELS: dict[str, Any] = {
    "unknown_account": lazy_gettext("email bukan akun"),
    "wrong_password": lazy_gettext("kata sandi salah"),
    "locked": lazy_gettext("akun sedang dikunci"),
    "disabled": lazy_gettext("akun nonaktif"),
    "wrong_code": lazy_gettext("kode verifikasi salah"),
    "address_blocked": lazy_gettext("alamat diblokir sementara"),
}
CHANNEL_LABELS: dict[str, Any] = {
    "web": lazy_gettext("web"),
    "api": lazy_gettext("API"),
    "cli": lazy_gettext("baris perintah"),
}


@dataclass(frozen=True)
class AuditFilters:
    who: str = ""
    kind: str = ""
    since: date | None = None
    until: date | None = None
    case_number: str = ""


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    kind: str
    kind_label: str
    what: str
    who: str
    case_id: int | None
    case_number: str | None
    details: str


def parse_filters(args: Any) -> AuditFilters:
    """The page's query string as filters; ValidationFailed naming every bad field at once."""
    errors: dict[str, list[str]] = {}
    kind = (args.get("kind") or "").strip()
    if kind and kind not in KIND_LABELS:
        errors["kind"] = ["Jenis tidak dikenal."]
    days: dict[str, date | None] = {}
    for name in ("since", "until"):
        raw = (args.get(name) or "").strip()
        days[name] = None
        if raw:
            try:
                days[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = ["Tanggal tidak sah (TTTT-BB-HH)."]
    if days["since"] and days["until"] and days["since"] > days["until"]:
        errors["until"] = ["Tanggal akhir sebelum tanggal awal."]
    if errors:
        raise ValidationFailed("Saringan tidak sah.", details={"fields": errors})
    return AuditFilters(
        who=(args.get("who") or "").strip()[:254],
        kind=kind,
        since=days["since"],
        until=days["until"],
        case_number=(args.get("case") or "").strip()[:64],
    )


def _bounds(filters: AuditFilters) -> tuple[datetime | None, datetime | None]:
    """The date range as instants: from the start of `since` to the end of `until`, days in WIB."""
    tz = zone(DEFAULT_TIMEZONE)
    start = datetime.combine(filters.since, time.min, tzinfo=tz) if filters.since else None
    end = datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=tz) if filters.until else None
    return start, end


def _cursor(cursor: str | None) -> tuple[datetime, str, int] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        at, source, row_id = key
        if source not in (HISTORY, ACTIVITY) or not isinstance(row_id, int) or isinstance(row_id, bool):
            raise ValueError(source)
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError(at)
        return moment, source, row_id
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Kursor halaman tidak sah.", details={"fields": {"cursor": ["tidak sah"]}}) from exc


def audit_page(
    filters: AuditFilters, cursor: str | None = None, limit: int = PAGE_SIZE
) -> tuple[list[AuditRow], str | None]:
    """One page of the stream, newest first, and the cursor of the next page (None at the end)."""
    after = _cursor(cursor)
    start, end = _bounds(filters)
    user_ids: list[int] | None = None
    if filters.who:
        pattern = f"%{filters.who.lower()}%"
        user_ids = list(
            db.session.scalars(
                select(User.id).where(or_(User.email.ilike(pattern), User.name.ilike(pattern))).limit(500)
            )
        )
    parts = [
        part
        for part in (_history_keys(filters, user_ids, start, end), _activity_keys(filters, user_ids, start, end))
        if part is not None
    ]
    if not parts:
        return [], None
    stream = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    at_col = stream.c.at
    stmt = select(stream.c.at, stream.c.src, stream.c.id)
    if after is not None:
        moment, source, row_id = after
        bound = literal(moment, type_=UTCDateTime())
        stmt = stmt.where(
            or_(
                at_col < bound,
                and_(at_col == bound, stream.c.src < source),
                and_(at_col == bound, stream.c.src == source, stream.c.id < row_id),
            )
        )
    keys = list(
        db.session.execute(stmt.order_by(at_col.desc(), stream.c.src.desc(), stream.c.id.desc()).limit(limit + 1))
    )
    more = len(keys) > limit
    keys = keys[:limit]
    rows = _rows(keys)
    next_cursor = None
    if more and keys:
        last = keys[-1]
        last_at = last[0] if isinstance(last[0], datetime) else datetime.fromisoformat(str(last[0]))
        next_cursor = encode_cursor([last_at.isoformat(), last[1], last[2]])
    return rows, next_cursor


def _history_keys(
    filters: AuditFilters, user_ids: list[int] | None, start: datetime | None, end: datetime | None
) -> Any:
    """The keys of the history rows the filters keep (None: the filters keep none)."""
    if filters.kind not in ("", CASE_EVENTS):
        return None
    stmt = select(CaseHistory.created_at.label("at"), literal(HISTORY).label("src"), CaseHistory.id.label("id"))
    if filters.case_number:
        stmt = stmt.join(Case, Case.id == CaseHistory.case_id).where(Case.number == filters.case_number)
    if user_ids is not None:
        stmt = stmt.where(CaseHistory.actor_id.in_(user_ids or [0]))
    if start is not None:
        stmt = stmt.where(CaseHistory.created_at >= start)
    if end is not None:
        stmt = stmt.where(CaseHistory.created_at < end)
    return stmt


def _activity_keys(
    filters: AuditFilters, user_ids: list[int] | None, start: datetime | None, end: datetime | None
) -> Any:
    """The keys of the sign-in log's rows the filters keep (None: none; a case number keeps only history)."""
    if filters.kind == CASE_EVENTS or filters.case_number:
        return None
    stmt = select(ActivityEvent.created_at.label("at"), literal(ACTIVITY).label("src"), ActivityEvent.id.label("id"))
    if filters.kind:
        stmt = stmt.where(ActivityEvent.kind == filters.kind)
    if user_ids is not None:
        typed = f"%{filters.who.lower()}%"
        stmt = stmt.where(or_(ActivityEvent.user_id.in_(user_ids or [0]), ActivityEvent.email.ilike(typed)))
    if start is not None:
        stmt = stmt.where(ActivityEvent.created_at >= start)
    if end is not None:
        stmt = stmt.where(ActivityEvent.created_at < end)
    return stmt


def _rows(keys: list[Any]) -> list[AuditRow]:
    history_ids = [k[2] for k in keys if k[1] == HISTORY]
    activity_ids = [k[2] for k in keys if k[1] == ACTIVITY]
    history = (
        {
            row.id: (row, number)
            for row, number in db.session.execute(
                select(CaseHistory, Case.number)
                .join(Case, Case.id == CaseHistory.case_id)
                .where(CaseHistory.id.in_(history_ids))
            )
        }
        if history_ids
        else {}
    )
    activity = (
        {row.id: row for row in db.session.scalars(select(ActivityEvent).where(ActivityEvent.id.in_(activity_ids)))}
        if activity_ids
        else {}
    )
    people_ids = {row.actor_id for row, _ in history.values() if row.actor_id} | {
        row.user_id for row in activity.values() if row.user_id
    }
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(people_ids)))} if people_ids else {}
    roles = role_labels()

    def who(user_id: int | None, fallback: str | None) -> str:
        person = people.get(user_id or 0)
        if person is not None:
            return f"{person.name or person.email} ({label(roles, person.role)}) · {person.email}"
        if fallback in (None, "", "system"):
            return gettext("Sistem")
        return str(fallback)

    out: list[AuditRow] = []
    for _at, source, row_id in keys:
        if source == HISTORY and row_id in history:
            row, number = history[row_id]
            out.append(
                AuditRow(
                    row.created_at,
                    CASE_EVENTS,
                    str(KIND_LABELS[CASE_EVENTS]),
                    event_title(row.event, row.payload or {}),
                    who(row.actor_id, row.actor_label),
                    row.case_id,
                    number,
                    "",
                )
            )
        elif source == ACTIVITY and row_id in activity:
            event = activity[row_id]
            out.append(
                AuditRow(
                    event.created_at,
                    event.kind,
                    str(KIND_LABELS.get(event.kind, event.kind)),
                    _activity_words(event),
                    who(event.user_id, event.email),
                    (event.data or {}).get("case_id"),
                    (event.data or {}).get("case_number"),
                    _activity_details(event),
                )
            )
    return out


def _activity_words(event: ActivityEvent) -> str:
    if event.kind == "sign_in_failed":
        reason = REASON_LABELS.get((event.data or {}).get("reason", ""))
        return gettext("Gagal masuk: %(reason)s", reason=reason) if reason else gettext("Gagal masuk")
    if event.kind == "outbox_resend":
        data = event.data or {}
        return gettext(
            "Email #%(id)s untuk %(recipient)s dikirim ulang",
            id=data.get("message_id"),
            recipient=data.get("recipient"),
        )
    return str(KIND_LABELS.get(event.kind, event.kind))


def _activity_details(event: ActivityEvent) -> str:
    parts = []
    if event.channel:
        parts.append(str(CHANNEL_LABELS.get(event.channel, event.channel)))
    if event.address:
        parts.append(gettext("alamat %(address)s", address=event.address))
    if event.kind == "sign_in_failed" and event.email and event.user_id is None:
        parts.append(gettext("email diketik: %(email)s", email=event.email))
    return " · ".join(parts)
