"""The whole index comes from a constant number of SQL statements, whatever the number of agencies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import event

from app.db import db, unit_of_work
from app.index import services
from app.index.method import current_method
from tests.index.builders import answer_all, at, followed, issue

YEAR = 2025
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def _count(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)


def _populate(make_agency, count: int, zones=("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")) -> None:
    method = current_method()
    for n in range(count):
        agency = make_agency(timezone=zones[n % len(zones)])
        followed(agency, at(YEAR, 1 + n % 12, 10), working_days=3 + n % 7)
        issue(agency, at(YEAR, 2, 1), escalations=(0, 1, 2), clarification=n % 2 == 0)
        if n % 3 == 0:
            answer_all(agency, YEAR, 70, method=method)


def _statements_for_index() -> int:
    db.session.expire_all()
    with counted_statements() as statements:
        result = services.compute_index(YEAR, as_of=datetime(2026, 2, 1, tzinfo=UTC))
    assert result["items"]
    return len(statements)


def test_statement_count_does_not_grow_with_the_number_of_agencies(make_agency):
    _populate(make_agency, 3)
    few = _statements_for_index()
    _populate(make_agency, 27)
    many = _statements_for_index()
    assert many == few
    # agencies, the aggregate, the self-assessments; on PostgreSQL one more: the aggregate's hash memory (SET LOCAL)
    assert few <= (4 if db.session.get_bind().dialect.name == "postgresql" else 3)


def test_a_published_index_is_read_in_one_statement(make_agency, make_user):
    _populate(make_agency, 4)
    with unit_of_work():
        services.freeze_year(YEAR, make_user("commissioner"))
    db.session.expire_all()
    with counted_statements() as statements:
        result = services.get_index(YEAR)
    assert result["frozen"] is True
    assert len(statements) == 1
