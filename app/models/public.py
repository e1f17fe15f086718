"""Public figures (issue 24): the precomputed aggregates behind `/publik` and the open data, the releases served
from them, and the administrator's switch that publishes or withholds a year.

`public_figures` holds the raw counts per year, period (0 = the whole year, 1…12 a month) and unit (the whole
country, an agency, a province with its kabupaten/kota); it is written only by the refresh and never served as it
is. `public_releases` holds what is served: the figures of a year after suppression of small counts, as the exact
JSON and CSV bytes, dated and numbered (a new version only when the published figures change).
`public_publications` is the history of the switch (who, when, why); the latest row of a year is in force.

The same three tables hold the figures of an election (the cases linked to it, `case_elections`): their rows have
`election_id` set and `year` 0; a year's rows have `election_id` 0.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db import Model

# The counts kept per unit and period (their definitions: app/public/definitions.py, docs/public-figures.md).
MEASURES = (
    "cases_received",
    "recommendations_issued",
    "followed_up",
    "on_time",
    "late",
    "conforming",
    "lighter_sanction",
    "escalated",
    "open",
    "open_within_deadline",
    "open_level_1",
    "open_level_2",
    "open_level_3",
)

UNIT_KINDS = ("national", "agency", "province")


class PublicFigure(Model):
    """Raw counts of one unit in one period of a year (never served unsuppressed)."""

    __tablename__ = "public_figures"
    __table_args__ = (
        UniqueConstraint("election_id", "year", "period", "unit_kind", "unit_id"),
        CheckConstraint("period BETWEEN 0 AND 12", name="period"),
        CheckConstraint("unit_kind IN ('national', 'agency', 'province')", name="unit_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # 0 for a year's figures; an election's id (with `year` 0) for an election's.
    election_id: Mapped[int] = mapped_column(default=0, server_default="0")
    year: Mapped[int]
    period: Mapped[int]
    unit_kind: Mapped[str] = mapped_column(String(16))
    # The agency (an agency, or a province's own government for a province); 0 for the whole country.
    unit_id: Mapped[int]
    cases_received: Mapped[int] = mapped_column(default=0)
    recommendations_issued: Mapped[int] = mapped_column(default=0)
    followed_up: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    late: Mapped[int] = mapped_column(default=0)
    conforming: Mapped[int] = mapped_column(default=0)
    lighter_sanction: Mapped[int] = mapped_column(default=0)
    escalated: Mapped[int] = mapped_column(default=0)
    open: Mapped[int] = mapped_column(default=0)
    open_within_deadline: Mapped[int] = mapped_column(default=0)
    open_level_1: Mapped[int] = mapped_column(default=0)
    open_level_2: Mapped[int] = mapped_column(default=0)
    open_level_3: Mapped[int] = mapped_column(default=0)
    # Only on the national row of the whole year: cases received that have no issued recommendation yet.
    cases_before_recommendation: Mapped[int] = mapped_column(default=0)
    # {working days: how many accepted follow-ups took that long}, as JSON text (the median of a region is the
    # median of its agencies' follow-ups, not a median of medians).
    working_days: Mapped[str] = mapped_column(Text, default="{}")
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    def counts(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in MEASURES}


class PublicRelease(Model):
    """One version of a year's (or an election's) published figures: the exact bytes served, with their digest
    (the ETag)."""

    __tablename__ = "public_releases"
    __table_args__ = (UniqueConstraint("election_id", "year", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(default=0, server_default="0")
    year: Mapped[int]
    version: Mapped[int]
    # When this version was first computed, and the moment of the data it counts (the last refresh that found it
    # unchanged moves `checked_at` only).
    released_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    threshold: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    body_json: Mapped[str] = mapped_column(Text)
    body_csv: Mapped[str] = mapped_column(Text)
    # The true values of the cells this version hides, [[kind, unit id, period, measure, value], ...] (never
    # served): the next version keeps a hidden cell hidden unless its value and its change are both not small.
    hidden_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")


class PublicPublication(Model):
    """The administrator's switch for a year: publish or withhold, with a reason; rows are history."""

    __tablename__ = "public_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    election_id: Mapped[int] = mapped_column(default=0, server_default="0")
    published: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
