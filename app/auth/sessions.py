"""Browser sessions and sign-in throttling: a row per signed-in browser (sign-out ends it for good), ending every
session and API token of a user at once, the idle and absolute lifetimes, and the per-address slow-down of
failed sign-ins."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from app.core.clock import utcnow
from app.db import db
from app.models.auth import ApiToken, LoginThrottle, User, WebSession


def _sid_digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def open_web_session(user: User, now: datetime | None = None) -> str:
    """A new browser session of `user`: its random id (for the cookie); the user's sessions older than the
    absolute lifetime are removed on the way. Flushes."""
    now = now or utcnow()
    lifetime = current_app.permanent_session_lifetime
    table = WebSession.__table__
    db.session.execute(table.delete().where(table.c.user_id == user.id, table.c.created_at < now - lifetime))
    sid = secrets.token_urlsafe(32)
    db.session.add(WebSession(sid_hash=_sid_digest(sid), user_id=user.id, created_at=now))
    db.session.flush()
    return sid


_LIVE_SESSION = select(WebSession.id).where(
    WebSession.sid_hash == bindparam("sid_hash"),
    WebSession.user_id == bindparam("user_id"),
    WebSession.revoked_at.is_(None),
)


def web_session_live(sid: str | None, user_id: int) -> bool:
    """The browser session `sid` of the user has not been signed out (one indexed read per page)."""
    if not sid:
        return False
    params = {"sid_hash": _sid_digest(sid), "user_id": user_id}
    return db.session.connection().execute(_LIVE_SESSION, params).first() is not None


def close_web_session(sid: str | None, now: datetime | None = None) -> None:
    """Sign-out: this browser session ends for good (a copy of its cookie no longer opens anything)."""
    if not sid:
        return
    table = WebSession.__table__
    db.session.execute(
        update(table)
        .where(table.c.sid_hash == _sid_digest(sid), table.c.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def end_all_sessions(user: User, now: datetime | None = None) -> None:
    """Every web session and API token of the user ends at once (sign out everywhere, a password change, a
    disabled account, a removed second factor). Flushes."""
    now = now or utcnow()
    user.session_version += 1
    sessions, tokens = WebSession.__table__, ApiToken.__table__
    db.session.execute(
        update(sessions).where(sessions.c.user_id == user.id, sessions.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    db.session.execute(
        update(tokens).where(tokens.c.user_id == user.id, tokens.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    db.session.flush()


def session_expired(
    last_seen: float | None, signed_in_at: float | None, now: float, *, idle_minutes: int, max_seconds: int
) -> bool:
    """True when a web session has been idle too long or has outlived its absolute lifetime (ASVS 7.3)."""
    if last_seen is None or signed_in_at is None:
        return True
    return now - last_seen > idle_minutes * 60 or now - signed_in_at > max_seconds


def _throttle_settings() -> tuple[int, int, int]:
    config = current_app.config
    return (
        int(config.get("LOGIN_IP_MAX_FAILURES", 20)),
        int(config.get("LOGIN_IP_WINDOW_MINUTES", 15)),
        int(config.get("LOGIN_IP_BLOCK_MINUTES", 5)),
    )


def address_blocked_until(address: str, now: datetime | None = None) -> datetime | None:
    """When sign-in from `address` is blocked, the instant the block ends; otherwise None."""
    now = now or utcnow()
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.address == address[:64]))
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return None
    return row.blocked_until


def minutes_until(until: datetime, now: datetime | None = None) -> int:
    """Whole minutes from `now` to `until`, rounded up and at least one: the N of "Coba lagi dalam N menit"
    (never a moment too early, never "0 menit")."""
    seconds = (until - (now or utcnow())).total_seconds()
    return max(1, math.ceil(seconds / 60))


def register_address_failure(address: str, now: datetime | None = None) -> None:
    """Count a failed sign-in from `address`; past the limit in the window, block it for a while.

    The block doubles with each further failure (5, 10, 20 ... minutes, capped at one hour) and the
    counter restarts after a quiet window: an address is slowed down, never shut out for good. The
    per-account lock stays short, so guessing from many addresses delays a real user without locking
    the account out for long. Flushes.
    """
    now = now or utcnow()
    address = address[:64]
    limit, window, block = _throttle_settings()
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.address == address))
    if row is None:
        try:
            with db.session.begin_nested():
                row = LoginThrottle(address=address, failures=0, window_start=now)
                db.session.add(row)
        except IntegrityError:  # another worker created it first
            row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.address == address))
            if row is None:
                return
    if row.window_start + timedelta(minutes=window) < now and (row.blocked_until is None or row.blocked_until <= now):
        row.failures = 0
        row.window_start = now
    row.failures += 1
    if row.failures >= limit:
        step = min(row.failures - limit, 4)
        row.blocked_until = now + timedelta(minutes=min(block * (2**step), 60))
    db.session.flush()
