"""Issue 16, holes 1-3: the second factor on every way in (web and API, with one-time recovery codes, mandatory
for KASN roles when TOTP_REQUIRED), one failure count and one block for web and API with the same answer for a
locked account and an unknown email, and sessions that end: sign-out ends this session for good, a password
change, a disabled account, a removed second factor and "sign out everywhere" end every session and token."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from app.core.clock import utcnow
from app.db import db
from app.models.auth import ApiToken, User
from tests import factories
from tests.web.conftest import Pages

TOKEN = "/api/v1/auth/token"


def _token(client, user, **extra):
    return client.post(TOKEN, json={"email": user.email, "password": factories.PASSWORD, **extra})


def _with_totp(user) -> pyotp.TOTP:
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    return pyotp.TOTP(user.totp_secret)


def _enrol(pages: Pages) -> tuple[pyotp.TOTP, list[str]]:
    """Turn the second factor on from the account page (QR code and key); returns it and the recovery codes."""
    html = pages.get("/akun").get_data(as_text=True)
    assert "<svg" in html
    totp = pyotp.TOTP(html.split('id="totp-secret">')[1].split("<")[0])
    assert pages.post("/akun", {"code": totp.now()}, page="/akun").status_code == 302
    shown = pages.get("/akun").get_data(as_text=True)
    codes = re.findall(r"<li class=\"col\">([a-z0-9]{5}-[a-z0-9]{5})</li>", shown)
    return totp, codes


# -- 1. the second factor on the API --------------------------------------------------------------------------


def test_a_token_for_an_account_with_a_second_factor_needs_a_current_code_used_once(client, world):
    user = world.commissioner
    totp = _with_totp(user)
    missing = _token(client, user)
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "second_factor_required"
    wrong = _token(client, user, totp="000000")
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "invalid_second_factor"
    code = totp.now()
    assert _token(client, user, totp=code).status_code == 201
    replay = _token(client, user, totp=code)
    assert replay.status_code == 401 and replay.get_json()["error"]["code"] == "invalid_second_factor"
    # the token endpoint documents the field
    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema = spec["components"]["schemas"][body["$ref"].split("/")[-1]] if "$ref" in body else body
    assert "totp" in schema["properties"]


def test_recovery_codes_are_shown_once_and_each_signs_in_once(world, pages_for, app, client):
    user = world.investigator
    account = pages_for(user)
    totp, codes = _enrol(account)
    assert len(codes) == 10 and len(set(codes)) == 10
    again = account.get("/akun").get_data(as_text=True)
    assert codes[0] not in again and "Kode pemulihan yang belum terpakai: 10." in again
    # web: a recovery code in place of the authenticator's code, once
    browser = Pages(app.test_client())
    assert browser.login(user).headers["Location"] == "/login/kode"
    assert browser.post("/login/kode", {"code": codes[0]}, page="/login/kode").headers["Location"] == "/"
    other = Pages(app.test_client())
    other.login(user)
    assert other.post("/login/kode", {"code": codes[0]}, page="/login/kode").status_code == 401
    # API: another recovery code, once
    assert _token(client, user, totp=codes[1].upper()).status_code == 201
    assert _token(client, user, totp=codes[1]).status_code == 401
    # new codes need a current code and replace the old ones
    with time_machine.travel(utcnow() + timedelta(seconds=30)):
        renewed = account.post("/akun/kode-pemulihan", {"codes-code": totp.now()}, page="/akun")
        assert renewed.status_code == 302
        fresh = re.findall(
            r"<li class=\"col\">([a-z0-9]{5}-[a-z0-9]{5})</li>", account.get("/akun").get_data(as_text=True)
        )
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    assert _token(client, user, totp=codes[2]).status_code == 401  # an old code no longer works
    assert _token(client, user, totp=fresh[0]).status_code == 201


def test_kasn_roles_must_enrol_when_the_second_factor_is_mandatory(world, app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", True)
    user = world.commissioner
    refused = _token(client, user)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "second_factor_enrolment_required"
    assert "halaman Akun" in refused.get_json()["error"]["message"]
    pages = Pages(app.test_client())
    assert pages.login(user).headers["Location"] == "/akun"
    blocked = pages.get("/cases")
    assert blocked.status_code == 302 and blocked.headers["Location"] == "/akun"
    assert "wajib memakai verifikasi dua langkah" in pages.get("/akun").get_data(as_text=True)
    totp, _codes = _enrol(pages)
    assert pages.get("/cases").status_code == 200
    # it cannot be turned off while mandatory
    with time_machine.travel(utcnow() + timedelta(seconds=30)):
        off = pages.post("/akun", {"code": totp.now()}, page="/akun")
    assert off.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret is not None
    # a PPK office is not concerned
    assert _token(client, world.ppk).status_code == 201


def test_the_second_factor_is_optional_by_default_and_mandatory_in_production():
    from config import load_config

    assert load_config({})["TOTP_REQUIRED"] is False
    assert load_config({"TINDAK_ENV": "production"})["TOTP_REQUIRED"] is True
    assert load_config({"TINDAK_ENV": "production", "TOTP_REQUIRED": "0"})["TOTP_REQUIRED"] is False


# -- 2. one failure count and one block for every way in --------------------------------------------------------


def _web_login(pages: Pages, email: str, password: str):
    return pages.post("/login", {"email": email, "password": password}, page="/login")


def test_api_failures_block_the_address_for_the_web_form_and_the_other_way_round(world, app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_IP_MAX_FAILURES", 3)
    for n in range(3):
        assert client.post(TOKEN, json={"email": f"orang{n}@tindak.test", "password": "salah-1234"}).status_code == 401
    pages = Pages(app.test_client())
    assert _web_login(pages, world.ppk.email, factories.PASSWORD).status_code == 429
    blocked = client.post(TOKEN, json={"email": world.ppk.email, "password": factories.PASSWORD})
    assert blocked.status_code == 429 and blocked.get_json()["error"]["code"] == "too_many_requests"


def test_web_failures_lock_the_account_for_the_api_too(world, app, client):
    target = world.investigator
    pages = Pages(app.test_client())
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _web_login(pages, target.email, "tebakan-salah-1").status_code == 401
    refused = _token(client, target)  # the right password, during the lock
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "invalid_credentials"


def test_a_locked_account_and_an_unknown_email_answer_the_same(world, app, client):
    target = world.investigator
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post(TOKEN, json={"email": target.email, "password": "tebakan-salah-1"})
    db.session.expire_all()
    assert db.session.get(User, target.id).locked_until is not None
    locked = _token(client, target)
    unknown = client.post(TOKEN, json={"email": "tidak-ada@tindak.test", "password": factories.PASSWORD})
    wrong = client.post(TOKEN, json={"email": world.ppk.email, "password": "tebakan-salah-1"})
    answers = {
        (r.status_code, r.get_json()["error"]["code"], r.get_json()["error"]["message"])
        for r in (locked, unknown, wrong)
    }
    assert len(answers) == 1
    pages = Pages(app.test_client())
    web = [_web_login(pages, email, factories.PASSWORD) for email in (target.email, "tidak-ada@tindak.test")]
    assert {r.status_code for r in web} == {401}
    flashes = [re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', r.get_data(as_text=True), re.S) for r in web]
    assert flashes[0] == flashes[1]


def test_the_wrong_code_count_lives_on_the_server_not_in_the_cookie(world, app):
    user = world.investigator
    _with_totp(user)
    pages = Pages(app.test_client())
    assert pages.login(user).headers["Location"] == "/login/kode"
    saved = pages.client.get_cookie("session").value
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        assert pages.post("/login/kode", {"code": "111111"}, page="/login/kode").status_code == 401
        pages.client.set_cookie("session", saved)  # replay the cookie from before the wrong codes
    last = pages.post("/login/kode", {"code": "111111"}, page="/login/kode")
    assert last.status_code == 302 and last.headers["Location"] == "/login"
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until is not None


def test_a_correct_password_does_not_reset_the_wrong_code_count(world, app):
    """With the password known, signing in again must not give a fresh round of code guesses."""
    user = world.investigator
    _with_totp(user)
    limit = app.config["LOGIN_MAX_FAILURES"]
    pages = Pages(app.test_client())
    for _ in range(limit - 1):
        pages.login(user)
        assert pages.post("/login/kode", {"code": "111111"}, page="/login/kode").status_code == 401
    pages.login(user)
    assert pages.post("/login/kode", {"code": "111111"}, page="/login/kode").headers["Location"] == "/login"
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until is not None


# -- 3. sessions that end -------------------------------------------------------------------------------------


def _copy_of(pages: Pages, app) -> Pages:
    """Another browser holding a copy of `pages`' session cookie (stolen, or left on a shared computer)."""
    thief = Pages(app.test_client())
    thief.client.set_cookie("session", pages.client.get_cookie("session").value)
    return thief


def test_signing_out_ends_the_session_for_good(world, pages_for, app, make_case):
    case = make_case("under_review")
    pages = pages_for(world.investigator)
    thief = _copy_of(pages, app)
    assert factories.REPORTER["name"] in thief.get(f"/cases/{case.id}").get_data(as_text=True)
    assert pages.post("/logout", page="/").status_code == 302
    after = thief.get(f"/cases/{case.id}")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    assert factories.REPORTER["name"] not in after.get_data(as_text=True)


def test_changing_ones_password_ends_the_other_sessions_and_tokens(world, pages_for, app, client):
    user = world.investigator
    here, elsewhere = pages_for(user), pages_for(user)
    token = _token(client, user).get_json()["token"]
    wrong = here.post(
        "/akun/kata-sandi", {"current_password": "bukan-ini-123", "new_password": "kata-sandi-baru-42"}, page="/akun"
    )
    assert wrong.status_code == 422 and "Kata sandi saat ini salah." in wrong.get_data(as_text=True)
    weak = here.post(
        "/akun/kata-sandi", {"current_password": factories.PASSWORD, "new_password": "pendek"}, page="/akun"
    )
    assert weak.status_code == 422 and "minimal 8 karakter" in weak.get_data(as_text=True)
    done = here.post(
        "/akun/kata-sandi", {"current_password": factories.PASSWORD, "new_password": "kata-sandi-baru-42"}, page="/akun"
    )
    assert done.status_code == 302
    assert here.get("/").status_code == 200  # this browser stays signed in
    assert elsewhere.get("/").status_code == 302
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.post(TOKEN, json={"email": user.email, "password": "kata-sandi-baru-42"}).status_code == 201


def test_sign_out_everywhere_from_the_account_page(world, pages_for, client):
    user = world.commissioner
    one, two = pages_for(user), pages_for(user)
    token = _token(client, user).get_json()["token"]
    response = one.post("/akun/keluar-semua", page="/akun")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert one.get("/").status_code == 302 and two.get("/").status_code == 302
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.mark.parametrize("action", ["sessions", "disable", "password", "totp"])
def test_each_admin_action_on_a_user_ends_every_session_and_token(world, pages_for, client, action):
    user = world.investigator
    _with_totp(user) if action == "totp" else None
    if action == "totp":
        user_pages = Pages(pages_for(world.admin).client.application.test_client())
        user_pages.login(user)
        user_pages.post("/login/kode", {"code": pyotp.TOTP(user.totp_secret).now()}, page="/login/kode")
        token = _token(client, user, totp=pyotp.TOTP(user.totp_secret).at(utcnow() + timedelta(seconds=30)))
    else:
        user_pages = pages_for(user)
        token = _token(client, user)
    assert user_pages.get("/").status_code == 200
    bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
    assert client.get("/api/v1/cases", headers=bearer).status_code == 200
    admin = pages_for(world.admin)
    data = {"password": "kata-sandi-admin-77"} if action == "password" else {}
    assert admin.post(f"/admin/users/{user.id}/{action}", data, page=f"/admin/users/{user.id}").status_code == 303
    assert user_pages.get("/").status_code == 302
    assert client.get("/api/v1/cases", headers=bearer).status_code == 401
    assert (
        db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
        == []
    )
