"""IM-NKK pages: the ranking with its bar chart, an agency's page with its trend, the cases behind an
indicator, the self-assessment forms, and the CSV / XLSX exports."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from app.cases.elections import NOT_FOUND, check_election, election_choices, election_ref
from app.core.vocab import CASE_STAFF, Role
from app.db import unit_of_work
from app.errors import DomainError, Forbidden, ValidationFailed
from app.i18n import format_number
from app.index import charts, services
from app.index.method import current_method
from app.index.scoring import INDICATORS
from app.index.stages import STAGE_LABELS, Stage
from app.web.filters import current_locale

bp = Blueprint("index", __name__, template_folder="templates")

INDICATOR_LABELS = {key: label for key, label, _ in INDICATORS}
RANKING_CHART_LIMIT = 30
RANKING_PAGE_SIZE = 50  # rows of the ranking table per page (649 agencies were one 422 KB page)


@bp.before_request
@login_required
def _signed_in() -> None:
    return None


def _year_arg(default: int | None = None) -> int:
    raw = request.args.get("year")
    if raw is None or raw == "":
        return default or services.current_year()
    if not raw.isdigit():
        raise ValidationFailed("Tahun tidak sah.")
    return services.check_year(int(raw))


def _live_arg() -> bool:
    return request.args.get("live") in ("1", "true", "ya") and services.is_kasn(current_user)


@bp.route("/index")
def ranking() -> Any:
    year = _year_arg()
    if current_user.role == Role.PPK:
        return redirect(url_for("index.agency", year=year, agency_id=current_user.agency_id))
    if not services.can_see_ranking(current_user):
        raise Forbidden("Peran Anda tidak berwenang melihat indeks.")
    if request.args.get("election_id"):
        return _election_view(year)
    result = services.get_index(year, live=_live_arg())
    kind = request.args.get("kind") or ""
    items = [i for i in result["items"] if not kind or i.get("agency_kind") == kind]
    method = current_method()
    shown = [i for i in items if i["rank"] is not None][:RANKING_CHART_LIMIT]
    chart = charts.ranking_bars(
        shown, max_score=method.max_score, title=f"Peringkat IM-NKK {year}: skor dari {method.max_score:.0f}",
        number=lambda value, digits: format_number(value, digits, locale=current_locale()),
    )  # fmt: skip
    query = (request.args.get("q") or "").strip()[:100]
    found = [i for i in items if _matches(i, query)] if query else items
    can_freeze = current_user.role == Role.COMMISSIONER and (
        not result["frozen"] or result["method_version"] != method.version
    )
    pages = max(1, -(-len(found) // RANKING_PAGE_SIZE))
    page = min(_page_arg(), pages)
    return render_template(
        "index/ranking.html",
        result=result,
        items=found[(page - 1) * RANKING_PAGE_SIZE : page * RANKING_PAGE_SIZE],
        total=len(found),
        page=page,
        pages=pages,
        first_row=(page - 1) * RANKING_PAGE_SIZE + 1,
        query=query,
        chart=chart,
        chart_count=len(shown),
        year=year,
        years=services.available_years(),
        kind=kind,
        can_freeze=can_freeze,
        live=_live_arg(),
        method=method,
        history=services.freeze_history(year),
        elections=election_choices(),
    )


def _election_view(year: int) -> Any:
    """The ranking's election filter: the case-based penegakan sub-criterion of the election's cases per agency,
    from live data (app/index/elections.py); the year's frozen snapshot is neither read nor changed."""
    raw = request.args.get("election_id", "").strip()
    if not (raw.isdecimal() and len(raw) < 11):
        raise ValidationFailed(NOT_FOUND, details={"fields": {"election_id": [NOT_FOUND]}})
    result = services.election_enforcement(current_user, year, int(raw))
    return render_template(
        "index/election.html",
        result=result,
        year=year,
        years=services.available_years(),
        elections=election_choices(),
        can_see_cases=current_user.role != Role.OVERSEER,
    )


def _page_arg() -> int:
    """The ranking table's page: 1 when missing or not a page number."""
    raw = request.args.get("page") or ""
    return max(1, int(raw)) if raw.isdecimal() and len(raw) <= 6 else 1


def _matches(item: dict[str, Any], query: str) -> bool:
    """The agency's name or code holds every word of `query` (case ignored)."""
    text = f"{item.get('agency_name') or ''} {item.get('agency_code') or ''}".casefold()
    return all(word in text for word in query.casefold().split())


@bp.route("/index/<int:year>/agencies/<int:agency_id>")
def agency(year: int, agency_id: int) -> Any:
    detail = services.agency_detail(current_user, year, agency_id, live=_live_arg())
    trend = charts.trend_line(detail["trend"], title=f"Tren indeks {detail['agency_name']}")
    return render_template(
        "index/agency.html",
        detail=detail,
        ended_on=date.fromisoformat(detail["ended_on"]) if detail.get("ended_on") else None,
        trend_chart=trend,
        year=year,
        can_see_cases=current_user.role != Role.OVERSEER,
        can_see_self_assessment=current_user.role != Role.OVERSEER,
        method=current_method(),
    )


@bp.route("/index/<int:year>/agencies/<int:agency_id>/cases/<indicator>")
def indicator_cases(year: int, agency_id: int, indicator: str) -> Any:
    raw = request.args.get("election_id", "").strip()
    if raw and not (raw.isdecimal() and len(raw) < 11):
        raise ValidationFailed(NOT_FOUND, details={"fields": {"election_id": [NOT_FOUND]}})
    page = services.indicator_cases(
        current_user, year, agency_id, indicator, cursor=services.check_cursor(request.args.get("cursor")),
        limit=200, live=_live_arg(), election_id=int(raw) if raw else None,
    )  # fmt: skip
    detail_name = services.agency_name(agency_id)
    return render_template(
        "index/cases.html",
        page=page,
        label=INDICATOR_LABELS.get(indicator, indicator),
        agency_name=detail_name,
        year=year,
        agency_id=agency_id,
        election=election_ref(check_election(page["election_id"])) if page["election_id"] else None,
    )


@bp.route("/index/<int:year>/snapshot", methods=["GET", "POST"])
def freeze(year: int) -> Any:
    """Freezing a year asks first (commissioner): the page says what will be published, and only its button, which
    sends `confirm`, freezes; a POST without it shows the same page. The API freezes at once (its caller decided)."""
    if current_user.role != Role.COMMISSIONER:
        raise Forbidden(gettext("Hanya komisioner yang dapat membekukan (menetapkan) indeks."))
    if request.method == "GET" or request.form.get("confirm") != "1":
        preview = services.freeze_preview(year)
        history = services.freeze_history(year)
        return render_template("index/freeze_confirm.html", year=year, preview=preview, history=history)
    with unit_of_work():
        snapshot = services.freeze_year(year, current_user)
        count, version = len(snapshot.data["items"]), snapshot.method_version
    flash(gettext("Indeks %(year)s dibekukan untuk %(n)s instansi (metode %(method)s).", year=year, n=count,
                  method=version), "success")  # fmt: skip
    return redirect(url_for("index.ranking", year=year), code=303)


@bp.route("/index/<int:year>/snapshot/lift", methods=["GET", "POST"])
def lift(year: int) -> Any:
    """An administrator lifts the year's freeze with a reason, kept in the year's history (who, when, why)."""
    if current_user.role != Role.ADMIN:
        raise Forbidden(gettext("Hanya administrator yang dapat mencabut pembekuan indeks."))
    errors: dict[str, list[str]] = {}
    reason = request.form.get("reason") or ""
    if request.method == "POST":
        try:
            with unit_of_work():
                snapshot = services.lift_freeze(year, current_user, reason)
                version = snapshot.method_version
            flash(gettext("Pembekuan indeks %(year)s (metode %(method)s) dicabut; hasilnya kini dihitung dari data "
                          "terkini.", year=year, method=version), "success")  # fmt: skip
            return redirect(url_for("index.ranking", year=year), code=303)
        except ValidationFailed as exc:
            errors = {key: [gettext(m) for m in messages] for key, messages in exc.details["fields"].items()}
    snapshot = services.latest_snapshot(year)
    if snapshot is None:
        flash(gettext("Indeks %(year)s tidak sedang dibekukan.", year=year), "warning")
        return redirect(url_for("index.ranking", year=year), code=303)
    page = render_template(
        "index/lift.html", year=year, snapshot=snapshot, reason=reason, errors=errors,
        history=services.freeze_history(year),
    )  # fmt: skip
    return page, 422 if errors else 200


def _export_items(year: int) -> tuple[dict[str, Any], list[list[Any]]]:
    if not services.can_see_ranking(current_user):
        raise Forbidden("Peran Anda tidak berwenang mengunduh peringkat.")
    result = services.get_index(year, live=_live_arg())
    return result, services.export_rows(result["items"])


@bp.route("/index/<int:year>/export.csv")
def export_csv(year: int) -> Response:
    result, rows = _export_items(year)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in services.EXPORT_COLUMNS])
    writer.writerows(rows)
    response = Response(buffer.getvalue().encode("utf-8-sig"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="im-nkk-{year}.csv"'
    return response


@bp.route("/index/<int:year>/export.xlsx")
def export_xlsx(year: int) -> Any:
    from openpyxl import Workbook  # deferred: openpyxl takes ~0.13 s to import and only this download uses it

    result, rows = _export_items(year)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"IM-NKK {year}"
    sheet.append([c.header for c in services.EXPORT_COLUMNS])
    for row in rows:
        sheet.append(row)
    info = workbook.create_sheet("Metode")
    info.append(["Tahun", year])
    info.append(["Versi metode", result["method_version"]])
    info.append(["Dibekukan", "ya" if result["frozen"] else "tidak"])
    info.append(["Data per", result["as_of"].isoformat()])
    info.append(["Skor", "rata-rata berbobot keempat kriteria (20/30/40/10) x 300 / 100; indeks = skor / 300"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return send_file(
        buffer,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"im-nkk-{year}.xlsx",
    )


# --- self-assessment -------------------------------------------------------------------------------------


def _score_field(name: str) -> float | None:
    raw = (request.form.get(name) or "").strip().replace(",", ".")
    if raw == "":
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise ValidationFailed("Nilai harus angka 0-100.", details={"fields": {name: ["harus angka"]}}) from exc


def _apply(action: str, year: int, agency_id: int) -> str:  # noqa: C901 - one branch per form action
    user = current_user
    sub = request.form.get("subcriterion", "")
    if action == "save":
        services.save_answer(
            user, agency_id, year, sub, self_score=_score_field("self_score"), answer=request.form.get("answer")
        )
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            services.store_evidence(user, agency_id, year, sub, upload.stream, upload.filename)
        return "Jawaban disimpan."
    if action == "submit":
        moved = services.submit(user, agency_id, year)
        return f"{moved} jawaban diajukan untuk verifikasi."
    if action == "verify":
        services.verify(
            user, agency_id, year, sub, verified_score=_score_field("verified_score"), note=request.form.get("note")
        )
        return "Verifikasi disimpan."
    if action == "clarify":
        services.request_clarification(user, agency_id, year, sub, question=request.form.get("question") or "")
        return "Permintaan klarifikasi dikirim."
    if action == "respond":
        services.answer_clarification(
            user, agency_id, year, sub, answer=request.form.get("answer") or "", self_score=_score_field("self_score")
        )
        return "Jawaban klarifikasi dikirim."
    if action == "decide":
        moved = services.decide(user, agency_id, year)
        return f"Hasil pleno ditetapkan untuk {moved} jawaban."
    raise ValidationFailed("Tindakan tidak dikenal.")


@bp.route("/index/<int:year>/agencies/<int:agency_id>/self-assessment", methods=["GET", "POST"])
def self_assessment(year: int, agency_id: int) -> Any:
    status = 200
    if request.method == "POST":
        try:
            with unit_of_work():
                message = _apply(request.form.get("action", ""), year, agency_id)
            flash(message, "success")
            return redirect(url_for("index.self_assessment", year=year, agency_id=agency_id))
        except ValidationFailed as exc:
            flash(_error_text(exc), "danger")
            status = 422
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            flash(_error_text(exc), "danger")
            status = exc.status
    answers = services.list_answers(current_user, agency_id, year)
    return (
        render_template(
            "index/self_assessment.html",
            answers=answers,
            year=year,
            agency_id=agency_id,
            agency_name=services.agency_name(agency_id),
            stage_labels=STAGE_LABELS,
            Stage=Stage,
            role=current_user.role,
            can_edit=current_user.role == Role.PPK,
            can_verify=current_user.role in CASE_STAFF,
            can_decide=current_user.role == Role.COMMISSIONER,
            allowed=", ".join(services.ALLOWED_EVIDENCE),
        ),
        status,
    )


def _error_text(exc: DomainError) -> str:
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    if fields:
        detail = "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in fields.items())
        return f"{exc.message} ({detail})"
    return exc.message


@bp.route("/index/<int:year>/agencies/<int:agency_id>/self-assessment/<subcriterion>/evidence")
def evidence(year: int, agency_id: int, subcriterion: str) -> Any:
    path, row = services.evidence_file(current_user, agency_id, year, subcriterion)
    response = send_file(
        path, mimetype=row.evidence_content_type or "application/octet-stream", as_attachment=True,
        download_name=row.evidence_filename or "bukti",
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response
