"""The help page: states, who may do what (from TRANSITIONS) and the Mermaid diagram of the state machine."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from app.agencies.authority import role_labels
from app.core.states import STATUS_LABELS, TERMINAL_STATUSES, CaseStatus
from app.web.filters import label
from app.web.schema_forms import field_specs
from workflows import TRANSITIONS
from workflows.diagram import mermaid


def help_context() -> dict[str, Any]:
    rows = []
    for transition in TRANSITIONS.values():
        rows.append(
            {
                "event": transition.event.value,
                "label": gettext(transition.label),
                "sources": [label(STATUS_LABELS, s.value) for s in transition.sources],
                "target": label(STATUS_LABELS, transition.target.value) if transition.target else None,
                "roles": [label(role_labels(), r.value) for r in sorted(transition.roles)],
                "fields": [
                    spec.label + ("" if spec.required else " " + gettext("(opsional)"))
                    for spec in field_specs(transition.schema)
                ],
                "irreversible": transition.irreversible,
                "description": gettext(transition.description) if transition.description else "",
            }
        )
    states = [
        {"value": s.value, "label": label(STATUS_LABELS, s.value), "terminal": s in TERMINAL_STATUSES}
        for s in CaseStatus
    ]
    return {"transitions": rows, "states": states, "mermaid": mermaid()}
