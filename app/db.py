"""Declarative base, naming convention, UTC-aware datetime type and the unit-of-work helper."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from flask import has_request_context, request
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator, any_, bindparam, event, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import DeclarativeBase, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")
M = TypeVar("M")
MAX_ROW_ID = 2**31 - 1  # every primary key is an `integer` column on PostgreSQL: a larger id names no row
IN_CHUNK = 500  # values per IN (…) list (SQLite's bound parameters, PostgreSQL's plan size)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every backend; naive datetimes are refused.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so values are stored as UTC and
    returned aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: store timezone-aware instants")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: Any) -> datetime | None:
            # SQLite holds the UTC text SQLAlchemy wrote ("2026-11-22 08:00:00.000000"): one C parse with the
            # offset appended, five times cheaper than parsing and then attaching the zone (large pages).
            if value is None:
                return None
            try:
                return datetime.fromisoformat(value + "+00:00")
            except ValueError:  # ISO text holding its own offset (hand-written SQL)
                return self.process_result_value(datetime.fromisoformat(value), dialect)

        return process


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), dict[str, Any]: JSON()},
    )


_DATABASE_ONLY_INDEXES: dict[str, str] = {}


def database_only_index(name: str, dialect: str) -> str:
    """Declare an index that a migration creates on `dialect` alone ("any": on every database) and that the models
    cannot describe (an expression index: SQLite's reflection cannot read one, and alembic warns at every comparison
    there; an index of another method than btree).
    Autogenerate leaves it alone on every database (`include_schema_object`); a test of its own checks it.
    Returns `name`."""
    _DATABASE_ONLY_INDEXES[name] = dialect
    return name


_DATABASE_ONLY_FTS: dict[str, str] = {}
# The tables SQLite's FTS5 keeps beside a full-text table `x`: x_data, x_idx, x_docsize, x_config (x_content too
# when the table keeps its text).
_FTS_SHADOWS = ("data", "idx", "docsize", "config", "content")


def database_only_fts(name: str, dialect: str) -> str:
    """Declare a full-text table that a migration creates on `dialect` alone and keeps by triggers (SQLite's FTS5
    virtual tables: the models cannot describe one). Autogenerate leaves it and its shadow tables alone
    (`include_schema_object`); a test of its own checks it. Returns `name`."""
    _DATABASE_ONLY_FTS[name] = dialect
    return name


def include_schema_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's `include_object` (Flask-Migrate's settings, and the test comparing the migrations with the
    models): the indexes of `database_only_index` and the full-text tables of `database_only_fts` are no
    difference between the models and a database."""
    if type_ == "index" and name in _DATABASE_ONLY_INDEXES:
        return False
    if type_ == "table" and reflected and compare_to is None and name is not None:
        return not any(
            name == fts or name in {f"{fts}_{shadow}" for shadow in _FTS_SHADOWS} for fts in _DATABASE_ONLY_FTS
        )
    return True


@contextmanager
def database_only_indexes_unread() -> Iterator[None]:
    """While comparing a database with the models: SQLite's reflection warns that it skips an index on an
    expression; for the indexes of `database_only_index` that is expected (the comparison leaves them alone), so
    the warning is silenced for them, and for them only."""
    with warnings.catch_warnings():
        for name in _DATABASE_ONLY_INDEXES:
            warnings.filterwarnings(
                "ignore", f"Skipped unsupported reflection of expression-based index {re.escape(name)}$", SAWarning
            )
        yield


db = SQLAlchemy(model_class=Base)
# The base of every table: Flask-SQLAlchemy's `db.Model`, made at run time from `Base`; type checkers read `Base`.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True, compare_type=True, include_object=include_schema_object)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: enforce foreign keys, WAL, a busy timeout, and let SQLAlchemy own BEGIN (savepoints work)."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except Exception:  # noqa: BLE001,S110 - in-memory databases cannot use WAL
        pass
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn: Any) -> None:
    if conn.dialect.name == "sqlite":
        # IMMEDIATE: take the write lock up front, so a read-then-write transaction waits for the lock
        # (busy_timeout) instead of failing with SQLITE_BUSY when another writer got there first. Requests that
        # only read (GET/HEAD) begin deferred, so readers run side by side (WAL) instead of queueing.
        # Straight to the driver: the statement needs none of SQLAlchemy's execution machinery, and every
        # request that touches the database pays for it.
        deferred = _read_only_request()
        conn.connection.dbapi_connection.execute("BEGIN" if deferred else "BEGIN IMMEDIATE")
        conn.info["deferred_begin"] = deferred


def _read_only_request() -> bool:
    return has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")


def write_beside_read(statement: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Write `rows` (a log of what a read showed) from a request that only reads.

    On SQLite a read's transaction began deferred (above) and reads from a snapshot: turning it into a write
    after another connection committed fails at once with SQLITE_BUSY (the busy timeout cannot help a stale
    snapshot), so under concurrent writers the read would answer 503. The rows are written in a transaction of
    their own whose first statement is the write: it waits for the lock like any writer. Everywhere else
    (PostgreSQL, or a transaction that began with the write lock) in the request's own session, committed by
    its entry point."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and connection.info.get("deferred_begin"):
        with db.engine.begin() as own:
            own.execute(statement, list(rows))
    else:
        db.session.execute(statement, list(rows))


@contextmanager
def unit_of_work() -> Iterator[Any]:
    """Commit on success, roll back on error: the one boundary used by views, API, CLI and jobs."""

    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def on_postgresql() -> bool:
    """Whether the session's database is PostgreSQL (production) rather than SQLite (the embedded default)."""
    return db.session.get_bind().dialect.name == "postgresql"


@contextmanager
def planner_setting(name: str, value: str) -> Iterator[None]:
    """A PostgreSQL setting (`hash_mem_multiplier`, `work_mem`, …) for the statements run inside; other
    transactions keep the server's own. In a transaction, one `SET LOCAL`: it lasts to the transaction's end (no
    second statement to undo it). In the autocommit of a read-only API view (app/api/reads.py), where SET LOCAL
    would end with its own one-statement transaction, a `SET` for the connection and a `RESET` after, error or
    not, so the pooled connection goes back as it came. Elsewhere (SQLite) nothing."""
    if not on_postgresql():
        yield
        return
    if not re.fullmatch(r"[a-z_]+", name):
        raise ValueError(f"not a setting's name: {name!r}")
    connection = db.session.connection()
    autocommit = connection.connection.dbapi_connection.autocommit  # type: ignore[union-attr]
    connection.execute(text("SELECT set_config(:name, :value, :local)"), {"name": name, "value": value,
                                                                          "local": not autocommit})  # fmt: skip
    if not autocommit:
        yield
        return
    try:
        yield
    finally:
        connection.exec_driver_sql(f"RESET {name}")


def valid_row_id(value: int) -> bool:
    return 0 < value <= MAX_ROW_ID


def get_row(model: type[M], row_id: int) -> M | None:
    """`session.get`, except that an id no row can have is None without asking the database (PostgreSQL
    would refuse the out-of-range value as an error)."""

    return db.session.get(model, row_id) if valid_row_id(row_id) else None


def in_chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """`values` in slices of at most `size`: one `IN (…)` list per query stays within the databases' limits."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def one_of(column: Any, values: Iterable[Any]) -> Any:
    """`column IN (values)` for a list of any length known only at run time. On PostgreSQL one array parameter,
    `column = ANY(:values)`: the statement's text stays the same whatever the number of values, so the driver
    parses it once (a thousand placeholders cost psycopg about 30 ms to convert, at every call), and the plan is
    the index's as with IN. Elsewhere a plain IN list (SQLite: keep it within its bound parameters, `in_chunks`)."""
    values = list(values)
    if on_postgresql():
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def install_session_teardown(app: Any) -> None:
    """Close each request's session without letting a lost connection escape the request.

    Flask-SQLAlchemy's own teardown rolls the session back, which raises when the database went away
    mid-request (a restart, a failover): the exception would pass every error handler and the server would
    answer its own HTML 500 page. Registered after `db.init_app`, this teardown runs first (Flask calls
    them in reverse order): it closes the session, and on failure invalidates the connection (the pool
    drops it) and discards the session, so the other teardown finds nothing left to do."""
    log = logging.getLogger(__name__)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        try:
            db.session.remove()
        except Exception:  # noqa: BLE001 - a dead connection must not fail the response
            log.warning("database session closed after a lost connection", exc_info=True)
            try:
                db.session().invalidate()
            except Exception:  # noqa: BLE001,S110 - nothing more can be done with this connection
                pass
            db.session.registry.clear()
