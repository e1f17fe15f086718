"""Case endpoints (DESIGN §7): thin — parse, call the service or the workflow, serialize."""

from __future__ import annotations

from typing import Any

import orjson
from flask import current_app, request, send_file
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from app.api.openapi import file_response
from app.api.reads import read_only
from app.api.security import current_api_caller, current_api_user, require_auth, require_role
from app.cases import access, attachments, duplicates, idempotency, listing, outcomes, reporter_views, services
from app.cases.downloads import bundle_response, export_response
from app.cases.schemas import (
    AttachmentOut,
    CaseOut,
    CasePageOut,
    CaseQuerySchema,
    CaseUpdateSchema,
    HistoryOut,
    NewCaseSchema,
    ReporterViewPageOut,
    WorkflowOut,
    transition_request_doc,
)
from app.core.vocab import Role
from app.db import MAX_ROW_ID, unit_of_work
from app.errors import ValidationFailed
from workflows import fire
from workflows.transitions import table_as_data

blp = Blueprint("cases", __name__, description="Perkara, tindakan (transisi), riwayat dan berkas bukti")
SECURITY = [{"bearerAuth": []}]


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=False)  # malformed JSON → 400 malformed_json
    if not isinstance(data, dict):
        raise ValidationFailed("Badan permintaan harus berupa objek JSON.")
    return data


@blp.route("/cases")
@blp.doc(security=SECURITY)
@blp.arguments(CaseQuerySchema(), location="query")
@blp.response(200, CasePageOut)
@require_auth
@read_only
def list_cases(args: dict[str, Any]) -> dict[str, Any]:
    """List the cases visible to the caller, newest first (keyset pagination with `cursor`)."""
    items, next_cursor = listing.list_cases(current_api_caller(), args, args["limit"], args.get("cursor"))
    # Serialized directly (same shape and ISO 8601 dates as CasePageOut): the hot path skips marshmallow's dump;
    # orjson writes the page, dates included, in one C call.
    body = orjson.dumps({"items": items, "next_cursor": next_cursor})
    return current_app.response_class(body, mimetype="application/json")


IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "kunci pilihan klien (1-200 karakter terbaca): permintaan kedua dengan kunci yang sama dari "
    "pengguna yang sama mengembalikan perkara yang pertama (header Idempotent-Replayed: true), tidak pernah "
    "perkara kedua, juga bila keduanya tiba bersamaan; disimpan 7 hari",
}


@blp.route("/cases", methods=["POST"])
@blp.doc(
    security=SECURITY,
    parameters=[IDEMPOTENCY_HEADER],
    requestBody={"required": True, "content": {"application/json": {"schema": NewCaseSchema}}},
)
@blp.response(201, CaseOut)
@require_auth
def create_case() -> Any:
    """Log a new case (investigator, commissioner). With `Idempotency-Key`, the same key again returns the first
    case. Likely duplicates (`POST /api/v1/intake/duplicates` shows them before saving) do not stop it: the case
    is created and the override recorded, their number in the `X-Possible-Duplicates` header."""
    user = current_api_user()
    key = idempotency.key_from(request.headers)
    if key is not None and (done := idempotency.case_of(key, user)) is not None:
        return idempotency.replay(services.case_detail(done, user))
    body = _json_body()
    try:
        with unit_of_work():
            claimed = idempotency.claim(key, user) if key is not None else None
            candidates = duplicates.for_payload(body)
            case = services.create_case(body, user)
            if claimed is not None:
                claimed.case_id = case.id
            duplicates.record_override(candidates, user, case_id=case.id)
            # The answer is built before the commit: a write is acknowledged only with what was committed, and a
            # connection lost after the commit cannot turn a stored write into an error the client would retry.
            detail = services.case_detail(case, user)
    except IntegrityError:  # the same key, sent a moment earlier, holds the claim: answer its case
        if key is None or (done := idempotency.case_of(key, user)) is None:
            raise
        return idempotency.replay(services.case_detail(done, user))
    return detail, 201, {"X-Possible-Duplicates": str(len(candidates))}


@blp.route("/cases/<id:case_id>")
@blp.doc(security=SECURITY)
@blp.response(200, CaseOut)
@require_auth
@read_only
def get_case(case_id: int) -> dict[str, Any]:
    user = current_api_user()
    case = access.get_case_for(user, case_id)
    detail = services.case_detail(case, user)
    with unit_of_work():  # the view of the reporter's identity, logged (one INSERT; autocommit on PostgreSQL)
        reporter_views.log_case_view(user, case, "api")
    return detail


@blp.route("/cases/<id:case_id>", methods=["PATCH"])
@blp.doc(
    security=SECURITY, requestBody={"required": True, "content": {"application/json": {"schema": CaseUpdateSchema}}}
)
@blp.response(200, CaseOut)
@require_auth
def update_case(case_id: int) -> dict[str, Any]:
    """Edit the report before the recommendation is issued; send `version`."""
    user = current_api_user()
    with unit_of_work():
        case = services.update_case(access.get_case_for(user, case_id), _json_body(), user)
        detail = services.case_detail(case, user)  # before the commit (see create_case)
        reporter_views.log_case_view(user, case, "api")
    return detail


@blp.route("/cases/<id:case_id>/transitions", methods=["POST"])
@blp.doc(
    security=SECURITY,
    requestBody={"required": True, "content": {"application/json": {"schema": transition_request_doc()}}},
)
@blp.response(200, CaseOut)
@require_auth
def transition(case_id: int) -> dict[str, Any]:
    """Fire an event: `{event, version, ...payload}`; 409 invalid_transition / version_conflict, 403, 422."""
    user = current_api_user()
    body = _json_body()
    event = body.pop("event", None)
    version = body.pop("version", None)
    fields: dict[str, list[str]] = {}
    if not isinstance(event, str) or not event:
        fields["event"] = ["Wajib diisi."]
    if not isinstance(version, int) or isinstance(version, bool):
        fields["version"] = ["Wajib diisi (bilangan bulat versi perkara)."]
    if fields:
        raise ValidationFailed("Data tindakan tidak valid.", details={"fields": fields})
    with unit_of_work():
        case = access.get_case_for(user, case_id)
        fire(case, event, user, body, expected_version=version)  # flushes
        detail = services.case_detail(case, user)  # before the commit (see create_case)
        reporter_views.log_case_view(user, case, "api")
    return detail


@blp.route("/cases/<id:case_id>/history")
@blp.doc(security=SECURITY)
@blp.response(200, HistoryOut)
@require_auth
@read_only
def history(case_id: int) -> dict[str, Any]:
    user = current_api_user()
    case = access.get_case_for(user, case_id)
    return {"items": services.case_history(case, user)}


@blp.route("/cases/<id:case_id>/attachments", methods=["POST"])
@blp.doc(
    security=SECURITY,
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "purpose": {"type": "string", "enum": sorted(attachments.UPLOAD_PURPOSES)},
                    },
                    "required": ["file"],
                }
            }
        }
    },
)
@blp.response(201, AttachmentOut)
@require_auth
def upload(case_id: int) -> dict[str, Any]:
    user = current_api_user()
    purpose = request.form.get("purpose") or ("evidence" if user.is_kasn else "follow_up")
    with unit_of_work():
        case = access.get_case_for(user, case_id)
        attachment = attachments.add_attachment(case, request.files.get("file"), user, purpose)  # type: ignore[arg-type]
        out = attachments.attachment_out(attachment)  # before the commit (see create_case)
    return out


@blp.route("/cases/<id:case_id>/attachments")
@blp.doc(security=SECURITY)
@blp.response(200, AttachmentOut(many=True))
@require_auth
def list_attachments(case_id: int) -> list[dict[str, Any]]:
    user = current_api_user()
    case = access.get_case_for(user, case_id)
    return [attachments.attachment_out(a) for a in attachments.visible_attachments(case, user)]


@blp.route("/attachments/<id:attachment_id>")
@blp.doc(
    security=SECURITY,
    responses={
        "200": file_response(
            "Isi berkas, sebagai lampiran (jenisnya ditentukan dari isinya saat diunggah)",
            attachments.ALLOWED_TYPES,
            Digest={"description": "sha-256=<hex> dari isi berkas", "required": True, "schema": {"type": "string"}},
        )
    },
)
@blp.alt_response(404, response="NOT_FOUND")
@require_auth
def download(attachment_id: int) -> Any:
    attachment, path = attachments.attachment_for(current_api_user(), attachment_id)
    response = send_file(
        path, mimetype=attachment.content_type, as_attachment=True, download_name=attachment.filename, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"  # evidence must not stay in browser or proxy caches
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Digest"] = f"sha-256={attachment.sha256}"
    return response


@blp.route("/workflow")
@blp.response(200, WorkflowOut)
def workflow_table() -> dict[str, Any]:
    """The transition table (states, events, roles, payload fields) as data."""
    return {"transitions": table_as_data()}


@blp.route("/cases/export")
@blp.doc(
    security=SECURITY,
    parameters=[{"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "xlsx"]}}],
    responses={
        "200": file_response(
            "CSV atau XLSX, dialirkan (streamed)",
            ["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
        )
    },
)
@blp.arguments(CaseQuerySchema(), location="query")
@require_auth
def export(args: dict[str, Any]) -> Any:
    """The filtered case list as CSV or XLSX, streamed (the reporter only for KASN roles)."""
    return export_response(args, current_api_user(), request.args.get("format"))


@blp.route("/cases/<id:case_id>/bundle")
@blp.doc(
    security=SECURITY,
    responses={"200": file_response("ZIP berkas perkara dengan manifest sha256", ["application/zip"])},
)
@require_auth
def bundle(case_id: int) -> Any:
    """The evidence bundle of a case (KASN roles): summary PDF, timeline, letters, files, manifest."""
    user = current_api_user()
    return bundle_response(access.get_case_for(user, case_id), user)


# -- views of a reporter's identity (app/cases/reporter_views.py) ----------------------------------------------------


@blp.route("/reporter-views")
@blp.doc(
    security=SECURITY,
    parameters=[
        {"name": "case_id", "in": "query", "schema": {"type": "integer"}, "description": "Hanya perkara ini"},
        {"name": "before_id", "in": "query", "schema": {"type": "integer"}, "description": "Halaman berikutnya"},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
    ],
)
@blp.response(200, ReporterViewPageOut)
@require_role(Role.ADMIN)
def list_reporter_views() -> dict[str, Any]:
    """Every view of a reporter's identity by the authority's staff (who, when, which case or intake report,
    which channel), newest first (administrators)."""
    values: dict[str, int | None] = {}
    errors: dict[str, list[str]] = {}
    for name, default, top in (("case_id", None, MAX_ROW_ID), ("before_id", None, MAX_ROW_ID), ("limit", 100, 500)):
        raw = request.args.get(name, "")
        if raw == "":
            values[name] = default
        elif raw.isdigit() and 1 <= int(raw) <= top:
            values[name] = int(raw)
        else:
            errors[name] = [f"Harus bilangan bulat 1–{top}."]
    if errors:
        raise ValidationFailed("Parameter tidak valid.", details={"fields": errors})
    limit = values["limit"] or 100
    items = reporter_views.reporter_views(case_id=values["case_id"], limit=limit + 1, before_id=values["before_id"])
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_before_id": items[-1]["id"] if more and items else None}


# -- outcomes: blocks of personnel data/services in SIASN (app/cases/outcomes.py) -----------------------------------


@blp.route("/cases/<id:case_id>/blocks")
@blp.doc(security=SECURITY)
@blp.response(200, outcomes.DataBlockListOut)
@require_auth
@read_only
def list_blocks(case_id: int) -> dict[str, Any]:
    """The blocks of the reported civil servant's data/services asked for in this case (outsiders: no staff names
    or internal notes)."""
    user = current_api_user()
    return {"items": outcomes.case_blocks(access.get_case_for(user, case_id), user)}


@blp.route("/cases/<id:case_id>/blocks", methods=["POST"])
@blp.doc(
    security=SECURITY,
    requestBody={"required": True, "content": {"application/json": {"schema": outcomes.DataBlockIn}}},
)
@blp.response(201, outcomes.DataBlockOut)
@require_auth
def record_block(case_id: int) -> dict[str, Any]:
    """Record a block of the reported civil servant's personnel data and/or services in SIASN (Peraturan BKN
    1/2023) asked for by the oversight authority (investigator, commissioner): an event of the case's history, not
    a change of its status; 409 while another block of the recommendation is in force."""
    user = current_api_user()
    with unit_of_work():
        case = access.get_case_for(user, case_id)
        outcomes.require_staff(user)  # 404 for a case the caller may not see, then 403, then the body
        block = outcomes.record_block(case, _json_body(), user)
        out = outcomes.blocks_out([block], user)[0]  # before the commit (see create_case)
    return out


@blp.route("/cases/<id:case_id>/blocks/<id:block_id>/lift", methods=["POST"])
@blp.doc(
    security=SECURITY,
    requestBody={"required": True, "content": {"application/json": {"schema": outcomes.DataBlockLiftIn}}},
)
@blp.response(200, outcomes.DataBlockOut)
@require_auth
def lift_block(case_id: int, block_id: int) -> dict[str, Any]:
    """Record that a block was lifted, with the letter that lifted it (investigator, commissioner); 409 when it
    was lifted already."""
    user = current_api_user()
    with unit_of_work():
        case = access.get_case_for(user, case_id)
        outcomes.require_staff(user)
        block = outcomes.lift_block(case, block_id, _json_body(), user)
        out = outcomes.blocks_out([block], user)[0]
    return out
