"""The help page: states, who may do what (from TRANSITIONS), the state diagram drawn as SVG from the same table
(workflows/diagram.py, in the reader's language), and the rules in force on sanctions with their sources (from
app/core/sanction_rules.py)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from markupsafe import Markup

from app.agencies.authority import role_labels
from app.core import vocab
from app.core.sanction_rules import ACT_RULES, FORMS_BY_LEVEL, LEVEL_RULES, PNS_ONLY_FORMS, PPPK_ONLY_FORMS
from app.core.states import EVENT_LABELS, STATUS_LABELS, TERMINAL_STATUSES, CaseStatus
from app.web.filters import label
from app.web.schema_forms import field_specs
from workflows import TRANSITIONS
from workflows.diagram import svg


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
                "fields": [  # what the form asks (a number the system gives is not asked)
                    spec.label + ("" if spec.required else " " + gettext("(opsional)"))
                    for spec in field_specs(transition.schema)
                    if spec.widget != "system"
                ],
                "irreversible": transition.irreversible,
                "description": gettext(transition.description) if transition.description else "",
            }
        )
    states = [
        {"value": s.value, "label": label(STATUS_LABELS, s.value), "terminal": s in TERMINAL_STATUSES}
        for s in CaseStatus
    ]
    return {"transitions": rows, "states": states, "diagram": state_diagram(), "rules": sanction_rules_context()}


def state_diagram() -> Markup:
    """The state machine drawn on the server (no script, no CDN): every status and every event in words."""
    return Markup(  # noqa: S704 - built by workflows.diagram, which escapes every text it draws
        svg(
            lambda status: label(STATUS_LABELS, status.value),
            lambda event: label(EVENT_LABELS, event.value),
            title=gettext("Diagram status perkara"),
            description=gettext(
                "Alur status perkara dari laporan diterima sampai selesai, dihentikan atau ditutup; setiap panah "
                "adalah tindakan yang memindahkan perkara. Tabel tindakan di atas memuat isi yang sama."
            ),
            from_everywhere=lambda event: gettext("%(event)s: dari setiap status yang belum berakhir", event=event),
        )
    )


def sanction_rules_context() -> dict[str, Any]:
    """The rules in force as the help page lists them: forms per level, the PNS-only and PPPK-only forms, and the
    sanction suggested for each neutrality act, each with its source."""
    levels = [
        {
            "level": label(vocab.SANCTION_LABELS, level.value),
            "rule": LEVEL_RULES[level],
            "forms": [label(vocab.SANCTION_FORMS, form) for form in forms],
        }
        for level, forms in FORMS_BY_LEVEL.items()
    ]
    acts = [
        {
            "act": label(vocab.NEUTRALITY_SUBCATEGORIES, act),
            "sanction": label(vocab.SANCTION_LABELS, rule.sanction.value) if rule.sanction else None,
            "source": rule.source,
            "note": gettext(rule.note) if rule.note else "",
            "ethics_table": rule.ethics_table,
        }
        for act, rule in ACT_RULES.items()
    ]
    return {
        "levels": levels,
        "acts": acts,
        "pns_only": [label(vocab.SANCTION_FORMS, f) for f in sorted(PNS_ONLY_FORMS)],
        "pppk_only": [label(vocab.SANCTION_FORMS, f) for f in sorted(PPPK_ONLY_FORMS)],
    }
