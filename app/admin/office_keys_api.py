"""A forwarding office's API keys, for administrators: list, create (the key shown once), revoke
(app/auth/office_keys.py)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.admin.services import get_user
from app.api.security import current_api_user, require_role
from app.auth import office_keys
from app.core.vocab import Role
from app.db import unit_of_work

blp = Blueprint("office_keys", __name__, description="Kunci API kantor penerus laporan (khusus administrator)")


class OfficeKeyIn(Schema):
    label = fields.Str(
        required=True, metadata={"description": "nama kunci: sistem atau kantor yang memakainya (2–100 karakter)"}
    )


class OfficeKeyOut(Schema):
    id = fields.Int()
    user_id = fields.Int()
    label = fields.Str()
    prefix = fields.Str(metadata={"description": "awal kunci, untuk membedakan kunci (tidak cukup untuk memakainya)"})
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    active = fields.Bool()


class OfficeKeyCreatedOut(OfficeKeyOut):
    key = fields.Str(metadata={"description": "kunci lengkap: ditampilkan sekali ini saja, simpan sekarang"})


class OfficeKeyListOut(Schema):
    items = fields.List(fields.Nested(OfficeKeyOut))


@blp.route("/admin/users/<id:user_id>/api-keys")
@blp.doc(security=[{"bearerAuth": []}])
@blp.response(200, OfficeKeyListOut)
@require_role(Role.ADMIN)
def list_office_keys(user_id: int) -> dict[str, Any]:
    """The API keys of a forwarder account (a Bawaslu office), newest first: label, prefix, created, last used,
    revoked. The key itself is never shown again."""
    return {"items": [office_keys.key_out(k) for k in office_keys.keys_of(get_user(user_id))]}


@blp.route("/admin/users/<id:user_id>/api-keys", methods=["POST"])
@blp.doc(security=[{"bearerAuth": []}])
@blp.arguments(OfficeKeyIn())
@blp.response(201, OfficeKeyCreatedOut)
@require_role(Role.ADMIN)
def create_office_key(data: dict[str, Any], user_id: int) -> dict[str, Any]:
    """A new API key for a forwarder account: `key` is in this answer only (only its SHA-256 is kept). The office
    sends it as `X-API-Key: tdk_…` (or `Authorization: Bearer tdk_…`) to the forwarder endpoints, and only there."""
    with unit_of_work():
        row, key = office_keys.create_key(get_user(user_id), data["label"], current_api_user())
        out = {**office_keys.key_out(row), "key": key}
    return out


@blp.route("/admin/users/<id:user_id>/api-keys/<id:key_id>/revoke", methods=["POST"])
@blp.doc(security=[{"bearerAuth": []}])
@blp.response(200, OfficeKeyOut)
@require_role(Role.ADMIN)
def revoke_office_key(user_id: int, key_id: int) -> dict[str, Any]:
    """Revoke a key for good: from now on it answers 401."""
    with unit_of_work():
        row = office_keys.revoke_key(office_keys.key_for(key_id, get_user(user_id)), current_api_user())
        out = office_keys.key_out(row)
    return out
