"""A case's email as its reader gets it: the case's context (app.letters.context) rendered by the outbox's
templates (notifications.rendering), the two steps `enqueue` takes."""

from __future__ import annotations

from typing import Any

from app.letters.context import build_context
from notifications import rendering


def render(kind: str, *, case: Any | None, recipient: str, extra: dict[str, Any]) -> tuple[str, str, str | None]:
    return rendering.render(kind, build_context(kind, case=case, extra=extra), recipient)
