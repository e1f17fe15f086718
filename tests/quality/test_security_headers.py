"""Security headers and cookie flags (RELIABILITY §3), on every kind of response, in development and production."""

from __future__ import annotations

import io
from typing import Any

import pytest

from app import create_app
from app.audit.history import dev_chain_keys
from app.db import db
from tests.factories import PASSWORD, PDF_BYTES, Cast, csrf_token, upload
from tests.quality.conftest import Pages

PUBLIC_PATHS = [
    "/login",  # an HTML page
    "/",  # a redirect to the login page
    "/tidak-ada",  # an HTML error page
    "/static/tindak.css",  # a static file
    "/api/v1/health",
    "/api/v1/openapi.json",
    "/api/v1/cases",  # 401 JSON
    "/api/v1/tidak-ada",  # 404 JSON
]


def csp(response: Any) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def set_cookies(response: Any) -> dict[str, dict[str, Any]]:
    """Name → attributes of every Set-Cookie header (attribute names lower-case; flags map to True)."""
    found = {}
    for raw in response.headers.getlist("Set-Cookie"):
        name = raw.split("=", 1)[0].strip()
        attributes: dict[str, Any] = {}
        for part in raw.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            attributes[key.lower()] = value or True
        found[name] = attributes
    return found


@pytest.fixture(scope="module")
def production_app(app_overrides):
    overrides = dict(app_overrides)
    overrides.update({"TESTING": False, "TINDAK_ENV": "production", "RATELIMIT_ENABLED": False})
    overrides["AUDIT_CHAIN_KEYS"] = dev_chain_keys(overrides["SECRET_KEY"])  # production requires a chain key
    return create_app(overrides)


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_every_kind_of_response_carries_the_security_headers(client, path):
    response = client.get(path, headers={"X-Request-ID": "uji-keamanan-1"})
    assert response.status_code < 500
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert response.headers["X-Request-ID"] == "uji-keamanan-1"
    policy = csp(response)
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    scripts = policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "*" not in scripts
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "Strict-Transport-Security" not in response.headers  # development serves plain http


def test_api_errors_are_json_never_html_or_a_trace(client, world: Cast):
    headers = world.headers("investigator")
    cases = [
        client.get("/api/v1/tidak-ada"),
        client.delete("/api/v1/cases"),
        client.post("/api/v1/cases", data="{bukan json", content_type="application/json", headers=headers),
        client.get("/api/v1/cases", headers={"Authorization": "Bearer palsu"}),
        client.get("/api/v1/cases?limit=100000", headers=headers),
    ]
    assert [r.status_code for r in cases] == [404, 405, 400, 401, 422]
    for response in cases:
        assert response.mimetype == "application/json"
        error = response.get_json()["error"]
        assert set(error) == {"code", "message", "details"}
        assert "Traceback" not in response.get_data(as_text=True)


def test_case_pages_and_the_case_api_are_never_cached(app, client, world: Cast):
    case = world.cases["awaiting"]
    attachment = upload(case, world.ppk, purpose="follow_up")
    pages = Pages(app.test_client(), PASSWORD)
    assert pages.login(world.investigator).status_code == 302
    for path in ("/cases", f"/cases/{case.id}", f"/attachments/{attachment.id}"):
        response = pages.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers.get("Cache-Control", ""), path
    headers = world.headers("investigator")
    for path in (
        "/api/v1/cases",
        f"/api/v1/cases/{case.id}",
        f"/api/v1/cases/{case.id}/history",
        f"/api/v1/cases/{case.id}/attachments",
        f"/api/v1/attachments/{attachment.id}",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert "no-store" in response.headers.get("Cache-Control", ""), path


def test_a_downloaded_file_cannot_run_in_the_browser(client, world: Cast):
    """Even a file that is a PDF and HTML at once is served as an attachment, sandboxed, never sniffed."""
    case = world.cases["reported"]
    polyglot = PDF_BYTES + b"<html><script>alert(document.cookie)</script></html>"
    headers = world.headers("investigator")
    response = client.post(
        f"/api/v1/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(polyglot), "bukti.pdf")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    download = client.get(f"/api/v1/attachments/{response.get_json()['id']}", headers=headers)
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert download.data == polyglot


def test_session_cookie_in_development_is_httponly_and_samesite(client):
    response = client.get("/login")
    cookie = set_cookies(response)["session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "lax"
    assert "secure" not in cookie  # plain http on a developer's machine


def test_production_sets_secure_cookies_and_hsts(production_app, world: Cast):
    email = world.investigator.email
    db.session.commit()  # SQLite: the test's own session must not hold the write lock the other app needs
    client = production_app.test_client()
    login_page = client.get("/login", base_url="https://tindak.test")
    assert login_page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(login_page.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000
    before = set_cookies(login_page)["session"]
    assert before["secure"] is True and before["httponly"] is True and before["samesite"].lower() == "lax"
    token = csrf_token(login_page.get_data(as_text=True))
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        base_url="https://tindak.test",
        headers={"Referer": "https://tindak.test/login"},  # Flask-WTF checks it on HTTPS
    )
    assert response.status_code == 302
    for name, attributes in set_cookies(response).items():
        assert attributes.get("secure") is True, name
        assert attributes.get("httponly") is True, name
        assert attributes.get("samesite", "").lower() in ("lax", "strict"), name
    assert "session" in set_cookies(response)


def test_the_api_ignores_the_session_cookie_and_sets_none(app, client, world: Cast):
    pages = Pages(app.test_client(), PASSWORD)
    assert pages.login(world.investigator).status_code == 302
    assert pages.get("/api/v1/cases").status_code == 401  # a browser session is not an API credential
    response = client.get("/api/v1/cases", headers=world.headers("investigator"))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_form_post_without_its_csrf_token_is_refused(app, world: Cast):
    pages = Pages(app.test_client(), PASSWORD)
    assert pages.login(world.investigator).status_code == 302
    case = world.cases["reported"]
    response = pages.post(f"/cases/{case.id}/events/start_review", {"version": case.version})
    assert response.status_code == 400
    from app.models.cases import Case

    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "reported"
