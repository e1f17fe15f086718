"""The JSON API under /api/v1, documented by OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, request
from flask_smorest import Api, Blueprint

from app.api.inputs import RowIdConverter, reject_nul_characters
from app.api.reads import begin_read_only_request
from app.api.security import authorize_request
from app.errors import ErrorSchema
from app.extensions import csrf


class TindakApi(Api):
    """flask-smorest's Api documenting the project's error envelope (`{"error": {code, message, details}}`,
    app.errors) instead of its own default error payload, for every error response of the spec."""

    ERROR_SCHEMA = ErrorSchema


api = TindakApi()


def register_api(app: Flask, blueprints: Iterable[Blueprint]) -> None:
    """The API's guards and documentation, and the domains' blueprints (listed by the app factory)."""
    # Before any API route is added: `<id:...>` path parameters (row ids within the integer columns).
    app.url_map.converters["id"] = RowIdConverter

    @app.before_request
    def _api_guard() -> None:
        """Every /api/ request, before the view parses its arguments: 401, then 403, then NUL → 422."""
        if not request.path.startswith("/api/"):
            return
        begin_read_only_request()  # before the token check, the request's first statement
        authorize_request()
        reject_nul_characters()

    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "Token dari POST /api/v1/auth/token"}
    )
    api.spec.components.security_scheme(
        "officeApiKey",
        {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "Kunci API kantor penerus laporan (tdk_…), dibuat administrator; hanya untuk endpoint "
            "pengiriman laporan (juga diterima sebagai Authorization: Bearer tdk_…)",
        },
    )
    for blueprint in blueprints:
        api.register_blueprint(blueprint, url_prefix="/api/v1")
        # Token-authenticated: the API never accepts the session cookie, so CSRF does not apply.
        csrf.exempt(blueprint)
