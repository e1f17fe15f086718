"""The live IM-NKK of a year: every agency scored from its cases and its self-assessment, ranked.

Three queries whatever the number of agencies: the agencies, the enforcement facts from the cases
(app.index.queries) and the self-assessment answers. Scoring itself is pure (app.index.scoring).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from app.core.clock import utcnow
from app.db import db
from app.index import queries
from app.index.access import check_year
from app.index.method import Method, current_method
from app.index.scoring import Answer, rank, score_agency
from app.models.agencies import Agency
from app.models.index import SelfAssessment


def agencies(agency_ids: Sequence[int] | None) -> list[dict[str, Any]]:
    """The agencies (all, or the given ones) with what scoring needs of them, by id: also the day an agency
    ended and the name of the agency that took over."""
    successor = Agency.__table__.alias("successor")
    stmt = select(
        Agency.id,
        Agency.code,
        Agency.name,
        Agency.kind,
        Agency.timezone,
        Agency.is_active,
        Agency.ended_on,
        successor.c.name.label("successor_name"),
    ).outerjoin(successor, successor.c.id == Agency.successor_id)
    if agency_ids is not None:
        stmt = stmt.where(Agency.id.in_(list(agency_ids)))
    return [row._asdict() for row in db.session.execute(stmt.order_by(Agency.id))]


def existed_in(agency: dict[str, Any], year: int) -> bool:
    """Whether the agency existed on some day of `year`: it had not ended by 1 January (`ended_on` is the first
    day it no longer exists). An agency that ended during a year is still scored and ranked in that year."""
    return agency.get("ended_on") is None or agency["ended_on"] > date(year, 1, 1)


def _answers(year: int, agency_ids: Sequence[int] | None) -> dict[int, dict[str, Answer]]:
    stmt = select(
        SelfAssessment.agency_id,
        SelfAssessment.subcriterion,
        SelfAssessment.self_score,
        SelfAssessment.verified_score,
        SelfAssessment.stage,
    ).where(SelfAssessment.year == year)
    if agency_ids is not None:
        stmt = stmt.where(SelfAssessment.agency_id.in_(list(agency_ids)))
    result: dict[int, dict[str, Answer]] = {}
    for row in db.session.execute(stmt):
        score = row.verified_score if row.verified_score is not None else row.self_score
        result.setdefault(row.agency_id, {})[row.subcriterion] = Answer(
            score=score, stage=row.stage, verified=row.verified_score is not None
        )
    return result


def compute_index(
    year: int,
    *,
    as_of: datetime | None = None,
    agency_ids: Sequence[int] | None = None,
    method: Method | None = None,
) -> dict[str, Any]:
    """The live index of a year for all agencies (or the given ones), ranked: three queries whatever the count.

    Active agencies that existed in the year are always listed; an inactive agency, or one that ended before the
    year began, only when it has data for the year, and the latter is never ranked (it no longer existed).
    """
    year = check_year(year)
    method = method or current_method()
    as_of = as_of or utcnow()
    listed = agencies(agency_ids)
    timezones = {a["timezone"] for a in listed}
    facts = queries.enforcement_facts(year, as_of, timezones, agency_ids)
    answers = _answers(year, agency_ids)
    items = []
    for agency in listed:
        agency_facts = facts.get(agency["id"])
        agency_answers = answers.get(agency["id"], {})
        listed_anyway = agency["is_active"] and existed_in(agency, year)
        if not listed_anyway and agency_facts is None and not agency_answers:
            continue
        items.append(
            score_agency(
                agency,
                agency_facts.counts if agency_facts else None,
                agency_facts.median_working_days() if agency_facts else None,
                agency_answers,
                method,
                year=year,
            )
        )
    return {
        "year": year,
        "method_version": method.version,
        "frozen": False,
        "frozen_at": None,
        "as_of": as_of,
        "items": rank(items),
    }
