"""Calendar administration (overrides, deadline rules) and the deadline status shown on cases.

Services flush; the caller (CLI command, admin page) commits.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from app.calendar.working_days import FOLLOW_UP_RULE, Calendar, local_date
from app.db import db, get_row
from app.errors import NotFound, ValidationFailed
from app.models.agencies import Agency
from app.models.calendar import CalendarOverride, DeadlineRule

OVERRIDE_KINDS = ("closed", "open")


def list_overrides(*, year: int | None = None, agency_id: int | None = None) -> list[CalendarOverride]:
    stmt = select(CalendarOverride).order_by(CalendarOverride.day, CalendarOverride.id)
    if year is not None:
        stmt = stmt.where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
    if agency_id is not None:
        stmt = stmt.where(CalendarOverride.agency_id == agency_id)
    return list(db.session.scalars(stmt))


def add_override(
    day: date,
    kind: str,
    description: str,
    *,
    decree: str | None = None,
    agency_id: int | None = None,
    actor: Any | None = None,
) -> CalendarOverride:
    """Make `day` non-working (`closed`) or working (`open`), nationally or for one agency.

    Deadlines already computed keep their due date (DESIGN §3: only an audited event recomputes one);
    the override applies to deadlines computed from now on and to the sweep's counting of days.
    """
    errors: dict[str, list[str]] = {}
    if kind not in OVERRIDE_KINDS:
        errors["kind"] = ["pilih 'closed' (libur) atau 'open' (hari kerja)"]
    if not description or not description.strip():
        errors["description"] = ["wajib diisi"]
    if agency_id is not None and get_row(Agency, agency_id) is None:
        errors["agency_id"] = ["instansi tidak ditemukan"]
    if errors:
        raise ValidationFailed("Data hari kalender tidak valid.", details={"fields": errors})
    existing = db.session.scalar(
        select(CalendarOverride).where(
            CalendarOverride.day == day,
            CalendarOverride.agency_id.is_(None) if agency_id is None else CalendarOverride.agency_id == agency_id,
        )
    )
    if existing is not None:
        raise ValidationFailed(
            "Tanggal tersebut sudah memiliki pengecualian kalender; hapus dulu sebelum menggantinya.",
            details={"fields": {"day": ["sudah ada"]}, "id": existing.id},
        )
    row = CalendarOverride(
        day=day,
        kind=kind,
        description=description.strip(),
        decree=(decree or "").strip() or None,
        agency_id=agency_id,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(row)
    db.session.flush()
    return row


def remove_override(override_id: int) -> CalendarOverride:
    row = get_row(CalendarOverride, override_id)
    if row is None:
        raise NotFound("Pengecualian kalender tidak ditemukan.")
    db.session.delete(row)
    db.session.flush()
    return row


def list_rules(code: str | None = None) -> list[DeadlineRule]:
    stmt = select(DeadlineRule).order_by(DeadlineRule.code, DeadlineRule.valid_from)
    if code:
        stmt = stmt.where(DeadlineRule.code == code)
    return list(db.session.scalars(stmt))


def add_rule(
    code: str,
    days: int,
    legal_source: str,
    *,
    valid_from: date,
    valid_to: date | None = None,
    unit: str = "working_days",
) -> DeadlineRule:
    """A new regulation is a new row: the rule valid on the day of receipt decides the deadline."""
    errors: dict[str, list[str]] = {}
    if days < 1:
        errors["days"] = ["minimal 1"]
    if unit not in ("working_days", "calendar_days"):
        errors["unit"] = ["pilih working_days atau calendar_days"]
    elif code == FOLLOW_UP_RULE and unit != "working_days":
        errors["unit"] = ["tenggat tindak lanjut PPK dihitung dalam hari kerja"]
    if not legal_source or not legal_source.strip():
        errors["legal_source"] = ["sebutkan dasar hukumnya"]
    if valid_to is not None and valid_to < valid_from:
        errors["valid_to"] = ["tidak boleh sebelum valid_from"]
    if errors:
        raise ValidationFailed("Aturan tenggat tidak valid.", details={"fields": errors})
    rule = DeadlineRule(
        code=code, days=days, unit=unit, valid_from=valid_from, valid_to=valid_to, legal_source=legal_source.strip()
    )
    db.session.add(rule)
    db.session.flush()
    return rule


def deadline_status(
    recommendation: Any, agency: Any, now: datetime, calendar: Calendar | None = None
) -> dict[str, Any]:
    """What a case page or API answer shows about the clock: due instant, level, overdue, days left/late.

    `working_days_left` counts the working days from today to the due day, both included (on the due day it
    is 1); `working_days_late` counts the working days after the due day up to today (the first working day
    after it is 1 day late). Both are None when the clock is not running.
    """
    due_at = getattr(recommendation, "due_at", None) if recommendation is not None else None
    level = getattr(recommendation, "escalation_level", None) if recommendation is not None else None
    running = bool(recommendation is not None and recommendation.is_open and due_at is not None)
    status: dict[str, Any] = {
        "due_at": due_at,
        "escalation_level": level,
        "overdue": bool(running and recommendation.is_past_due(now)),
        "working_days_left": None,
        "working_days_late": None,
    }
    if not running:
        return status
    cal = calendar or Calendar.load(agency.id)
    left, late = cal.days_left_and_late(
        local_date(now, agency.timezone), local_date(due_at, agency.timezone), agency.id
    )
    past_due = recommendation.is_past_due(now)
    status["working_days_left"] = None if past_due else left
    status["working_days_late"] = late if past_due else None
    return status
