"""Application factory: wires configuration, extensions, blueprints, error handlers and CLI. No side effects."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, g, request

from config import finalize, load_config


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration from the environment, then `overrides` applied last (DESIGN §7)."""
    app = Flask(__name__, instance_relative_config=True)
    config = load_config()
    if overrides:
        config.update(overrides)
        if "DATABASE_URL" in overrides and "SQLALCHEMY_DATABASE_URI" not in overrides:
            config.pop("SQLALCHEMY_DATABASE_URI", None)
    app.config.update(finalize(config))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    _register_extensions(app)
    _register_request_hooks(app)
    _register_blueprints(app)
    from app.errors import register_error_handlers

    register_error_handlers(app)
    from app.cli import register_commands

    register_commands(app)
    return app


def _register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401 - every table on the metadata
    from app.extensions import api, babel, bootstrap, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    from app.db import install_session_teardown

    install_session_teardown(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    from app.i18n import select_locale, select_timezone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    from app.auth.services import init_login

    init_login(app, login_manager)
    api.init_app(app)
    app.config.setdefault("BOOTSTRAP_SERVE_LOCAL", True)
    bootstrap.init_app(app)


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _request_id() -> None:
        g.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex

    @app.after_request
    def _security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Request-ID", getattr(g, "request_id", ""))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        if app.config.get("TINDAK_ENV") == "production":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.path.startswith(("/cases", "/api/v1/cases", "/api/v1/attachments")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _register_blueprints(app: Flask) -> None:
    from app.api import register_api
    from app.web import register_web

    register_api(app)
    register_web(app)
