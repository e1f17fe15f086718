"""What an irreversible event will do, said before it is done: the facts of the confirmation page (issue, dismiss,
accept, close). Read only; the event itself is fired by `workflows.fire` once the user confirms, and checks
everything again then. The page's sentences are in its template (cases/event_confirm.html)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from marshmallow import ValidationError
from sqlalchemy import select

from app.agencies.authority import authority_name_on, profile_for
from app.agencies.services import ppk_recipients
from app.calendar.working_days import due_at_for, follow_up_rule, local_today
from app.core.clock import utcnow
from app.core.states import CaseEvent
from app.db import db
from app.errors import ValidationFailed
from app.letters.numbering import preview_number, signer_for
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case, FollowUp, Recommendation
from app.web.schema_forms import FieldSpec, form_payload
from workflows import TRANSITIONS

# The form fields a confirmation page carries back unchanged (the rest is the payload the schema loads).
KEPT_FIELDS = ("version",)


def checked_payload(event: CaseEvent, fields: list[FieldSpec], data: Any) -> dict[str, Any]:
    """The submitted form as the event's payload, checked by its schema; raises ValidationFailed (every field)."""
    payload = form_payload(fields, data)
    try:
        TRANSITIONS[event].schema().load(payload)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationFailed("Data tindakan tidak valid.", details={"fields": messages}) from exc
    if not str(data.get("version", "")).isdigit():
        missing = gettext("Versi perkara tidak ada; muat ulang halaman.")
        raise ValidationFailed("Data tindakan tidak valid.", details={"fields": {"_schema": [missing]}})
    return payload


def _recommendation(case: Case) -> Recommendation | None:
    return db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))


def _issue_facts(case: Case, agency: Agency, user: User) -> dict[str, Any]:
    """Who the recommendation will speak as, its letter's number (the next of the series, not yet taken), who
    signs it, its deadline from today and who is emailed."""
    now = utcnow()
    today = local_today(agency, now)
    profile = profile_for(authority_name_on(now.date()), today)
    days, _, _ = follow_up_rule(today)
    due_at, _ = due_at_for(agency, today, days)
    signer = signer_for(profile)
    return {
        "authority": profile.name,
        "authority_short": profile.short_name,
        "number": preview_number(profile, today),
        "pattern": profile.letter_format,
        "signer_title": signer.title,
        "signer_name": signer.name,
        "working_days": days,
        "received_on": today,
        "due_at": due_at,
        "recipients": ppk_recipients(agency),
    }


def facts(case: Case, event: CaseEvent, payload: dict[str, Any], user: User) -> dict[str, Any]:
    """Everything the confirmation page of `event` says will happen to `case`."""
    agency = db.session.get(Agency, case.agency_id)
    assert agency is not None  # the case's foreign key
    rec = _recommendation(case)
    result: dict[str, Any] = {
        "event": event.value,
        "agency": agency,
        "ppk": f"{agency.ppk_title or gettext('PPK')} {agency.name}".strip(),
        "reason": payload.get("reason"),
        "issued": rec is not None and rec.issued_at is not None,
        "clock_runs": rec is not None and rec.is_open,
        "recipients": [],
    }
    if event == CaseEvent.ISSUE_RECOMMENDATION:
        result.update(_issue_facts(case, agency, user))
    elif event == CaseEvent.ACCEPT_FOLLOW_UP:
        follow_up = db.session.scalar(
            select(FollowUp)
            .where(FollowUp.case_id == case.id, FollowUp.verdict.is_(None))
            .order_by(FollowUp.id.desc())
            .limit(1)
        )
        result["decision_number"] = follow_up.decision_number if follow_up is not None else None
        result["recipients"] = ppk_recipients(agency)
    return result


def carried_values(data: Any, fields: list[FieldSpec]) -> list[tuple[str, str]]:
    """The submitted values a confirmation page sends back with the confirmed event (hidden inputs)."""
    names = [spec.name for spec in fields if spec.widget not in ("file", "system")] + list(KEPT_FIELDS)
    return [(name, data.get(name, "")) for name in names if data.get(name, "") != ""]
