"""One-time tokens of the page forms that create something (the new-case form, a Bawaslu office's forwarding form):
a second submission of the same form finds what the first one created (a case, a forwarded report) instead of
creating it twice (a double click, a reload, the back button)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db import Model


class FormSubmission(Model):
    """A form's token, recorded by the transaction that uses it (the primary key makes a concurrent second
    submission wait, then fail, then find the first one's case)."""

    __tablename__ = "form_submissions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # The forwarding form's (a Bawaslu office's page): the report its first submission created.
    intake_report_id: Mapped[int | None] = mapped_column(ForeignKey("intake_reports.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
