"""Escalation services used by the workflow, the pages and the API (flush only; the caller commits)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, select

from app.agencies.authority import issuer_profile
from app.calendar.working_days import local_date
from app.core.clock import utcnow
from app.db import db
from app.escalations.ladder import Ladder, case_ladder_for, ladder_of, load_ladder
from app.models.agencies import Agency
from app.models.cases import Case, Recommendation
from app.models.escalations import EscalationStep
from app.models.people import Incumbency, incumbencies

ESCALATED_LEVEL = 2  # the level at which a ministry is involved (DESIGN §4, §7 `escalated`)


def case_ladder(case: Case, now: datetime | None = None) -> Ladder:
    """The ladder `case`'s recommendation climbs at `now`: its issuing authority's own, else the configured one,
    shifted while the PPK in office is a candidate in the case's election (`ladder.case_ladder_for`, as the sweep)."""
    rec = db.session.execute(
        select(Recommendation.authority_name, Recommendation.issued_at, Recommendation.due_at).where(
            Recommendation.case_id == case.id
        )
    ).first()
    agency = db.session.get(Agency, case.agency_id)
    if rec is None or agency is None:
        base = load_ladder()
    else:
        base = ladder_of(issuer_profile(rec.authority_name, rec.issued_at or rec.due_at, agency.timezone).ladder)
    return case_ladder_for(base, case_incumbency(case, now) is not None)


def case_incumbency(case: Case, now: datetime | None = None) -> Incumbency | None:
    """The incumbent PPK of `case` on the agency's day of `now`: an office holder in office that day who is a
    candidate in the neutrality case's election (app/models/people.py `incumbencies`), else None."""
    agency = db.session.get(Agency, case.agency_id)
    day = local_date(now or utcnow(), agency.timezone if agency is not None else "Asia/Jakarta")
    return incumbencies([case.id], {case.id: day}).get(case.id)


def step_dump(step: EscalationStep, ladder: Ladder | None = None) -> dict[str, Any]:
    """A step for the API and pages (the label of the ladder it was reached on: `ladder`, else the configured)."""
    ladder = ladder or load_ladder()
    rung = ladder.rung(step.level) if step.level <= ladder.top else None
    return {
        "level": step.level,
        "kind": rung.kind if rung else None,
        "label": rung.label if rung else None,
        "cycle": step.cycle,
        "reached_at": step.reached_at,
        "recorded_at": step.recorded_at,
        "due_at": step.due_at,
        "body": step.body,
        "notified": step.notified,
        "resolved_at": step.resolved_at,
        "early": step.early_candidacy_id is not None,
    }


def escalated_clause() -> ColumnElement[bool]:
    """SQL condition on Case: its recommendation reached a ministry (level ≥ 2) in any cycle."""
    return exists().where(EscalationStep.case_id == Case.id, EscalationStep.level >= ESCALATED_LEVEL)
