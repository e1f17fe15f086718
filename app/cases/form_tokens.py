"""The one-time token of the new-case form (and of a Bawaslu office's forwarding form, whose first submission's
report is found the same way): the page hands out a fresh token with the form; the transaction that
creates the case records it (app/models/forms.py), so the same form sent again — a double click, a reload, the
back button — shows the case already created instead of creating a second one.

A token belongs to the user it was sent by; a form without one (an old page) creates as before. Tokens older than
`KEEP` are removed when a new one is recorded. Services flush; the page commits.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete

from app.core.clock import utcnow
from app.db import db
from app.models.auth import User
from app.models.cases import Case
from app.models.forms import FormSubmission

FIELD = "form_token"
KEEP = timedelta(days=7)
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def new_token() -> str:
    return secrets.token_hex(16)


def usable(token: str | None, user: User) -> bool:
    """Whether `token` can guard this user's submission: one the page handed out, not another user's."""
    if token is None or _TOKEN.match(token) is None:
        return False
    row = db.session.get(FormSubmission, token)
    return row is None or row.user_id == user.id


def case_of(token: str, user: User) -> Case | None:
    """The case an earlier submission of this form created, if any (only for the user who sent it)."""
    row = db.session.get(FormSubmission, token)
    if row is None or row.user_id != user.id or row.case_id is None:
        return None
    return db.session.get(Case, row.case_id)


def report_id_of(token: str, user: User) -> int | None:
    """The intake report an earlier submission of the forwarding form created, if any (only for its sender)."""
    row = db.session.get(FormSubmission, token)
    if row is None or row.user_id != user.id:
        return None
    return row.intake_report_id


def claim(token: str, user: User, now: datetime | None = None) -> FormSubmission:
    """Record the token before the case is created (flushes): a concurrent submission of the same form waits on
    its primary key and then fails with IntegrityError, after which `case_of` finds this one's case."""
    now = now or utcnow()
    db.session.execute(delete(FormSubmission).where(FormSubmission.created_at < now - KEEP))
    row = FormSubmission(token=token, user_id=user.id, created_at=now)
    db.session.add(row)
    db.session.flush()
    return row
