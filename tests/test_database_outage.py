"""A database that does not answer gives 503 with Retry-After in the JSON envelope (API) or a page (web),
never a 500; the application serves again as soon as the database is back (see also
tests/quality/test_pg_restart.py, which restarts a real PostgreSQL under load)."""

from __future__ import annotations

import socket

from app import create_app


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def _unreachable_app(app_overrides):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/tindak?connect_timeout=2"
    return create_app({**app_overrides, "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url})


def test_the_api_answers_503_when_the_database_is_unreachable(app_overrides):
    down = _unreachable_app(app_overrides)
    client = down.test_client()
    response = client.get("/api/v1/cases", headers={"Authorization": "Bearer some-token"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert body["error"]["code"] == "database_unavailable"
    assert "Basis data" in body["error"]["message"]
    # A write fails the same way, and the next request is handled normally (no broken session left behind).
    created = client.post("/api/v1/auth/token", json={"email": "a@b.id", "password": "rahasia-sekali"})
    assert created.status_code == 503 and created.get_json()["error"]["code"] == "database_unavailable"
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_a_page_answers_503_when_the_database_is_unreachable(app_overrides):
    down = _unreachable_app(app_overrides)
    client = down.test_client()
    login_page = client.get("/login")
    token = login_page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"email": "a@b.id", "password": "rahasia-sekali", "csrf_token": token})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Basis data sedang tidak dapat dihubungi" in response.get_data(as_text=True)
