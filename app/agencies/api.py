"""Agency endpoints (DESIGN §7)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from app.agencies import services
from app.agencies.schemas import AgencyPageSchema, AgencyQuerySchema, AgencySchema
from app.api.reads import read_only
from app.api.security import require_auth, require_role
from app.core.vocab import Role
from app.db import unit_of_work

blp = Blueprint("agencies", __name__, description="Instansi dan PPK-nya")


@blp.route("/agencies")
@blp.doc(security=[{"bearerAuth": []}])
@blp.arguments(AgencyQuerySchema(), location="query")
@blp.response(200, AgencyPageSchema)
@require_auth
@read_only
def list_agencies(args: dict[str, Any]) -> dict[str, Any]:
    rows, next_cursor = services.list_agencies(
        kind=args.get("kind"), q=args.get("q"), limit=args["limit"], cursor=args.get("cursor"), current=args["current"]
    )
    return {"items": [services.agency_dump(a) for a in rows], "next_cursor": next_cursor}


@blp.route("/agencies", methods=["POST"])
@blp.doc(security=[{"bearerAuth": []}])
@blp.arguments(AgencySchema())
@blp.response(201, AgencySchema)
@require_role(Role.ADMIN)
def create_agency(data: dict[str, Any]) -> dict[str, Any]:
    with unit_of_work():
        agency = services.create_agency(data)
    return services.agency_dump(agency)


@blp.route("/agencies/<id:agency_id>")
@blp.doc(security=[{"bearerAuth": []}])
@blp.response(200, AgencySchema)
@require_auth
@read_only
def get_agency(agency_id: int) -> dict[str, Any]:
    return services.agency_dump(services.get_agency(agency_id))
