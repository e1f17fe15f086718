"""A user's secret calendar feed address: made on the user's own page, shown once, revocable and made anew.

The address carries a random token (32 bytes, URL-safe); only its SHA-256 is stored, so a copy of the database
opens no feed. A user has at most one address in force: making one revokes the one before. A revoked or unknown
token, and the token of a disabled user, find nothing (the feed answers 404); what the feed lists is decided when it
is read, with the user's rights of that moment (app/season/deadlines.py). Services flush; the page commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.core.clock import utcnow
from app.db import db
from app.models.auth import User
from app.models.feeds import CalendarFeed

TOKEN_BYTES = 32
# What `secrets.token_urlsafe(TOKEN_BYTES)` writes: anything else is refused before the database is asked.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
# A calendar program polls often: the time of its last read is written at most this often.
FETCH_NOTE = timedelta(minutes=15)


def token_digest(token: str) -> str:
    """What is stored of a feed token (its own prefix: a feed token is never taken for another kind of secret)."""
    return hashlib.sha256(f"tindak-calendar-feed:{token}".encode()).hexdigest()


def active_feed(user: User) -> CalendarFeed | None:
    return db.session.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id.desc())
        .limit(1)
    )


def revoke_feeds(user: User, now: datetime | None = None) -> int:
    """Revoke every address of the user in force; how many were."""
    result = db.session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    db.session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def create_feed(user: User, now: datetime | None = None) -> str:
    """A new address for the user (the one before revoked); returns its token, which is never shown again."""
    now = now or utcnow()
    revoke_feeds(user, now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(CalendarFeed(user_id=user.id, token_hash=token_digest(token), created_at=now))
    db.session.flush()
    return token


def feed_owner(token: str) -> tuple[CalendarFeed, User] | None:
    """The address in force with this token and its user, if the user is active; else None."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    row = db.session.execute(
        select(CalendarFeed, User)
        .join(User, User.id == CalendarFeed.user_id)
        .where(CalendarFeed.token_hash == token_digest(token), CalendarFeed.revoked_at.is_(None))
    ).first()
    if row is None or not row[1].is_active:
        return None
    return row[0], row[1]


def note_fetch(feed: CalendarFeed, now: datetime) -> bool:
    """Record that a calendar program read the feed (at most once per FETCH_NOTE); whether a write is due."""
    if feed.last_fetched_at is not None and now - feed.last_fetched_at < FETCH_NOTE:
        return False
    feed.last_fetched_at = now
    db.session.flush()
    return True
