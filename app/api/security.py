"""Bearer-token authentication for the API (the session cookie is never accepted there), and a forwarding office's
API key (`X-API-Key: tdk_…`, or `Authorization: Bearer tdk_…`) on the views marked `accepts_office_key` only.

`require_auth` and `require_role` mark a view as secured (and check again when it runs). The checks run
*before* the view, from `authorize_request` (a `before_request` hook installed by `register_api`), so that
flask-smorest's argument parsing (`@blp.arguments`, which wraps the view from outside) never answers an
anonymous caller or a caller of the wrong role: 401 first, then 403 (when the route names the roles), and
only then 422 for a bad body or query.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, request

from app.auth import office_keys
from app.auth.services import TokenCaller, caller_for_token
from app.core.vocab import Role
from app.db import db
from app.errors import Forbidden, Unauthorized
from app.models.auth import User

F = TypeVar("F", bound=Callable[..., Any])

# Set on the views wrapped by `require_auth` (empty tuple: any authenticated user) or `require_role` (the
# roles). `functools.wraps` copies it to every decorator applied on top (flask-smorest's included).
AUTH_MARK = "_tindak_api_roles"
# Set by `accepts_office_key`: the view accepts a forwarding office's API key as well as a bearer token.
OFFICE_KEY_MARK = "_tindak_office_key"


CALLER_KEY = "tindak.api_caller"
USER_KEY = "tindak.api_user"


def _presented_credential() -> tuple[str, str] | None:
    """("key" | "token", value) from `X-API-Key` or `Authorization: Bearer`, or None."""
    key = request.headers.get("X-API-Key", "").strip()
    if key:
        return "key", key
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return ("key" if office_keys.is_office_key(token) else "token"), token


def current_api_caller() -> TokenCaller:
    """The authenticated caller (401 without a valid bearer token, or an office key where the view takes none):
    id, role, agency and body, read once."""
    caller = request.environ.get(CALLER_KEY)
    if caller is None:
        credential = _presented_credential()
        if credential is None:
            raise Unauthorized("Token API diperlukan (Authorization: Bearer <token>).")
        kind, value = credential
        if kind == "key":
            if not view_mark(current_app.view_functions.get(request.endpoint or ""), OFFICE_KEY_MARK):
                raise Unauthorized(
                    "Kunci API kantor hanya berlaku untuk pengiriman laporan; gunakan token API untuk yang lain.",
                    code="office_key_not_accepted",
                )
            caller = office_keys.caller_for_key(value)
            if caller is None:
                raise Unauthorized("Kunci API tidak sah atau sudah dicabut.", code="invalid_api_key")
        else:
            caller = caller_for_token(value)
            if caller is None:
                raise Unauthorized("Token API tidak sah atau kedaluwarsa.", code="invalid_token")
        request.environ[CALLER_KEY] = caller
    return caller


def current_api_user() -> User:
    """The authenticated caller as a `User` entity (views that write or read the user's relations)."""
    user = request.environ.get(USER_KEY)
    if user is None:
        user = db.session.get(User, current_api_caller().id)
        if user is None or not user.is_active:  # deactivated since the token was checked
            raise Unauthorized("Token API tidak sah atau kedaluwarsa.", code="invalid_token")
        request.environ[USER_KEY] = user
    return user


def _check_role(user: User | TokenCaller, roles: tuple[Role, ...]) -> None:
    if roles and user.role not in roles:
        raise Forbidden("Peran Anda tidak berwenang untuk tindakan ini.")


def require_auth(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current_api_caller()
        return func(*args, **kwargs)

    setattr(wrapper, AUTH_MARK, ())
    return wrapper  # type: ignore[return-value]


def require_role(*roles: Role) -> Callable[[F], F]:
    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _check_role(current_api_caller(), roles)
            return func(*args, **kwargs)

        setattr(wrapper, AUTH_MARK, tuple(roles))
        return wrapper  # type: ignore[return-value]

    return decorator


def accepts_office_key(func: F) -> F:
    """Mark a forwarder view as accepting a forwarding office's API key (place it under the role check)."""
    setattr(func, OFFICE_KEY_MARK, True)
    return func


def view_mark(view: Callable[..., Any] | None, name: str) -> Any:
    """The mark `name` that a decorator set on a view, looked for down its chain of decorators (and, for a
    MethodView, on the handler of this request's method), or None."""
    for _ in range(50):  # a chain of decorators, never a cycle
        if view is None:
            return None
        mark = getattr(view, name, None)
        if mark is not None:
            return mark
        view_class = getattr(view, "view_class", None)  # a MethodView: the handler of this method
        view = getattr(view_class, request.method.lower(), None) if view_class else getattr(view, "__wrapped__", None)
    return None


def required_roles(view: Callable[..., Any] | None) -> tuple[Role, ...] | None:
    """The roles a view requires (empty: any authenticated user), or None for a public view."""
    roles = view_mark(view, AUTH_MARK)
    return tuple(roles) if roles is not None else None


def authorize_request() -> None:
    """Authenticate (401) and check the route's roles (403) before the view parses its arguments."""
    if request.url_rule is None or request.endpoint is None or request.method == "OPTIONS":
        return  # no route (404/405 follow) or Flask's automatic OPTIONS answer: no view runs
    roles = required_roles(current_app.view_functions.get(request.endpoint))
    if roles is None:
        return
    _check_role(current_api_caller(), roles)
