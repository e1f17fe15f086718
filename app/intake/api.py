"""Intake endpoints: the forwarding channel (a Bawaslu office's account), the intake queue, the duplicate check, the
public tracking lookup, election periods and events (thin: parse, call the service, serialize)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import request, url_for
from flask_smorest import Blueprint

from app.api.security import accepts_office_key, current_api_user, require_auth, require_role
from app.cases import access, duplicates, elections, reporter_views
from app.cases.elections import CaseElectionIn, CaseElectionOut
from app.core.clock import utcnow
from app.core.vocab import Role
from app.db import on_postgresql, unit_of_work
from app.errors import NotFound, ValidationFailed
from app.intake import events, guard, services
from app.intake.schemas import (
    DuplicateCandidatesOut,
    DuplicateCheckIn,
    ElectionCasesOut,
    ElectionIn,
    ElectionListOut,
    ElectionOut,
    ForwardedReportPageOut,
    IncidentEventActionIn,
    IncidentEventActionOut,
    IncidentEventCasesIn,
    IncidentEventIn,
    IncidentEventOut,
    IntakeAcceptIn,
    IntakeAttachIn,
    IntakeBatchIn,
    IntakeBatchOut,
    IntakeFileOut,
    IntakeQueueOut,
    IntakeQueueQuery,
    IntakeRefuseIn,
    IntakeReportIn,
    IntakeReportOut,
    IntakeSubmittedOut,
    PublicReportIn,
    PublicReportOut,
    PublicReportTokenOut,
    TrackingOut,
)

blp = Blueprint(
    "intake", __name__, description="Laporan masuk (Bawaslu, masyarakat), kode lacak, duplikat, peristiwa, pemilihan"
)
SECURITY = [{"bearerAuth": []}]
# The forwarder endpoints: a bearer token, or a forwarding office's API key (app/auth/office_keys.py).
OFFICE_SECURITY = [{"bearerAuth": []}, {"officeApiKey": []}]
SENDERS = (Role.FORWARDER, Role.INVESTIGATOR, Role.COMMISSIONER)
STAFF = (Role.INVESTIGATOR, Role.COMMISSIONER)
READERS = (Role.INVESTIGATOR, Role.COMMISSIONER, Role.ADMIN)


def _json_body() -> Any:
    return request.get_json(silent=False)


def _body_doc(schema: Any) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _channel(user: Any) -> str:
    return "forwarder" if access.may_forward(user) else "staff"


def _submitted(report: Any, created: bool) -> dict[str, Any]:
    view = services.tracking_of(report)
    return {
        "id": report.id,
        "tracking_code": report.tracking_code,
        "status": view["status"],
        "status_label": view["status_label"],
        "duplicate_of_ref": not created,
    }


@blp.route("/intake/reports", methods=["POST"])
@blp.doc(security=OFFICE_SECURITY, requestBody=_body_doc(IntakeReportIn))
@blp.response(201, IntakeSubmittedOut)
@blp.alt_response(
    200, schema=IntakeSubmittedOut, description="external_ref yang sama sudah dikirim: laporan yang pertama"
)
@require_role(*SENDERS)
@accepts_office_key
def submit(**_: Any) -> Any:
    """Forward a report (a Bawaslu office) or log one (investigator, commissioner): it waits in the intake queue
    with a tracking code. The same `external_ref` from the same office again answers the first report (200)."""
    user = current_api_user()
    with unit_of_work():
        report, created = services.submit_report(_json_body(), channel=_channel(user), sender=user)
        out = _submitted(report, created)
    return out, (201 if created else 200)


@blp.route("/intake/reports/batch", methods=["POST"])
@blp.doc(security=OFFICE_SECURITY, requestBody=_body_doc(IntakeBatchIn))
@blp.response(201, IntakeBatchOut)
@require_role(*SENDERS)
@accepts_office_key
def submit_batch(**_: Any) -> dict[str, Any]:
    """Up to 500 reports in one request: each is taken or refused on its own (`items[i].errors`), in one
    transaction; an `external_ref` sent before answers its first report."""
    user = current_api_user()
    body = services.load(IntakeBatchIn(), _json_body(), "Data kiriman tidak valid.")
    items: list[dict[str, Any]] = []
    with unit_of_work():
        results = services.submit_reports(body["items"], channel=_channel(user), sender=user)
        for index, (report, _created, error) in enumerate(results):
            if error is None and report is not None:
                items.append({"index": index, "id": report.id, "tracking_code": report.tracking_code, "errors": None})
            else:
                fields = error.details.get("fields") if error is not None else None
                items.append({"index": index, "id": None, "tracking_code": None, "errors": fields})
    created = sum(1 for i in items if i["errors"] is None)
    return {"created": created, "refused": len(items) - created, "items": items}


@blp.route("/intake/reports/<id:report_id>/files", methods=["POST"])
@blp.doc(
    security=OFFICE_SECURITY,
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                    "required": ["file"],
                }
            }
        }
    },
)
@blp.response(201, IntakeFileOut(many=True))
@require_role(*SENDERS)
@accepts_office_key
def add_files(report_id: int) -> list[dict[str, Any]]:
    """Evidence files of a waiting report (its office, or the authority's staff): the same checks as a case's
    files (type by content, size, ZIP bombs), at most 5 per report."""
    user = current_api_user()
    rows = []
    try:
        with unit_of_work():
            report = services.report_for(user, report_id)
            rows = services.add_files(report, request.files.getlist("file"), user)
            out = [
                {"id": r.id, "filename": r.filename, "size": r.size, "sha256": r.sha256, "content_type": r.content_type}
                for r in rows
            ]
    except Exception:
        services.discard_files(rows)
        raise
    return out


@blp.route("/intake/forwarded")
@blp.doc(security=OFFICE_SECURITY)
@blp.arguments(IntakeQueueQuery(only=("limit", "cursor")), location="query")
@blp.response(200, ForwardedReportPageOut)
@require_role(Role.FORWARDER)
@accepts_office_key
def forwarded(args: dict[str, Any]) -> dict[str, Any]:
    """Every report this office forwarded, newest first, each with its status in plain words (received, being
    verified, recommendation issued, followed up, closed) and, when refused, the reason: nothing else of a case."""
    items, cursor = services.forwarded_page(current_api_user(), args["limit"], args.get("cursor"))
    return {"items": items, "next_cursor": cursor}


@blp.route("/intake/queue")
@blp.doc(security=SECURITY)
@blp.arguments(IntakeQueueQuery(), location="query")
@blp.response(200, IntakeQueueOut)
@require_role(*READERS)
def queue(args: dict[str, Any]) -> dict[str, Any]:
    """The intake queue: reports waiting for a decision (or those of `status`), oldest first."""
    user = current_api_user()
    items, cursor = services.queue_page(user, args.get("status"), args["limit"], args.get("cursor"))
    with unit_of_work():  # the reporters shown, logged (one statement)
        reporter_views.log_report_views(user, items, "intake_api")
    return {"items": items, "next_cursor": cursor}


@blp.route("/intake/reports/<id:report_id>")
@blp.doc(security=SECURITY)
@blp.response(200, IntakeReportOut)
@require_role(*READERS)
def report(report_id: int) -> dict[str, Any]:
    """A report in full for the authority's staff, with its likely duplicates while it waits."""
    user = current_api_user()
    out = services.report_out(services.report_for(user, report_id))
    with unit_of_work():  # the reporter shown, logged
        reporter_views.log_report_views(user, [out], "intake_api")
    return out


@blp.route("/intake/reports/<id:report_id>/verify", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.response(200, IntakeReportOut)
@require_role(*STAFF)
def verify(report_id: int) -> dict[str, Any]:
    """Start verifying: the sender reads "being verified"."""
    user = current_api_user()
    with unit_of_work():
        report = services.start_verifying(services.report_for(user, report_id), user)
        out = services.report_out(report, with_duplicates=False)
        reporter_views.log_report_views(user, [out], "intake_api")
    return out


@blp.route("/intake/reports/<id:report_id>/accept", methods=["POST"])
@blp.doc(security=SECURITY, requestBody=_body_doc(IntakeAcceptIn))
@blp.response(201, IntakeReportOut)
@require_role(*STAFF)
def accept(report_id: int) -> dict[str, Any]:
    """Accept the report as a new case. Likely duplicates answer 409 `possible_duplicates` (`details.candidates`)
    unless `allow_duplicates` is true, which creates the case and records the override."""
    user = current_api_user()
    with unit_of_work():
        report = services.report_for(user, report_id)
        services.accept(report, request.get_json(silent=True) or {}, user)
        out = services.report_out(report, with_duplicates=False)
        reporter_views.log_report_views(user, [out], "intake_api")
    return out


@blp.route("/intake/reports/<id:report_id>/attach", methods=["POST"])
@blp.doc(security=SECURITY, requestBody=_body_doc(IntakeAttachIn))
@blp.response(200, IntakeReportOut)
@require_role(*STAFF)
def attach(report_id: int) -> dict[str, Any]:
    """Attach the report to an existing case (the same act reported again)."""
    user = current_api_user()
    with unit_of_work():
        report = services.report_for(user, report_id)
        services.attach(report, _json_body(), user)
        out = services.report_out(report, with_duplicates=False)
        reporter_views.log_report_views(user, [out], "intake_api")
    return out


@blp.route("/intake/reports/<id:report_id>/refuse", methods=["POST"])
@blp.doc(security=SECURITY, requestBody=_body_doc(IntakeRefuseIn))
@blp.response(200, IntakeReportOut)
@require_role(*STAFF)
def refuse(report_id: int) -> dict[str, Any]:
    """Refuse the report: `reason` is what its sender reads; `internal_note` stays with the staff."""
    user = current_api_user()
    with unit_of_work():
        report = services.report_for(user, report_id)
        services.refuse(report, _json_body(), user)
        out = services.report_out(report, with_duplicates=False)
        reporter_views.log_report_views(user, [out], "intake_api")
    return out


@blp.route("/intake/duplicates", methods=["POST"])
@blp.doc(security=SECURITY, requestBody=_body_doc(DuplicateCheckIn))
@blp.response(200, DuplicateCandidatesOut)
@require_role(*READERS)
def check_duplicates() -> dict[str, Any]:
    """Likely duplicates of a report or a new case before saving it: the same NIP, the same name in the same
    agency, a similar description within 3 days of the date (pg_trgm on PostgreSQL, shared words on SQLite)."""
    clean = services.load(DuplicateCheckIn(), _json_body(), "Data pemeriksaan duplikat tidak valid.")
    items = duplicates.find_duplicates(
        nip=clean["nip"],
        name=clean["name"],
        agency_id=clean["agency_id"],
        summary=clean["summary"],
        occurred_on=clean["occurred_on"],
    )
    method = "pg_trgm" if on_postgresql() else "words"
    return {"items": items, "method": method}


@blp.route("/tracking/<code>")
@blp.response(200, TrackingOut)
@blp.alt_response(404, response="NOT_FOUND")
def track(code: str) -> dict[str, Any]:
    """The status of a report by its tracking code, in plain words, for its sender (no sign-in): received, being
    verified, recommendation issued, followed up, closed (with the reason when refused); nothing confidential.
    A wrong, malformed or unknown code answers the same 404; too many from one address answer 429."""
    with unit_of_work():  # a miss is counted (guessing is limited), and committed before the 404
        view = services.lookup(code, request.remote_addr or "unknown")
    if view is None:
        raise NotFound(services.NOT_FOUND)
    return view


# -- the public channel by API ----------------------------------------------------------------------------------------

PUBLIC_TOKEN_HEADER = "X-Report-Token"  # noqa: S105 - a header's name, not a secret


@blp.route("/public/reports/token")
@blp.response(200, PublicReportTokenOut)
def public_report_token() -> dict[str, Any]:
    """A time token for one public report (no sign-in): send it back in the header `X-Report-Token` of
    `POST /api/v1/public/reports`, no sooner than `not_before` (a few seconds: a script posting at once is refused)
    and before `expires_at`. The same guard as the form `/lapor`, without a CAPTCHA."""
    now = utcnow()
    return {
        "token": guard.issue_form_token(),
        "header": PUBLIC_TOKEN_HEADER,
        "not_before": now + timedelta(seconds=guard.setting("INTAKE_FORM_MIN_SECONDS")),
        "expires_at": now + timedelta(seconds=guard.setting("INTAKE_FORM_MAX_SECONDS")),
    }


def _public_body() -> Any:
    """The report: the JSON body, or in a multipart request the part `report` (JSON text) beside the files."""
    if request.mimetype == "multipart/form-data":
        try:
            return json.loads(request.form.get("report") or "")
        except ValueError as exc:
            message = "Bagian `report` harus berisi laporan dalam JSON."
            raise ValidationFailed(message, details={"fields": {"report": [message]}}) from exc
    return _json_body()


@blp.route("/public/reports", methods=["POST"])
@blp.doc(
    parameters=[
        {
            "in": "header",
            "name": PUBLIC_TOKEN_HEADER,
            "required": True,
            "schema": {"type": "string"},
            "description": "token dari GET /api/v1/public/reports/token",
        }
    ],
    requestBody={
        "required": True,
        "content": {
            "application/json": {"schema": PublicReportIn},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "report": {"type": "string", "description": "laporan dalam JSON (isian yang sama)"},
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                    "required": ["report"],
                }
            },
        },
    },
)
@blp.response(201, PublicReportOut)
@blp.alt_response(429, description="Terlalu banyak laporan dari alamat ini (Retry-After)")
@blp.alt_response(422, description="Isian tidak valid, atau token laporan tidak ada, terlalu cepat atau kedaluwarsa")
def public_report() -> Any:
    """A report from the public (no sign-in), with the fields of the form `/lapor`: the reported civil servant,
    the agency (picked or typed), the event, up to 5 evidence files (multipart, the case form's checks), and the
    reporter's name and contact — optional, read by the authority's staff alone, never answered back. Guarded like
    the form: the time token (`X-Report-Token`) and `INTAKE_PUBLIC_PER_HOUR` reports per address an hour (429 with
    `Retry-After`). Answers the tracking code."""
    guard.check_api_token(request.headers.get(PUBLIC_TOKEN_HEADER, ""))
    with unit_of_work():  # counted and committed whatever the report's fate: the limit is per submission
        guard.count_submission(request.remote_addr or "unknown")
    body = _public_body()
    services.load(PublicReportIn(), body)  # the public fields only: a register number or an election is refused
    rows: list[Any] = []
    try:
        with unit_of_work():
            report, _created = services.submit_report(body, channel="public")
            rows = services.add_files(report, request.files.getlist("file"))
            view = services.tracking_of(report)
            out = {
                "tracking_code": report.tracking_code,
                "status": view["status"],
                "status_label": view["status_label"],
                "tracking_url": url_for("intake_pages.track", code=report.tracking_code, _external=True),
                "files": len(rows),
            }
    except Exception:
        services.discard_files(rows)
        raise
    return out, 201


# -- elections ---------------------------------------------------------------------------------------------------


@blp.route("/elections")
@blp.doc(security=SECURITY)
@blp.response(200, ElectionListOut)
@require_role(*READERS)
def list_elections() -> dict[str, Any]:
    """Election periods (Pemilu, Pilkada serentak) with their stages, newest first."""
    return {"items": events.list_elections()}


@blp.route("/elections", methods=["POST"])
@blp.doc(security=SECURITY, requestBody=_body_doc(ElectionIn))
@blp.response(201, ElectionOut)
@require_role(Role.ADMIN)
def create_election() -> dict[str, Any]:
    """Add an election period with its stages (administrator)."""
    with unit_of_work():
        election = events.create_election(_json_body(), current_api_user())
        out = events.election_out(election)
    return out


@blp.route("/elections/<id:election_id>/cases")
@blp.doc(security=SECURITY)
@blp.response(200, ElectionCasesOut)
@require_role(*READERS)
def election_cases(election_id: int) -> dict[str, Any]:
    """The cases linked to an election, each with its status and its PPK's follow-up."""
    return {"cases": events.election_cases(election_id)}


@blp.route("/cases/<id:case_id>/election", methods=["PUT"])
@blp.doc(security=SECURITY, requestBody=_body_doc(CaseElectionIn))
@blp.response(200, CaseElectionOut)
@require_auth
def link_election(case_id: int) -> dict[str, Any]:
    """Link a neutrality case to an election (or unlink it with null): investigator, commissioner. A change is one
    history row (`election_linked`); 422 naming `election_id` for an unknown election or a case that is not a
    neutrality case."""
    user = current_api_user()
    with unit_of_work():
        case = access.get_case_for(user, case_id)  # 404 for a case the caller may not see, then 403
        out = elections.link_election(case, _json_body(), user)
    return out


# -- events: one act, many civil servants ---------------------------------------------------------------------------


@blp.route("/events", methods=["POST"])
@blp.doc(security=SECURITY, requestBody=_body_doc(IncidentEventIn))
@blp.response(201, IncidentEventOut)
@require_role(*STAFF)
def create_event() -> dict[str, Any]:
    """An event (a rally, a post, a meeting) grouping the cases of several civil servants."""
    user = current_api_user()
    with unit_of_work():
        event = events.create_event(_json_body(), user)
        out = events.event_out(event)
    return out


@blp.route("/events/<id:event_id>")
@blp.doc(security=SECURITY)
@blp.response(200, IncidentEventOut)
@require_role(*READERS)
def get_event(event_id: int) -> dict[str, Any]:
    """The event and each case: status, recommendation letter, deadline and the PPK's follow-up."""
    return events.event_out(events.event_for(event_id))


@blp.route("/events/<id:event_id>/cases", methods=["POST"])
@blp.doc(security=SECURITY, requestBody=_body_doc(IncidentEventCasesIn))
@blp.response(200, IncidentEventOut)
@require_role(*STAFF)
def add_event_cases(event_id: int) -> dict[str, Any]:
    """Add cases to the event."""
    user = current_api_user()
    with unit_of_work():
        event = events.add_cases(events.event_for(event_id), _json_body(), user)
        out = events.event_out(event)
    return out


@blp.route("/events/<id:event_id>/actions", methods=["POST"])
@blp.doc(security=SECURITY, requestBody=_body_doc(IncidentEventActionIn))
@blp.response(200, IncidentEventActionOut)
@require_role(*STAFF)
def event_action(event_id: int) -> dict[str, Any]:
    """Draft or issue the recommendation of every case of the event at once: one recommendation per case, each
    through the case's workflow (four eyes kept: a case whose draft is the caller's is skipped, with the reason)."""
    user = current_api_user()
    with unit_of_work():
        event = events.event_for(event_id)
        done, skipped = events.group_action(event, _json_body(), user)
        out = {"done": done, "skipped": skipped, "event": events.event_out(event)}
    return out
