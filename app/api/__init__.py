"""The JSON API under /api/v1, documented by OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Flask, request

from app.extensions import api, csrf


def register_api(app: Flask) -> None:
    from app.api.inputs import RowIdConverter, reject_nul_characters
    from app.api.reads import begin_read_only_request
    from app.api.security import authorize_request

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

    from app.agencies.api import blp as agencies_blp
    from app.auth.api import blp as auth_blp

    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "Token dari POST /api/v1/auth/token"}
    )
    for blueprint in (auth_blp, agencies_blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
        # Token-authenticated: the API never accepts the session cookie, so CSRF does not apply.
        csrf.exempt(blueprint)
    from app.api.docs import bp as docs_bp

    app.register_blueprint(docs_bp)
    for extra in _extra_blueprints():
        api.register_blueprint(extra, url_prefix="/api/v1")
        csrf.exempt(extra)


def _extra_blueprints() -> list:
    """Blueprints of optional domains (index, outbox admin ...), registered when present."""
    import importlib

    found = []
    for module_name in ("app.cases.api", "app.index.api", "notifications.api", "app.admin.api", "app.health"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        found.append(module.blp)
    return found
