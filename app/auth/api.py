"""Token endpoint: POST /api/v1/auth/token {email, password} -> 201 {token, expires_at}."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.auth import services
from app.db import unit_of_work
from app.errors import Unauthorized
from app.extensions import db, limiter, rate_limits_off

blp = Blueprint("auth", __name__, description="Autentikasi API")


class TokenRequestSchema(Schema):
    email = fields.Str(required=True)
    password = fields.Str(required=True, load_only=True)


class TokenSchema(Schema):
    token = fields.Str()
    expires_at = fields.DateTime()


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenRequestSchema())
@blp.response(201, TokenSchema)
@limiter.limit("20 per minute", exempt_when=rate_limits_off)
def create_token(data: dict[str, Any]) -> dict[str, Any]:
    try:
        user = services.authenticate(data["email"], data["password"])
    except Unauthorized:
        db.session.commit()  # the failure counter persists although the request fails
        raise
    with unit_of_work():
        token, expires_at = services.issue_token(user)
    return {"token": token, "expires_at": expires_at}
