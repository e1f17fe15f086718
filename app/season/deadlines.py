"""The deadlines a user may see, as dated entries for the calendar page and the iCalendar feed.

Three kinds, each from where its rule lives: the PPK's follow-up deadline (the running recommendation's due
instant, app/calendar), the days the escalation ladder reaches its next levels (app/escalations: the same days the
sweep computes, in the agency's own calendar and zone), and KASN's answer to a pending objection when a deadline
rule for it exists (`CLARIFICATION_RULE`, app/calendar; none by default). Only open work: a running clock, or an
objection not yet answered; levels already reached are history (the case page), not deadlines.

Which cases: `access.scoped_cases(user)`, evaluated now with the user's current rights. What an entry carries:
the case's number and id, its agency and the kind of deadline; never the reported person nor the reporter (the
feed leaves the system for a calendar program).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext

from app.calendar.working_days import (
    CLARIFICATION_RULE,
    Calendar,
    due_day_by_rule,
    end_of_day,
    local_date,
    rule_valid_on,
    rules_of,
)
from app.cases import access
from app.core.states import CaseStatus
from app.db import db
from app.escalations.ladder import Ladder, case_ladder_for, load_ladder
from app.escalations.sweep import level_days
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case, Clarification, Recommendation
from app.models.people import incumbencies

FOLLOW_UP = "follow_up"
LEVEL = "escalation"
CLARIFICATION = "clarification"
KINDS = (FOLLOW_UP, LEVEL, CLARIFICATION)


@dataclass(frozen=True)
class Deadline:
    """One deadline of one case: the end of `day` in the agency's zone (`due_at`)."""

    uid: str  # stable per case, cycle and deadline: a calendar program updates the event when its day moves
    kind: str
    level: int | None
    case_id: int
    case_number: str
    agency_name: str
    timezone: str
    day: date
    due_at: datetime
    stamp: datetime  # the case's last change: the event's DTSTAMP and LAST-MODIFIED
    passed: bool  # its day has ended (a follow-up deadline past and still open)
    rung_label: str = ""  # the ladder's name of the level (`Pengingat`, `Laporan akhir` ...)

    @property
    def title(self) -> str:
        if self.kind == FOLLOW_UP:
            return gettext("Tenggat tindak lanjut PPK")
        if self.kind == CLARIFICATION:
            return gettext("Tenggat jawaban sanggahan")
        return gettext("Eskalasi tingkat %(level)s: %(label)s", level=self.level, label=gettext(self.rung_label))

    def as_dict(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "kind": self.kind,
            "level": self.level,
            "case_id": self.case_id,
            "case_number": self.case_number,
            "agency": self.agency_name,
            "timezone": self.timezone,
            "day": self.day,
            "due_at": self.due_at,
            "passed": self.passed,
            "title": self.title,
            "level_label": gettext(self.rung_label) if self.rung_label else None,
        }


def _calendar_days(working_days: int) -> int:
    """A generous bound of the calendar days `working_days` working days may span (weekends, a long holiday)."""
    return math.ceil(abs(working_days) * 7 / 5) + 21


def deadlines_for(
    user: User, first: date, last: date, now: datetime, *, ladder: Ladder | None = None
) -> list[Deadline]:
    """The user's open deadlines whose day falls in [first, last] (the agency's own day), by day then case."""
    ladder = ladder or load_ladder()
    calendar = Calendar.load(all_agencies=True)
    found = [
        *_follow_up_and_levels(user, first, last, now, ladder, calendar),
        *_clarifications(user, first, last, now, calendar),
    ]
    found = [d for d in found if first <= d.day <= last]
    return sorted(found, key=lambda d: (d.day, d.case_number, KINDS.index(d.kind), d.level or 0))


def _follow_up_and_levels(
    user: User, first: date, last: date, now: datetime, ladder: Ladder, calendar: Calendar
) -> Iterable[Deadline]:
    """The running recommendations whose due day or a level's day may fall in the window: the due instant bounded
    by the ladder's reach before and after the due day (then each day is computed exactly)."""
    before = max(0, max(rung.days_from_due for rung in ladder))
    after = max(0, -min(rung.days_from_due for rung in ladder))
    low = end_of_day(first - timedelta(days=_calendar_days(before) + 1), "Asia/Jayapura")
    high = end_of_day(last + timedelta(days=_calendar_days(after) + 1), "Asia/Jayapura")
    rows = db.session.execute(
        access.scoped_cases(user)
        .with_only_columns(
            Case.id,
            Case.number,
            Case.updated_at,
            Agency.id,
            Agency.name,
            Agency.timezone,
            Recommendation.due_at,
            Recommendation.cycle,
            Recommendation.escalation_level,
        )
        .join(Recommendation, Recommendation.case_id == Case.id)
        .join(Agency, Agency.id == Case.agency_id)
        .where(
            Case.status == CaseStatus.AWAITING_FOLLOW_UP.value,
            Recommendation.is_open.is_(True),
            Recommendation.issued_at.is_not(None),
            Recommendation.due_at >= low,
            Recommendation.due_at <= high,
        )
    ).all()
    # An incumbent PPK's neutrality cases climb earlier (the sweep's ladder, `case_ladder_for`): one query for all.
    incumbent = incumbencies([row[0] for row in rows], {row[0]: local_date(now, row[5]) for row in rows})
    for row in rows:
        case_id, _number, _updated, agency_id, _name, tz_name, due_at, cycle, level = row
        assert due_at is not None  # selected IS NOT NULL by the range
        due_day = local_date(due_at, tz_name)
        prefix = f"tindak-case{case_id}-c{cycle}"
        yield _entry(row, f"{prefix}-follow_up", FOLLOW_UP, due_day, now, instant=due_at)
        reached = -1 if level is None else level
        climbed = case_ladder_for(ladder, case_id in incumbent)
        for rung, day in zip(climbed, level_days(climbed, calendar, due_day, agency_id), strict=True):
            if rung.level > reached and first <= day <= last:
                yield _entry(row, f"{prefix}-level{rung.level}", LEVEL, day, now, level=rung.level, rung=rung.label)


def _entry(
    row: Any,
    uid: str,
    kind: str,
    day: date,
    now: datetime,
    *,
    level: int | None = None,
    rung: str = "",
    instant: datetime | None = None,
) -> Deadline:
    """A deadline of the case in `row` (id, number, updated_at, agency id, agency name, zone, ...) on `day`."""
    case_id, number, updated_at, _agency_id, agency_name, tz_name = row[:6]
    return Deadline(
        uid=f"{uid}@tindak",
        kind=kind,
        level=level,
        case_id=case_id,
        case_number=number,
        agency_name=agency_name,
        timezone=tz_name,
        day=day,
        due_at=instant or end_of_day(day, tz_name),
        stamp=updated_at,
        passed=day < local_date(now, tz_name),
        rung_label=rung,
    )


def _clarifications(user: User, first: date, last: date, now: datetime, calendar: Calendar) -> Iterable[Deadline]:
    """KASN's answer to each objection still pending, when a rule gives it a deadline (none by default)."""
    rules = rules_of(CLARIFICATION_RULE)
    if not rules:
        return
    longest = max(rule.days for rule in rules)
    low = end_of_day(first - timedelta(days=_calendar_days(longest) + 1), "Asia/Jayapura")
    rows = db.session.execute(
        access.scoped_cases(user)
        .with_only_columns(
            Case.id,
            Case.number,
            Case.updated_at,
            Agency.id,
            Agency.name,
            Agency.timezone,
            Clarification.id,
            Clarification.requested_at,
        )
        .join(Clarification, Clarification.case_id == Case.id)
        .join(Agency, Agency.id == Case.agency_id)
        .where(
            Case.status == CaseStatus.CLARIFICATION_REQUESTED.value,
            Clarification.outcome.is_(None),
            Clarification.requested_at >= low,
            Clarification.requested_at <= end_of_day(last, "Asia/Jakarta"),
        )
    ).all()
    for row in rows:
        case_id, _number, _updated, agency_id, _name, tz_name, clarification_id, requested_at = row
        requested_on = local_date(requested_at, tz_name)
        rule = rule_valid_on(rules, requested_on)
        if rule is not None:
            day = due_day_by_rule(calendar, rule, requested_on, agency_id)
            yield _entry(row, f"tindak-case{case_id}-clarification{clarification_id}", CLARIFICATION, day, now)
