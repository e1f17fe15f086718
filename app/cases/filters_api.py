"""The caller's saved case-list filters (`/api/v1/me/filters`): list, save, read, delete. Each user sees only
their own; another user's filter answers 404 like one that does not exist."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.security import current_api_caller, require_auth
from app.cases import saved_filters
from app.db import unit_of_work
from app.models.saved_filters import SavedFilter

blp = Blueprint("saved_filters", __name__, description="Saringan daftar perkara yang disimpan pengguna")
SECURITY = [{"bearerAuth": []}]
FILTERS_DESCRIPTION = (
    "saringan daftar perkara: "
    + ", ".join(saved_filters.FILTER_KEYS)
    + " (seperti parameter GET /api/v1/cases) dan urutan halaman daftar: sort, dir (asc|desc)"
)


class SavedFilterIn(Schema):
    name = fields.String(
        required=True, metadata={"description": f"nama, unik per pengguna (≤ {saved_filters.NAME_MAX})"}
    )
    filters = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        metadata={"description": FILTERS_DESCRIPTION, "example": {"status": "awaiting_follow_up", "q": "Santoso"}},
    )


class SavedFilterOut(Schema):
    id = fields.Integer()
    name = fields.String()
    filters = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": FILTERS_DESCRIPTION})
    cases_url = fields.String(metadata={"description": "GET /api/v1/cases dengan saringan ini (terbaru dahulu)"})
    page_url = fields.String(metadata={"description": "halaman daftar perkara dengan saringan dan urutan ini"})
    created_at = fields.DateTime()


class SavedFilterListOut(Schema):
    items = fields.List(fields.Nested(SavedFilterOut))


def _out(row: SavedFilter) -> dict[str, Any]:
    api_query = saved_filters.api_query_string(row)
    page_query = saved_filters.query_string(row)
    return {
        "id": row.id,
        "name": row.name,
        "filters": row.query,
        "cases_url": url_for("cases.list_cases") + (f"?{api_query}" if api_query else ""),
        "page_url": url_for("case_pages.list_cases") + (f"?{page_query}" if page_query else ""),
        "created_at": row.created_at,
    }


@blp.route("/me/filters")
@blp.doc(security=SECURITY)
@blp.response(200, SavedFilterListOut)
@require_auth
def list_filters() -> dict[str, Any]:
    """The caller's saved filters, by name."""
    return {"items": [_out(row) for row in saved_filters.list_filters(current_api_caller().id)]}


@blp.route("/me/filters", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.arguments(SavedFilterIn())
@blp.response(201, SavedFilterOut)
@require_auth
def save_filter(data: dict[str, Any]) -> dict[str, Any]:
    """Save a case-list filter under a name. 422 names the fields: `name` (empty, too long, already used by
    the caller), `filters.<key>` (a value the case list would refuse)."""
    with unit_of_work():
        row = saved_filters.save_filter(current_api_caller().id, data["name"], data["filters"])
        out = _out(row)
    return out


@blp.route("/me/filters/<id:filter_id>")
@blp.doc(security=SECURITY)
@blp.response(200, SavedFilterOut)
@require_auth
def get_filter(filter_id: int) -> dict[str, Any]:
    """One of the caller's saved filters (404 for anyone else's)."""
    return _out(saved_filters.get_filter(current_api_caller().id, filter_id))


@blp.route("/me/filters/<id:filter_id>", methods=["DELETE"])
@blp.doc(security=SECURITY)
@blp.response(200, SavedFilterOut)
@require_auth
def delete_filter(filter_id: int) -> dict[str, Any]:
    """Delete one of the caller's saved filters and answer what it was (404 for anyone else's)."""
    with unit_of_work():
        caller = current_api_caller().id
        out = _out(saved_filters.get_filter(caller, filter_id))
        saved_filters.delete_filter(caller, filter_id)
    return out
