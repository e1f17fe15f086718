"""The raw public figures of a year: counted from the cases with the IM-NKK's own predicates (app.index.queries),
per agency and month, rolled up to provinces and the whole country, and written to `public_figures`.

One statement per time zone in use (three in Indonesia) counts every measure per agency, month and working days
taken; one more counts the cases received per agency and month, and one the cases received nationally that have no
issued recommendation (they are published only as a national total). A recommendation belongs to the year and
month of its issue in its agency's own zone, as in the index (docs/index-method.md §3); a case to those of its
registration.

An election's figures (`count_election`) count the same way the recommendations and cases linked to it
(`case_elections`), whatever their year; they have no months (an election's period is its own).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    literal_column,
    not_,
    select,
)
from sqlalchemy.sql.functions import coalesce

from app.core.vocab import AgencyKind
from app.db import db, on_postgresql
from app.index.compute import agencies as index_agencies
from app.index.compute import existed_in
from app.index.queries import A, C, F, R, Sources, _instant, year_bounds
from app.models.intake import CaseElection
from app.models.public import MEASURES, PublicFigure

REGIONAL_CHILDREN = (AgencyKind.KABUPATEN.value, AgencyKind.KOTA.value)
PROVINCE = AgencyKind.PROVINSI.value
NATIONAL_ID = 0


@dataclass
class Tally:
    """Counts of one unit in one period, and the working days of its accepted follow-ups."""

    counts: Counter[str] = field(default_factory=Counter)
    working_days: Counter[int] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.counts.update(other.counts)
        self.working_days.update(other.working_days)


def median(days: Counter[int]) -> float | None:
    """The median of a distribution {value: how many} (the mean of the two middle values for an even count)."""
    total = sum(days.values())
    if total == 0:
        return None
    ordered = sorted(days)
    positions = ((total - 1) // 2, total // 2)
    found: list[int] = []
    seen = 0
    for value in ordered:
        seen += days[value]
        while len(found) < 2 and seen > positions[len(found)]:
            found.append(value)
    return (found[0] + found[1]) / 2


def _local(column: Any, tz: str, offset_hours: int) -> ColumnElement[Any]:
    """The month (1–12) of an instant in the zone `tz` (Indonesia's zones keep one offset all year)."""
    if on_postgresql():
        return cast(extract("month", func.timezone(tz, column)), Integer)
    return cast(func.strftime("%m", column, f"{offset_hours:+d} hours"), Integer)


def _offset_hours(tz: str, year: int) -> int:
    start, _ = year_bounds(year, tz)
    from_utc = datetime(year, 1, 1) - start.replace(tzinfo=None)
    return int(from_utc.total_seconds() // 3600)


def _measure_columns(sources: Sources, as_of: datetime) -> dict[str, ColumnElement[Any]]:
    """Every measure as a SUM over the recommendation rows (the index's predicates, plus the open ones' levels)."""
    p = sources.predicates()
    level = coalesce(R.c.escalation_level, -1)
    overdue = and_(R.c.due_at.is_not(None), R.c.due_at < _instant(as_of))
    current = case((and_(overdue, level < 1), 1), else_=level)
    is_open = p["open"]
    conditions: dict[str, ColumnElement[bool]] = {
        "followed_up": p["followed_up"],
        "on_time": p["on_time"],
        "late": and_(p["followed_up"], not_(p["on_time"])),
        "conforming": p["conforming"],
        "lighter_sanction": p["lighter_sanction"],
        "escalated": p["escalated"],
        "open": is_open,
        "open_within_deadline": and_(is_open, current < 1),
        "open_level_1": and_(is_open, current == 1),
        "open_level_2": and_(is_open, current == 2),
        "open_level_3": and_(is_open, current >= 3),
    }
    columns: dict[str, ColumnElement[Any]] = {"recommendations_issued": func.count()}
    for key, condition in conditions.items():
        columns[key] = func.sum(case((condition, 1), else_=0))
    return columns


def count_year(year: int, as_of: datetime, zones: Iterable[str]) -> dict[tuple[int, int], Tally]:
    """{(agency id, month): Tally} of the year's recommendations and received cases, and the national number of
    cases received without an issued recommendation under the key (0, 0)."""

    def issued_in(tz: str) -> ColumnElement[bool]:
        start, end = year_bounds(year, tz)
        return and_(R.c.issued_at >= _instant(start), R.c.issued_at < _instant(end))

    def created_in(tz: str) -> ColumnElement[bool]:
        start, end = year_bounds(year, tz)
        return and_(C.c.created_at >= _instant(start), C.c.created_at < _instant(end))

    return _count(year, as_of, zones, issued_in, created_in)


def count_election(election_id: int, year: int, as_of: datetime, zones: Iterable[str]) -> dict[tuple[int, int], Tally]:
    """As `count_year`, for the cases linked to an election (the months are those of `year`'s offsets, unused)."""
    linked = C.c.id.in_(select(CaseElection.case_id).where(CaseElection.election_id == election_id))
    return _count(year, as_of, zones, lambda tz: linked, lambda tz: linked)


def _count(
    year: int,
    as_of: datetime,
    zones: Iterable[str],
    issued_in: Callable[[str], ColumnElement[bool]],
    created_in: Callable[[str], ColumnElement[bool]],
) -> dict[tuple[int, int], Tally]:
    tallies: dict[tuple[int, int], Tally] = {}
    sources = Sources(as_of)
    columns = _measure_columns(sources, as_of)
    followed = sources.predicates()["followed_up"]
    before = 0
    for tz in sorted(set(zones)):
        offset = _offset_hours(tz, year)
        month = _local(R.c.issued_at, tz, offset)
        days = case((followed, F.c.working_days_taken), else_=None)
        stmt = (
            select(C.c.agency_id, month.label("m"), days.label("wd"), *(c.label(k) for k, c in columns.items()))
            .select_from(sources.from_clause(with_agency=True))
            .where(A.c.timezone == tz, R.c.issued_at.is_not(None), issued_in(tz))
            .group_by(C.c.agency_id, literal_column("m"), literal_column("wd"))
        )
        for row in db.session.execute(stmt):
            tally = tallies.setdefault((row.agency_id, int(row.m)), Tally())
            for key in columns:
                tally.counts[key] += int(getattr(row, key) or 0)
            if row.wd is not None:
                tally.working_days[int(row.wd)] += int(row.followed_up or 0)
        created = _local(C.c.created_at, tz, offset)
        in_scope = and_(A.c.timezone == tz, created_in(tz))
        received = (
            select(C.c.agency_id, created.label("m"), func.count().label("n"))
            .select_from(C.join(A, A.c.id == C.c.agency_id).join(R, R.c.case_id == C.c.id))
            .where(in_scope, R.c.issued_at.is_not(None))
            .group_by(C.c.agency_id, literal_column("m"))
        )
        for agency_id, m, n in db.session.execute(received):
            tallies.setdefault((agency_id, int(m)), Tally()).counts["cases_received"] += int(n)
        without = (
            select(func.count())
            .select_from(C.join(A, A.c.id == C.c.agency_id).outerjoin(R, R.c.case_id == C.c.id))
            .where(in_scope, R.c.issued_at.is_(None))
        )
        before += int(db.session.scalar(without) or 0)
    tallies[(NATIONAL_ID, 0)] = Tally(counts=Counter({"cases_before_recommendation": before}))
    return tallies


def listed_agencies(year: int, with_data: set[int]) -> list[dict[str, Any]]:
    """The agencies the public figures list for a year: every active agency that existed in it, and any other
    with data in it; with its province (a kabupaten/kota's parent)."""
    rows = index_agencies(None)
    parents = {
        agency_id: parent_id
        for agency_id, parent_id in db.session.execute(select(A.c.id, A.c.parent_id).where(A.c.parent_id.is_not(None)))
    }
    listed = []
    for agency in rows:
        if not ((agency["is_active"] and existed_in(agency, year)) or agency["id"] in with_data):
            continue
        province = None
        if agency["kind"] == PROVINCE:
            province = agency["id"]
        elif agency["kind"] in REGIONAL_CHILDREN:
            province = parents.get(agency["id"])
        listed.append({**agency, "province_id": province})
    return listed


def compute(
    year: int, as_of: datetime, election_id: int = 0
) -> tuple[list[dict[str, Any]], dict[tuple[str, int, int], Tally]]:
    """The listed agencies, and {(unit kind, unit id, period): Tally} for every unit of the year (period 0 = the
    whole year, 1–12 the months; national rows have unit id 0). With `election_id`: the election's figures, the
    agencies listed as in `year` (the election's first), without months."""
    zones = [tz for (tz,) in db.session.execute(select(A.c.timezone).distinct())]
    raw = count_election(election_id, year, as_of, zones) if election_id else count_year(year, as_of, zones)
    before = raw.pop((NATIONAL_ID, 0))
    listed = listed_agencies(year, {agency_id for agency_id, _ in raw})
    return listed, rollup(listed, raw, before.counts["cases_before_recommendation"], months=not election_id)


def rollup(
    listed: list[dict[str, Any]], raw: dict[tuple[int, int], Tally], before: int, *, months: bool = True
) -> dict[tuple[str, int, int], Tally]:
    """{(unit kind, unit id, period): Tally}: every listed agency, every province (its government and its
    kabupaten/kota) and the country, for the year (period 0) and, with `months`, each month (every month of the
    country and of each province, empty ones too; of an agency, the months with data)."""
    province_of = {a["id"]: a["province_id"] for a in listed}
    units: dict[tuple[str, int, int], Tally] = {}
    periods = range(13) if months else range(1)

    def into(key: tuple[str, int, int], tally: Tally) -> None:
        units.setdefault(key, Tally()).add(tally)

    for agency in listed:
        units[("agency", agency["id"], 0)] = Tally()
        if agency["kind"] == PROVINCE:
            for period in periods:
                units[("province", agency["id"], period)] = Tally()
    for period in periods:
        units[("national", NATIONAL_ID, period)] = Tally()
    for (agency_id, month), tally in raw.items():
        for period in (0, month) if months else (0,):
            into(("agency", agency_id, period), tally)
            province = province_of.get(agency_id)
            if province is not None:
                into(("province", province, period), tally)
            into(("national", NATIONAL_ID, period), tally)
    units[("national", NATIONAL_ID, 0)].counts["cases_before_recommendation"] = before
    return units


def store(year: int, units: dict[tuple[str, int, int], Tally], now: datetime, election_id: int = 0) -> None:
    """Replace the year's (or the election's, with year 0) rows of `public_figures` (flushes)."""
    db.session.execute(delete(PublicFigure).where(PublicFigure.year == year, PublicFigure.election_id == election_id))
    rows = []
    for (kind, unit_id, period), tally in units.items():
        row: dict[str, Any] = {
            "election_id": election_id,
            "year": year,
            "period": period,
            "unit_kind": kind,
            "unit_id": unit_id,
            "working_days": json.dumps({str(k): v for k, v in sorted(tally.working_days.items())}),
            "computed_at": now,
            "cases_before_recommendation": int(tally.counts.get("cases_before_recommendation", 0)),
        }
        row.update({key: int(tally.counts.get(key, 0)) for key in MEASURES})
        rows.append(row)
    if rows:
        db.session.execute(insert(PublicFigure), rows)


def load(year: int, election_id: int = 0) -> dict[tuple[str, int, int], Tally]:
    """The stored rows of a year (or an election's, with year 0) back as Tallies."""
    units: dict[tuple[str, int, int], Tally] = {}
    stmt = select(PublicFigure).where(PublicFigure.year == year, PublicFigure.election_id == election_id)
    for row in db.session.scalars(stmt):
        counts = Counter(row.counts())
        counts["cases_before_recommendation"] = row.cases_before_recommendation
        days = Counter({int(k): int(v) for k, v in json.loads(row.working_days or "{}").items()})
        units[(row.unit_kind, row.unit_id, row.period)] = Tally(counts=counts, working_days=days)
    return units


__all__ = ["NATIONAL_ID", "Tally", "compute", "count_election", "load", "median", "rollup", "store"]
