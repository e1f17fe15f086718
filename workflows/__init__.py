"""The case workflow: the transition table and the one service that applies events.

Public API: `fire(case, event, actor, payload, expected_version)`, `allowed_events(case, user)`,
`TRANSITIONS`.
"""

from __future__ import annotations

from workflows.service import allowed_events, fire
from workflows.transitions import TRANSITIONS

__all__ = ["TRANSITIONS", "allowed_events", "fire"]
