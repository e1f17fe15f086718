"""Test fixtures: one schema per session built by the migrations, every table emptied after each test.

The suite runs on SQLite by default and on PostgreSQL when TINDAK_TEST_DB=postgres (TEST_DATABASE_URL).
Tests commit for real (threads, processes and the CLI see their data); cleaning is a DELETE of every table.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.db import db
from tests import factories
from tests.browser import browser, live_server, screenshots, viewport  # noqa: F401 - the browser tests' fixtures
from tests.clocked import SUITE_NOW

ON_POSTGRES = os.environ.get("TINDAK_TEST_DB") == "postgres"
if "faketime" in os.environ.get("LD_PRELOAD", ""):
    # CI's shifted-clock run (.ci/shifted-clock): libfaketime 0.9.10, with the monotonic clock left real (faked,
    # every timed lock or event wait of Python hangs), rewrites the absolute deadline of clock_nanosleep, which
    # `time.sleep` uses, and the kernel answers EINVAL. A timed event wait is the same pause without that call;
    # it stands in for `time.sleep` in this process (the tests' and the standard library's, e.g. Popen.wait).
    def _sleep(seconds: float) -> None:
        threading.Event().wait(max(float(seconds), 0.0))

    time.sleep = _sleep
pytest_plugins = ["tests.smtp"]


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if ON_POSTGRES:
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            raise pytest.UsageError("TINDAK_TEST_DB=postgres needs TEST_DATABASE_URL")
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (run with TEST_DATABASE_URL)")
    long_runs = os.environ.get("TINDAK_LONG_TESTS") == "1"
    skip_slow = pytest.mark.skip(reason="long run: set TINDAK_LONG_TESTS=1")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        if "slow" in item.keywords and not long_runs:
            item.add_marker(skip_slow)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app_overrides(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "ATTACHMENT_DIR": str(tmp_path_factory.mktemp("attachments")),
        "BASE_URL": "http://tindak.test",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,  # nothing listens: a test that needs SMTP starts its own server
        "MAIL_DEFAULT_SENDER": "Tindak <noreply@tindak.test>",
        "ESCALATION_RECIPIENTS_MENPANRB": ["eskalasi@menpan.go.id"],
        "ESCALATION_RECIPIENTS_KEMENDAGRI": ["eskalasi@kemendagri.go.id"],
        "ESCALATION_RECIPIENTS_KASN": ["ketua@kasn.go.id"],
        "ESCALATION_RECIPIENTS_BKN": ["blokir@bkn.go.id"],
        "SCHEDULER_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PASSWORD_HASH_FAST": True,
        "DASHBOARD_CACHE_SECONDS": 0,  # figures counted at every view (tests/web/test_dashboard.py tests the cache)
    }


@pytest.fixture(scope="session")
def app(app_overrides: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(app_overrides)
    with application.app_context():
        if ON_POSTGRES:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        db.session.remove()
    yield application


def empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def suite_clock() -> Iterator[time_machine.Coordinates]:
    """Every test runs on the suite's clock (SUITE_NOW, moving), never on the day the suite happens to run.

    Programs a test starts read the same clock: they are run through `tests.clocked` (see its docstring)."""
    with time_machine.travel(SUITE_NOW, tick=True) as clock:
        yield clock


@pytest.fixture(autouse=True)
def _app_context(app: Flask, suite_clock: time_machine.Coordinates) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()
        empty_all_tables()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def make_agency() -> Callable[..., Any]:
    return factories.make_agency


@pytest.fixture
def make_user() -> Callable[..., Any]:
    return factories.make_user


@pytest.fixture
def token_for(client: FlaskClient) -> Callable[[Any], str]:
    """Return a bearer token for a user created by make_user (password factories.PASSWORD)."""

    cache: dict[int, str] = {}

    def _token(user: Any) -> str:
        if user.id not in cache:
            response = client.post("/api/v1/auth/token", json={"email": user.email, "password": factories.PASSWORD})
            assert response.status_code == 201, response.get_json()
            cache[user.id] = response.get_json()["token"]
        return cache[user.id]

    return _token


@pytest.fixture
def api(client: FlaskClient, token_for: Callable[[Any], str]) -> Callable[..., Any]:
    """`api(user).get(url)` / `.post(url, json=...)` with the user's bearer token."""

    class _Api:
        def __init__(self, user: Any):
            self.headers = {"Authorization": f"Bearer {token_for(user)}"}

        def get(self, url: str, **kw: Any) -> Any:
            return client.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

        def post(self, url: str, **kw: Any) -> Any:
            return client.post(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

        def patch(self, url: str, **kw: Any) -> Any:
            return client.patch(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

        def delete(self, url: str, **kw: Any) -> Any:
            return client.delete(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    return _Api
