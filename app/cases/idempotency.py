"""The API's `Idempotency-Key` for case creation: the first request with a key creates the case and records the
key with it; the same key from the same user again returns that case, never a second one. The key is kept as a
one-time form token (app/models/forms.py, the new-case form's rule): its primary key makes a concurrent second
request wait for the first on PostgreSQL, then fail, then find the first one's case. Keys are kept 7 days
(app/cases/form_tokens.py KEEP)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from app.cases import form_tokens
from app.errors import ValidationFailed
from app.models.auth import User
from app.models.cases import Case
from app.models.forms import FormSubmission

HEADER = "Idempotency-Key"
MAX_LENGTH = 200


def key_from(headers: Mapping[str, str]) -> str | None:
    """The request's key, or None without one; 422 for an empty, too long or unprintable key."""
    raw = headers.get(HEADER)
    if raw is None:
        return None
    if not 0 < len(raw) <= MAX_LENGTH or not raw.isprintable():
        message = f"Idempotency-Key harus 1 sampai {MAX_LENGTH} karakter yang dapat dibaca."
        raise ValidationFailed(message, details={"fields": {HEADER: [message]}})
    return raw


def _token(key: str, user: User) -> str:
    """The stored token: the user's key, hashed (a key is the client's, any text; the table holds 64 characters)."""
    return hashlib.sha256(f"api-case:{user.id}:{key}".encode()).hexdigest()


def case_of(key: str, user: User) -> Case | None:
    return form_tokens.case_of(_token(key, user), user)


def claim(key: str, user: User) -> FormSubmission:
    return form_tokens.claim(_token(key, user), user)


def replay(detail: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The answer to a repeated key: the first case, as created (201), marked as a replay."""
    return detail, 201, {"Idempotent-Replayed": "true"}
