"""Intake pages: the public report form (no sign-in) and the tracking page; the intake queue and a report's page for
the authority's staff; a Bawaslu office's list of what it forwarded; an event's page (thin: parse, service, render).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from app.agencies.services import open_agency_choices
from app.cases import access, reporter_views
from app.core import vocab
from app.db import db, unit_of_work
from app.errors import DomainError, TooManyRequests, ValidationFailed
from app.intake import events, guard, services
from app.intake.schemas import IntakeReportIn
from app.intake.tracking import TRACKING_STATUSES
from app.web.schema_forms import FieldSpec, field_errors, field_specs, form_payload, form_values, spread_errors

bp = Blueprint("intake_pages", __name__)
PUBLIC_FIELDS_EXCLUDED = ("external_ref", "election_id")
DECISIONS = ("verify", "accept", "attach", "refuse")


def _address() -> str:
    return request.remote_addr or "unknown"


def public_fields() -> list[FieldSpec]:
    """The public form, from the report schema (the one rule): the agency picked from the list (or typed), the
    neutrality sub-type from its list, the reporter's identity optional."""
    specs = field_specs(IntakeReportIn, exclude=PUBLIC_FIELDS_EXCLUDED)
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


# -- events ----------------------------------------------------------------------------------------------------------


@bp.route("/peristiwa/<int:event_id>")
@login_required
def event_page(event_id: int) -> Any:
    if not access.reads_intake(current_user):
        abort(404)
    return render_template("intake/event.html", event=events.event_out(events.event_for(event_id)))
