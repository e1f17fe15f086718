"""Case, recommendation, follow-up, clarification, history and attachment models.

A case's status changes only through `workflows.fire()`: the column is mapped as `_status` and
`Case.status` is read-only (usable in queries).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    literal_column,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.states import STATUS_RULES, TERMINAL_STATUSES, CaseStatus
from app.core.vocab import Category, Sanction, Source
from app.db import Model, database_only_fts, database_only_index, db
from app.models.agencies import Agency
from app.models.auth import User
from app.models.escalations import EscalationStep, escalation_steps_for

_STATUSES = ", ".join(f"'{s.value}'" for s in CaseStatus)
_CATEGORIES = ", ".join(f"'{c.value}'" for c in Category)
_SOURCES = ", ".join(f"'{s.value}'" for s in Source)
_SANCTIONS = ", ".join(f"'{s.value}'" for s in Sanction)


def _reason_checks() -> list[CheckConstraint]:
    """A status's reason column is set iff the case is in that status (STATUS_RULES: dismissed, closed), e.g.
    `(status = 'dismissed') = (dismiss_reason IS NOT NULL)`; the SQL is migration 0001's, unchanged."""
    return [
        CheckConstraint(f"(status = '{status.value}') = ({rules.reason_column} IS NOT NULL)", name=rules.reason_column)
        for status, rules in STATUS_RULES.items()
        if rules.reason_column is not None
    ]


# The case list's search (`q`) looks for the term in one text: the number, the reported person's name and NIP
# and the summary, joined by spaces (`search_text`). On PostgreSQL a pg_trgm GIN index on that very expression
# serves `search_text ILIKE '%term%'` for terms of three characters or more (migration 0004 writes the same SQL:
# keep the two identical, or the index is never used); SQLite scans. One expression, one index: the planner
# weighs one condition, where an OR over four columns made it walk the whole table for a rare term.
SEARCH_INDEX = database_only_index("ix_cases_search_trgm", "postgresql")
# The same search finds a case by its letters' numbers (app/cases/search.py): pg_trgm GIN indexes on each number
# column (migration 0017), on PostgreSQL only.
LETTER_SEARCH_INDEXES = tuple(
    database_only_index(name, "postgresql")
    for name in (
        "ix_follow_ups_decision_number_trgm",
        "ix_issued_letters_number_trgm",
        "ix_recommendations_letter_number_trgm",
    )
)


# SQLite has no index for a substring: there the same four texts are indexed by FTS5 tables with the trigram
# tokenizer, contentless, each row's id its rowid, kept by triggers (migration 0027 writes each text as
# `search_text` and the number columns here: keep them identical). app/cases/search.py says how the search reads them.
CASES_FTS = database_only_fts("cases_fts", "sqlite")
FOLLOW_UPS_FTS, ISSUED_LETTERS_FTS, RECOMMENDATIONS_FTS = (
    database_only_fts(name, "sqlite") for name in ("follow_ups_fts", "issued_letters_fts", "recommendations_fts")
)


class CaseCounter(Model):
    """Per-year sequence for case numbers NKK-YYYY-NNNNNN."""

    __tablename__ = "case_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)


class Case(Model):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        CheckConstraint(f"category IN ({_CATEGORIES})", name="category"),
        CheckConstraint(f"source IN ({_SOURCES})", name="source"),
        *_reason_checks(),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_cases_status_id", "status", "id"),
        Index("ix_cases_agency_status_id", "agency_id", "status", "id"),
        # A PPK's list: its agency's cases newest first (migration 0006, built concurrently on PostgreSQL).
        Index("ix_cases_agency_id_id", "agency_id", "id"),
        # The target of the recommendations' (case_id, agency_id) foreign key.
        UniqueConstraint("id", "agency_id"),
        # "Antrean saya": an investigator's assigned cases in a given state (migration 0012).
        Index("ix_cases_assignee_status_id", "assignee_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    subcategory: Mapped[str | None] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(16))
    reported_name: Mapped[str] = mapped_column(String(200))
    reported_nip: Mapped[str] = mapped_column(String(18), index=True)
    reported_position: Mapped[str | None] = mapped_column(String(200))
    # The person of the reported NIP (app/models/people.py: `link_cases`); the NIP above stays as reported.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    summary: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date] = mapped_column(Date)
    # Confidential: visible to KASN roles only (DESIGN §1).
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_contact: Mapped[str | None] = mapped_column(String(200))
    _status: Mapped[str] = mapped_column("status", String(32), default=CaseStatus.REPORTED.value)
    version: Mapped[int] = mapped_column(default=1)
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    close_reason: Mapped[str | None] = mapped_column(Text)
    # Stable reference of an imported record: re-importing the same row adds nothing.
    external_ref: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The investigator in charge (a user of the authority's staff): the creator unless told otherwise; changed
    # only by app.cases.assignment, which writes the history row. `team`: an optional team name.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Set when the recommendation is first issued: the PPK sees the case from then on.
    issued_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    agency: Mapped[Agency] = relationship(lazy="raise")
    created_by: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[created_by_id])
    assignee: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[assignee_id])
    recommendation: Mapped[Recommendation | None] = relationship(
        back_populates="case", uselist=False, lazy="raise", foreign_keys="Recommendation.case_id"
    )
    follow_ups: Mapped[list[FollowUp]] = relationship(back_populates="case", order_by="FollowUp.id", lazy="raise")
    clarifications: Mapped[list[Clarification]] = relationship(
        back_populates="case", order_by="Clarification.id", lazy="raise"
    )
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id", lazy="raise")

    @hybrid_property
    def status(self) -> str:
        return self._status

    @property
    def is_terminal(self) -> bool:

        return CaseStatus(self._status) in TERMINAL_STATUSES

    def __repr__(self) -> str:
        return f"<Case {self.number} {self._status}>"


def search_text() -> ColumnElement[str]:
    """`number || ' ' || reported_name || ' ' || reported_nip || ' ' || summary`: what the list's search reads,
    written as migration 0004's index expression (the separator a literal, not a parameter, so that the planner
    recognises the expression in every plan, generic ones included)."""
    space = literal_column("' '", String)
    return (
        Case.number.concat(space)
        .concat(Case.reported_name)
        .concat(space)
        .concat(Case.reported_nip)
        .concat(space)
        .concat(Case.summary)
    )


class Recommendation(Model):
    """KASN's recommendation to the PPK, with its deadline clock and escalation level."""

    __tablename__ = "recommendations"
    __table_args__ = (
        CheckConstraint(f"sanction IN ({_SANCTIONS})", name="sanction"),
        CheckConstraint("escalation_level IS NULL OR escalation_level BETWEEN 0 AND 3", name="level"),
        Index("ix_recommendations_open_due", "is_open", "due_at"),
        # A PPK's running deadlines in order (its queue, app/cases/queue.py): migration 0026.
        Index("ix_recommendations_agency_open_due", "agency_id", "is_open", "due_at"),
        # Per-agency aggregates over recommendations (the PPK's record in escalation emails) read this index
        # alone: no join to `cases`, no table lookups.
        Index(
            "ix_recommendations_agency_issued_open_due_followed_up",
            "agency_id",
            "issued_at",
            "is_open",
            "due_at",
            "followed_up_at",
        ),
        # `agency_id` is the case's agency, copied so that per-agency aggregates need no join: the database
        # keeps it equal (a row naming another agency is refused; a change of the case's agency cascades).
        ForeignKeyConstraint(
            ["case_id", "agency_id"],
            ["cases.id", "cases.agency_id"],
            name="fk_recommendations_case_id_agency_id_cases",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    # Always the case's agency (the composite foreign key above): set it from the case when creating the row.
    agency_id: Mapped[int]
    sanction: Mapped[str] = mapped_column(String(32))
    sanction_form: Mapped[str | None] = mapped_column(String(60))
    legal_basis: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    drafted_at: Mapped[datetime] = mapped_column(default=utcnow)
    letter_number: Mapped[str | None] = mapped_column(String(100))
    authority_name: Mapped[str | None] = mapped_column(String(100))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime | None]
    # The PPK office holder in office on the day of issue (app/models/people.py `holder_on`), when one is recorded.
    addressed_holder_id: Mapped[int | None] = mapped_column(ForeignKey("ppk_office_holders.id"))
    acknowledged_at: Mapped[datetime | None]
    # Deadline clock (DESIGN §3): receipt day, N working days, due instant and the calendar it used.
    received_on: Mapped[date | None] = mapped_column(Date)
    working_days: Mapped[int | None]
    due_at: Mapped[datetime | None]
    due_calendar_version: Mapped[str | None] = mapped_column(String(64))
    deadline_rule_code: Mapped[str | None] = mapped_column(String(40))
    # Each new deadline (re-issue after rejection or clarification) starts a new escalation cycle.
    cycle: Mapped[int] = mapped_column(default=0)
    escalation_level: Mapped[int | None]
    # True while the clock runs (awaiting_follow_up); the sweep only reads open rows.
    is_open: Mapped[bool] = mapped_column(default=False)
    paused_at: Mapped[datetime | None]
    followed_up_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="recommendation", lazy="raise", foreign_keys=[case_id])

    # Each rule below has one definition for both forms: on a loaded row (Python) and in a query (SQL), so that
    # the case list, the pages holding loaded objects, the `overdue` filter and the PPK's record agree.
    @hybrid_property
    def issued_due_at(self) -> datetime | None:
        """The due instant as shown to readers: only once the recommendation is issued."""
        return self.due_at if self.issued_at is not None else None

    @issued_due_at.inplace.expression
    @classmethod
    def _issued_due_at(cls) -> ColumnElement[datetime | None]:
        return case((cls.issued_at.is_not(None), cls.due_at))

    def is_past_due(self, when: datetime) -> bool:
        """`when` is after the due instant (a follow-up reported then is late; a letter written then counts days
        late). The one rule of "late"; `is_overdue` adds that the clock still runs."""
        return self.due_at is not None and when > self.due_at

    @hybrid_method
    def is_overdue(self, now: Any) -> Any:
        """The clock of the issued recommendation runs and its due instant has passed at `now`."""
        return bool(self.is_open and self.issued_at is not None and self.due_at is not None and self.due_at < now)

    @is_overdue.inplace.expression  # type: ignore[attr-defined]
    @classmethod
    def _is_overdue(cls, now: Any) -> ColumnElement[bool]:
        return and_(cls.is_open.is_(True), cls.issued_at.is_not(None), cls.due_at < now)


class FollowUp(Model):
    """The PPK's reported decision (SK) and KASN's verdict on it."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        CheckConstraint(f"sanction_imposed IN ({_SANCTIONS})", name="sanction_imposed"),
        CheckConstraint("verdict IS NULL OR verdict IN ('accepted', 'rejected')", name="verdict"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    decision_number: Mapped[str] = mapped_column(String(100))
    decision_date: Mapped[date] = mapped_column(Date)
    sanction_imposed: Mapped[str] = mapped_column(String(32))
    sanction_form: Mapped[str | None] = mapped_column(String(60))
    note: Mapped[str | None] = mapped_column(Text)
    is_lighter: Mapped[bool] = mapped_column(default=False)
    is_late: Mapped[bool] = mapped_column(default=False)
    working_days_taken: Mapped[int | None]
    document_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    verdict: Mapped[str | None] = mapped_column(String(16))
    verdict_reason: Mapped[str | None] = mapped_column(Text)
    verdict_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verdict_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="follow_ups", lazy="raise")


class Clarification(Model):
    """The PPK's written objection (sanggahan) and KASN's answer; the clock pauses meanwhile."""

    __tablename__ = "clarifications"
    __table_args__ = (CheckConstraint("outcome IS NULL OR outcome IN ('upheld', 'revised')", name="outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    letter_number: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(16))
    reply_letter_number: Mapped[str | None] = mapped_column(String(100))
    revised_sanction: Mapped[str | None] = mapped_column(String(32))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="clarifications", lazy="raise")


class CaseHistory(Model):
    """Append-only, hash-chained record of every applied event (and the creation of the case).

    `hash` is the SHA-256 of the row's content and the previous row's hash (anyone can recompute it, e.g. from
    an evidence bundle); `mac` seals it with the case version after the event (`case_version`) under the key
    named by `key_id` (AUDIT_CHAIN_KEYS, never in the database). Rows written before the chain was keyed have
    `key_id`, `mac` and `case_version` NULL (app/audit/history.py)."""

    __tablename__ = "case_history"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    event: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(254))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(16))
    mac: Mapped[str | None] = mapped_column(String(64))
    case_version: Mapped[int | None]


class Attachment(Model):
    """An uploaded file, stored outside the static folder under a generated name."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint("purpose IN ('evidence', 'follow_up', 'clarification', 'other')", name="purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16), default="evidence")
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def case_records(case: Case) -> tuple[list[FollowUp], list[Clarification], list[EscalationStep]]:
    """The case's follow-ups, clarifications and escalation steps, each in order (the detail, the PDF summary)."""
    follow_ups = list(db.session.scalars(select(FollowUp).where(FollowUp.case_id == case.id).order_by(FollowUp.id)))
    clarifications = list(
        db.session.scalars(select(Clarification).where(Clarification.case_id == case.id).order_by(Clarification.id))
    )
    return follow_ups, clarifications, escalation_steps_for(case.id)
