"""Escalation services used by the workflow, the pages and the API (flush only; the caller commits)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, select

from app.calendar.working_days import Calendar
from app.core.clock import utcnow
from app.escalations.ladder import load_ladder, working_hours
from app.escalations.routing import CENTRAL_TIMEZONE, TARGETS, target_recipients
from app.extensions import db
from app.models.agencies import Agency
from app.models.cases import Case, Recommendation
from app.models.escalations import EscalationStep

RESOLVED_KIND = "escalation_resolved"
ESCALATED_LEVEL = 2  # the level at which a ministry is involved (DESIGN §4, §7 `escalated`)


def escalation_steps_for(case: Case) -> list[EscalationStep]:
    """Every step the case's recommendation reached, all cycles, in order."""
    return list(
        db.session.scalars(
            select(EscalationStep)
            .where(EscalationStep.case_id == case.id)
            .order_by(EscalationStep.cycle, EscalationStep.level)
        )
    )


def step_dump(step: EscalationStep) -> dict[str, Any]:
    """A step for the API and pages (the ladder's label included)."""
    ladder = load_ladder()
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
    }


def escalated_clause() -> ColumnElement[bool]:
    """SQL condition on Case: its recommendation reached a ministry (level ≥ 2) in any cycle."""
    return exists().where(EscalationStep.case_id == Case.id, EscalationStep.level >= ESCALATED_LEVEL)


def escalated_to_clause(body: str) -> ColumnElement[bool]:
    """SQL condition on Case: escalated to ministry `body` (what an overseer may read)."""
    return exists().where(
        EscalationStep.case_id == Case.id, EscalationStep.level >= ESCALATED_LEVEL, EscalationStep.body == body
    )


def _ministry_start(now: datetime) -> datetime | None:
    start, end = working_hours()
    return Calendar.load().next_working_moment(now, CENTRAL_TIMEZONE, None, start, end)


def on_follow_up_reported(case: Case, *, now: datetime | None = None) -> None:
    """The PPK reported its follow-up: close the open steps of the current cycle and, when the case had been
    escalated to a ministry (level 2 by default), tell that ministry (and, after the final report, the
    official recipients of the levels above it: KASN and BKN by default) that the PPK has acted. Called by
    the workflow in its transaction; flushes only."""
    from notifications.outbox import enqueue

    now = now or utcnow()
    # Lock the recommendation first: a sweep batch holding it commits before we read its steps.
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id).with_for_update())
    if rec is None:
        return
    steps = list(
        db.session.scalars(
            select(EscalationStep)
            .where(EscalationStep.recommendation_id == rec.id, EscalationStep.cycle == rec.cycle)
            .order_by(EscalationStep.level)
        )
    )
    for step in steps:
        if step.resolved_at is None:
            step.resolved_at = now
    db.session.flush()
    ladder = load_ladder()
    reached = {s.level for s in steps}
    # The first level that involves the ministry; the PPK acting is news to it and to the levels after it.
    ministry_levels = [r.level for r in ladder if "ministry" in r.recipients_rules]
    if not ministry_levels or not reached or max(reached) < ministry_levels[0]:
        return
    top = max(reached)
    body = next((s.body for s in reversed(steps) if s.body), None)
    if body is None:
        from app.agencies.services import routed_body

        body = routed_body(db.session.get(Agency, case.agency_id))
    recipients = list(target_recipients(body))
    for rung in ladder:
        if ministry_levels[0] < rung.level <= top:
            for rule in rung.recipients_rules:
                if rule in TARGETS:
                    recipients += target_recipients(rule)
    if not recipients:
        return
    late = rec.due_at is not None and (rec.followed_up_at or now) > rec.due_at
    enqueue(
        RESOLVED_KIND,
        case=case,
        recipients=recipients,
        key=f"esc:{rec.id}:{rec.cycle}:resolved",
        extra={
            "level": top,
            "body": body,
            "cycle": rec.cycle,
            "due_at": rec.due_at.isoformat() if rec.due_at else None,
            "followed_up_at": (rec.followed_up_at or now).isoformat(),
            "is_late": late,
        },
        send_after=_ministry_start(now),
    )
