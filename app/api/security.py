"""Bearer-token authentication for the API (the session cookie is never accepted there)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from app.auth.models import User
from app.auth.services import user_for_token
from app.core.vocab import Role
from app.errors import Forbidden, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])


def current_api_user() -> User:
    user = request.environ.get("tindak.api_user")
    if user is None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Token API diperlukan (Authorization: Bearer <token>).")
        user = user_for_token(token.strip())
        if user is None:
            raise Unauthorized("Token API tidak sah atau kedaluwarsa.", code="invalid_token")
        request.environ["tindak.api_user"] = user
        g.api_user = user
    return user


def require_auth(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current_api_user()
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def require_role(*roles: Role) -> Callable[[F], F]:
    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_api_user()
            if user.role not in roles:
                raise Forbidden("Peran Anda tidak berwenang untuk tindakan ini.")
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
