"""The season at a glance: the figures of a user's dashboard, each one aggregate query over the cases the user may
see (`access.visibility_clause`: the authority's staff every case, a PPK its agency's cases from the issue of their
recommendation, an overseer the cases escalated to its ministry).

Every figure is counted by the database (GROUP BY, COUNT ... FILTER); Python only names the groups, and sums the few
hundred groups of one pass over the cases into the category, election and year figures (`_case_groups`). Periods (days,
months) are the agency's own calendar days: a deadline ending 23.59 WITA counts on its WITA day whoever reads it, so
the buckets are written per time zone in SQL (`_local_periods`).

The whole dashboard can be read for one election (`election_id`): every figure then counts the visible cases linked
to it, through the same visibility clause narrowed by a semi-join on `case_elections`.

By election: the neutrality cases linked to each election (`case_elections`, kept by the intake: only a neutrality
case is linked), newest election first, and the neutrality cases linked to none; beside it, neutrality cases
against the others by the year the act took place (an election year shows, whether or not its cases were linked).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import and_, case, extract, func, select
from sqlalchemy.sql.elements import ColumnElement

from app.calendar.working_days import local_date, zone
from app.cases import access
from app.cases.elections import check_election, election_ref, in_election
from app.core.states import STATUS_LABELS, TERMINAL_STATUSES, CaseStatus
from app.core.vocab import BODY_LABELS, CATEGORY_LABELS, KASN_ROLES, AgencyKind, Category, Role
from app.db import db
from app.escalations.ladder import load_ladder
from app.i18n import DEFAULT_TZ
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case, Recommendation
from app.models.intake import CaseElection, Election
from app.web.filters import current_locale, label

OPEN_STATUSES = tuple(s for s in CaseStatus if s not in TERMINAL_STATUSES)
NOT_ISSUED = -2  # open cases whose recommendation is not issued (no clock, no level)
NO_LEVEL = -1  # issued, no level reached yet
CENTRAL = -1  # the region of central agencies (ministries, lembaga)
NO_PROVINCE = 0  # a kabupaten/kota whose province is not recorded
DAYS = 14  # this week and next, Monday first
MONTHS = 12  # the follow-up rate: this month and the eleven before
_CENTRAL_KINDS = (AgencyKind.KEMENTERIAN.value, AgencyKind.LEMBAGA.value)
_PROVINCE_PREFIX = "Pemerintah Provinsi "


def reader_zone(user: User) -> str:
    """The zone the user's days and months are read in: the user's agency's, else WIB."""
    agency = getattr(user, "agency", None)
    return agency.timezone if agency is not None else DEFAULT_TZ


# The figures of a scope, kept for DASHBOARD_CACHE_SECONDS (the page and the API say at which moment they were
# counted: `generated_at`): every reader of the same scope (the visibility rule and its values: all the authority's
# staff, one agency's PPK users, one ministry's overseers), zone and language shares them. Per process; nothing is
# invalidated, the figures age out. CACHE_SIZE scopes at most (the oldest go first).
CACHE_SIZE = 2048
_cache: dict[tuple[Any, ...], tuple[datetime, dict[str, Any]]] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _cache_key(user: User, tz_name: str, election_id: int | None) -> tuple[Any, ...]:
    rule, values = access._visibility(user)
    scope = _scope(user)
    return (
        str(db.engine.url),
        rule,
        tuple(sorted(values.items())),
        tz_name,
        current_locale(),
        scope["label"],
        election_id,
    )


def dashboard(user: User, now: datetime, election_id: int | None = None) -> dict[str, Any]:
    """Every figure of the user's dashboard, at `now`; with `election_id`, of the cases linked to that election
    only (still those the user may see). An unknown election: ValidationFailed naming `election_id` (the answer
    names the election it counts, so it cannot count one that does not exist). The figures are those counted for
    the same scope at most DASHBOARD_CACHE_SECONDS before (`generated_at` says when; 0 counts every time)."""
    seconds = int(current_app.config.get("DASHBOARD_CACHE_SECONDS") or 0)
    if seconds <= 0:
        return _figures(user, now, election_id)
    key = _cache_key(user, reader_zone(user), election_id)
    with _cache_lock:
        kept = _cache.get(key)
    if kept is not None and kept[0] <= now < kept[0] + timedelta(seconds=seconds):
        return {**kept[1], "scope": {**kept[1]["scope"], "role": user.role}}
    figures = _figures(user, now, election_id)
    with _cache_lock:
        _cache.pop(key, None)
        while len(_cache) >= CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = (now, figures)
    return figures


def _figures(user: User, now: datetime, election_id: int | None) -> dict[str, Any]:
    """Every figure of the user's dashboard, counted at `now` (see `dashboard`)."""
    clause = access.visibility_clause(user)
    # The authority's staff see every case: then the figures read from the recommendations alone do not join the
    # cases (the join only carried the visibility rule): the overdue count and the months' follow-up rate read
    # the recommendations' own indexes instead of hashing a million cases.
    every_case = access._visibility(user)[0] == "all" and election_id is None
    election = None
    if election_id is not None:
        election = check_election(election_id)
        clause = and_(clause, in_election(election.id))
    tz_name = reader_zone(user)
    today = local_date(now, tz_name)
    zones = list(db.session.scalars(select(Agency.timezone).distinct())) or [DEFAULT_TZ]
    by_status = _open_by_status(clause)
    groups = _case_groups(clause)
    by_category = _by_category(groups)
    deadlines = _deadlines(clause, zones, today, now, every_case)
    return {
        "generated_at": now,
        "timezone": tz_name,
        "scope": _scope(user),
        "election": election_ref(election),
        "totals": {
            "open": sum(item["count"] for item in by_status),
            "all": sum(item["count"] for item in by_category),
            "overdue": deadlines["overdue"],
        },
        "open_by_status": by_status,
        "open_by_level": _open_by_level(clause),
        "deadlines": deadlines,
        "follow_up_by_month": _follow_up_by_month(clause, zones, today, every_case),
        "by_category": by_category,
        "by_region": _by_region(clause),
        "by_election": _by_election(groups),
        "neutrality_by_year": _neutrality_by_year(groups),
    }


def _scope(user: User) -> dict[str, Any]:
    """Whose cases the figures count, in words (the rule itself is access.py's)."""
    if user.role in KASN_ROLES:
        return {"role": user.role, "label": gettext("Semua perkara")}
    if user.role == Role.PPK:
        name = user.agency.name if user.agency is not None else ""
        return {"role": user.role, "label": gettext("Perkara %(agency)s sejak rekomendasinya terbit", agency=name)}
    if user.role == Role.OVERSEER:
        body = label(BODY_LABELS, user.body)
        return {"role": user.role, "label": gettext("Perkara yang dieskalasi ke %(body)s", body=body)}
    return {"role": user.role, "label": gettext("Tidak ada perkara yang dapat Anda lihat")}


def _is_open() -> ColumnElement[bool]:
    return Case.status.in_([s.value for s in OPEN_STATUSES])


def _grouped(inner: Any, *aggregates: Any) -> list[Any]:
    """`SELECT key, aggregates FROM (inner) GROUP BY key`: the key (the inner select's first column, an expression)
    is computed once in a subquery, so that the GROUP BY names a column rather than repeating the expression."""
    sub = inner.subquery()
    key = sub.c[0]
    return list(db.session.execute(select(key, *[a(sub) for a in aggregates]).group_by(key)).all())


def _count(_sub: Any) -> Any:
    return func.count()


def _open_by_status(clause: Any) -> list[dict[str, Any]]:
    counts = dict(
        db.session.execute(select(Case.status, func.count()).where(clause, _is_open()).group_by(Case.status)).all()
    )
    return [
        {"key": s.value, "label": gettext(STATUS_LABELS[s]), "count": int(counts.get(s.value, 0))}
        for s in OPEN_STATUSES
    ]


def _open_by_level(clause: Any) -> list[dict[str, Any]]:
    bucket = case(
        (Recommendation.issued_at.is_(None), NOT_ISSUED), else_=func.coalesce(Recommendation.escalation_level, NO_LEVEL)
    )
    inner = (
        select(bucket.label("level"))
        .select_from(Case)
        .outerjoin(Recommendation, Recommendation.case_id == Case.id)
        .where(clause, _is_open())
    )
    counts = {int(level): int(n) for level, n in _grouped(inner, _count)}
    items = [
        {"key": "not_issued", "level": None, "label": gettext("Rekomendasi belum terbit"), "count": 0},
        {"key": "none", "level": None, "label": gettext("Belum ada eskalasi"), "count": 0},
    ]
    items[0]["count"] = counts.pop(NOT_ISSUED, 0)
    items[1]["count"] = counts.pop(NO_LEVEL, 0)
    for rung in load_ladder():
        items.append(
            {
                "key": str(rung.level),
                "level": rung.level,
                "label": gettext("Tingkat %(level)s: %(label)s", level=rung.level, label=gettext(rung.label)),
                "count": counts.pop(rung.level, 0),
            }
        )
    return items


def _midnight(day: date, tz_name: str) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=zone(tz_name)).astimezone(UTC)


def _local_periods(
    instant: Any, tz_column: Any, zones: Sequence[str], starts: Sequence[date]
) -> tuple[Any, datetime, datetime]:
    """The index i of the period [starts[i], starts[i+1]) holding `instant` on the calendar of its agency's zone
    (`tz_column`), as a SQL CASE (NULL outside); and the earliest and latest instant any zone's periods cover, for
    the WHERE clause that lets an index bound the rows."""
    whens = []
    low = high = None
    for tz_name in zones:
        edges = [_midnight(day, tz_name) for day in starts]
        low = edges[0] if low is None else min(low, edges[0])
        high = edges[-1] if high is None else max(high, edges[-1])
        for index in range(len(starts) - 1):
            whens.append((and_(tz_column == tz_name, instant >= edges[index], instant < edges[index + 1]), index))
    assert low is not None and high is not None
    return case(*whens, else_=None), low, high


def _of_visible_cases(stmt: Any, every_case: bool) -> Any:
    """`stmt` (a select from the recommendations) joined to their cases, which the visibility clause reads; not
    when the reader sees every case (`every_case`: the clause is `true`)."""
    return stmt if every_case else stmt.join(Case, Case.id == Recommendation.case_id)


def _deadlines(
    clause: Any, zones: Sequence[str], today: date, now: datetime, every_case: bool = False
) -> dict[str, Any]:
    """Running follow-up deadlines per day of this week and next (each on its agency's day), and those past."""
    monday = today - timedelta(days=today.weekday())
    days = [monday + timedelta(days=n) for n in range(DAYS + 1)]
    bucket, low, high = _local_periods(Recommendation.due_at, Agency.timezone, zones, days)
    running = and_(Recommendation.is_open.is_(True), Recommendation.issued_at.is_not(None))
    inner = (
        _of_visible_cases(select(bucket.label("day")).select_from(Recommendation), every_case)
        .join(Agency, Agency.id == Recommendation.agency_id)
        .where(clause, running, Recommendation.due_at >= low, Recommendation.due_at < high)
    )
    counts = {int(index): int(n) for index, n in _grouped(inner, _count) if index is not None}
    overdue = db.session.scalar(
        _of_visible_cases(select(func.count()).select_from(Recommendation), every_case).where(
            clause, Recommendation.is_overdue(now)
        )
    )
    per_day = [
        {"date": day, "count": counts.get(index, 0), "today": day == today} for index, day in enumerate(days[:-1])
    ]
    return {
        "this_week": sum(item["count"] for item in per_day[:7]),
        "next_week": sum(item["count"] for item in per_day[7:]),
        "overdue": int(overdue or 0),
        "days": per_day,
    }


def _month_starts(today: date, months: int) -> list[date]:
    """The first days of the `months` months ending with today's, and of the month after."""
    year, month = today.year, today.month
    starts = []
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    starts.reverse()
    last = starts[-1]
    starts.append(date(last.year + (last.month == 12), last.month % 12 + 1, 1))
    return starts


def _follow_up_by_month(
    clause: Any, zones: Sequence[str], today: date, every_case: bool = False
) -> list[dict[str, Any]]:
    """Per month of issue (the agency's day of issue): recommendations issued, followed up (an SK reported and not
    rejected: `followed_up_at`, as in the PPK's record of the escalation letters), and followed up by the deadline."""
    starts = _month_starts(today, MONTHS)
    bucket, low, high = _local_periods(Recommendation.issued_at, Agency.timezone, zones, starts)
    inner = (
        _of_visible_cases(
            select(bucket.label("month"), Recommendation.followed_up_at, Recommendation.due_at).select_from(
                Recommendation
            ),
            every_case,
        )
        .join(Agency, Agency.id == Recommendation.agency_id)
        .where(clause, Recommendation.issued_at >= low, Recommendation.issued_at < high)
    )
    rows = _grouped(
        inner,
        _count,
        lambda sub: func.count(sub.c.followed_up_at),
        lambda sub: func.count().filter(sub.c.followed_up_at <= sub.c.due_at),
    )
    counts = {int(index): (int(a), int(b), int(c)) for index, a, b, c in rows if index is not None}
    items = []
    for index, start in enumerate(starts[:-1]):
        issued, followed_up, on_time = counts.get(index, (0, 0, 0))
        items.append(
            {
                "month": f"{start.year:04d}-{start.month:02d}",
                "start": start,
                "issued": issued,
                "followed_up": followed_up,
                "on_time": on_time,
                "rate": followed_up / issued if issued else None,
            }
        )
    return items


def _case_groups(clause: Any) -> list[tuple[str, int | None, int | None, bool, int]]:
    """One pass over the cases for three figures: the count per category, year of the act, election linked and
    open or not (a few hundred groups at most), from which the category, election and year figures are summed."""
    inner = (
        select(
            Case.category.label("category"),
            extract("year", Case.occurred_on).label("year"),
            CaseElection.election_id.label("election_id"),
            case((_is_open(), 1), else_=0).label("open"),
        )
        .select_from(Case)
        .outerjoin(CaseElection, CaseElection.case_id == Case.id)
        .where(clause)
        .subquery()
    )
    keys = (inner.c.category, inner.c.year, inner.c.election_id, inner.c.open)
    rows = db.session.execute(select(*keys, func.count()).group_by(*keys)).all()
    return [
        (category, None if year is None else int(year), election_id, bool(open_), int(n))
        for category, year, election_id, open_, n in rows
    ]


def _by_category(groups: list[tuple[str, int | None, int | None, bool, int]]) -> list[dict[str, Any]]:
    total: Counter[str] = Counter()
    opened: Counter[str] = Counter()
    for category, _year, _election, open_, n in groups:
        total[category] += n
        opened[category] += n if open_ else 0
    return [
        {"key": c.value, "label": gettext(CATEGORY_LABELS[c]), "count": total[c.value], "open": opened[c.value]}
        for c in Category
    ]


def _by_region(clause: Any) -> list[dict[str, Any]]:
    """Per province (a kabupaten/kota counts under its province; central agencies together), largest first: the
    cases counted per agency first, then the agencies' counts summed per region, both in the database."""
    per_agency = (
        select(
            Case.agency_id.label("agency_id"),
            func.count().label("total"),
            func.count().filter(_is_open()).label("open"),
        )
        .where(clause)
        .group_by(Case.agency_id)
        .subquery()
    )
    region = case(
        (Agency.kind.in_(_CENTRAL_KINDS), CENTRAL),
        (Agency.kind == AgencyKind.PROVINSI.value, Agency.id),
        (Agency.parent_id.is_not(None), Agency.parent_id),
        else_=NO_PROVINCE,
    )
    inner = select(region.label("region"), per_agency.c.total, per_agency.c.open).join_from(
        per_agency, Agency, Agency.id == per_agency.c.agency_id
    )
    rows = _grouped(inner, lambda sub: func.sum(sub.c.total), lambda sub: func.sum(sub.c.open))
    ids = [int(key) for key, _total, _open in rows if key is not None and int(key) > 0]
    names = dict(db.session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(ids))).all()) if ids else {}
    items = []
    for key, total, open_ in rows:
        key = int(key)
        if key == CENTRAL:
            text, code = gettext("Instansi pusat"), "central"
        elif key == NO_PROVINCE:
            text, code = gettext("Provinsi tidak tercatat"), "unknown"
        else:
            name = names.get(key, "")
            text, code = name.removeprefix(_PROVINCE_PREFIX), str(key)
        items.append({"key": code, "label": text, "count": int(total or 0), "open": int(open_ or 0)})
    return sorted(items, key=lambda item: (-item["count"], item["label"]))


def _by_election(groups: list[tuple[str, int | None, int | None, bool, int]]) -> list[dict[str, Any]]:
    """Per election, the neutrality cases linked to it (all, open); then those linked to none."""
    total: Counter[int | None] = Counter()
    opened: Counter[int | None] = Counter()
    for category, _year, election_id, open_, n in groups:
        if category == Category.NETRALITAS.value:
            total[election_id] += n
            opened[election_id] += n if open_ else 0
    ids = [election_id for election_id in total if election_id is not None]
    elections = {e.id: e for e in db.session.scalars(select(Election).where(Election.id.in_(ids)))} if ids else {}
    items = [
        {
            "key": str(election_id),
            "label": elections[election_id].name,
            "kind": elections[election_id].kind,
            "starts_on": elections[election_id].starts_on,
            "count": total[election_id],
            "open": opened[election_id],
        }
        for election_id in ids
    ]
    items.sort(key=lambda item: (item["starts_on"], item["key"]), reverse=True)
    if None in total:
        label = gettext("Netralitas tanpa pemilihan tercatat")
        items.append({"key": "none", "label": label, "count": total[None], "open": opened[None]})
    return items


def _neutrality_by_year(groups: list[tuple[str, int | None, int | None, bool, int]]) -> list[dict[str, Any]]:
    """Per year the act took place: neutrality cases and the others."""
    years: dict[int, dict[str, int]] = {}
    for category, year, _election, _open, n in groups:
        if year is not None:
            item = years.setdefault(year, {"year": year, "neutrality": 0, "other": 0})
            item["neutrality" if category == Category.NETRALITAS.value else "other"] += n
    return [years[year] for year in sorted(years)]
