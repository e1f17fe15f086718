"""Escalation steps (one per recommendation, cycle and level) and the targets' mailboxes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db import Model, db


class EscalationStep(Model):
    __tablename__ = "escalation_steps"
    __table_args__ = (
        UniqueConstraint("recommendation_id", "cycle", "level"),
        CheckConstraint("level BETWEEN 0 AND 3", name="level"),
        Index("ix_escalation_steps_level_reached", "level", "reached_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    cycle: Mapped[int] = mapped_column(default=0)
    level: Mapped[int]
    # When the level was due by the ladder; `recorded_at` when the sweep saw it.
    reached_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    body: Mapped[str | None] = mapped_column(String(16), index=True)
    # False for a level passed over during downtime (recorded, but its email superseded).
    notified: Mapped[bool] = mapped_column(default=True)
    # Reached earlier than the ladder's day because the PPK in office is a candidate in the case's election
    # (app/escalations/ladder.py `incumbent_ladder`): the candidacy, which the email and the letter name.
    early_candidacy_id: Mapped[int | None] = mapped_column(ForeignKey("ppk_candidacies.id"))
    resolved_at: Mapped[datetime | None]


class EscalationRecipient(Model):
    """Official mailbox of an escalation target (menpanrb, kemendagri, kasn, bkn); editable by admins."""

    __tablename__ = "escalation_recipients"
    __table_args__ = (
        CheckConstraint("target IN ('menpanrb', 'kemendagri', 'kasn', 'bkn')", name="target"),
        UniqueConstraint("target", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def escalation_steps_for(case_id: int) -> list[EscalationStep]:
    """Every step the case's recommendation reached, all cycles, in order."""
    return list(
        db.session.scalars(
            select(EscalationStep)
            .where(EscalationStep.case_id == case_id)
            .order_by(EscalationStep.cycle, EscalationStep.level)
        )
    )
