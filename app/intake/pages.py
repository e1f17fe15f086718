"""Intake pages: the public report form (no sign-in) and the tracking page; the intake queue and a report's page for
the authority's staff; a Bawaslu office's list of what it forwarded and its forwarding form; events: their list,
the new-event form, an event's page with its group actions and the issuing confirmation (thin: parse, service,
render).

Why it is long: every page of intake shares the report's form fields (`report_fields`, the one schema of the
public, forwarding and API channels) and the staff/forwarder access checks; each view stays a thin parse, call,
render.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from app.agencies.services import open_agency_choices
from app.cases import access, confirmation, form_tokens, page_context, reporter_views
from app.core import vocab
from app.core.states import CaseEvent
from app.db import db, unit_of_work
from app.errors import DomainError, TooManyRequests, ValidationFailed
from app.intake import events, guard, services
from app.intake.schemas import IncidentEventIn, IntakeReportIn
from app.intake.tracking import TRACKING_STATUSES
from app.models.cases import Case
from app.web.schema_forms import FieldSpec, field_errors, field_specs, form_payload, form_values, spread_errors

bp = Blueprint("intake_pages", __name__)
PUBLIC_FIELDS_EXCLUDED = ("external_ref", "election_id")
FORWARD_FIELDS_EXCLUDED = ("election_id",)  # an office gives its register number; the staff link an election
DECISIONS = ("verify", "accept", "attach", "refuse")


def _address() -> str:
    return request.remote_addr or "unknown"


def public_fields() -> list[FieldSpec]:
    """The public form, from the report schema (the one rule): the agency picked from the list (or typed), the
    neutrality sub-type from its list, the reporter's identity optional."""
    return report_fields(PUBLIC_FIELDS_EXCLUDED)


def report_fields(exclude: tuple[str, ...]) -> list[FieldSpec]:
    """A report's form from the report schema (the public form's, a Bawaslu office's): the agency picked from the
    list (or typed), the neutrality sub-type from its list, the reporter's identity optional."""
    specs = field_specs(IntakeReportIn, exclude=exclude)
    for spec in specs:
        if spec.name == "agency_id":
            spec.widget = "select"
            spec.required = False
            spec.choices = [(str(agency_id), f"{name} ({code})") for agency_id, name, code in open_agency_choices()]
            spec.help = _("Ketik sebagian nama untuk mencari. Tidak ada di daftar? Tulis namanya di isian berikut.")
        elif spec.name == "subcategory":
            spec.widget = "select"
            spec.choices = [(k, _(v)) for k, v in vocab.NEUTRALITY_SUBCATEGORIES.items()]
        elif spec.name == "summary":
            spec.widget = "textarea"
            spec.help = _("Apa yang terjadi, siapa saja yang terlibat, dan di mana buktinya dapat dilihat.")
        elif spec.name == "reported_person.nip":
            spec.inputmode = "numeric"
            spec.label = _("NIP terlapor (bila diketahui)")
        elif spec.name == "reporter.name":
            spec.help = _(
                "Boleh dikosongkan. Identitas Anda dirahasiakan: hanya petugas pemeriksa yang dapat melihatnya."
            )
        elif spec.name == "reporter.contact":
            spec.help = _("Email atau nomor telepon, bila Anda bersedia dihubungi untuk keterangan tambahan.")
        elif spec.name == "external_ref":
            spec.label = _("Nomor register laporan di kantor Anda")
            spec.help = _("Tidak wajib. Nomor yang sama dikirim lagi tetap satu laporan.")
    return specs


@bp.route("/lapor", methods=["GET", "POST"])
def public_form() -> Any:
    """The public report form: no sign-in, no CAPTCHA; a signed time token and a per-address limit guard it."""
    specs = public_fields()
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = form_values(request.form)
        try:
            guard.check_form(request.form)
            with unit_of_work():  # counted and committed whatever the report's fate: the limit is per submission
                guard.count_submission(_address())
            rows: list[Any] = []
            try:
                with unit_of_work():
                    report, _created = services.submit_report(form_payload(specs, request.form), channel="public")
                    rows = services.add_files(report, request.files.getlist("file"))
                    code = report.tracking_code
            except Exception:
                services.discard_files(rows)
                raise
            return render_template("intake/submitted.html", code=code), 201
        except ValidationFailed as exc:
            errors = spread_errors(field_errors(exc.details.get("fields") or {"_schema": [exc.message]}), specs)
            status = 422
        except TooManyRequests as exc:
            errors = {"_schema": [exc.message]}
            status = 429
        except RequestEntityTooLarge:
            errors = {"file": [_("Berkas terlalu besar.")]}
            status = 413
    return render_template(
        "intake/public_form.html",
        fields=specs,
        values=values,
        errors=errors,
        form_token=guard.issue_form_token(),
        honeypot=guard.HONEYPOT,
        token_field=guard.TOKEN_FIELD,
        max_files=services.MAX_FILES,
    ), status


@bp.route("/lacak")
@bp.route("/lacak/<code>")
def track(code: str | None = None) -> Any:
    """The status of a report by its tracking code, in plain words (the code in the path, or `kode` typed in)."""
    code = code or (request.args.get("kode") or "").strip() or None
    view = None
    message = None
    status = 200
    if code is not None:
        try:
            with unit_of_work():
                view = services.lookup(code, _address())
            if view is None:
                message, status = _(services.NOT_FOUND), 404
        except TooManyRequests as exc:
            message, status = exc.message, 429
    return render_template(
        "intake/track.html", view=view, code=code or "", message=message, steps=TRACKING_STATUSES
    ), status


# -- the authority's staff -----------------------------------------------------------------------------------------


@bp.route("/intake")
@login_required
def queue() -> Any:
    if not access.reads_intake(current_user):
        abort(404)
    status = request.args.get("status") or None
    if status not in (None, *services.STATUS_LABELS):
        status = None
    cursor = request.args.get("cursor") or None
    if cursor is not None and not (cursor.isdecimal() and len(cursor) <= 10):
        cursor = None
    items, next_cursor = services.queue_page(current_user, status, 50, cursor)
    return render_template(
        "intake/queue.html",
        items=items,
        status=status,
        statuses=services.STATUS_LABELS,
        next_url=url_for(".queue", status=status, cursor=next_cursor) if next_cursor else None,
    )


@bp.route("/intake/<int:report_id>")
@login_required
def report_page(report_id: int) -> Any:
    if not access.reads_intake(current_user):
        abort(404)
    report = services.report_for(current_user, report_id)
    return _report_page(report)


def _report_page(report: Any, errors: dict[str, list[str]] | None = None, values: Any = None, status: int = 200) -> Any:
    out = services.report_out(report)
    page = render_template(
        "intake/report.html",
        report=out,
        may_decide=access.may_triage(current_user) and report.status in services.OPEN_STATUSES,
        agencies=[(str(i), f"{n} ({c})") for i, n, c in open_agency_choices()],
        errors=errors or {},
        values=values or {},
    )
    with unit_of_work():  # the reporter shown, logged
        reporter_views.log_report_views(current_user, [out], "intake_page")
    return page, status


@bp.route("/intake/<int:report_id>/<decision>", methods=["POST"])
@login_required
def decide(report_id: int, decision: str) -> Any:
    if decision not in DECISIONS or not access.reads_intake(current_user):
        abort(404)
    report = services.report_for(current_user, report_id)
    form = request.form
    try:
        with unit_of_work():
            if decision == "verify":
                services.start_verifying(report, current_user)
                flash(_("Verifikasi dimulai: pengirim membaca status \u201cSedang diverifikasi\u201d."), "success")
            elif decision == "accept":
                data: dict[str, Any] = {"allow_duplicates": form.get("allow_duplicates") == "1"}
                if (form.get("agency_id") or "").isdecimal():
                    data["agency_id"] = int(form["agency_id"])
                if form.get("reported_nip"):
                    data["reported_nip"] = form["reported_nip"]
                case = services.accept(report, data, current_user)
                flash(_("Laporan diterima sebagai perkara %(number)s.", number=case.number), "success")
                return redirect(url_for("case_pages.show_case", case_id=case.id), code=303)
            elif decision == "attach":
                number = (form.get("case_number") or "").strip()
                case_id = services.case_id_by_number(number)
                case = services.attach(report, {"case_id": case_id}, current_user)
                flash(_("Laporan digabung ke perkara %(number)s.", number=case.number), "success")
                return redirect(url_for("case_pages.show_case", case_id=case.id), code=303)
            else:
                services.refuse(
                    report,
                    {"reason": form.get("reason", ""), "internal_note": form.get("internal_note") or None},
                    current_user,
                )
                flash(_("Laporan ditolak; pengirim membaca alasannya."), "success")
        return redirect(url_for(".report_page", report_id=report_id), code=303)
    except ValidationFailed as exc:
        errors = field_errors(exc.details.get("fields") or {"_schema": [exc.message]})
        errors, status = {f"{decision}.{k}": v for k, v in errors.items()}, 422
    except DomainError as exc:  # a likely duplicate, a report decided meanwhile (409), a role that may not (403)
        errors, status = {f"{decision}._schema": [exc.message]}, exc.status
    db.session.rollback()
    report = services.report_for(current_user, report_id)
    return _report_page(report, errors, form_values(form), status)


# -- a Bawaslu office ------------------------------------------------------------------------------------------------


@bp.route("/diteruskan")
@login_required
def forwarded() -> Any:
    if not access.may_forward(current_user):
        abort(404)
    cursor = request.args.get("cursor") or None
    if cursor is not None and not (cursor.isdecimal() and len(cursor) <= 10):
        cursor = None
    items, next_cursor = services.forwarded_page(current_user, 50, cursor)
    return render_template(
        "intake/forwarded.html",
        items=items,
        next_url=url_for(".forwarded", cursor=next_cursor) if next_cursor else None,
    )


@bp.route("/diteruskan/baru", methods=["GET", "POST"])
@login_required
def forward_form() -> Any:
    """A Bawaslu office forwards a report from its browser: the fields and rules of the forwarding API (the one
    schema), evidence files through the case store's checks, a one-time form token (sent twice, it shows the
    report the first submission created); on success the tracking code."""
    if not access.may_forward(current_user):
        abort(404)
    specs = report_fields(FORWARD_FIELDS_EXCLUDED)
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    status = 200
    token = request.form.get(form_tokens.FIELD, "")
    usable = form_tokens.usable(token, current_user)
    if request.method == "POST":
        values = form_values(request.form)
        if usable and (done := form_tokens.report_id_of(token, current_user)) is not None:
            return _forwarded(services.report_for(current_user, done), again=True)
        rows: list[Any] = []
        try:
            with unit_of_work():
                claimed = form_tokens.claim(token, current_user) if usable else None
                report, created = services.submit_report(
                    form_payload(specs, request.form), channel="forwarder", sender=current_user
                )
                if created:
                    rows = services.add_files(report, request.files.getlist("file"), current_user)
                if claimed is not None:
                    claimed.intake_report_id = report.id
            return _forwarded(report, again=not created)
        except ValidationFailed as exc:
            services.discard_files(rows)
            errors = spread_errors(field_errors(exc.details.get("fields") or {"_schema": [exc.message]}), specs)
            status = 422
        except RequestEntityTooLarge:
            errors, status = {"file": [_("Berkas terlalu besar.")]}, 413
        except IntegrityError:  # the same form, sent a moment earlier, holds the token: show its report
            services.discard_files(rows)
            db.session.rollback()
            if (done := form_tokens.report_id_of(token, current_user)) is not None:
                return _forwarded(services.report_for(current_user, done), again=True)
            raise
        except Exception:
            services.discard_files(rows)
            raise
    if not usable:
        token = form_tokens.new_token()
    return render_template(
        "intake/forward_form.html",
        fields=specs,
        values=values,
        errors=errors,
        token=token,
        token_field=form_tokens.FIELD,
        max_files=services.MAX_FILES,
    ), status


def _forwarded(report: Any, *, again: bool) -> Any:
    return render_template(
        "intake/submitted.html", code=report.tracking_code, forwarded=True, again=again
    ), 200 if again else 201


# -- events ----------------------------------------------------------------------------------------------------------


EVENT_ACTIONS = (CaseEvent.DRAFT_RECOMMENDATION.value, CaseEvent.ISSUE_RECOMMENDATION.value)
CASE_NUMBERS = "case_numbers"


def _staff_reader() -> None:
    if not access.reads_intake(current_user):
        abort(404)


def _staff_writer() -> None:
    if not access.may_triage(current_user):
        abort(404)


def event_fields() -> list[FieldSpec]:
    """The new-event form, from the events API's schema (the one rule); its cases are typed by number."""
    specs = field_specs(IncidentEventIn, exclude=("case_ids",))
    labels = {
        "title": _("Nama peristiwa"),
        "place": _("Tempat"),
        "description": _("Uraian"),
        "election_id": _("Pemilihan (tidak wajib)"),
    }
    for spec in specs:
        spec.label = labels.get(spec.name, spec.label)
        if spec.name == "description":
            spec.widget = "textarea"
        elif spec.name == "election_id":
            spec.widget = "select"
            spec.choices = [(str(e["id"]), e["name"]) for e in events.list_elections()]
        elif spec.name == "title":
            spec.help = _("Mis. kampanye terbuka pasangan calon di Lapangan Merdeka.")
    return specs


def draft_fields() -> list[FieldSpec]:
    """The drafting form of the whole group: the case page's drafting form (the workflow's schema)."""
    return page_context.event_form(CaseEvent.DRAFT_RECOMMENDATION.value).fields


@bp.route("/peristiwa")
@login_required
def event_list() -> Any:
    _staff_reader()
    return render_template("intake/events.html", items=events.list_events(), may_write=access.may_triage(current_user))


@bp.route("/peristiwa/baru", methods=["GET", "POST"])
@login_required
def new_event() -> Any:
    """A new event with its cases (typed by number): a rally, a post, a meeting where several civil servants took
    part."""
    _staff_writer()
    specs = event_fields()
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = form_values(request.form)
        try:
            with unit_of_work():
                payload = form_payload(specs, request.form)
                payload["case_ids"] = _case_ids_with_other_errors(payload, request.form.get(CASE_NUMBERS, ""))
                event = events.create_event(payload, current_user)
                event_id = event.id
            flash(_("Peristiwa dicatat."), "success")
            return redirect(url_for(".event_page", event_id=event_id), code=303)
        except ValidationFailed as exc:
            fields = dict(exc.details.get("fields") or {"_schema": [exc.message]})
            if "case_ids" in fields:
                fields[CASE_NUMBERS] = fields.pop("case_ids")
            errors = spread_errors(field_errors(fields), specs)
            if CASE_NUMBERS in fields and CASE_NUMBERS not in errors:
                errors[CASE_NUMBERS] = field_errors({CASE_NUMBERS: fields[CASE_NUMBERS]})[CASE_NUMBERS]
    return render_template(
        "intake/event_form.html", fields=specs, values=values, errors=errors, case_numbers=CASE_NUMBERS
    ), 422 if errors else 200


def _case_ids_with_other_errors(payload: dict[str, Any], numbers: str) -> list[int]:
    """The ids of the numbered cases; an unknown number is refused together with the form's other errors."""
    try:
        return events.case_ids_by_numbers(numbers, CASE_NUMBERS)
    except ValidationFailed as exc:
        fields = dict(exc.details["fields"])
        try:
            services.load(IncidentEventIn(), {**payload, "case_ids": []})
        except ValidationFailed as other:
            fields = {**other.details["fields"], **fields}
        raise ValidationFailed("Data peristiwa tidak valid.", details={"fields": fields}) from exc


@bp.route("/peristiwa/<int:event_id>")
@login_required
def event_page(event_id: int) -> Any:
    _staff_reader()
    return _event_page(events.event_for(event_id))


def _event_page(event: Any, errors: dict[str, list[str]] | None = None, values: Any = None, status: int = 200) -> Any:
    return render_template(
        "intake/event.html",
        event=events.event_out(event),
        may_write=access.may_triage(current_user),
        draft_fields=draft_fields(),
        case_numbers=CASE_NUMBERS,
        errors=errors or {},
        values=values or {},
    ), status


@bp.route("/peristiwa/<int:event_id>/perkara", methods=["POST"])
@login_required
def event_add_cases(event_id: int) -> Any:
    _staff_writer()
    event = events.event_for(event_id)
    try:
        with unit_of_work():
            ids = events.case_ids_by_numbers(request.form.get(CASE_NUMBERS, ""))
            events.add_cases(event, {"case_ids": ids}, current_user)
        flash(_("Perkara ditambahkan ke peristiwa."), "success")
        return redirect(url_for(".event_page", event_id=event_id), code=303)
    except ValidationFailed as exc:
        fields = dict(exc.details.get("fields") or {"_schema": [exc.message]})
        messages = fields.pop("case_ids", None) or fields.pop(CASE_NUMBERS, None) or [exc.message]
        errors = {f"add.{CASE_NUMBERS}": field_errors({"x": messages})["x"]}
    db.session.rollback()
    return _event_page(events.event_for(event_id), errors, form_values(request.form), 422)


@bp.route("/peristiwa/<int:event_id>/tindakan/<action>", methods=["POST"])
@login_required
def event_action(event_id: int, action: str) -> Any:
    """Draft or issue for every case of the event: each case through its workflow (four eyes kept), each refusal
    said per case. Issuing asks first: a page says what will happen to each case; only its button issues."""
    if action not in EVENT_ACTIONS:
        abort(404)
    _staff_writer()
    event = events.event_for(event_id)
    data: dict[str, Any] = {"event": action}
    if action == CaseEvent.ISSUE_RECOMMENDATION.value and request.form.get(page_context.CONFIRM_FIELD) != "1":
        return _issue_confirmation(event)
    try:
        if action == CaseEvent.DRAFT_RECOMMENDATION.value:
            shared = form_payload(draft_fields(), request.form)
            events.check_draft(shared)
            data.update(shared)
        with unit_of_work():
            done, skipped = events.group_action(event, data, current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        errors = field_errors(exc.details.get("fields") or {"_schema": [exc.message]})
        errors = {f"draft.{k}": v for k, v in errors.items() if k != "event"}
        return _event_page(events.event_for(event_id), errors, form_values(request.form), 422)
    label = _("Draf rekomendasi disusun") if action == "draft_recommendation" else _("Rekomendasi diterbitkan")
    if done:
        flash(_("%(label)s untuk %(n)s perkara.", label=label, n=len(done)), "success")
    for item in skipped:
        flash(_("%(number)s tidak diproses: %(reason)s", number=item["number"], reason=_said(item)), "warning")
    if not done and not skipped:
        flash(_("Peristiwa ini belum mempunyai perkara."), "warning")
    return redirect(url_for(".event_page", event_id=event_id), code=303)


def _said(row: dict[str, Any]) -> str:
    """A refusal's words (the workflow's Indonesian message) in the reader's language."""
    text: str = row["reason"]
    return _(text)


def _issue_confirmation(event: Any) -> Any:
    """What issuing for the whole group will do, case by case (the case page's confirmation facts)."""
    preview = events.action_preview(event, CaseEvent.ISSUE_RECOMMENDATION, current_user)
    ready = [row for row in preview if row["can"]]
    cases = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_([r["case_id"] for r in ready])))}
    facts = [
        (row, confirmation.facts(cases[row["case_id"]], CaseEvent.ISSUE_RECOMMENDATION, {}, current_user))
        for row in ready
    ]
    return render_template(
        "intake/event_issue_confirm.html",
        event=events.event_out(event),
        facts=facts,
        skipped=[{**row, "reason": _said(row)} for row in preview if not row["can"]],
        confirm_field=page_context.CONFIRM_FIELD,
    )
