"""Keyset pagination: an opaque cursor holding the last row's sort key."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError

from app.errors import ValidationFailed

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


CURSOR_MESSAGE = "Kursor halaman tidak sah."


def _invalid_cursor() -> ValidationFailed:
    return ValidationFailed(CURSOR_MESSAGE, details={"fields": {"cursor": ["tidak sah"]}})


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise _invalid_cursor() from exc
    if not isinstance(value, list):
        raise _invalid_cursor()
    return value


def cursor_id(cursor: str | None) -> int | None:
    """The row id a keyset cursor of this module starts after (None: the first page); 422 for a cursor that
    holds no positive integer first. The id may be beyond the column's range: callers bound it."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    first = key[0] if key else None
    if isinstance(first, bool) or not isinstance(first, int) or first < 1:
        raise _invalid_cursor()
    return first


def keyset_cursor(max_id: int | None = None) -> Callable[[str], None]:
    """A marshmallow validator for a cursor of this module holding a row id first: a positive integer, and at
    most `max_id` when given (the column's range: a larger key must not reach the database).

    Without `max_id` a larger key is left to the service (e.g. "past every id": an empty page). Cursors are
    opaque to clients, so a forged one is simply "not valid" (422).
    """

    def validate(value: str) -> None:
        try:
            first = cursor_id(value)
        except ValidationFailed as exc:
            raise ValidationError(CURSOR_MESSAGE) from exc
        if first is not None and max_id is not None and first > max_id:
            raise ValidationError(CURSOR_MESSAGE)

    return validate
