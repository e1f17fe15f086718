"""The state diagram (Mermaid) derived from the transition table; docs/state-machine.md is generated from it."""

from __future__ import annotations

from app.core.states import STATUS_LABELS, TERMINAL_STATUSES, CaseStatus
from workflows.transitions import TRANSITIONS


def mermaid() -> str:
    lines = ["stateDiagram-v2"]
    for status in CaseStatus:
        lines.append(f"    {status.value}: {STATUS_LABELS[status]}")
    lines.append("    [*] --> reported")
    for transition in TRANSITIONS.values():
        roles = ", ".join(sorted(r.value for r in transition.roles))
        for source in transition.sources:
            target = transition.target_from(source)
            lines.append(f"    {source.value} --> {target.value}: {transition.event.value} ({roles})")
    for status in CaseStatus:
        if status in TERMINAL_STATUSES:
            lines.append(f"    {status.value} --> [*]")
    return "\n".join(lines) + "\n"


def markdown() -> str:
    return (
        "# Case state machine\n\n"
        "Generated from `workflows/transitions.py` by `flask workflow diagram`; a test fails when this file is "
        "stale.\n\n```mermaid\n" + mermaid() + "```\n"
    )
