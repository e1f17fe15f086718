"""Pages of work that finds its owner: "Antrean saya" (`/antrean`), reassigning a case, bulk actions on the
case list's selection, and editing the report before issue in the browser (what `PATCH /api/v1/cases/<id>` edits,
with its version). Thin: parse → service (app/cases/queue.py, assignment.py, bulk.py, services.update_case)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.cases import access, assignment, bulk, elections, page_context, page_errors, queue, services
from app.cases.downloads import export_response
from app.core.states import CaseStatus
from app.db import db, unit_of_work
from app.errors import Conflict, Forbidden, ValidationFailed, VersionConflict
from app.models.cases import Case
from app.web.schema_forms import field_errors, form_payload, form_values, spread_errors

bp = Blueprint("work_pages", __name__)
QUEUE_PAGE = 25
# The report's fields the edit page offers: the new-case form's, less the agency (fixed once logged) and who
# handles the case (changed with a reason on its own page).
NOT_EDITED = frozenset({"agency_id", "assignee_id"})


@bp.before_request
@login_required
def _signed_in() -> None:
    return None


# -- the queue -----------------------------------------------------------------------------------------------------


@bp.route("/antrean")
def my_queue() -> Any:
    """What waits for me and why, most urgent first; "Berikutnya" follows the keyset cursor."""
    cursor = request.args.get("cursor") or None
    try:
        items, next_cursor = queue.my_queue(current_user, QUEUE_PAGE, cursor)
    except ValidationFailed:
        return redirect(url_for(".my_queue"))
    return render_template(
        "cases/queue.html",
        items=items,
        next_url=url_for(".my_queue", cursor=next_cursor) if next_cursor else None,
        first_url=url_for(".my_queue") if cursor else None,
        near_days=queue.NEAR_DAYS,
    )


# -- reassignment --------------------------------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/assignee", methods=["GET", "POST"])
def reassign(case_id: int) -> Any:
    case = access.get_case_for(current_user, case_id)  # 404 for a case the user may not see
    if not assignment.may_assign(current_user):
        abort(403)
    values: dict[str, Any] = {"assignee_id": str(case.assignee_id or ""), "team": case.team or ""}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("assignee_id", "team", "reason")}
        raw = values["assignee_id"]
        data: dict[str, Any] = {
            "assignee_id": int(raw) if raw.isdecimal() and len(raw) < 11 else raw or None,
            "reason": values["reason"],
        }
        if values["team"].strip():
            data["team"] = values["team"]
        try:
            with unit_of_work():
                assignment.assign_case(access.get_case_for(current_user, case_id), data, current_user)
            flash(_("Perkara %(number)s dialihkan.", number=case.number), "success")
            return redirect(url_for("case_pages.show_case", case_id=case_id), code=303)
        except ValidationFailed as exc:
            errors = field_errors(exc.details.get("fields") or {"_schema": [exc.message]})
        case = access.get_case_for(current_user, case_id)
    return render_template(
        "cases/assignee.html",
        case=case,
        current=services.case_detail(case, current_user).get("assignee"),
        staff=assignment.staff_choices(),
        values=values,
        errors=errors,
    ), (422 if errors else 200)


# -- a neutrality case's election -----------------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/election", methods=["POST"])
def link_election(case_id: int) -> Any:
    """The case page's "Pemilihan" form: link the neutrality case to the election chosen, or unlink it (empty)."""
    case = access.get_case_for(current_user, case_id)  # 404 for a case the user may not see
    if not access.may_triage(current_user):
        abort(403)
    raw = request.form.get("election_id", "").strip()
    chosen: Any = int(raw) if raw.isdecimal() and len(raw) < 11 else (raw or None)
    try:
        with unit_of_work():
            out = elections.link_election(case, {"election_id": chosen}, current_user)
    except ValidationFailed as exc:
        messages = (exc.details.get("fields") or {}).get("election_id") or [exc.message]
        flash(" ".join(_(message) for message in messages), "danger")
        return redirect(url_for("case_pages.show_case", case_id=case_id), code=303)
    if out["election_id"] is None:
        flash(_("Perkara %(number)s tidak lagi dikaitkan dengan pemilihan.", number=case.number), "success")
    else:
        flash(_("Perkara %(number)s dikaitkan dengan pemilihan.", number=case.number), "success")
    return redirect(url_for("case_pages.show_case", case_id=case_id), code=303)


# -- bulk actions --------------------------------------------------------------------------------------------------


@bp.route("/cases/bulk", methods=["POST"])
def bulk_action() -> Any:
    """The case list's selection: export it, or assign / start the review of each case, then say per case what was
    done and what was not, and why."""
    raw_ids = request.form.getlist("case_ids")
    data: dict[str, Any] = {
        "action": request.form.get("action", ""),
        "case_ids": [int(v) for v in raw_ids if v.isdecimal() and len(v) < 11],
    }
    assignee = request.form.get("assignee_id", "")
    if data["action"] == bulk.ASSIGN:
        data["assignee_id"] = int(assignee) if assignee.isdecimal() and len(assignee) < 11 else None
        data["reason"] = request.form.get("reason") or None
    errors: dict[str, list[str]] = {}
    result: dict[str, Any] | None = None
    try:
        bulk.require_role(data["action"], current_user)
        clean = bulk.load_bulk(data)
        if clean["action"] == bulk.EXPORT:
            return export_response(
                select(Case).where(Case.id.in_(clean["case_ids"])), current_user, "csv", chosen=clean["case_ids"]
            )
        with unit_of_work():
            result = bulk.run_bulk(clean, current_user)
    except ValidationFailed as exc:
        errors = field_errors(exc.details.get("fields") or {"_schema": [exc.message]})
    except Forbidden:
        abort(403)
    return render_template(
        "cases/bulk_result.html",
        result=result,
        errors=errors,
        action_label=_(bulk.ACTION_LABELS.get(data["action"], "")) if data["action"] in bulk.ACTION_LABELS else "",
        back_url=request.form.get("back") if (request.form.get("back") or "").startswith("/cases") else None,
    ), (422 if errors else 200)


# -- editing the report before issue -------------------------------------------------------------------------------


def edit_fields() -> list[Any]:
    return [spec for spec in page_context.new_case_fields(current_user) if spec.name not in NOT_EDITED]


def _current_values(case: Case) -> dict[str, Any]:
    """The case's report as the form shows it (the field names of the new-case form)."""
    return {
        "category": case.category,
        "subcategory": case.subcategory or "",
        "source": case.source,
        "occurred_on": case.occurred_on.isoformat(),
        "summary": case.summary,
        "reported_person.name": case.reported_name,
        "reported_person.nip": case.reported_nip,
        "reported_person.position": case.reported_position or "",
        "reporter.name": case.reporter_name or "",
        "reporter.contact": case.reporter_contact or "",
    }


def _changes(case: Case, payload: dict[str, Any]) -> dict[str, Any]:
    """What the submitted form changes: the fields whose value differs from the case's (a group — the reported
    person, the reporter — is sent whole when one of its fields changed), so that the history names only them.
    An optional field emptied (the form leaves it out of the payload) is sent as cleared."""
    current = _current_values(case)
    changed: dict[str, Any] = {}
    for name in ("subcategory", "reporter"):
        had = any(current[k] for k in current if k == name or k.startswith(f"{name}."))
        if name not in payload and had:
            changed[name] = None
    for key, value in payload.items():
        if isinstance(value, dict):
            inner = {*value, *(k.split(".", 1)[1] for k in current if k.startswith(f"{key}."))} - {"pppk"}
            differs = any(_same_text(k, value.get(k)) != _same_text(k, current.get(f"{key}.{k}")) for k in inner)
            if differs or value.get("pppk"):
                changed[key] = value
        elif str(value if value is not None else "") != str(current.get(key, "")):
            changed[key] = value
    return changed


def _same_text(key: str, value: Any) -> str:
    """A value as compared for a change: a NIP without the spaces it may be typed with."""
    text = str(value or "").strip()
    return text.replace(" ", "") if key == "nip" else text


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
def edit_case(case_id: int) -> Any:
    """The report before issue, with the version the form was read at: a change made meanwhile by someone else
    comes back as a conflict in words (what changed, by whom, when) with the typed text kept (409)."""
    case = access.get_case_for(current_user, case_id)
    if not access.may_create_case(current_user):  # the authority's case staff, as PATCH /cases/<id>
        abort(403)
    specs = edit_fields()
    if request.method == "GET":
        if CaseStatus(case.status) not in services.EDITABLE_STATUSES:
            flash(_("Perkara hanya dapat diubah sebelum rekomendasi diterbitkan."), "warning")
            return redirect(url_for("case_pages.show_case", case_id=case.id))
        return _edit_page(case, specs, _current_values(case), {}, case.version)
    values = form_values(request.form)
    version = request.form.get("version", "")
    errors: dict[str, list[str]] = {}
    try:
        if not version.isdecimal():
            raise ValidationFailed("Versi perkara tidak ada; muat ulang halaman.")
        with unit_of_work():
            case = access.get_case_for(current_user, case_id)
            payload = _changes(case, form_payload(specs, request.form))
            services.update_case(case, {**payload, "version": int(version)}, current_user)
        flash(_("Data perkara %(number)s disimpan.", number=case.number), "success")
        return redirect(url_for("case_pages.show_case", case_id=case_id), code=303)
    except ValidationFailed as exc:
        errors = spread_errors(field_errors(exc.details.get("fields") or {"_schema": [exc.message]}), specs)
    except (VersionConflict, StaleDataError, Conflict) as exc:
        db.session.rollback()
        case = access.get_case_for(current_user, case_id)
        if page_errors.is_edit_conflict(exc, case, version):
            conflict = page_errors.edit_conflict(case, None, current_user)
            conflict["still_allowed"] = CaseStatus(case.status) in services.EDITABLE_STATUSES
            return _edit_page(case, specs, values, {}, case.version, conflict=conflict), 409
        errors = {"_schema": [page_errors.refusal_words(exc, case, None)]}
    db.session.rollback()
    case = access.get_case_for(current_user, case_id)
    return _edit_page(case, specs, values, errors, version), 422


def _edit_page(case: Case, specs: list[Any], values: dict[str, Any], errors: dict[str, Any], version: Any,
               conflict: dict[str, Any] | None = None) -> str:  # fmt: skip
    return render_template(
        "cases/edit.html", case=case, fields=specs, values=values, errors=errors, version=version, conflict=conflict
    )
