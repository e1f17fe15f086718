"""Self-assessment answers, frozen index snapshots and the case membership frozen with them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db import Model

STAGES = ("self_assessment", "verification", "clarification", "plenary")


class SelfAssessment(Model):
    """One agency's answer to one sub-criterion for one year, and KASN's verification of it.

    Stages (DOMAIN §3): the agency fills it in (`self_assessment`), KASN verifies or corrects it with a
    note (`verification`), may ask the agency to clarify (`clarification`, back to `verification` when
    answered), and the plenary decision locks it (`plenary`).
    """

    __tablename__ = "self_assessments"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", "subcriterion"),
        CheckConstraint("stage IN ('self_assessment', 'verification', 'clarification', 'plenary')", name="stage"),
        CheckConstraint("self_score IS NULL OR (self_score >= 0 AND self_score <= 100)", name="self_score"),
        CheckConstraint(
            "verified_score IS NULL OR (verified_score >= 0 AND verified_score <= 100)", name="verified_score"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    criterion: Mapped[str] = mapped_column(String(20))
    subcriterion: Mapped[str] = mapped_column(String(60))
    self_score: Mapped[float | None]
    answer: Mapped[str | None] = mapped_column(Text)
    evidence_filename: Mapped[str | None] = mapped_column(String(255))
    evidence_key: Mapped[str | None] = mapped_column(String(64))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_size: Mapped[int | None]
    evidence_content_type: Mapped[str | None] = mapped_column(String(100))
    verified_score: Mapped[float | None]
    verifier_note: Mapped[str | None] = mapped_column(Text)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    # KASN's question while in `clarification`; the agency answers by updating `answer` / the evidence.
    clarification_question: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    stage: Mapped[str] = mapped_column(String(20), default="self_assessment")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def effective_score(self) -> float | None:
        """KASN's verified (or corrected) score when there is one, else the agency's own."""
        return self.verified_score if self.verified_score is not None else self.self_score


class IndexSnapshot(Model):
    """A year's published index, frozen: later data never changes it. An administrator may lift a freeze, with a
    reason (migration 0009): the row stays, as the year's history, and the year is live again until it is frozen
    anew."""

    __tablename__ = "index_snapshots"
    __table_args__ = (
        # One freeze in force per year and method version; lifted ones stay beside it as history.
        Index(
            "uq_index_snapshots_year_method_in_force",
            "year",
            "method_version",
            unique=True,
            sqlite_where=text("lifted_at IS NULL"),
            postgresql_where=text("lifted_at IS NULL"),
        ),
        # Lifted means lifted for a reason, at a moment.
        CheckConstraint("(lifted_at IS NULL) = (lift_reason IS NULL)", name="lifted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    method_version: Mapped[str] = mapped_column(String(20))
    frozen_at: Mapped[datetime] = mapped_column(default=utcnow)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_reason: Mapped[str | None] = mapped_column(Text)


class IndexSnapshotCase(Model):
    """Which cases stood behind which indicator when a snapshot was frozen (bit flags, see scoring.FLAGS)."""

    __tablename__ = "index_snapshot_cases"
    __table_args__ = (
        UniqueConstraint("snapshot_id", "case_id"),
        Index("ix_index_snapshot_cases_snapshot_agency", "snapshot_id", "agency_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("index_snapshots.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    flags: Mapped[int]
