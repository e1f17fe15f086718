"""People pages: a person's record (`/people/<nip>`), the selection panel's check before a promotion
(`/people/check`: NIPs typed or a CSV file in, the answer on the page or as CSV/PDF) and the administrators' log of
look-ups (`/people/lookups`). Who may see what: app/cases/access.py, through app/people/services.py."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from app.core.vocab import Role
from app.db import unit_of_work
from app.errors import Forbidden, ValidationFailed
from app.people import checks, services
from app.people.rules import CHECK_RULES, DEFAULT_RULE

bp = Blueprint("people_pages", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    return None


@bp.route("/people/<nip>")
def person(nip: str) -> Any:
    with unit_of_work():
        found = services.find_person(current_user, nip)
        record = services.person_record(current_user, found)
        services.log_lookup(current_user, "view", [found.nip])
    return render_template("people/person.html", record=record)


@bp.route("/people/check", methods=["GET", "POST"])
def check() -> Any:
    if not checks.may_check(current_user):
        raise Forbidden("Hanya panitia seleksi yang dapat memeriksa rekam jejak calon.")
    rule = CHECK_RULES[DEFAULT_RULE]
    form = {"nips": "", "purpose": "", "years": str(rule.years), "format": "page"}
    errors: dict[str, list[str]] = {}
    result = None
    if request.method == "POST":
        form.update({k: request.form.get(k, "") for k in form})
        fmt = form["format"] if form["format"] in ("page", "csv", "pdf") else "page"
        nips = [line.strip() for line in form["nips"].replace(",", "\n").splitlines() if line.strip()]
        try:
            upload = request.files.get("file")
            if upload is not None and upload.filename:
                nips += checks.nips_from_csv(upload.read(checks.MAX_CSV_BYTES + 1))
            with unit_of_work():
                result = checks.run_check(current_user, nips, form["purpose"], years=form["years"] or None)
        except ValidationFailed as exc:
            errors = (exc.details or {}).get("fields", {}) or {"nips": [exc.message]}
            result = None
        if result is not None and fmt in ("csv", "pdf"):
            return checks.answer(result, fmt, current_user)
    status = 422 if errors else 200
    return render_template("people/check.html", form=form, errors=errors, result=result, rule=rule), status


@bp.route("/people/lookups")
def lookups() -> Any:
    if current_user.role != Role.ADMIN:
        raise Forbidden("Hanya administrator yang dapat melihat log pemeriksaan rekam jejak.")
    kind = request.args.get("kind") if request.args.get("kind") in ("check", "view") else None
    return render_template("people/lookups.html", items=services.all_lookups(kind), kind=kind)
