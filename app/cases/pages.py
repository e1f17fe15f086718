"""Case pages: home (the work at a glance), list, new case, case page, event forms, evidence upload and download
(thin: parse → service)."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from app.cases import (
    access,
    assignment,
    attachments,
    confirmation,
    duplicates,
    form_tokens,
    listing,
    page_context,
    page_errors,
    reporter_views,
    services,
)
from app.cases.downloads import bundle_response, export_response
from app.cases.elections import election_choices
from app.cases.home import home_context
from app.cases.schemas import CaseQuerySchema
from app.core.states import CaseEvent, CaseStatus
from app.core.vocab import Category, Role
from app.db import db, unit_of_work
from app.errors import Conflict, Forbidden, ValidationFailed, too_large_response
from app.letters.register import case_letters, letter_pdf
from app.web.schema_forms import field_errors, form_payload, form_values, spread_errors

bp = Blueprint("case_pages", __name__)
PAGE_SIZE = 25
FILTER_KEYS = ("status", "category", "agency_id", "election_id", "overdue", "escalated", "q")
# The forms that take a file: one refused for its size comes back with the limit said (`_too_large`).
TOO_LARGE_FORMS = frozenset({"case_pages.case_event", "case_pages.upload"})


@bp.before_request
@login_required
def _signed_in() -> None:
    return None


@bp.route("/")
def home() -> Any:
    return render_template("home.html", **home_context(current_user))


@bp.route("/cases")
def list_cases() -> Any:
    """The visible cases, most urgent open work first or sorted by a column (`sort`, `dir`), numbered pages
    (`page`; listing.sort_order says why the page is not keyset-paginated like the API)."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k in FILTER_KEYS and v != ""}
    sort, descending, page = _sorting(request.args)
    errors: dict[str, list[str]] = {}
    try:
        filters = CaseQuerySchema().load(args)
    except ValidationError as exc:
        errors = field_errors(exc.messages)
        filters = {}
    items: list[dict[str, Any]] = []
    has_more = False
    if not errors:
        try:
            items, has_more = listing.list_page(
                current_user, filters, sort=sort, descending=descending, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
            )
        except ValidationFailed as exc:
            errors = field_errors(exc.details.get("fields") or {"_schema": [exc.message]})
    order: dict[str, Any] = {} if sort == listing.URGENCY else {"sort": sort, "dir": "desc" if descending else "asc"}

    def page_url(number: int) -> str:
        return url_for(".list_cases", **{**args, **order, **({"page": number} if number > 1 else {})})

    return render_template(
        "cases/list.html",
        items=items,
        filters=args,
        errors=errors,
        statuses=list(CaseStatus),
        sorting={"key": sort, "descending": descending, "links": _sort_links(args, sort, descending)},
        page=page,
        next_url=page_url(page + 1) if has_more else None,
        previous_url=page_url(page - 1) if page > 1 else None,
        first_url=page_url(1) if page > 2 else None,
        agencies=page_context.agency_choices(current_user),
        categories=[c.value for c in Category],
        elections=election_choices(),
        may_create=access.may_create_case(current_user),
        bulk_staff=assignment.staff_choices() if assignment.may_assign(current_user) else None,
    ), (422 if errors else 200)


MAX_PAGE = 100_000


def _sorting(query: Any) -> tuple[str, bool, int]:
    """The page's `sort` (a column of listing.SORT_KEYS; anything else: most urgent first), its direction
    (`dir=asc|desc`, else the column's own first direction) and the page number (1 when missing or not one)."""
    sort = query.get("sort", "")
    if sort not in listing.SORT_FIRST_DESCENDING:
        sort = listing.URGENCY
    direction = query.get("dir", "")
    descending = direction == "desc" if direction in ("asc", "desc") else listing.SORT_FIRST_DESCENDING.get(sort, False)
    raw = query.get("page", "")
    page = int(raw) if raw.isdecimal() and 0 < len(raw) <= 6 else 1
    return sort, descending, min(max(page, 1), MAX_PAGE)


def _sort_links(args: dict[str, Any], sort: str, descending: bool) -> dict[str, dict[str, Any]]:
    """Per sortable column: the link its header carries (the other direction once it sorts the list) and its
    `aria-sort` value (None when it does not sort the list)."""
    links = {}
    for key, first_descending in listing.SORT_FIRST_DESCENDING.items():
        active = key == sort
        desc = (not descending) if active else first_descending
        links[key] = {
            "url": url_for(".list_cases", **args, sort=key, dir="desc" if desc else "asc"),
            "aria": ("descending" if descending else "ascending") if active else None,
        }
    return links


@bp.route("/cases/export.<fmt>")
def export_cases(fmt: str) -> Any:
    """The list's current filters as a CSV or XLSX download (same service as GET /api/v1/cases/export)."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k in FILTER_KEYS and v != ""}
    try:
        filters = CaseQuerySchema().load(args)
    except ValidationError:
        flash(_("Saring daftar dengan nilai yang sah sebelum mengekspor."), "danger")
        return redirect(url_for(".list_cases", **args))
    return export_response(filters, current_user, fmt)


@bp.route("/cases/<int:case_id>/bundle")
def case_bundle(case_id: int) -> Any:
    """The case's evidence bundle (ZIP with a sha256 manifest) for KASN staff."""
    case = access.get_case_for(current_user, case_id)
    return bundle_response(case, current_user)


@bp.route("/cases/new", methods=["GET", "POST"])
def new_case() -> Any:
    if not access.may_create_case(current_user):
        abort(403)
    specs = page_context.new_case_fields(current_user)
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    token = request.form.get(form_tokens.FIELD, "")  # one per form: sent twice, it shows the case it created
    usable = form_tokens.usable(token, current_user)
    if request.method == "POST":
        values = form_values(request.form)
        if usable and (done := form_tokens.case_of(token, current_user)) is not None:
            return _already_created(done)
        payload = form_payload(specs, request.form)
        # Likely duplicates are shown before saving; saving anyway is a box to tick, and is recorded.
        candidates = duplicates.for_payload(payload)
        if candidates and request.form.get("allow_duplicates") != "1":
            return render_template(
                "cases/new.html", fields=specs, values=values, errors={}, token=token, duplicates=candidates
            ), 409
        try:
            with unit_of_work():
                claimed = form_tokens.claim(token, current_user) if usable else None
                case = services.create_case(payload, current_user)
                if claimed is not None:
                    claimed.case_id = case.id
                duplicates.record_override(candidates, current_user, case_id=case.id)
            flash(_("Perkara %(number)s dicatat.", number=case.number), "success")
            return redirect(url_for(".show_case", case_id=case.id), code=303)
        except ValidationFailed as exc:
            errors = spread_errors(field_errors(exc.details.get("fields") or {"_schema": [exc.message]}), specs)
        except IntegrityError:  # the same form, sent a moment earlier, holds the token: show its case
            if (done := form_tokens.case_of(token, current_user)) is not None:
                return _already_created(done)
            raise
    if not usable:
        token = form_tokens.new_token()
    status = 422 if errors else 200
    return render_template("cases/new.html", fields=specs, values=values, errors=errors, token=token), status


def _already_created(case: Any) -> Any:
    flash(
        _(
            "Formulir ini sudah dikirim sebelumnya: perkara %(number)s telah dicatat dari formulir ini, dan tidak "
            "dicatat dua kali.",
            number=case.number,
        ),
        "info",
    )
    return redirect(url_for(".show_case", case_id=case.id), code=303)


@bp.route("/cases/<int:case_id>")
def show_case(case_id: int) -> Any:
    case = access.get_case_for(current_user, case_id)
    page = render_template(
        "cases/detail.html",
        **page_context.case_page(case, current_user),
        letters=case_letters(case),
        preview_types=attachments.PREVIEW_TYPES,
        reporter_views=admin_views_of(case),
    )
    with unit_of_work():  # the view of the reporter's identity, logged (staff only, when the case has one)
        reporter_views.log_case_view(current_user, case, "page")
    return page


def admin_views_of(case: Any) -> list[dict[str, Any]] | None:
    """The views of the case's reporter, for an administrator (None: the section is not shown)."""
    if current_user.role != Role.ADMIN:
        return None
    return reporter_views.reporter_views(case_id=case.id, limit=50)


@bp.route("/cases/<int:case_id>/letters/<key>.pdf")
def case_letter(case_id: int, key: str) -> Any:
    """A letter of the case (recommendation, escalation), for whoever may see the case (app/letters/register.py)."""
    case = access.get_case_for(current_user, case_id)
    content, filename = letter_pdf(case, key)
    response = send_file(
        io.BytesIO(content), mimetype="application/pdf", as_attachment=False, download_name=filename, max_age=0
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cases/<int:case_id>/events/<event>", methods=["GET", "POST"])
def case_event(case_id: int, event: str) -> Any:
    if event not in CaseEvent._value2member_map_:
        abort(404)
    case = access.get_case_for(current_user, case_id)  # the writers lock the case row themselves (lock_case)
    form = page_context.event_form(event)
    if request.method == "GET":
        if event not in page_context.allowed(case, current_user):
            flash(_("Tindakan ini tidak tersedia untuk perkara ini saat ini."), "warning")
            return redirect(url_for(".show_case", case_id=case.id))
        return render_template("cases/event.html", case=case, form=form, values={}, errors={}, version=case.version)
    try:
        if form.irreversible and request.form.get(page_context.CONFIRM_FIELD) != "1":
            return _confirmation(case, form)
        page_context.apply_event(case, form, request.form, request.files, current_user)
        flash(_("Tindakan \u201c%(label)s\u201d berhasil.", label=form.label), "success")
        return redirect(url_for(".show_case", case_id=case_id), code=303)
    except ValidationFailed as exc:
        errors = field_errors(exc.details.get("fields") or {"_schema": [exc.message]})
    except (Conflict, Forbidden, StaleDataError) as exc:
        return _refused(case_id, form, exc)
    db.session.rollback()
    case = access.get_case_for(current_user, case_id)
    return render_template(
        "cases/event.html",
        case=case,
        form=form,
        values=form_values(request.form),
        errors=errors,
        version=request.form.get("version", case.version),
    ), 422


def _confirmation(case: Any, form: Any) -> Any:
    """An irreversible event asks first: its page says what will happen, and its button sends the same form again,
    confirmed ("Ubah isian" goes back to the form with what was typed)."""
    if form.event not in page_context.allowed(case, current_user):
        refusal = Conflict("Tindakan ini tidak tersedia untuk perkara ini saat ini.")
        if page_errors.is_edit_conflict(refusal, case, request.form.get("version")):
            return _refused(case.id, form, refusal)  # the case moved on since the form: say how, keep the text
        flash(_("Tindakan ini tidak tersedia untuk perkara ini saat ini."), "warning")
        return redirect(url_for(".show_case", case_id=case.id), code=303)
    values = form_values(request.form)
    version = request.form.get("version", case.version)
    if request.form.get("edit"):
        return render_template("cases/event.html", case=case, form=form, values=values, errors={}, version=version)
    payload = confirmation.checked_payload(CaseEvent(form.event), form.fields, request.form)
    facts = confirmation.facts(case, CaseEvent(form.event), payload, current_user)
    carried = confirmation.carried_values(request.form, form.fields)
    return render_template("cases/event_confirm.html", case=case, form=form, facts=facts, carried=carried)


def _refused(case_id: int, form: Any, exc: Exception) -> Any:
    """A refused event keeps what was typed: an edit conflict says what changed and by whom (409), another
    refusal says its rule in words (403 or 409)."""
    db.session.rollback()
    case = access.get_case_for(current_user, case_id)
    values = form_values(request.form)
    if page_errors.is_edit_conflict(exc, case, request.form.get("version")):
        conflict = page_errors.edit_conflict(case, form.event, current_user)
        page = render_template(
            "cases/event.html", case=case, form=form, values=values, errors={}, version=case.version, conflict=conflict
        )
        return page, 409
    errors = {"_schema": [page_errors.refusal_words(exc, case, form.event)]}
    version = request.form.get("version", case.version)
    page = render_template("cases/event.html", case=case, form=form, values=values, errors=errors, version=version)
    return page, 403 if isinstance(exc, Forbidden) else 409


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Any:
    """An upload over the size limit stays on its form, says the limit in MB and keeps what was typed (the text
    fields are read, the files thrown away); the case is looked up as for any page (404 for another agency)."""
    if not current_user.is_authenticated or request.endpoint not in TOO_LARGE_FORMS:
        return too_large_response(exc)
    message = page_errors.too_large_message()
    values = page_errors.typed_fields()
    case = access.get_case_for(current_user, request.view_args["case_id"])  # type: ignore[index]
    if request.endpoint == "case_pages.upload":
        context = {
            **page_context.case_page(case, current_user),
            "upload_error": message,
            "reporter_views": admin_views_of(case),
        }
        page = render_template("cases/detail.html", **context)
        with unit_of_work():
            reporter_views.log_case_view(current_user, case, "page")
        return page, 413
    form = page_context.event_form(request.view_args["event"])  # type: ignore[index]
    errors = {spec.name: [message] for spec in form.fields if spec.widget == "file"} or {"_schema": [message]}
    version = values.get("version", case.version)
    page = render_template(
        "cases/event.html", case=case, form=form, values=form_values(values), errors=errors, version=version
    )
    return page, 413


@bp.route("/cases/<int:case_id>/attachments", methods=["POST"])
def upload(case_id: int) -> Any:
    try:
        with unit_of_work():
            case = access.get_case_for(current_user, case_id)
            attachment = attachments.add_attachment(case, request.files.get("file"), current_user, "evidence")  # type: ignore[arg-type]
        flash(_("Berkas %(name)s diunggah.", name=attachment.filename), "success")
    except ValidationFailed as exc:
        flash(page_context.message_of(exc), "danger")
    except Forbidden as exc:
        flash(page_context.message_of(exc), "danger")
    return redirect(url_for(".show_case", case_id=case_id, _anchor="berkas"), code=303)


@bp.route("/attachments/<int:attachment_id>/preview")
def preview(attachment_id: int) -> Any:
    """A PDF or an image shown in the page, to who may see it (app/cases/attachments.py preview_response)."""
    return attachments.preview_response(current_user, attachment_id)


@bp.route("/attachments/<int:attachment_id>")
def download(attachment_id: int) -> Any:
    attachment, path = attachments.attachment_for(current_user, attachment_id)
    response = send_file(
        path, mimetype=attachment.content_type, as_attachment=True, download_name=attachment.filename, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store"
    return response
