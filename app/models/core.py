"""Cross-cutting records: the oversight authority over time, and the scheduler heartbeat."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db import Model


class OversightAuthority(Model):
    """Who oversees NKK over which dates (KASN until 2024, then BKN/KemenPAN-RB, then a new body)."""

    __tablename__ = "oversight_authorities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(40))
    letter_format: Mapped[str] = mapped_column(String(100), default="R-{seq}/{short}/{month}/{year}")
    # The system numbers this body's letters from `letter_format` (app/letters/numbering.py); true only for a body
    # that numbers them in its own records system, whose number the API then accepts (migration 0009).
    letter_manual: Mapped[bool] = mapped_column(default=False, server_default=false())
    legal_basis: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What letters and emails of a recommendation issued in this period say (app/agencies/authority.py): the head's
    # title ("Ketua KASN", "Kepala BKN"), the signing official's title, the letterhead's address line, the
    # addressee of the level-3 escalation, what level 3 asks for (this body's own powers, under its law), who
    # gets copies of it, and where all this comes from.
    head_title: Mapped[str | None] = mapped_column(String(200))
    signer_title: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    level3_addressee: Mapped[str | None] = mapped_column(String(300))
    level3_request: Mapped[str | None] = mapped_column(Text)
    level3_copies: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[str | None] = mapped_column(Text)
    # what people see as the name of the `commissioner` role (the signing official) while this body is in force
    signer_role_label: Mapped[str | None] = mapped_column(String(100))
    # The level-3 escalation of this body's recommendations (migration 0008): who receives it (recipient rules of
    # the ladder, `;`-separated: kasn, bkn, menpanrb, kemendagri, ministry, governor, ppk, authority), the
    # administrative actions it asks for (one per `;`), the legal basis it cites, and the body's own official
    # mailboxes (`,`-separated; the `authority` rule writes to them).
    level3_to: Mapped[str | None] = mapped_column(String(200))
    level3_cc: Mapped[str | None] = mapped_column(String(200))
    level3_actions: Mapped[str | None] = mapped_column(Text)
    level3_basis: Mapped[str | None] = mapped_column(Text)
    mailboxes: Mapped[str | None] = mapped_column(String(500))
    # The escalation ladder this body's recommendations climb, as JSON of the ESCALATION_LADDER shape (migration
    # 0019); empty: the configured ladder (app/escalations/ladder.py `ladder_of`).
    ladder: Mapped[str | None] = mapped_column(Text)


class JobHeartbeat(Model):
    """Last run of each scheduler job, for the health endpoint."""

    __tablename__ = "job_heartbeats"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    last_run_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_ok: Mapped[bool] = mapped_column(default=True)
    last_error: Mapped[str | None] = mapped_column(Text)
