"""Outbox endpoints for administrators: list rows by status, retry a dead row."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.admin.outbox import dump_page, resend_dead
from app.api.security import current_api_user, require_role
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_cursor
from app.core.vocab import Role
from app.db import MAX_ROW_ID, unit_of_work
from app.models.outbox import OUTBOX_STATUSES
from notifications import services

blp = Blueprint("outbox", __name__, description="Kotak keluar email (khusus administrator)")


class OutboxMessageSchema(Schema):
    id = fields.Int()
    kind = fields.Str()
    case_id = fields.Int(allow_none=True)
    case_number = fields.Str(allow_none=True)
    recipient = fields.Str()
    subject = fields.Str()
    status = fields.Str()
    status_label = fields.Str(metadata={"description": "Status dalam kata-kata (bahasa Indonesia)"})
    kind_label = fields.Str(metadata={"description": "Jenis email dalam kata-kata (bahasa Indonesia)"})
    attempts = fields.Int()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_error = fields.Str(allow_none=True)
    message_id = fields.Str()
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class OutboxQuerySchema(Schema):
    status = fields.Str(validate=validate.OneOf(OUTBOX_STATUSES))
    limit = fields.Int(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    # outbox_messages.id is an `integer` column: a larger key must not reach PostgreSQL.
    cursor = fields.Str(
        validate=keyset_cursor(max_id=MAX_ROW_ID), metadata={"description": "next_cursor of the previous page"}
    )


class OutboxPageSchema(Schema):
    items = fields.List(fields.Nested(OutboxMessageSchema))
    next_cursor = fields.Str(allow_none=True)


@blp.route("/outbox")
@blp.doc(security=[{"bearerAuth": []}])
@blp.arguments(OutboxQuerySchema(), location="query")
@blp.response(200, OutboxPageSchema)
@require_role(Role.ADMIN)
def list_outbox(args: dict[str, Any]) -> dict[str, Any]:
    rows, next_cursor = services.list_messages(args.get("status"), args["limit"], args.get("cursor"))
    return {"items": dump_page(rows), "next_cursor": next_cursor}


@blp.route("/outbox/<id:message_id>/retry", methods=["POST"])
@blp.doc(security=[{"bearerAuth": []}])
@blp.response(200, OutboxMessageSchema)
@require_role(Role.ADMIN)
def retry_outbox_message(message_id: int) -> dict[str, Any]:
    """Put a dead (or waiting) email back in the queue with fresh attempts; who did it is recorded (the admin's
    audit page, kind `outbox_resend`). 409 for an email already sent or being sent."""
    with unit_of_work():
        message = resend_dead(message_id, current_api_user())
        item = dump_page([message])[0]
    return item
