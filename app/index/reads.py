"""What a user sees of the IM-NKK: the index of a year (published or live), an agency's detail and trend,
the cases behind an indicator, and the years and names the pages list. Read only: nothing here writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.cases.elections import check_election
from app.core.clock import utcnow
from app.core.vocab import Role
from app.db import db, get_row
from app.errors import NotFound, ValidationFailed
from app.index import queries
from app.index.access import (
    check_agency_visible,
    check_cases_visible,
    check_index_reader,
    check_year,
    current_year,
    visible_agency_ids,
)
from app.index.compute import compute_index
from app.index.method import Method
from app.index.scoring import INDICATOR_KEYS
from app.index.snapshots import latest_snapshot, published_items, snapshot_result
from app.models.agencies import Agency
from app.models.auth import User
from app.models.index import IndexSnapshot, SelfAssessment


def get_index(year: int, *, live: bool = False, method: Method | None = None) -> dict[str, Any]:
    """The published (frozen) index of the year when there is one, else (or with `live`) the live one."""
    year = check_year(year)
    if not live:
        snapshot = latest_snapshot(year)
        if snapshot is not None:
            return snapshot_result(snapshot)
    return compute_index(year, method=method)


def index_for(user: User, year: int, *, live: bool = False) -> dict[str, Any]:
    """The index as `user` may see it: the whole ranking, or a PPK's own item only."""
    check_index_reader(user)
    result = get_index(year, live=live)
    allowed = visible_agency_ids(user)
    if allowed is not None:
        result = {**result, "items": [i for i in result["items"] if i["agency_id"] in allowed]}
    return result


def agency_detail(user: User, year: int, agency_id: int, *, live: bool = False) -> dict[str, Any]:
    """An agency's full result for the year, with its trend over the years."""
    check_agency_visible(user, agency_id)
    result = get_index(year, live=live)
    item = next((i for i in result["items"] if i["agency_id"] == agency_id), None)
    if item is None:
        raise NotFound("Instansi tidak ditemukan.")
    detail = {
        **item,
        "year": result["year"],
        "frozen": result["frozen"],
        "frozen_at": result["frozen_at"],
        "as_of": result["as_of"],
        "method_version": result["method_version"],
        "agency_count": sum(1 for i in result["items"] if i["rank"] is not None),
        "trend": agency_trend(agency_id, until=max(year, current_year())),
    }
    if user.role == Role.OVERSEER:  # aggregates only
        detail["subcriteria"] = [{**s, "stage": None} for s in detail["subcriteria"]]
    return detail


def agency_trend(agency_id: int, *, until: int) -> list[dict[str, Any]]:
    """The agency's score per year, from its first year with data: frozen years as published."""
    first_years = [
        y
        for y in (
            queries.first_issue_year(agency_id),
            db.session.scalar(select(func.min(SelfAssessment.year)).where(SelfAssessment.agency_id == agency_id)),
            db.session.scalar(select(func.min(IndexSnapshot.year))),
        )
        if y is not None
    ]
    if not first_years:
        return []
    snapshots = {
        row.year: row.id
        for row in db.session.execute(
            select(IndexSnapshot.year, IndexSnapshot.id)
            .where(IndexSnapshot.lifted_at.is_(None))  # a lifted freeze is history, not the published figures
            .order_by(IndexSnapshot.frozen_at)
        )
    }
    trend = []
    for year in range(max(min(first_years), until - 20), until + 1):
        if year in snapshots:
            data = db.session.get(IndexSnapshot, snapshots[year])
            items = published_items(data.data) if data else []
            item = next((i for i in items if i["agency_id"] == agency_id), None)
            frozen = True
        else:
            items = compute_index(year, agency_ids=[agency_id])["items"]
            item = items[0] if items else None
            frozen = False
        if item is None:
            continue
        trend.append(
            {
                "year": year,
                "score": item["score"],
                "index": item["index"],
                "category": item["category"],
                "category_label": item["category_label"],
                "complete": item["complete"],
                "penegakan": item["criteria"]["penegakan"],
                "frozen": frozen,
            }
        )
    return trend


def indicator_cases(
    user: User,
    year: int,
    agency_id: int,
    indicator: str,
    *,
    cursor: int | None = None,
    limit: int = 100,
    live: bool = False,
    election_id: int | None = None,
) -> dict[str, Any]:
    """The cases behind an indicator: as frozen when the year is published, else from live data. With
    `election_id`, those of the election's cases (always live, as the election's figures are: app/index/elections.py;
    an election that does not exist: ValidationFailed)."""
    year = check_year(year)
    check_cases_visible(user, agency_id)
    if indicator not in INDICATOR_KEYS:
        raise ValidationFailed(
            "Indikator tidak dikenal.",
            details={"fields": {"indicator": [f"pilih: {', '.join(sorted(INDICATOR_KEYS))}"]}},
        )
    agency = get_row(Agency, agency_id)
    if agency is None:
        raise NotFound("Instansi tidak ditemukan.")
    if election_id is not None:
        check_election(election_id)
    snapshot = None if live or election_id is not None else latest_snapshot(year)
    if snapshot is not None:
        rows = queries.frozen_cases(snapshot.id, indicator, agency_id=agency_id, after_id=cursor, limit=limit + 1)
        as_of = datetime.fromisoformat(snapshot.data["as_of"])
    else:
        as_of = utcnow()
        rows = queries.indicator_cases(
            indicator, year=year, agency_id=agency_id, timezone=agency.timezone, as_of=as_of,
            after_id=cursor, limit=limit + 1, election_id=election_id,
        )  # fmt: skip
    next_cursor = rows[limit - 1]["id"] if len(rows) > limit else None
    return {
        "year": year,
        "agency_id": agency_id,
        "indicator": indicator,
        "frozen": snapshot is not None,
        "election_id": election_id,
        "as_of": as_of,
        "items": rows[:limit],
        "next_cursor": next_cursor,
    }


def agency_name(agency_id: int) -> str:
    name = db.session.scalar(select(Agency.name).where(Agency.id == agency_id))
    if name is None:
        raise NotFound("Instansi tidak ditemukan.")
    return name


def available_years() -> list[int]:
    first = queries.first_issue_year()
    frozen = list(db.session.scalars(select(IndexSnapshot.year).distinct()))
    this_year = current_year()
    start = min([y for y in [first, *frozen] if y is not None] or [this_year])
    return list(range(max(start, this_year - 30), this_year + 1))
