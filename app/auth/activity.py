"""The sign-in log: every sign-in and every refused one (web and API), with the account (when there is one),
the address typed, the way in and the client address; and administrators' actions outside a case (an email sent
again from the outbox). Read by the admin's audit page (app/admin/audit.py) beside the case history.

Written in the transaction of the attempt (the web form and the token endpoint commit their failure counters,
so the refusal is kept too). Never the password or the code typed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request

from app.core.clock import utcnow
from app.db import db
from app.models.auth import User
from app.models.notifications import ActivityEvent

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
OUTBOX_RESEND = "outbox_resend"

# Why a sign-in was refused (the person is told one answer for all; the administrator reads the reason).
UNKNOWN_ACCOUNT = "unknown_account"
WRONG_PASSWORD = "wrong_password"  # noqa: S105 - a reason, not a password
LOCKED = "locked"
DISABLED = "disabled"
WRONG_CODE = "wrong_code"
ADDRESS_BLOCKED = "address_blocked"


def _request_values() -> dict[str, Any]:
    if not has_request_context():
        return {"channel": "cli", "address": None}
    channel = "api" if request.path.startswith("/api/") else "web"
    return {"channel": channel, "address": (request.remote_addr or "")[:64] or None}


def record(
    kind: str,
    *,
    user: User | None = None,
    email: str | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ActivityEvent:
    """Add one entry of the log (flush only)."""
    typed = (email if email is not None else getattr(user, "email", None)) or None
    event = ActivityEvent(
        kind=kind,
        user_id=getattr(user, "id", None),
        email=typed.strip().lower()[:254] if typed else None,
        data=data or {},
        created_at=now or utcnow(),
        **_request_values(),
    )
    db.session.add(event)
    db.session.flush()
    return event


def sign_in_refused(
    reason: str, *, user: User | None = None, email: str | None = None, now: datetime | None = None
) -> None:
    record(SIGN_IN_FAILED, user=user, email=email, data={"reason": reason}, now=now)
