"""Token endpoint: POST /api/v1/auth/token {email, password, totp?} -> 201 {token, expires_at}."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.auth import services
from app.db import db, unit_of_work
from app.errors import DomainError
from app.extensions import limiter, rate_limits_off

blp = Blueprint("auth", __name__, description="Autentikasi API")


class TokenRequestSchema(Schema):
    email = fields.Str(required=True)
    password = fields.Str(required=True, load_only=True)
    totp = fields.Str(
        load_default=None,
        load_only=True,
        metadata={
            "description": "Kode verifikasi dua langkah (6 digit dari aplikasi autentikator, sekali pakai) atau "
            "salah satu kode pemulihan; wajib bagi akun yang memakai verifikasi dua langkah"
        },
    )


class TokenSchema(Schema):
    token = fields.Str()
    expires_at = fields.DateTime()


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenRequestSchema())
@blp.response(201, TokenSchema)
@blp.alt_response(401, description="Email, kata sandi atau kode verifikasi salah, atau kode belum disertakan")
@blp.alt_response(403, description="Verifikasi dua langkah wajib bagi peran ini dan belum diaktifkan")
@blp.alt_response(429, description="Terlalu banyak percobaan gagal dari alamat ini")
@limiter.limit("20 per minute", exempt_when=rate_limits_off)
def create_token(data: dict[str, Any]) -> dict[str, Any]:
    """A bearer token for email, password and, for an account with a second factor, a current code (`totp`).
    Refused sign-ins count towards the same per-account lock and per-address block as the web form."""
    try:
        user = services.sign_in_for_token(
            data["email"], data["password"], data.get("totp"), request.remote_addr or "unknown"
        )
    except DomainError:
        db.session.commit()  # the failure counters persist although the request fails
        raise
    with unit_of_work():
        token, expires_at = services.issue_token(user)
    return {"token": token, "expires_at": expires_at}
