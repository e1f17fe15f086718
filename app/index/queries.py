"""The read side of the index: one aggregate over the recommendations of a year, and the cases behind it.

Every indicator is one SQL predicate over a recommendation row (joined to its case, its accepted
follow-up, its highest escalation and its clarifications). The same predicates feed the aggregate
(`SUM(CASE WHEN ...)`), the list of cases behind an indicator, and the flags frozen with a snapshot,
so a count and its list can never disagree.

The year of a recommendation is the calendar year of `issued_at` in the agency's own time zone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, false, func, literal, not_, or_, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql import Subquery

from app.cases.elections import in_election
from app.core.clock import utcnow
from app.core.vocab import Sanction
from app.db import UTCDateTime, db, on_postgresql, planner_setting
from app.models.agencies import Agency
from app.models.cases import Case, Clarification, FollowUp, Recommendation
from app.models.escalations import EscalationStep
from app.models.index import IndexSnapshotCase

R = Recommendation.__table__
C = Case.__table__
A = Agency.__table__
F = FollowUp.__table__.alias("f")
S = EscalationStep.__table__
CL = Clarification.__table__

DEFAULT_TZ = "Asia/Jakarta"

# Bit flags of a recommendation's membership in each indicator (frozen with a snapshot).
FLAGS: dict[str, int] = {
    "received": 1,
    "followed_up": 2,
    "on_time": 4,
    "lighter_sanction": 8,
    "escalated": 16,
    "escalated_level3": 32,
    "clarifications": 64,
    "open": 128,
    "pending": 256,
    "closed": 512,
    "assessable": 1024,
    "conforming": 2048,
    "not_followed_up": 4096,
}

# The counts of the aggregate (the other indicators follow from them: see scoring.counts_with_defaults).
COUNTED = (
    "received",
    "followed_up",
    "on_time",
    "lighter_sanction",
    "escalated",
    "escalated_level3",
    "clarifications",
    "open",
    "pending",
    "closed",
    "assessable",
)


def year_bounds(year: int, tz_name: str) -> tuple[datetime, datetime]:
    """[start, end) of a calendar year in a time zone, as UTC instants."""
    zone = ZoneInfo(tz_name or DEFAULT_TZ)
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    return start, end


def _instant(value: datetime) -> Any:
    return literal(value, type_=UTCDateTime())


@dataclass
class Sources:
    """The FROM clause of a recommendation row and the predicates over it."""

    as_of: datetime
    escalations: Subquery = field(init=False)
    clarified: Subquery = field(init=False)

    def __post_init__(self) -> None:
        self.escalations = (
            select(S.c.recommendation_id, func.max(S.c.level).label("level"))
            .where(S.c.level >= 2)
            .group_by(S.c.recommendation_id)
            .subquery("esc")
        )
        self.clarified = select(CL.c.case_id).group_by(CL.c.case_id).subquery("clar")

    def from_clause(self, *, with_agency: bool = False) -> Any:
        joined = R.join(C, C.c.id == R.c.case_id)
        if with_agency:
            joined = joined.join(A, A.c.id == C.c.agency_id)
        return (
            joined.outerjoin(F, and_(F.c.case_id == C.c.id, F.c.verdict == "accepted"))
            .outerjoin(self.escalations, self.escalations.c.recommendation_id == R.c.id)
            .outerjoin(self.clarified, self.clarified.c.case_id == C.c.id)
        )

    # --- predicates ---------------------------------------------------------------------------------

    def predicates(self) -> dict[str, ColumnElement[bool]]:
        accepted = or_(F.c.id.is_not(None), C.c.status == "completed")
        reported_at = func.coalesce(F.c.reported_at, R.c.followed_up_at)
        on_time = and_(
            accepted,
            not_(func.coalesce(F.c.is_late, false())),
            or_(R.c.due_at.is_(None), and_(reported_at.is_not(None), reported_at <= R.c.due_at)),
        )
        rank = {s.value: i for i, s in enumerate(Sanction)}
        lighter = and_(
            accepted,
            or_(
                func.coalesce(F.c.is_lighter, false()),
                case(rank, value=F.c.sanction_imposed) < case(rank, value=R.c.sanction),
            ),
        )
        level = func.coalesce(self.escalations.c.level, -1)
        own_level = func.coalesce(R.c.escalation_level, -1)
        escalated = or_(level >= 2, own_level >= 2)
        escalated3 = or_(level >= 3, own_level >= 3)
        closed = and_(not_(accepted), C.c.status.in_(("closed", "dismissed")))
        pending = and_(
            not_(accepted),
            or_(
                C.c.status.in_(("follow_up_reported", "clarification_requested")),
                and_(
                    C.c.status == "awaiting_follow_up",
                    or_(R.c.due_at.is_(None), R.c.due_at > _instant(self.as_of)),
                ),
            ),
        )
        assessable = and_(not_(pending), not_(closed))
        return {
            "received": true(),
            "followed_up": accepted,
            "on_time": on_time,
            "lighter_sanction": lighter,
            "conforming": and_(accepted, not_(lighter)),
            "escalated": escalated,
            "escalated_level3": escalated3,
            "clarifications": self.clarified.c.case_id.is_not(None),
            "open": R.c.is_open.is_(true()),
            "pending": pending,
            "closed": closed,
            "assessable": assessable,
            "not_followed_up": and_(assessable, not_(accepted)),
        }

    def escalation_level(self) -> ColumnElement[Any]:
        level = func.coalesce(self.escalations.c.level, -1)
        own_level = func.coalesce(R.c.escalation_level, -1)
        return case((level >= own_level, level), else_=own_level)


def year_condition(
    year: int, timezones: Iterable[str], *, zone_column: ColumnElement[Any] | None = None
) -> ColumnElement[bool]:
    """`issued_at` within the year in the agency's own zone.

    Zones differ by whole hours, so every row inside the window common to all zones is in the year for
    every agency; only the rows in the few hours at either end need the agency's zone: `zone_column` when
    the agency table is joined, otherwise a correlated lookup made for those rows alone.
    """
    zones = sorted(set(timezones) or {DEFAULT_TZ})
    bounds = {tz: year_bounds(year, tz) for tz in zones}
    if len(zones) == 1:
        start, end = bounds[zones[0]]
        return and_(R.c.issued_at >= _instant(start), R.c.issued_at < _instant(end))
    starts = [b[0] for b in bounds.values()]
    ends = [b[1] for b in bounds.values()]
    default_start, default_end = year_bounds(year, DEFAULT_TZ)
    zone = (
        zone_column
        if zone_column is not None
        else (select(A.c.timezone).where(A.c.id == C.c.agency_id).scalar_subquery())
    )
    start_by_zone = case({tz: _instant(b[0]) for tz, b in bounds.items()}, value=zone, else_=_instant(default_start))
    end_by_zone = case({tz: _instant(b[1]) for tz, b in bounds.items()}, value=zone, else_=_instant(default_end))
    common = and_(R.c.issued_at >= _instant(max(starts)), R.c.issued_at < _instant(min(ends)))
    edges = and_(
        R.c.issued_at >= _instant(min(starts)),
        R.c.issued_at < _instant(max(ends)),
        R.c.issued_at >= start_by_zone,
        R.c.issued_at < end_by_zone,
    )
    return or_(common, edges)


@dataclass
class Facts:
    """What the cases say about one agency in one year."""

    counts: dict[str, int] = field(default_factory=dict)
    # working days to an accepted follow-up -> how many accepted follow-ups took that long
    working_days: dict[int, int] = field(default_factory=dict)

    def median_working_days(self) -> float | None:
        total = sum(self.working_days.values())
        if total == 0:
            return None
        lower_position, upper_position = (total - 1) // 2, total // 2
        lower = upper = None
        seen = 0
        for days in sorted(self.working_days):
            seen += self.working_days[days]
            if lower is None and seen > lower_position:
                lower = days
            if seen > upper_position:
                upper = days
                break
        assert lower is not None and upper is not None
        return (lower + upper) / 2


def enforcement_facts(
    year: int,
    as_of: datetime,
    timezones: Iterable[str],
    agency_ids: Sequence[int] | None = None,
    election_id: int | None = None,
) -> dict[int, Facts]:
    """One statement over the year's recommendations: every indicator's count per agency, and the
    distribution of working days behind the median. One row per agency comes back. With `election_id`, only
    the recommendations whose case is linked to that election (app/index/elections.py).

    The shape suits each database:
    - SQLite groups by agency alone, in the order of the agency index, so there is no sort. Each agency's
      working days come back as one JSON array, since SQLite has no median aggregate. The agency's zone is
      looked up only for the rows at the year's edges.
    - PostgreSQL first groups by agency and working days, which it can run in parallel (an array aggregate
      over every row cannot be parallelised before PostgreSQL 16). It then folds those groups into one row
      per agency, with the distribution as two arrays. It joins the agency table for the zone.
    """
    sources = Sources(as_of)
    predicates = sources.predicates()
    postgres = on_postgresql()
    condition = year_condition(year, timezones, zone_column=A.c.timezone if postgres else None)
    working_days = F.c.working_days_taken
    # `count(*) FILTER (WHERE …)`, not `sum(CASE WHEN … THEN 1 ELSE 0 END)`: the same count, about 5 % less of
    # the statement's time on PostgreSQL at 1,000,000 recommendations (bench/RESULTS-postgresql.md).
    columns = [
        func.count().filter(predicates[key]).label(key) if key != "received" else func.count().label(key)
        for key in COUNTED
    ]
    rows = (
        select(C.c.agency_id, *columns)
        .select_from(sources.from_clause(with_agency=postgres))
        .where(R.c.issued_at.is_not(None), condition)
    )
    if agency_ids is not None:
        rows = rows.where(C.c.agency_id.in_(list(agency_ids)))
    if election_id is not None:
        rows = rows.where(in_election(election_id))
    if postgres:
        groups = rows.add_columns(working_days.label("wd")).group_by(C.c.agency_id, working_days).subquery("g")
        counted_days = and_(groups.c.wd.is_not(None), groups.c.followed_up > 0)
        stmt: Select[Any] = select(
            groups.c.agency_id,
            *(func.sum(groups.c[key]).label(key) for key in COUNTED),
            func.array_agg(aggregate_order_by(groups.c.wd, groups.c.wd)).filter(counted_days).label("days"),
            func.array_agg(aggregate_order_by(groups.c.followed_up, groups.c.wd)).filter(counted_days).label("n"),
        ).group_by(groups.c.agency_id)
    else:
        days = func.json_group_array(working_days).filter(and_(predicates["followed_up"], working_days.is_not(None)))
        stmt = rows.add_columns(days.label("days"), literal(None).label("n")).group_by(C.c.agency_id)
    result: dict[int, Facts] = {}
    # PostgreSQL: the first grouping (agency, working days: about 27,000 groups at 1,000,000 recommendations)
    # needs a little more than twice `work_mem` by the planner's estimate; with four times it, it is hashed
    # instead of sorting every row (a sort of 1,000,000 rows that spilled to disk): 2.23 -> 2.06 s, while the
    # bare GROUP BY of bench/index.py is slower with it (1.46 -> 1.64 s), so the server's setting stays as it is.
    with planner_setting("hash_mem_multiplier", "4"):
        rows_read = db.session.execute(stmt).all()
    for agency_id, *values, days, numbers in rows_read:
        histogram: dict[int, int] = {}
        if isinstance(days, str):  # SQLite: every working-days value, as a JSON array
            for taken in json.loads(days):
                histogram[int(taken)] = histogram.get(int(taken), 0) + 1
        elif days:  # PostgreSQL: the distinct values and how many follow-ups took that long
            histogram = {int(taken): int(n) for taken, n in zip(days, numbers, strict=True)}
        counts = {key: int(value or 0) for key, value in zip(COUNTED, values, strict=True)}
        result[agency_id] = Facts(counts=counts, working_days=histogram)
    return result


def indicator_cases(
    indicator: str,
    *,
    year: int,
    agency_id: int,
    timezone: str,
    as_of: datetime,
    after_id: int | None = None,
    limit: int = 100,
    election_id: int | None = None,
) -> list[dict[str, Any]]:
    """The cases behind one indicator of one agency and year (live data), in case id order; with `election_id`,
    those linked to that election only."""
    sources = Sources(as_of)
    predicates = sources.predicates()
    condition = year_condition(year, [timezone])
    stmt = (
        select(
            C.c.id,
            C.c.number,
            C.c.status,
            R.c.sanction,
            R.c.issued_at,
            R.c.due_at,
            F.c.sanction_imposed,
            F.c.reported_at,
            F.c.working_days_taken,
            sources.escalation_level().label("escalation_level"),
        )
        .select_from(sources.from_clause())
        .where(C.c.agency_id == agency_id, R.c.issued_at.is_not(None), condition, predicates[indicator])
        .order_by(C.c.id)
        .limit(limit)
    )
    if after_id is not None:
        stmt = stmt.where(C.c.id > after_id)
    if election_id is not None:
        stmt = stmt.where(in_election(election_id))
    return [_case_row(row) for row in db.session.execute(stmt)]


def _case_row(row: Any) -> dict[str, Any]:
    level = row.escalation_level
    return {
        "id": row.id,
        "number": row.number,
        "status": row.status,
        "sanction_recommended": row.sanction,
        "sanction_imposed": row.sanction_imposed,
        "issued_at": row.issued_at,
        "due_at": row.due_at,
        "followed_up_at": row.reported_at,
        "working_days_taken": row.working_days_taken,
        "escalation_level": None if level is None or level < 0 else int(level),
    }


def flags_select(year: int, as_of: datetime, timezones: Iterable[str]) -> Select[Any]:
    """(agency_id, case_id, flags) of every recommendation of the year, for freezing with a snapshot."""
    sources = Sources(as_of)
    predicates = sources.predicates()
    condition = year_condition(year, timezones)
    flags = sum(
        (case((predicates[key], bit), else_=0) for key, bit in FLAGS.items()),
        start=literal(0),
    )
    return (
        select(C.c.agency_id, C.c.id, flags.label("flags"))
        .select_from(sources.from_clause())
        .where(R.c.issued_at.is_not(None), condition)
    )


def frozen_cases(
    snapshot_id: int, indicator: str, *, agency_id: int, after_id: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The cases frozen behind one indicator of a snapshot (current case data, frozen membership)."""
    sources = Sources(utcnow())
    snap = IndexSnapshotCase.__table__
    stmt = (
        select(
            C.c.id,
            C.c.number,
            C.c.status,
            R.c.sanction,
            R.c.issued_at,
            R.c.due_at,
            F.c.sanction_imposed,
            F.c.reported_at,
            F.c.working_days_taken,
            sources.escalation_level().label("escalation_level"),
        )
        .select_from(sources.from_clause().join(snap, snap.c.case_id == C.c.id))
        .where(
            snap.c.snapshot_id == snapshot_id,
            snap.c.agency_id == agency_id,
            snap.c.flags.op("&")(FLAGS[indicator]) != 0,
        )
        .order_by(C.c.id)
        .limit(limit)
    )
    if after_id is not None:
        stmt = stmt.where(C.c.id > after_id)
    return [_case_row(row) for row in db.session.execute(stmt)]


def first_issue_year(agency_id: int | None = None) -> int | None:
    stmt = select(func.min(R.c.issued_at)).select_from(R.join(C, C.c.id == R.c.case_id))
    if agency_id is not None:
        stmt = stmt.where(C.c.agency_id == agency_id)
    first = db.session.scalar(stmt)
    if first is None:
        return None
    if isinstance(first, str):  # SQLite returns the stored text from an aggregate
        return int(first[:4])
    if isinstance(first, date):
        return first.year
    return None
