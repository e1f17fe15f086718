"""The case workflow: the transition table and the one service that applies events.

Public API: `fire(case, event, actor, payload, expected_version)`, `allowed_events(case, user)`,
`TRANSITIONS`. Loaded lazily so that models can import `app.core.states` without a cycle.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TRANSITIONS", "allowed_events", "fire"]


def __getattr__(name: str) -> Any:
    if name in ("fire", "allowed_events"):
        from workflows import service

        return getattr(service, name)
    if name == "TRANSITIONS":
        from workflows.transitions import TRANSITIONS

        return TRANSITIONS
    raise AttributeError(name)
