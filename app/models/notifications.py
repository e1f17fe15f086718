"""What a person is told in the app (the bell) and what the system keeps of who came in and what an
administrator did (the audit page).

`Notification`: one row per event of a case's history per person who should know of it, written by the
history writer in the event's transaction (app/audit/notices.py); (user, case, seq) is unique, so an event is
never told twice to the same person. `read_at` is the person's own mark; `emailed_at` the day's digest that
carried it (app/inbox/digest.py).

`ActivityEvent`: sign-ins, refused sign-ins and administrators' actions outside a case (an email sent again
from the outbox), beside the case history on the audit page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db import Model


class Notification(Model):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "case_id", "seq"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # The history row told of: (case_id, seq) is the event.
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]


ACTIVITY_KINDS = ("sign_in", "sign_in_failed", "outbox_resend")


class ActivityEvent(Model):
    __tablename__ = "activity_events"
    __table_args__ = (Index("ix_activity_events_created_at_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    # The account concerned (None: an address that is no account); `email` as typed for a refused sign-in.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    channel: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
