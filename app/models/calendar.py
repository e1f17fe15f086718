"""Calendar data kept in the database: non-working-day overrides and deadline rules."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db import Model


class CalendarOverride(Model):
    """A day made non-working (`closed`) or working (`open`) by a decree, optionally for one agency."""

    __tablename__ = "calendar_overrides"
    __table_args__ = (
        CheckConstraint("kind IN ('closed', 'open')", name="kind"),
        UniqueConstraint("day", "agency_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(String(200))
    decree: Mapped[str | None] = mapped_column(String(200))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeadlineRule(Model):
    """How long a step may take, by which regulation, valid over which dates (a new rule is data)."""

    __tablename__ = "deadline_rules"
    __table_args__ = (CheckConstraint("unit IN ('working_days', 'calendar_days')", name="unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    days: Mapped[int]
    unit: Mapped[str] = mapped_column(String(16), default="working_days")
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    legal_source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
