"""Application factory: wires configuration, extensions, blueprints, error handlers and CLI. No side effects."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from pathlib import Path
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
    from app.cli import register_commands  # deferred: see _register_extensions
    from app.errors import register_error_handlers

    register_error_handlers(app)
    register_commands(app)
    return app


def _register_extensions(app: Flask) -> None:
    # `app` is the parent of every module, imported before any of them; the factory pulls in the whole application
    # only when it is called.
    # deferred: every import in this module's functions, for that reason
    from app import models  # noqa: F401 - every table on the metadata
    from app.api import api
    from app.auth.services import init_login
    from app.db import db, install_session_teardown, migrate
    from app.extensions import babel, bootstrap, csrf, limiter, login_manager, mail
    from app.i18n import select_locale, select_timezone

    db.init_app(app)
    install_session_teardown(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    init_login(app, login_manager)
    api.init_app(app)
    app.config.setdefault("BOOTSTRAP_SERVE_LOCAL", True)
    bootstrap.init_app(app)


def _migrations_dir() -> Any:
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
        if request.path.startswith(("/cases", "/antrean", "/api/v1/cases", "/api/v1/attachments", "/api/v1/me")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _register_blueprints(app: Flask) -> None:
    """Every domain's API and pages, listed here: the one place that knows them all."""
    from app import health  # deferred: see _register_extensions
    from app.admin import audit_api, office_keys_api, outbox_api
    from app.admin import views as admin_pages
    from app.agencies import api as agencies_api
    from app.api import docs, register_api
    from app.auth import api as auth_api
    from app.cases import api as cases_api
    from app.cases import filters_api, find_pages, work_api, work_pages
    from app.cases import pages as case_pages
    from app.inbox import api as inbox_api
    from app.inbox import pages as inbox_pages
    from app.index import api as index_api
    from app.index import views as index_pages
    from app.intake import api as intake_api
    from app.intake import pages as intake_pages
    from app.people import api as people_api
    from app.people import pages as people_pages
    from app.people import privacy as privacy_pages
    from app.public import api as public_api
    from app.public import views as public_pages
    from app.season import api as season_api
    from app.season import pages as season_pages
    from app.web import register_web
    from app.web import views as web_pages

    register_api(app, (auth_api.blp, agencies_api.blp, cases_api.blp, work_api.blp, index_api.blp, outbox_api.blp,
                      health.blp, people_api.blp, inbox_api.blp, intake_api.blp, filters_api.blp,
                      public_api.blp, season_api.blp, audit_api.blp, office_keys_api.blp))  # fmt: skip
    app.register_blueprint(docs.bp)
    register_web(app, (web_pages.bp, case_pages.bp, work_pages.bp, admin_pages.bp, index_pages.bp, inbox_pages.bp,
                       intake_pages.bp, find_pages.bp, public_pages.bp, people_pages.bp, season_pages.bp,
                       privacy_pages.bp))  # fmt: skip
