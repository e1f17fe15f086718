"""Flask extensions, created unbound; `create_app` initialises them. Imports only third-party code: the
database object lives beside its base model (app.db), the API object beside its error envelope (app.api)."""

from __future__ import annotations

from flask import current_app
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
mail = Mail()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

babel = Babel()


bootstrap = Bootstrap5()


def rate_limits_off() -> bool:
    """Per-app switch: the limiter object is shared by every app built in one process (tests build several),
    so each limit asks the current app's own RATELIMIT_ENABLED instead of the limiter's global flag."""
    return not current_app.config.get("RATELIMIT_ENABLED", True)
