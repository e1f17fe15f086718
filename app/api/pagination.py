"""Keyset pagination: an opaque cursor holding the last row's sort key."""

from __future__ import annotations

import base64
import json
from typing import Any

from app.errors import ValidationFailed

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("Kursor halaman tidak sah.", details={"fields": {"cursor": ["tidak sah"]}}) from exc
    if not isinstance(value, list):
        raise ValidationFailed("Kursor halaman tidak sah.", details={"fields": {"cursor": ["tidak sah"]}})
    return value
