"""Intake: reports that are not cases yet (from a Bawaslu office, the public form, or typed by the authority's
staff), their evidence files, the per-address throttle of the public channel, the record of a case created beside
its likely duplicates, events that group the cases of several civil servants, and election periods.

A report carries a tracking code its sender reads the status with; the reporter's identity and the internal note
are for the authority's staff only (app/intake/tracking.py says what the sender reads).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db import Model, database_only_index
from app.models.cases import Case

REPORT_STATUSES = ("received", "verifying", "accepted", "attached", "refused")
CHANNELS = ("forwarder", "public", "staff")
ELECTION_KINDS = ("pemilu", "pilkada")

# Likely duplicates of the same event are looked for among the cases of the days around it (app/cases/duplicates.py):
# the window is read through this index, then the descriptions are compared (pg_trgm on PostgreSQL).
CASE_OCCURRED_ON_INDEX = Index("ix_cases_occurred_on", Case.occurred_on)
# Its other indexes (migration 0023), of the cases and of the reports alike, which the models cannot describe: the
# same name in the same agency, (agency_id, lower(reported_name), id) on every database; the same event, a GiST
# index of (occurred_on, summary gist_trgm_ops) on PostgreSQL, where pg_trgm's `%` and `<->` read it.
NAME_IN_AGENCY_INDEXES = tuple(
    database_only_index(name, "any")
    for name in ("ix_cases_agency_id_lower_name_id", "ix_intake_reports_agency_id_lower_name_id")
)
EVENT_INDEXES = tuple(
    database_only_index(name, "postgresql")
    for name in ("ix_cases_occurred_on_summary_trgm", "ix_intake_reports_occurred_on_summary_trgm")
)


class IntakeReport(Model):
    """A report waiting in the intake queue, until an investigator accepts it as a case, attaches it to one or
    refuses it (with a reason its sender reads)."""

    __tablename__ = "intake_reports"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in REPORT_STATUSES)})", name="status"),
        CheckConstraint(f"channel IN ({', '.join(repr(c) for c in CHANNELS)})", name="channel"),
        CheckConstraint("(status = 'refused') = (refuse_reason IS NOT NULL)", name="refuse_reason"),
        CheckConstraint("(status IN ('accepted', 'attached')) = (case_id IS NOT NULL)", name="case_link"),
        # The queue: open reports oldest first; a forwarder's list: its reports newest first.
        Index("ix_intake_reports_status_id", "status", "id"),
        Index("ix_intake_reports_forwarder_id_id", "forwarder_id", "id"),
        Index("ix_intake_reports_occurred_on", "occurred_on"),
        # Likely duplicates: the same name in the same agency among the open reports (app/cases/duplicates.py).
        Index("ix_intake_reports_agency_id_id", "agency_id", "id"),
        UniqueConstraint("forwarder_id", "external_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    forwarder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The office's own reference of the report (its register number): the same one twice is one report.
    external_ref: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="received")
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    agency_text: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40), default="netralitas")
    subcategory: Mapped[str | None] = mapped_column(String(60))
    reported_name: Mapped[str] = mapped_column(String(200))
    reported_nip: Mapped[str | None] = mapped_column(String(18), index=True)
    reported_position: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(200))
    # Confidential: the authority's staff only; never in the tracking answer, an email or a forwarder's list.
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_contact: Mapped[str | None] = mapped_column(String(200))
    election_id: Mapped[int | None] = mapped_column(ForeignKey("elections.id"))
    # Verification is due by this instant when an election period covers the receipt (app/intake/deadlines.py).
    verify_due_at: Mapped[datetime | None] = mapped_column(index=True)
    verify_escalated_at: Mapped[datetime | None]
    refuse_reason: Mapped[str | None] = mapped_column(Text)
    internal_note: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    verifying_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IntakeFile(Model):
    """An evidence file sent with a report, in the evidence store (app/core/uploads.py); its store key is handed
    to the case's attachments when the report becomes or joins a case."""

    __tablename__ = "intake_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("intake_reports.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IntakeThrottle(Model):
    """Requests of one client address to a public channel (`submit`: the form, `track`: tracking-code lookups)
    in the current window: shared by every worker through the database."""

    __tablename__ = "intake_throttles"
    __table_args__ = (UniqueConstraint("address", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    count: Mapped[int] = mapped_column(default=0)


class DuplicateOverride(Model):
    """A case or a report saved although likely duplicates were shown: who, when, and which (ids and why)."""

    __tablename__ = "duplicate_overrides"
    __table_args__ = (CheckConstraint("case_id IS NOT NULL OR report_id IS NOT NULL", name="subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("intake_reports.id", ondelete="CASCADE"), index=True)
    candidates: Mapped[list] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Election(Model):
    """A Pemilu or a Pilkada serentak, per region where it applies (`region`: a province's or a regency's name;
    empty for a national one), with its stages."""

    __tablename__ = "elections"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in ELECTION_KINDS)})", name="kind"),
        CheckConstraint("ends_on >= starts_on", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # Working days the Satgas has to verify a report received during the period (DOMAIN: at most 7 days).
    verify_days: Mapped[int] = mapped_column(default=7)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ElectionStage(Model):
    __tablename__ = "election_stages"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class CaseElection(Model):
    """A neutrality case linked to an election."""

    __tablename__ = "case_elections"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), index=True)


class IncidentEvent(Model):
    """One act (a campaign rally, a post, a meeting) that groups the cases of several civil servants, each with
    its own reported person, agency and recommendation."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    occurred_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    election_id: Mapped[int | None] = mapped_column(ForeignKey("elections.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventCase(Model):
    """A case of an event (a case belongs to at most one event)."""

    __tablename__ = "event_cases"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("incident_events.id", ondelete="CASCADE"), index=True)
