"""What the case pages show, built from the case services and the transition table (no rule of its own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from marshmallow import ValidationError
from sqlalchemy import select

from app.agencies.services import has_ended, newest_local_day, open_agency_choices, successor_of
from app.calendar.working_days import deadline_gaps, explain_deadline
from app.cases import access, assignment, attachments, elections, history_words, page_errors, services
from app.cases.schemas import NewCaseSchema
from app.core import vocab
from app.core.sanction_rules import EMPLOYEE_LABELS, suggest
from app.core.states import TERMINAL_STATUSES, CaseEvent, CaseStatus
from app.db import db, unit_of_work
from app.errors import ValidationFailed
from app.escalations.services import case_ladder, step_dump
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case
from app.models.escalations import escalation_steps_for
from app.web.filters import label
from app.web.schema_forms import FieldSpec, field_specs, form_payload
from workflows import TRANSITIONS, allowed_events, fire

# Where the document of an event's form is stored (Attachment.purpose).
DOCUMENT_PURPOSE = {CaseEvent.REPORT_FOLLOW_UP: "follow_up", CaseEvent.REQUEST_CLARIFICATION: "clarification"}
CONFIRM_FIELD = "confirm"


@dataclass
class EventForm:
    event: str
    label: str
    description: str
    irreversible: bool
    fields: list[FieldSpec]

    @property
    def has_fields(self) -> bool:
        return bool(self.fields)

    @property
    def has_file(self) -> bool:
        return any(f.widget == "file" for f in self.fields)

    @property
    def max_bytes(self) -> int:
        """The upload limit, which the page checks before sending (app/static/forms.js) and the server enforces."""
        return page_errors.upload_limit()

    @property
    def too_large_message(self) -> str:
        return page_errors.too_large_message()

    def suggestion(self, case: Case) -> dict[str, Any] | None:
        """What the rules in force suggest for the sanction, shown beside the drafting form (never filled in)."""
        if self.event != CaseEvent.DRAFT_RECOMMENDATION.value:
            return None
        return sanction_suggestion(case)


def sanction_suggestion(case: Case) -> dict[str, Any] | None:
    """The suggestion of app/core/sanction_rules.py for a neutrality case, in the reader's language: the act, the
    suggested level and its forms for the person (PNS/PPPK as the NIP shows), the source and the notes."""
    hint = suggest(case.category, case.subcategory, case.reported_nip)
    if hint is None:
        return None
    return {
        "act": label(vocab.NEUTRALITY_SUBCATEGORIES, hint.act),
        "sanction": hint.sanction.value if hint.sanction else None,
        "sanction_label": label(vocab.SANCTION_LABELS, hint.sanction.value) if hint.sanction else None,
        "forms": [label(vocab.SANCTION_FORMS, form) for form in hint.forms],
        "employee": EMPLOYEE_LABELS[hint.employee] if hint.employee else None,
        "source": hint.source,
        "notes": [gettext(note) for note in hint.notes],
    }


def event_form(event: str) -> EventForm:
    """The form of an event, from its payload schema in TRANSITIONS."""
    transition = TRANSITIONS[CaseEvent(event)]
    specs = field_specs(transition.schema)  # a document the form asks for says so (`form_required`)
    limit = gettext("Ukuran maksimal %(size)s.", size=page_errors.upload_limit_words())
    for spec in specs:
        if spec.widget == "file":
            spec.help = f"{spec.help} {limit}" if spec.help else limit
    return EventForm(
        event=transition.event.value,
        label=gettext(transition.label),
        description=gettext(transition.description) if transition.description else "",
        irreversible=transition.irreversible,
        fields=specs,
    )


def event_forms(allowed: list[str]) -> list[EventForm]:
    return [event_form(e) for e in allowed]


def new_case_fields(user: User) -> list[FieldSpec]:
    """The new-case form from NewCaseSchema; the agency and the neutrality sub-type become lists to pick from."""
    specs = field_specs(NewCaseSchema)
    agencies = open_agency_choices()  # an agency that ended is not offered (agencies.services)
    for spec in specs:
        if spec.name == "agency_id":
            spec.widget = "select"
            spec.choices = [(str(agency_id), f"{name} ({code})") for agency_id, name, code in agencies]
        elif spec.name == "subcategory":
            spec.widget = "select"
            spec.choices = [(k, gettext(v)) for k, v in vocab.NEUTRALITY_SUBCATEGORIES.items()]
        elif spec.name == "summary":
            spec.widget = "textarea"
        elif spec.name == "reported_person.nip":
            spec.inputmode = "numeric"
        elif spec.name == "assignee_id":  # who handles it: the one logging it unless another is chosen
            spec.widget = "select"
            spec.choices = assignment.staff_choices()
            spec.default = str(user.id)
    return specs


def timeline(case: Case, user: User) -> list[dict[str, Any]]:
    """The case history in words (app/cases/history_words.py); the reporter's identity is never part of a history
    row, and an upload appears only to those who may see the file (evidence may reveal the reporter)."""
    files = {a.id: a.filename for a in attachments.visible_attachments(case, user)}
    history = services.case_history(case, user)
    actors = history_words.actor_words(history)
    rows = []
    for row in history:
        event, payload = row["event"], row["payload"] or {}
        if event == "attachment_added" and payload.get("attachment_id") not in files:
            continue
        title = history_words.event_title(event, payload)
        details = history_words.details(event, payload, files)
        rows.append({**row, "actor": actors[row["seq"]], "title": title, "details": details})
    return rows


def deadline_explanation(case: Case, detail: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Days counted and skipped towards the due date, each with its reason (calendar module)."""
    rec = detail.get("recommendation")
    if not rec or rec.get("received_on") is None or not rec.get("working_days"):
        return None
    agency = db.session.get(Agency, case.agency_id)
    return list(explain_deadline(agency, rec["received_on"], rec["working_days"]))


def deadline_calendar_gaps(case: Case, detail: dict[str, Any]) -> list[Any]:
    """Why the counted days may still change: years of the deadline whose cuti bersama are not known yet."""
    rec = detail.get("recommendation")
    if not rec or rec.get("received_on") is None or not rec.get("working_days"):
        return []
    agency = db.session.get(Agency, case.agency_id)
    return deadline_gaps(agency, rec["received_on"], rec["working_days"])


def escalation_steps(case: Case) -> list[dict[str, Any]]:
    """Every escalation step the case reached, with the ladder's label."""
    steps = escalation_steps_for(case.id)
    ladder = case_ladder(case) if steps else None
    return [step_dump(step, ladder) for step in steps]


def deadline_class(detail: dict[str, Any]) -> str:
    """Colour of the deadline: late, close (3 working days or less) or on track."""
    if detail.get("overdue"):
        return "overdue"
    left = detail.get("working_days_left")
    if left is not None and left <= 3:
        return "due-soon"
    return "on-track"


def is_active_status(status: str) -> bool:
    return CaseStatus(status) not in TERMINAL_STATUSES


def allowed(case: Case, user: User) -> list[str]:
    return allowed_events(case, user)


def agency_choices(user: User) -> list[tuple[str, str]]:
    """Agencies to filter the case list by (KASN roles; a PPK sees its own agency only anyway). An agency that
    ended stays (its cases are still open), marked as ended."""
    if not user.is_kasn:
        return []
    rows = db.session.execute(select(Agency.id, Agency.name, Agency.ended_on).order_by(Agency.name)).all()
    ended, today = gettext("berakhir"), newest_local_day()
    return [(str(r.id), f"{r.name} ({ended})" if has_ended(r.ended_on, today) else r.name) for r in rows]


def message_of(exc: Any) -> str:
    return gettext(getattr(exc, "message", "") or str(exc))


def _names(ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u.name for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}


def answered_clarifications(detail: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The case's objections, each answered one with the reason of its answer (kept in the answer's history row,
    written at the instant the answer was recorded)."""
    reasons = {
        row["created_at"]: row["payload"].get("reason")
        for row in rows
        if row["event"] == CaseEvent.ANSWER_CLARIFICATION.value and row["payload"]
    }
    return [{**c, "answer_reason": reasons.get(c["answered_at"])} for c in detail.get("clarifications") or []]


def case_page(case: Case, user: User) -> dict[str, Any]:
    detail = services.case_detail(case, user)
    rec = detail.get("recommendation") or {}
    rows = timeline(case, user)
    return {
        "case": case,
        "detail": detail,
        "agency": (agency := db.session.get(Agency, case.agency_id)),
        "successor": successor_of(agency) if agency is not None and agency.ended_on else None,
        "forms": event_forms(detail["allowed_events"]),
        "held_back": page_errors.held_back(case, user),  # the four-eyes rule, said where the action would be
        "timeline": rows,
        "clarifications": answered_clarifications(detail, rows),
        "attachments": attachments.visible_attachments(case, user),
        "can_upload": access.may_upload(case, user, "evidence"),
        "upload_limit": page_errors.upload_limit(),
        "upload_limit_words": page_errors.upload_limit_words(),
        "too_large_message": page_errors.too_large_message(),
        "upload_error": None,
        "explanation": deadline_explanation(case, detail),
        "calendar_gaps": deadline_calendar_gaps(case, detail),
        "escalations": escalation_steps(case),
        "blocks": detail["blocks"],
        "deadline_class": deadline_class(detail),
        "names": _names({rec.get("drafted_by"), rec.get("issued_by")}),
        "is_active": is_active_status(case.status),
        "prefill": _prefill(rec),
        # The elections a neutrality case may be linked to, for the staff who link it (app/cases/elections.py).
        "election_choices": elections.election_choices()
        if access.may_triage(user) and case.category == vocab.Category.NETRALITAS.value
        else None,
    }


def _prefill(rec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Redrafting starts from the current draft."""
    if not rec:
        return {}
    keys = ("sanction", "sanction_form", "legal_basis", "text")
    return {CaseEvent.DRAFT_RECOMMENDATION.value: {k: rec.get(k) for k in keys if rec.get(k) is not None}}


def _form_errors(form: EventForm, payload: dict[str, Any], data: Any, files: Any) -> tuple[dict[str, Any], dict]:
    """Every problem of the submitted event form at once, and the uploaded documents by field."""
    errors: dict[str, Any] = {}
    if form.irreversible and data.get(CONFIRM_FIELD) != "1":
        errors[CONFIRM_FIELD] = [gettext("Centang \u201cSaya yakin\u201d: tindakan ini tidak dapat dibatalkan.")]
    try:
        TRANSITIONS[CaseEvent(form.event)].schema().load(payload)
    except ValidationError as exc:
        errors.update(exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages})
    uploads = {}
    for spec in (f for f in form.fields if f.widget == "file"):
        upload = files.get(spec.name)
        if upload is not None and upload.filename:
            uploads[spec.name] = upload
        elif spec.required:
            errors[spec.name] = [gettext("Dokumen wajib diunggah.")]
    if not str(data.get("version", "")).isdigit():
        errors["_schema"] = [gettext("Versi perkara tidak ada; muat ulang halaman.")]
    return errors, uploads


def apply_event(case: Case, form: EventForm, data: Any, files: Any, user: User) -> Case:
    """Check the form (confirmation, payload schema, required document), store the document, fire the event.

    Raises ValidationFailed with every field error at once; the workflow's own errors pass through.
    One transaction: a refused event leaves no attachment behind.
    """
    event = CaseEvent(form.event)
    payload = form_payload(form.fields, data)
    errors, uploads = _form_errors(form, payload, data, files)
    if errors:
        raise ValidationFailed("Data tindakan tidak valid.", details={"fields": errors})
    stored: list[str] = []
    try:
        with unit_of_work():
            for name, upload in uploads.items():
                try:
                    attachment = attachments.add_attachment(case, upload, user, DOCUMENT_PURPOSE.get(event, "other"))
                except ValidationFailed as exc:
                    raise ValidationFailed(exc.message, details={"fields": {name: [exc.message]}}) from exc
                stored.append(attachment.storage_key)
                payload[name] = attachment.id
            fire(case, event, user, payload, expected_version=int(data["version"]))
    except BaseException:
        for key in stored:
            attachments.attachment_path(key).unlink(missing_ok=True)
        raise
    return case
