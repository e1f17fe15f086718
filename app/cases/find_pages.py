"""Finding a case from any page: the header's box (a case number opens the case, anything else searches the
list) and the case list's saved filters (save the current filter under a name, apply it from the menu, delete
it). Thin: parse → app.cases.search / app.cases.saved_filters."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.cases import saved_filters, search
from app.db import unit_of_work, valid_row_id
from app.errors import NotFound, ValidationFailed

bp = Blueprint("find_pages", __name__)
# The name typed into the save form, kept for the list page when saving was refused (the page shows it again).
SAVE_FORM_KEY = "saved_filter_form"


@bp.before_request
@login_required
def _signed_in() -> None:
    return None


@bp.route("/cari")
def jump() -> Any:
    """The header's box: a case number the user may see opens the case; a case number nobody may show them
    (unknown, or another agency's) answers the same 404 page either way; anything else is a search of the list."""
    term = request.args.get("q", "").strip()
    if not term:
        return redirect(url_for("case_pages.list_cases"))
    case = search.case_by_number(current_user, term)
    if case is not None:
        return redirect(url_for("case_pages.show_case", case_id=case.id))
    if search.looks_like_case_number(term):
        return render_template("cases/number_not_found.html", number=term.upper()), 404
    return redirect(url_for("case_pages.list_cases", q=term))


def _list_query(form: Any) -> dict[str, str]:
    keys = (*saved_filters.FILTER_KEYS, *saved_filters.ORDER_KEYS)
    return {key: form.get(key, "") for key in keys if form.get(key, "")}


@bp.route("/cases/filters", methods=["POST"])
def save_filter() -> Any:
    """Save the list's current filter (the form carries it) under the typed name, then show the list with it."""
    query = _list_query(request.form)
    name = request.form.get("name", "")
    try:
        with unit_of_work():
            row = saved_filters.save_filter(current_user.id, name, query)
            saved_name, page_query = row.name, saved_filters.query_string(row)
    except ValidationFailed as exc:
        messages = [m for ms in exc.details.get("fields", {}).values() for m in ms] or [exc.message]
        session[SAVE_FORM_KEY] = {"name": name[: saved_filters.NAME_MAX * 2], "errors": messages}
        return redirect(url_for("case_pages.list_cases", **query) + "#saved-filters")
    flash(_("Saringan “%(name)s” disimpan.", name=saved_name), "success")
    return redirect(url_for("case_pages.list_cases") + (f"?{page_query}" if page_query else ""))


@bp.route("/cases/filters/<int:filter_id>/delete", methods=["POST"])
def delete_filter(filter_id: int) -> Any:
    if not valid_row_id(filter_id):  # an id no row can have: the same 404 as every route (a stale one: a word)
        abort(404)
    try:
        with unit_of_work():
            name = saved_filters.get_filter(current_user.id, filter_id).name
            saved_filters.delete_filter(current_user.id, filter_id)
    except NotFound:
        flash(_("Saringan tersimpan tidak ditemukan."), "warning")
    else:
        flash(_("Saringan “%(name)s” dihapus.", name=name), "success")
    return redirect(url_for("case_pages.list_cases") + "#saved-filters")


@bp.app_template_global()
def saved_filter_menu() -> dict[str, Any]:
    """What the case list's saved-filter menu shows: the user's filters (name, link, id) and the save form's
    refused name and messages, if any."""
    rows = saved_filters.list_filters(current_user.id)
    items = [
        {
            "id": row.id,
            "name": row.name,
            "url": url_for("case_pages.list_cases") + (f"?{q}" if (q := saved_filters.query_string(row)) else ""),
        }
        for row in rows
    ]
    refused = session.pop(SAVE_FORM_KEY, None) or {}
    return {
        "items": items,
        "current": _list_query(request.args),
        "name": refused.get("name", ""),
        "errors": refused.get("errors", []),
    }
