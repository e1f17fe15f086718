"""Flask extensions, created unbound; `create_app` initialises them. Imports only third-party code (and the
project's base model and error envelope)."""

from __future__ import annotations

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.db import Base, include_schema_object
from app.errors import ErrorSchema

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True, include_object=include_schema_object)
login_manager = LoginManager()
mail = Mail()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class TindakApi(Api):
    """flask-smorest's Api documenting the project's error envelope (`{"error": {code, message, details}}`,
    app.errors) instead of its own default error payload, for every error response of the spec."""

    ERROR_SCHEMA = ErrorSchema


api = TindakApi()
babel = Babel()


bootstrap = Bootstrap5()


def rate_limits_off() -> bool:
    """Per-app switch: the limiter object is shared by every app built in one process (tests build several),
    so each limit asks the current app's own RATELIMIT_ENABLED instead of the limiter's global flag."""
    from flask import current_app

    return not current_app.config.get("RATELIMIT_ENABLED", True)
