"""`GET /api/v1/me/notifications` (the caller's notices, newest first, keyset pages, the unread count) and
`POST /api/v1/me/notifications/read` (some or all read)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.api.security import current_api_user, require_auth
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_cursor
from app.db import MAX_ROW_ID, unit_of_work
from app.inbox import services

blp = Blueprint("notifications", __name__, description="Notifikasi pengguna (lonceng)")
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


class NoticeSchema(Schema):
    id = fields.Int()
    kind = fields.Str(
        metadata={
            "description": "draft_waiting, recommendation_issued, acknowledged, clarification_requested, "
            "clarification_answered, follow_up_reported, follow_up_accepted, follow_up_rejected, "
            "deadline_extended, escalated, case_assigned, case_reassigned"
        }
    )
    label = fields.Str(metadata={"description": "Apa yang terjadi, dalam bahasa Indonesia"})
    detail = fields.Str(metadata={"description": "Keterangan singkat (level dan kementerian eskalasi) atau kosong"})
    case_id = fields.Int()
    case_number = fields.Str()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    unread = fields.Bool()


class NoticeQuerySchema(Schema):
    unread = fields.Bool(load_default=False, metadata={"description": "Hanya yang belum dibaca"})
    limit = fields.Int(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.Str(
        validate=keyset_cursor(max_id=MAX_ROW_ID), metadata={"description": "next_cursor halaman sebelumnya"}
    )


class NoticePageSchema(Schema):
    items = fields.List(fields.Nested(NoticeSchema))
    unread_count = fields.Int()
    next_cursor = fields.Str(allow_none=True)


class MarkReadSchema(Schema):
    ids = fields.List(
        fields.Int(validate=validate.Range(min=1, max=MAX_ROW_ID)),
        validate=validate.Length(min=1, max=MAX_LIMIT),
        metadata={"description": "Notifikasi yang ditandai sudah dibaca"},
    )
    all = fields.Bool(load_default=False, metadata={"description": "Tandai semua yang belum dibaca"})

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("ids")) == bool(data.get("all")):
            raise ValidationError("Isi salah satu: ids atau all = true.", field_name="ids")


class MarkReadResultSchema(Schema):
    marked = fields.Int()
    unread_count = fields.Int()


@blp.route("/me/notifications")
@blp.doc(security=SECURITY)
@blp.arguments(NoticeQuerySchema(), location="query")
@blp.response(200, NoticePageSchema)
@require_auth
def list_notifications(args: dict[str, Any]) -> dict[str, Any]:
    """What changed on the caller's cases, newest first (only cases the caller may see), with the unread count."""
    user = current_api_user()
    notices, next_cursor = services.list_notices(
        user, unread_only=args["unread"], limit=args["limit"], cursor=args.get("cursor")
    )
    return {
        "items": [notice.dump() for notice in notices],
        "unread_count": services.unread_count(user),
        "next_cursor": next_cursor,
    }


@blp.route("/me/notifications/read", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.arguments(MarkReadSchema())
@blp.response(200, MarkReadResultSchema)
@blp.alt_response(404, response="NOT_FOUND")
@require_auth
def mark_notifications_read(data: dict[str, Any]) -> dict[str, Any]:
    """Mark the caller's notices `ids` (or, with `all`, every unread one) read; an id that is not the caller's
    is 404."""
    with unit_of_work():
        user = current_api_user()
        marked = services.mark_read(user, None if data.get("all") else data["ids"])
        unread = services.unread_count(user)
    return {"marked": marked, "unread_count": unread}
