"""The public dashboard `/publik` and the definitions page `/publik/definisi`: no sign-in, read from the published
release of a year (never from the cases), with ETag and Last-Modified like the files behind them."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user, login_required

from app.core.vocab import Role
from app.db import get_row, unit_of_work, valid_row_id
from app.errors import NotFound
from app.extensions import limiter, rate_limits_off
from app.index.access import MAX_YEAR, MIN_YEAR, current_year
from app.models.intake import Election
from app.public import definitions, serving
from app.public import release as releases

bp = Blueprint("public_pages", __name__, template_folder="templates")

GEO = Path(__file__).resolve().parent / "geo" / "provinces.json"
# The map's classes of on-time share (%): the lower bound of each class.
CLASSES = (0, 20, 40, 60, 80)
AGENCY_PAGE = 50


def _public_limit() -> str:
    return str(current_app.config.get("PUBLIC_RATE_LIMIT", "300 per minute"))


limiter.limit(_public_limit, exempt_when=rate_limits_off)(bp)


@cache
def province_map() -> dict[str, Any]:
    return json.loads(GEO.read_text())


def _locale() -> str:
    return str(get_locale() or "id")


def _class_of(share: float | None) -> str:
    if share is None:
        return "map-none"
    level = sum(1 for bound in CLASSES if share >= bound)
    return f"map-c{level}"


def _year_arg() -> int:
    raw = request.args.get("tahun", "")
    if raw.isdigit() and MIN_YEAR <= int(raw) <= MAX_YEAR:
        return int(raw)
    return current_year()


def _html(body: str, modified: Any) -> Any:
    """The page with an ETag of its own bytes (they hold the reader's form token, so the cache is private)."""
    response = current_app.response_class(body, mimetype="text/html")
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    if modified is not None:
        response.last_modified = modified
    response.cache_control.private = True
    response.cache_control.max_age = 60
    return response.make_conditional(request)


def _agencies(data: dict[str, Any]) -> tuple[list[dict[str, Any]], str, dict[str, Any] | None]:
    """The agencies the table shows: a province's (its government and kabupaten/kota) with ?provinsi=CODE, else the
    central agencies; and the chosen province."""
    chosen = request.args.get("provinsi", "")
    province = next((p for p in data["provinces"] if p["code"] == chosen), None)
    if province is not None:
        return [a for a in data["agencies"] if a["province_code"] == province["code"]], province["code"], province
    return [a for a in data["agencies"] if a["province_code"] is None], "", None


def _election_arg() -> int | None:
    raw = request.args.get("pemilu", "")
    return int(raw) if raw.isdigit() and valid_row_id(int(raw)) else None


@bp.route("/publik")
def dashboard() -> Any:
    """A year's figures (?tahun=), or an election's (?pemilu=, the cases linked to it); a province's agencies and
    monthly trend with ?provinsi=CODE."""
    year = _year_arg()
    election_id = _election_arg()
    locale = _locale()
    elections = [
        row["election"] for row in releases.release_elections() if releases.is_published(0, row["election_id"])
    ]
    election = None
    if election_id is not None:
        row = get_row(Election, election_id)
        election = releases.election_about(row) if row is not None else None
    scope_year, scope_election = (0, election["id"]) if election else (year, 0)
    published = releases.is_published(scope_year, scope_election)
    data = None
    served = None
    if published:
        try:
            served = serving.release_for(scope_year, None, scope_election)
        except NotFound:
            served = None
        if served is not None:
            data = serving.parsed(served)
    years = [row["year"] for row in releases.release_years() if releases.is_published(row["year"])]
    context: dict[str, Any] = {
        "year": year,
        "election": election,
        "elections": elections,
        "scope_args": {"pemilu": election["id"]} if election else {"tahun": year},
        "files": _files(year, election, data),
        "years": sorted(set(years) | {year}, reverse=True),
        "published": published,
        "data": data,
        "served": served,
        "label": lambda key: definitions.label(key, locale),
        "table_keys": definitions.TABLE,
        "count_keys": definitions.COUNTS,
        "trend_keys": definitions.TREND,
        "geo": province_map(),
        "class_of": _class_of,
        "classes": CLASSES,
        "month_names": MONTHS_EN if locale == "en" else MONTHS_ID,
    }
    if data is not None:
        agencies, chosen, province = _agencies(data)
        shares = {p["code"]: p["on_time_share"] for p in data["provinces"]}
        ranking = data["ranking"]
        trend = province["trend"] if province is not None and province.get("trend") else data["trend"]
        context.update(
            agencies=agencies,
            chosen_province=chosen,
            province=province,
            trend=trend,
            shares=shares,
            best=ranking[:10],
            worst=list(reversed(ranking[-10:])) if len(ranking) > 10 else [],
            ranked=len(ranking),
            trend_max=max([m["values"].get("recommendations_issued") for m in trend
                           if isinstance(m["values"].get("recommendations_issued"), int)] or [1]),
        )  # fmt: skip
    body = render_template("public/dashboard.html", **context)
    return _html(body, served.released_at if served else None)


def _files(year: int, election: dict[str, Any] | None, data: dict[str, Any] | None) -> dict[str, str]:
    """The URLs of the open data behind the page: latest JSON and CSV, and this version's JSON."""
    if data is None:
        return {}
    if election is not None:
        return {
            "json": url_for("public.election_json", election_id=election["id"]),
            "csv": url_for("public.election_csv", election_id=election["id"]),
            "version": url_for("public.election_version_json", election_id=election["id"], version=data["version"]),
        }
    return {
        "json": url_for("public.year_json", year=year),
        "csv": url_for("public.year_csv", year=year),
        "version": url_for("public.version_json", year=year, version=data["version"]),
    }


@bp.route("/publik/definisi")
def definitions_page() -> Any:
    locale = _locale()
    entries = [
        {
            "key": key,
            "label": definitions.label(key, locale),
            "definition": definitions.definition(key, locale),
            "method": definitions.method_anchor(key),
        }
        for key in definitions.measure_keys()
    ]
    body = render_template("public/definitions.html", entries=entries, threshold=releases.threshold())
    return _html(body, None)


@bp.route("/publik/admin", methods=["GET", "POST"])
@login_required
def publication() -> Any:
    """The administrator's switch: publish or withhold a year's public figures, with a reason; the history."""
    if current_user.role != Role.ADMIN:
        abort(403)
    errors: dict[str, str] = {}
    form = {"year": request.form.get("year", ""), "reason": request.form.get("reason", "").strip()}
    if request.method == "POST":
        year = int(form["year"]) if form["year"].isdigit() else None
        if year is None or not MIN_YEAR <= year <= MAX_YEAR:
            errors["year"] = gettext("Pilih tahun.")
        if len(form["reason"]) < 3:
            errors["reason"] = gettext("Alasan wajib diisi (minimal 3 karakter).")
        if not errors and year is not None:
            published = request.form.get("action") == "publish"
            with unit_of_work():
                releases.set_published(year, published, form["reason"], current_user.id)
            if published:
                flash(gettext("Angka publik tahun %(year)s diterbitkan.", year=year), "success")
            else:
                flash(gettext("Angka publik tahun %(year)s ditahan.", year=year), "success")
            return redirect(url_for("public_pages.publication"))
    years = sorted({row["year"] for row in releases.release_years()} | {current_year()}, reverse=True)
    rows = [
        {"year": y, "published": releases.is_published(y), "history": releases.publication_history(y)} for y in years
    ]
    status = 422 if errors else 200
    return render_template("public/publication.html", rows=rows, errors=errors, form=form), status


MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
