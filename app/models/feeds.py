"""A user's calendar feed: the secret address from which a calendar program (Outlook, Google Calendar, Thunderbird)
reads the deadlines the user may see. Only the SHA-256 of the address's token is stored; the address is shown once,
when it is made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db import Model


class CalendarFeed(Model):
    """One secret feed address of a user. A user has at most one in force (`revoked_at` NULL): making a new one
    revokes the old (app/season/feeds.py); a revoked or unknown address answers 404."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    # When a calendar program last read it (at most one write per FETCH_NOTE_SECONDS), shown on the account page.
    last_fetched_at: Mapped[datetime | None]
