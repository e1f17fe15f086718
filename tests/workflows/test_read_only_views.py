"""Views marked `@read_only` (app.api.reads): they write nothing, and on PostgreSQL they run in autocommit while
every other request keeps its transaction."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from app.api.reads import READ_ONLY_MARK
from app.api.security import view_mark
from app.db import db
from app.index.snapshots import freeze_year
from app.models.intake import CaseElection, Election
from tests.clocked import SUITE_NOW
from tests.conftest import ON_POSTGRES
from tests.factories import S, case_in, make_cast, new_case_payload

WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE")
PUBLIC_YEAR = SUITE_NOW.year  # the public figures of the suite's year, refreshed before the reads are watched


def _read_only_endpoints(app: Flask) -> set[str]:
    found = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        with app.test_request_context(rule.rule, method="GET"):
            if view_mark(app.view_functions[rule.endpoint], READ_ONLY_MARK):
                found.add(rule.endpoint)
    return found


def _urls(case_id: int, agency_id: int, snapshot_id: int = 1, election_id: int = 1) -> dict[str, str]:
    return {
        "cases.list_cases": "/api/v1/cases?limit=5",
        "cases.get_case": f"/api/v1/cases/{case_id}",
        "cases.history": f"/api/v1/cases/{case_id}/history",
        "cases.list_blocks": f"/api/v1/cases/{case_id}/blocks",
        "agencies.list_agencies": "/api/v1/agencies?limit=5",
        "agencies.get_agency": f"/api/v1/agencies/{agency_id}",
        "me_dashboard.my_dashboard": "/api/v1/me/dashboard",
        "public.dcat_catalog": "/api/v1/public/catalog.jsonld",
        "public.year_json": f"/api/v1/public/years/{PUBLIC_YEAR}/figures.json",
        "public.version_json": f"/api/v1/public/years/{PUBLIC_YEAR}/versions/1/figures.json",
        "public.version_csv": f"/api/v1/public/years/{PUBLIC_YEAR}/versions/1/figures.csv",
        "public.year_csv": f"/api/v1/public/years/{PUBLIC_YEAR}/figures.csv",
        "public.years": "/api/v1/public",
        "public.dictionary": "/api/v1/public/dictionary",
        "public.index_snapshot": f"/api/v1/public/index-snapshots/{snapshot_id}",
        "public.election_json": f"/api/v1/public/elections/{election_id}/figures.json",
        "public.election_csv": f"/api/v1/public/elections/{election_id}/figures.csv",
        "public.election_version_json": f"/api/v1/public/elections/{election_id}/versions/1/figures.json",
        "public.election_version_csv": f"/api/v1/public/elections/{election_id}/versions/1/figures.csv",
        "work.my_queue": "/api/v1/me/queue",
    }


@pytest.fixture
def seen(app: Flask) -> Any:
    """Every statement sent during the test: (SQL, the driver's connection, its autocommit flag then)."""
    statements: list[tuple[str, Any, bool]] = []

    def _record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        dbapi = conn.connection.dbapi_connection
        statements.append((statement, dbapi, _autocommit(dbapi)))

    event.listen(db.engine, "before_cursor_execute", _record)
    yield statements
    event.remove(db.engine, "before_cursor_execute", _record)


def _autocommit(dbapi: Any) -> bool:
    # psycopg: its own flag; pysqlite: isolation_level None is the driver's autocommit, which app.db sets on
    # every SQLite connection (SQLAlchemy issues BEGIN itself), so it says nothing here.
    return bool(dbapi.autocommit) if ON_POSTGRES else False


def _fresh_session() -> None:
    """As each request of a server starts: the test client's requests share the test's application context,
    and with it the session the test has been using."""
    db.session.remove()


def test_every_read_only_view_is_checked_here(app):
    assert _read_only_endpoints(app) == set(_urls(1, 1)), "a view marked @read_only needs its URL in _urls"


def test_read_only_views_write_nothing(app, api, seen):
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    election = Election(
        name="Pilkada 2026", kind="pilkada", starts_on=date(PUBLIC_YEAR, 1, 1), ends_on=date(PUBLIC_YEAR, 12, 31)
    )
    db.session.add(election)
    db.session.flush()
    db.session.add(CaseElection(case_id=case.id, election_id=election.id))
    snapshot = freeze_year(PUBLIC_YEAR, cast.commissioner)
    urls = _urls(case.id, cast.agency.id, snapshot.id, election.id)
    db.session.commit()
    for scope in (["--year", str(PUBLIC_YEAR)], ["--election", str(election.id)]):
        refreshed = app.test_cli_runner().invoke(args=["public", "refresh", *scope])
        assert refreshed.exit_code == 0, refreshed.output
    # Tokens are issued (a write) before the reads are watched.
    callers = [(api(user), user.role) for user in (cast.investigator, cast.ppk)]
    for caller, role in callers:
        for endpoint, url in urls.items():
            _fresh_session()
            seen.clear()
            response = caller.get(url)
            assert response.status_code == 200, (endpoint, role, response.get_json())
            writes = [sql for sql, _, _ in seen if sql.lstrip().upper().startswith(WRITES)]
            # The one write a read may make: the log of a view of the reporter's identity (issue 23), one INSERT,
            # when the caller is shown the reporter (the authority's staff on a case's detail; never a PPK).
            logged = [sql for sql in writes if sql.lstrip().upper().startswith("INSERT INTO REPORTER_VIEWS")]
            expected = 1 if endpoint == "cases.get_case" and role == "investigator" else 0
            assert len(logged) == expected, (endpoint, role, writes)
            writes = [sql for sql in writes if sql not in logged]
            # the public files may come from the process's cache of a release, without a statement at all
            assert (seen or endpoint.startswith("public.")) and not writes, (endpoint, writes)


def test_only_read_only_views_run_in_autocommit_on_postgresql(app, api, seen):
    cast = make_cast()
    caller = api(cast.investigator)
    payload = new_case_payload(cast.agency.id)
    _fresh_session()
    seen.clear()
    assert caller.get("/api/v1/cases?limit=5").status_code == 200
    read = list(seen)
    _fresh_session()
    seen.clear()
    created = caller.post("/api/v1/cases", json=payload)
    assert created.status_code == 201, created.get_json()
    write = list(seen)
    assert read and write
    # On PostgreSQL the read ran without a transaction (no BEGIN, no ROLLBACK round trips); on SQLite as before.
    assert all(autocommit for _, _, autocommit in read) is ON_POSTGRES
    # The write kept its transaction, and the read's connection went back to the pool with the default level.
    assert not any(autocommit for _, _, autocommit in write)
    assert not _autocommit(read[0][1])
    assert caller.get(f"/api/v1/cases/{created.get_json()['id']}").get_json()["status"] == "reported"
