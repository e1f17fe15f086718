"""Read-only API views: on PostgreSQL their statements run in autocommit, without a transaction around them.

A transaction costs a read two extra round trips to the server (psycopg sends `BEGIN` before the first statement
and the pool sends `ROLLBACK` when the request gives its connection back): on a loopback connection of the
benchmark machine, 180 µs of a request that runs two statements. A view marked `@read_only` writes nothing, so
each of its statements may be its own transaction — the token check and the page query each see committed
data, as two transactions would. SQLAlchemy sets the level for this request's connection only and puts the
pool's default back when the connection returns (`Session.connection(execution_options=…)`).

SQLite is left as it is: a transaction there is no round trip, and the pysqlite dialect would hand the
connection back with the driver's own transaction handling switched on, which `app.db` switches off.
The views so marked are checked by a test to send no INSERT, UPDATE or DELETE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request

from app.api.security import view_mark
from app.db import db

F = TypeVar("F", bound=Callable[..., Any])

READ_ONLY_MARK = "_tindak_read_only"
READ_METHODS = ("GET", "HEAD")


def read_only(func: F) -> F:
    """Mark a view as writing nothing (see the module's docstring)."""
    setattr(func, READ_ONLY_MARK, True)
    return func


def is_read_only(view: Callable[..., Any] | None) -> bool:
    return request.method in READ_METHODS and bool(view_mark(view, READ_ONLY_MARK))


def begin_read_only_request() -> None:
    """Before the request's first statement: a read-only view's connection in autocommit (PostgreSQL)."""
    if db.engine.dialect.name != "postgresql" or request.endpoint is None:
        return
    if not is_read_only(current_app.view_functions.get(request.endpoint)):
        return
    session = db.session()
    if session.in_transaction():
        return  # a request always starts with a fresh session; one begun outside it (a test's) is left as it is
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
