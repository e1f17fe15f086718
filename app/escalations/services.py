"""Escalation services used by the workflow, the pages and the API (flush only; the caller commits)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists

from app.escalations.ladder import load_ladder
from app.models.cases import Case
from app.models.escalations import EscalationStep

ESCALATED_LEVEL = 2  # the level at which a ministry is involved (DESIGN §4, §7 `escalated`)


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
