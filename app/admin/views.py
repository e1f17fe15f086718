"""Administration pages (role admin): thin views over the agencies, auth, calendar, escalation and outbox services."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.admin import audit, forms, services
from app.admin.outbox import dump_page, resend_dead
from app.agencies import services as agency_services
from app.agencies.schemas import AgencySchema
from app.auth import office_keys
from app.auth import services as auth_services
from app.auth import sessions as auth_sessions
from app.calendar import services as calendar_services
from app.calendar.working_days import DEFAULT_TIMEZONE, local_date
from app.cases import reporter_views
from app.cases.importing import import_stream, import_template_csv
from app.core.clock import utcnow
from app.core.vocab import Role
from app.db import db, unit_of_work
from app.errors import Conflict, DomainError, ValidationFailed
from app.escalations import routing
from app.web.schema_forms import field_errors, form_payload, form_values
from notifications import services as outbox_services

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only() -> None:
    if current_user.role != Role.ADMIN:
        abort(403)


def _errors(exc: DomainError) -> dict[str, list[str]]:
    return field_errors(exc.details.get("fields") or {"_schema": [exc.message]})


def _offset() -> int:
    raw = request.args.get("offset", "0")
    return int(raw) if raw.isdigit() else 0


@bp.route("/")
def index() -> Any:
    return render_template(
        "admin/index.html",
        counts=outbox_services.outbox_counts(),
        status_labels=outbox_services.STATUS_LABELS,
        targets_without_mailbox=routing.targets_without_mailbox(),
    )


# -- agencies ----------------------------------------------------------------------------------------------------


@bp.route("/agencies")
def agencies() -> Any:
    q, kind = request.args.get("q", "").strip(), request.args.get("kind", "")
    rows, more = services.search_agencies(q, kind or None, _offset())
    return render_template(
        "admin/agencies.html", rows=rows, more=more, q=q, kind=kind, offset=_offset(), page_size=services.PAGE_SIZE
    )


@bp.route("/agencies/new", methods=["GET", "POST"])
def new_agency() -> Any:
    specs = forms.agency_fields()
    values: dict[str, Any] = {"timezone": "Asia/Jakarta"}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = form_values(request.form)
        try:
            with unit_of_work():
                clean = forms.load(AgencySchema(), form_payload(specs, request.form), "Data instansi tidak valid.")
                agency = agency_services.create_agency(clean)
            flash(_("Instansi %(name)s ditambahkan.", name=agency.name), "success")
            return redirect(url_for(".agencies"), code=303)
        except ValidationFailed as exc:
            errors = _errors(exc)
    return render_template(
        "admin/form.html",
        title=_("Tambah instansi"),
        fields=specs,
        values=values,
        errors=errors,
        back=url_for(".agencies"),
    ), 422 if errors else 200


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
def edit_agency(agency_id: int) -> Any:
    agency = services.get_agency(agency_id)
    specs = forms.agency_fields(exclude=("code",), current=agency)
    values = forms.agency_values(agency)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = form_values(request.form)
        try:
            with unit_of_work():
                payload = form_payload(specs, request.form)
                clean = forms.load(AgencySchema(exclude=("code",)), payload, "Data instansi tidak valid.")
                agency_services.check_end_fields(agency.id, clean.get("ended_on"), clean.get("successor_id"))
                services.update_agency(agency, payload)
            flash(_("Instansi %(name)s disimpan.", name=agency.name), "success")
            return redirect(url_for(".agencies"), code=303)
        except ValidationFailed as exc:
            errors = _errors(exc)
    return render_template("admin/agency.html", agency=agency, fields=specs, values=values, errors=errors), (
        422 if errors else 200
    )


@bp.route("/agencies/<int:agency_id>/active", methods=["POST"])
def agency_active(agency_id: int) -> Any:
    with unit_of_work():
        agency = services.set_agency_active(services.get_agency(agency_id), request.form.get("active") == "1")
    flash(_("Instansi diaktifkan.") if agency.is_active else _("Instansi dinonaktifkan."), "info")
    return redirect(url_for(".edit_agency", agency_id=agency_id), code=303)


# -- users -------------------------------------------------------------------------------------------------------


@bp.route("/users")
def users() -> Any:
    q, role = request.args.get("q", "").strip(), request.args.get("role", "")
    rows, more = services.search_users(q, role or None, _offset())
    return render_template(
        "admin/users.html",
        rows=rows,
        more=more,
        q=q,
        role=role,
        roles=list(Role),
        offset=_offset(),
        page_size=services.PAGE_SIZE,
    )


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> Any:
    specs = forms.user_fields()
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = form_values(request.form)
        data = request.form
        try:
            with unit_of_work():
                user = auth_services.create_user(
                    data.get("email", ""),
                    data.get("password", ""),
                    data.get("role", ""),
                    name=data.get("name", "").strip(),
                    agency_code=data.get("agency") or None,
                    body=data.get("body") or None,
                )
            flash(_("Pengguna %(email)s dibuat.", email=user.email), "success")
            return redirect(url_for(".users"), code=303)
        except ValidationFailed as exc:
            errors = _errors(exc)
            if "password" in errors:  # the policy's message says what is wrong
                errors["password"] = [_(exc.message)]
        values.pop("password", None)
    return render_template(
        "admin/form.html",
        title=_("Tambah pengguna"),
        fields=specs,
        values=values,
        errors=errors,
        back=url_for(".users"),
    ), 422 if errors else 200


def _user_page(row: Any, errors: dict[str, list[str]] | None = None, new_key: str | None = None) -> Any:
    keys = office_keys.keys_of(row) if row.role == Role.FORWARDER else []
    return render_template("admin/user.html", row=row, errors=errors or {}, keys=keys, new_key=new_key)


@bp.route("/users/<int:user_id>", methods=["GET"])
def user(user_id: int) -> Any:
    return _user_page(services.get_user(user_id))


@bp.route("/users/<int:user_id>/<action>", methods=["POST"])
def user_action(user_id: int, action: str) -> Any:
    row = services.get_user(user_id)
    try:
        with unit_of_work():
            if action == "disable":
                services.set_user_active(row, False, current_user)
                flash(_("Akun dinonaktifkan; semua sesinya berakhir."), "info")
            elif action == "enable":
                services.set_user_active(row, True, current_user)
                flash(_("Akun diaktifkan."), "info")
            elif action == "password":
                services.reset_password(row, request.form.get("password", ""))
                flash(_("Kata sandi diganti; akun tidak lagi terkunci."), "success")
            elif action == "totp":
                auth_services.reset_totp(row)
                flash(_("Verifikasi dua langkah pengguna dihapus; semua sesinya berakhir."), "info")
            elif action == "sessions":
                auth_sessions.end_all_sessions(row)
                flash(_("Semua sesi dan token API pengguna diakhiri."), "info")
            elif action == "key":
                _key_row, key = office_keys.create_key(row, request.form.get("label", ""), current_user)
            elif action == "revoke-key":
                key_id = request.form.get("key_id", "")
                if not key_id.isdecimal():
                    abort(404)
                office_keys.revoke_key(office_keys.key_for(int(key_id), row), current_user)
                flash(_("Kunci API dicabut: kunci itu tidak dapat dipakai lagi."), "info")
            else:
                abort(404)
    except ValidationFailed as exc:
        return _user_page(services.get_user(user_id), _errors(exc)), 422
    if action == "key":  # the key is shown on this page once, never stored in clear nor put in a redirect
        return _user_page(services.get_user(user_id), new_key=key), 201
    return redirect(url_for(".user", user_id=user_id), code=303)


# -- escalation recipients ---------------------------------------------------------------------------------------


@bp.route("/recipients", methods=["GET", "POST"])
def recipients() -> Any:
    errors: dict[str, list[str]] = {}
    submitted: dict[str, str] = {}
    if request.method == "POST":
        target = request.form.get("target", "")
        text = request.form.get("emails", "")
        try:
            with unit_of_work():
                routing.set_target_recipients(target, text.replace(",", "\n").splitlines())
            flash(_("Penerima eskalasi disimpan."), "success")
            return redirect(url_for(".recipients"), code=303)
        except ValidationFailed as exc:
            errors = {
                target: [
                    _(
                        "Alamat email tidak sah: %(values)s",
                        values=", ".join((exc.details.get("fields") or {}).get("emails", [])) or exc.message,
                    )
                ]
            }
            submitted = {target: text}
    targets = [
        {"target": t, "emails": routing.target_recipients(t), "custom": forms.has_custom_recipients(t)}
        for t in routing.TARGETS
    ]
    return render_template("admin/recipients.html", targets=targets, errors=errors, submitted=submitted), (
        422 if errors else 200
    )


# -- calendar ----------------------------------------------------------------------------------------------------


@bp.route("/calendar", methods=["GET", "POST"])
def calendar() -> Any:
    year_arg = request.args.get("year", "")
    year = (
        int(year_arg)
        if year_arg.isdigit() and 1990 <= int(year_arg) <= 2100
        else local_date(utcnow(), DEFAULT_TIMEZONE).year
    )
    specs = forms.override_fields()
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = form_values(request.form)
        try:
            day = forms.parse_day(request.form.get("day", ""), "day")
            agency_id = forms.parse_optional_int(request.form.get("agency_id", ""), "agency_id")
            with unit_of_work():
                calendar_services.add_override(
                    day,
                    request.form.get("kind", ""),
                    request.form.get("description", ""),
                    decree=request.form.get("decree") or None,
                    agency_id=agency_id,
                    actor=current_user,
                )
            flash(_("Hari %(day)s disimpan.", day=day.isoformat()), "success")
            return redirect(url_for(".calendar", year=day.year), code=303)
        except ValidationFailed as exc:
            errors = _errors(exc)
    rows = calendar_services.list_overrides(year=year)
    return render_template(
        "admin/calendar.html",
        rows=rows,
        year=year,
        fields=specs,
        values=values,
        errors=errors,
        agencies=forms.agency_names(),
    ), 422 if errors else 200


@bp.route("/calendar/<int:override_id>/delete", methods=["POST"])
def delete_override(override_id: int) -> Any:
    with unit_of_work():
        row = calendar_services.remove_override(override_id)
    flash(_("Pengecualian kalender dihapus."), "info")
    return redirect(url_for(".calendar", year=row.day.year), code=303)


# -- oversight authorities ---------------------------------------------------------------------------------------


@bp.route("/authorities", methods=["GET", "POST"])
@bp.route("/authorities/<int:authority_id>", methods=["GET", "POST"])
def authorities(authority_id: int | None = None) -> Any:
    editing = services.get_authority(authority_id) if authority_id is not None else None
    specs = forms.authority_fields()
    values = forms.authority_values(editing) if editing else {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = form_values(request.form)
        try:
            with unit_of_work():
                services.save_authority(form_payload(specs, request.form), editing)
            flash(_("Otoritas pengawas disimpan."), "success")
            return redirect(url_for(".authorities"), code=303)
        except ValidationFailed as exc:
            errors = _errors(exc)
    return render_template(
        "admin/authorities.html",
        rows=services.list_authorities(),
        editing=editing,
        fields=specs,
        values=values,
        errors=errors,
    ), 422 if errors else 200


# -- outbox ------------------------------------------------------------------------------------------------------


@bp.route("/outbox")
def outbox() -> Any:
    status = request.args.get("status", "dead")
    errors: dict[str, list[str]] = {}
    rows: list[dict[str, Any]] = []
    next_cursor = None
    try:
        messages, next_cursor = outbox_services.list_messages(status or None, 50, request.args.get("cursor"))
        rows = dump_page(messages)
    except ValidationFailed as exc:
        errors = _errors(exc)
    return render_template(
        "admin/outbox.html",
        rows=rows,
        status=status,
        counts=outbox_services.outbox_counts(),
        errors=errors,
        statuses=list(outbox_services.STATUS_LABELS.items()),
        next_url=url_for(".outbox", status=status, cursor=next_cursor) if next_cursor else None,
    ), 422 if errors else 200


@bp.route("/outbox/<int:message_id>/retry", methods=["GET", "POST"])
def retry(message_id: int) -> Any:
    """Send an email again: the page says what will be sent to whom and why it failed; only its button, which
    sends `confirm`, puts the row back in the queue, and the audit page records who did it."""
    status = request.values.get("status", "dead")
    message = outbox_services.get_message(message_id)
    if request.method == "GET" or request.form.get("confirm") != "1":
        row = dump_page([message])[0]
        return render_template("admin/outbox_resend.html", m=row, status=status)
    try:
        with unit_of_work():
            resend_dead(message_id, current_user)
        flash(_("Pesan dijadwalkan untuk dikirim ulang."), "success")
    except Conflict as exc:
        flash(_(exc.message), "warning")
    return redirect(url_for(".outbox", status=status), code=303)


# -- audit -------------------------------------------------------------------------------------------------------


@bp.route("/audit")
def audit_log() -> Any:
    """Who did what: every case's history and the sign-in log, newest first, filtered, in keyset pages."""
    errors: dict[str, list[str]] = {}
    rows: list[Any] = []
    next_cursor = None
    try:
        filters = audit.parse_filters(request.args)
        rows, next_cursor = audit.audit_page(filters, request.args.get("cursor"))
    except ValidationFailed as exc:
        errors = _errors(exc)
    args = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return render_template(
        "admin/audit.html",
        rows=rows,
        values=request.args,
        errors=errors,
        kinds=list(audit.KIND_LABELS.items()),
        next_url=url_for(".audit_log", cursor=next_cursor, **args) if next_cursor else None,
        first_url=url_for(".audit_log", **args) if request.args.get("cursor") else None,
    ), 422 if errors else 200


@bp.route("/pelapor-dilihat")
def reporter_views_log() -> Any:
    """Every view of a reporter's identity (who, when, which case or report, which channel), newest first."""
    before = request.args.get("before_id", "")
    before_id = int(before) if before.isdigit() and len(before) < 11 else None
    items = reporter_views.reporter_views(limit=PAGE_OF_VIEWS + 1, before_id=before_id)
    more = len(items) > PAGE_OF_VIEWS
    items = items[:PAGE_OF_VIEWS]
    return render_template(
        "admin/reporter_views.html",
        items=items,
        next_url=url_for(".reporter_views_log", before_id=items[-1]["id"]) if more and items else None,
    )


PAGE_OF_VIEWS = 100


# -- import of historical cases ----------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
def import_cases() -> Any:
    """Upload a CSV/XLSX of historical cases: the same importer as `flask cases import`, with its row report."""
    result = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Pilih berkas CSV atau XLSX."), "danger")
        elif not upload.filename.lower().endswith((".csv", ".xlsx")):
            flash(_("Hanya berkas CSV atau XLSX."), "danger")
        else:
            with unit_of_work():
                result = import_stream(
                    upload.stream, upload.filename, actor=current_user, on_batch=lambda _p: db.session.commit()
                )
    return render_template("admin/import.html", result=result)


@bp.route("/import/template.csv")
def import_template() -> Any:
    return Response(
        import_template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=templat-impor-perkara.csv"},
    )
