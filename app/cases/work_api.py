"""Work that finds its owner, over the API: "Antrean saya" (`GET /api/v1/me/queue`), reassigning a case
(`POST /api/v1/cases/<id>/assignee`) and bulk actions on a selection (`POST /api/v1/cases/bulk`). Thin: parse,
call the service, serialize; the services are app/cases/queue.py, assignment.py and bulk.py."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from app.api.openapi import file_response
from app.api.reads import read_only
from app.api.security import current_api_caller, current_api_user, require_auth
from app.cases import access, assignment, bulk, queue
from app.cases.downloads import EXPORT_FORMATS, export_response
from app.cases.schemas import CaseSummaryOut
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.db import unit_of_work
from app.errors import ValidationFailed
from app.models.cases import Case

blp = Blueprint("work", __name__, description="Antrean kerja, penanggung jawab perkara dan tindakan massal")
SECURITY = [{"bearerAuth": []}]


class QueueQuerySchema(Schema):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(metadata={"description": "next_cursor halaman sebelumnya"})


class QueueItemOut(CaseSummaryOut):
    case_id = fields.Integer(metadata={"description": "id perkara (sama dengan id)"})
    reason = fields.String(metadata={"enum": list(queue.REASON_LABELS)})
    reason_label = fields.String(metadata={"description": "mengapa perkara ini menunggu Anda, dalam kata-kata"})
    reason_detail = fields.String(metadata={"description": "sisa atau lewat hari kerja, tingkat eskalasi"})
    working_days_left = fields.Integer(allow_none=True)
    working_days_late = fields.Integer(allow_none=True)


class QueuePageOut(Schema):
    items = fields.List(fields.Nested(QueueItemOut))
    next_cursor = fields.String(allow_none=True)


@blp.route("/me/queue")
@blp.doc(security=SECURITY)
@blp.arguments(QueueQuerySchema(), location="query")
@blp.response(200, QueuePageOut)
@require_auth
@read_only
def my_queue(args: dict[str, Any]) -> dict[str, Any]:
    """What waits for the caller and why, most urgent first (deadline, then escalation level); keyset pages."""
    items, next_cursor = queue.my_queue(current_api_caller(), args["limit"], args.get("cursor"))
    return {"items": items, "next_cursor": next_cursor}


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=False)  # malformed JSON → 400 malformed_json
    if not isinstance(data, dict):
        raise ValidationFailed("Badan permintaan harus berupa objek JSON.")
    return data


@blp.route("/cases/<id:case_id>/assignee", methods=["POST"])
@blp.doc(
    security=SECURITY,
    requestBody={"required": True, "content": {"application/json": {"schema": assignment.AssigneeIn}}},
)
@blp.response(200, assignment.AssigneeOut)
@require_auth
def reassign(case_id: int) -> dict[str, Any]:
    """Give the case to another investigator (investigator, signing official), with a reason: a row of the case's
    history; the status and the version do not change."""
    user = current_api_user()
    with unit_of_work():
        case = access.get_case_for(user, case_id)  # 404 for a case the caller may not see, then 403, then the body
        case = assignment.assign_case(case, _json_body(), user)
        out = assignment.assignment_out(case)  # before the commit (see app/cases/api.py create_case)
    return out


@blp.route("/cases/bulk", methods=["POST"])
@blp.doc(
    security=SECURITY,
    requestBody={"required": True, "content": {"application/json": {"schema": bulk.BulkIn}}},
    responses={
        "200": {
            "description": "assign, start_review: per perkara, yang berhasil (`done`) dan yang gagal beserta "
            "alasannya (`failed`); export: berkas CSV atau XLSX perkara yang dipilih dan terlihat",
            "content": {
                "application/json": {"schema": bulk.BulkOut},
                **file_response("", EXPORT_FORMATS.values())["content"],
            },
        }
    },
)
@require_auth
def bulk_action(**_: Any) -> Any:
    """Assign, start the review of, or export a selection of cases (1–100); each case through the workflow in its
    own savepoint, each failure reported with its reason in words."""
    user = current_api_user()
    body = _json_body()
    bulk.require_role(body.get("action"), user)  # 403 for a role that may not, before the body's other fields
    clean = bulk.load_bulk(body)
    if clean["action"] == bulk.EXPORT:
        return export_response(
            select(Case).where(Case.id.in_(clean["case_ids"])), user, clean["format"], chosen=clean["case_ids"]
        )
    with unit_of_work():
        result = bulk.run_bulk(clean, user)
    return bulk.BulkOut().dump(result)
