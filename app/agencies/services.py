"""Agency queries, creation and escalation routing, and the rule for agencies that ended.

An agency that ended (dissolved or merged: `Agency.ended_on` is the first day it no longer exists) takes no new
case reported on or after that day in its own time zone; its existing cases keep working and name the agency
that took over (`Agency.successor_id`). The IM-NKK does not rank it in the years after the one it ended in.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from app.core.clock import utcnow
from app.core.pagination import cursor_id, encode_cursor
from app.core.vocab import CENTRAL_KINDS, TIMEZONES, AgencyKind, Body
from app.db import MAX_ROW_ID, db, get_row
from app.errors import NotFound, ValidationFailed
from app.i18n import format_day
from app.models.agencies import Agency
from app.models.auth import User

# The rule a new case for an ended agency breaks, named in the refusal (API `details.rule`, page and import).
AGENCY_ENDED_RULE = "agency_ended"


def routed_body(agency: Agency) -> str:
    """Ministry that receives this agency's escalations: the override, else by kind (DESIGN §4)."""
    if agency.escalation_body:
        return agency.escalation_body
    return Body.MENPANRB.value if AgencyKind(agency.kind) in CENTRAL_KINDS else Body.KEMENDAGRI.value


def get_agency(agency_id: int) -> Agency:
    agency = get_row(Agency, agency_id)
    if agency is None:
        raise NotFound("Instansi tidak ditemukan.")
    return agency


def local_day(agency: Agency | Any, instant: datetime | None = None) -> date:
    """The calendar day it is at `instant` (now) in the agency's time zone."""
    return (instant or utcnow()).astimezone(ZoneInfo(agency.timezone or "Asia/Jakarta")).date()


def newest_local_day(instant: datetime | None = None) -> date:
    """The newest calendar day it is anywhere in Indonesia (WIT, UTC+9) at `instant` (now)."""
    instant = instant or utcnow()
    return max(instant.astimezone(ZoneInfo(zone)).date() for zone in TIMEZONES)


def has_ended(ended_on: date | None, on: date) -> bool:
    """Whether an agency that ends on `ended_on` (its first day without existence) no longer exists on `on`."""
    return ended_on is not None and ended_on <= on


def successor_of(agency: Agency) -> Agency | None:
    """The agency that took over, if one is recorded."""
    return get_row(Agency, agency.successor_id) if agency.successor_id else None


def end_dump(agency: Agency) -> dict[str, Any]:
    """`ended_on` and the successor (`{id, code, name}` or None) of an agency, for the API and the pages."""
    successor = successor_of(agency)
    return {
        "ended_on": agency.ended_on,
        "successor": {"id": successor.id, "code": successor.code, "name": successor.name} if successor else None,
    }


def ended_message(name: str, ended_on: date, successor_name: str | None) -> str:
    """The refusal of a new case for an agency that ended, naming the rule and the successor (Indonesian)."""
    text = (
        f"Instansi {name} sudah berakhir sejak {format_day(ended_on)}: perkara baru tidak dapat dicatat untuk "
        "instansi yang sudah berakhir pada hari pelaporan (aturan: instansi berakhir)."
    )
    if successor_name:
        return f"{text} Tugasnya diambil alih oleh {successor_name}; catat perkara pada instansi tersebut."
    return f"{text} Tidak ada instansi pengganti yang tercatat."


def check_open_for_new_case(agency: Agency, instant: datetime | None = None) -> None:
    """Refuse (422, rule `agency_ended`) a new case reported at `instant` for an agency that has ended by then."""
    day = local_day(agency, instant)
    if agency.ended_on is None or not has_ended(agency.ended_on, day):
        return
    successor = successor_of(agency)
    message = ended_message(agency.name, agency.ended_on, successor.name if successor else None)
    raise ValidationFailed(
        message,
        details={
            "fields": {"agency_id": [message]},
            "rule": AGENCY_ENDED_RULE,
            "ended_on": agency.ended_on.isoformat(),
            "successor": ({"id": successor.id, "code": successor.code, "name": successor.name} if successor else None),
        },
    )


def ended_agencies() -> dict[int, tuple[date, str | None]]:
    """Every agency that has an end date: id -> (ended_on, the successor's name). One query (they are few)."""
    successor = Agency.__table__.alias("successor")
    rows = db.session.execute(
        select(Agency.id, Agency.ended_on, successor.c.name)
        .outerjoin(successor, successor.c.id == Agency.successor_id)
        .where(Agency.ended_on.is_not(None))
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def open_agency_choices(instant: datetime | None = None) -> list[tuple[int, str, str]]:
    """(id, name, code) of the active agencies that still exist today in their own zone, by name: what a new
    case may be logged against."""
    rows = db.session.execute(
        select(Agency.id, Agency.name, Agency.code, Agency.ended_on, Agency.timezone)
        .where(Agency.is_active.is_(True))
        .order_by(Agency.name)
    ).all()
    return [(r.id, r.name, r.code) for r in rows if not has_ended(r.ended_on, local_day(r, instant))]


def check_end_fields(agency_id: int | None, ended_on: date | None, successor_id: int | None) -> None:
    """An agency's end and successor: the successor exists, is not the agency itself, and is set only together
    with an end date. Raises ValidationFailed naming the field."""
    if successor_id is None:
        return
    if ended_on is None:
        message = "Instansi pengganti hanya dapat diisi bersama tanggal berakhir."
        raise ValidationFailed(message, details={"fields": {"successor_id": [message]}})
    if successor_id == agency_id or get_row(Agency, successor_id) is None:
        message = "Instansi pengganti tidak sah."
        raise ValidationFailed(message, details={"fields": {"successor_id": [message]}})


def list_agencies(
    *, kind: str | None, q: str | None, limit: int, cursor: str | None, current: bool = False
) -> tuple[list[Agency], str | None]:
    stmt = select(Agency).where(Agency.is_active.is_(True))
    if current:
        # `ended_on` is a local day: from the newest day anywhere in Indonesia (WIT) the agency is left out.
        stmt = stmt.where(or_(Agency.ended_on.is_(None), Agency.ended_on > newest_local_day()))
    if kind:
        stmt = stmt.where(Agency.kind == kind)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(Agency.name).like(like), func.lower(Agency.code).like(like)))
    after = cursor_id(cursor)
    if after is not None:
        stmt = stmt.where(Agency.id > min(after, MAX_ROW_ID))
    rows = list(db.session.scalars(stmt.order_by(Agency.id).limit(limit + 1)))
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def create_agency(data: dict[str, Any], *, source: str = "admin") -> Agency:
    if db.session.scalar(select(Agency.id).where(Agency.code == data["code"])) is not None:
        raise ValidationFailed("Kode instansi sudah dipakai.", details={"fields": {"code": ["sudah dipakai"]}})
    if data.get("parent_id") is not None and get_row(Agency, data["parent_id"]) is None:
        raise ValidationFailed(
            "Instansi induk tidak ditemukan.", details={"fields": {"parent_id": ["tidak ditemukan"]}}
        )
    check_end_fields(None, data.get("ended_on"), data.get("successor_id"))
    agency = Agency(source=source, **data)
    db.session.add(agency)
    db.session.flush()
    return agency


def agency_dump(agency: Agency) -> dict[str, Any]:
    return {
        "id": agency.id,
        "code": agency.code,
        "name": agency.name,
        "kind": agency.kind,
        "timezone": agency.timezone,
        "ppk_title": agency.ppk_title,
        "ppk_email": agency.ppk_email,
        "parent_id": agency.parent_id,
        "escalation_body": agency.escalation_body,
        "routed_to": routed_body(agency),
        "is_active": agency.is_active,
        **end_dump(agency),
    }


def ppk_recipients(agency: Agency) -> list[str]:
    """The PPK's emails go to `ppk_email` and its active users (DESIGN §7)."""
    emails = [agency.ppk_email] if agency.ppk_email else []
    emails += list(
        db.session.scalars(
            select(User.email).where(User.agency_id == agency.id, User.role == "ppk", User.is_active.is_(True))
        )
    )
    return sorted(set(emails))
