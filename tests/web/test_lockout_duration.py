"""Issue 20: a refused sign-in that shows a block says how long it lasts ("Coba lagi dalam N menit"), on the page
and in the API error, with the same status codes; the one answer for an unknown email, a wrong password and a
locked account stays one answer and names no duration (it must not tell that an account exists or is locked)."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import time_machine

from app.auth.sessions import minutes_until
from app.core.clock import utcnow
from app.db import db
from app.models.auth import User
from tests import factories
from tests.web.conftest import Pages

TOKEN = "/api/v1/auth/token"


def _web_login(pages: Pages, email: str, password: str):
    return pages.post("/login", {"email": email, "password": password}, page="/login")


def _alerts(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", a).strip() for a in re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S)]


def _with_totp(user: User) -> None:
    user.totp_secret = pyotp.random_base32()
    db.session.commit()


def test_minutes_are_rounded_up_and_never_zero():
    now = utcnow()
    assert minutes_until(now + timedelta(minutes=5), now) == 5
    assert minutes_until(now + timedelta(minutes=4, seconds=1), now) == 5
    assert minutes_until(now + timedelta(seconds=1), now) == 1
    assert minutes_until(now - timedelta(seconds=30), now) == 1
    assert minutes_until(now + timedelta(minutes=120), now) == 120


def test_the_blocked_address_is_told_how_long_on_the_page(world, pages, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_IP_MAX_FAILURES", 3)
    for n in range(3):
        assert _web_login(pages, f"orang{n}@tindak.test", "tebakan-salah-1").status_code == 401
    blocked = _web_login(pages, world.investigator.email, factories.PASSWORD)
    assert blocked.status_code == 429
    (alert,) = _alerts(blocked.get_data(as_text=True))
    assert "Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi dalam 5 menit (setelah" in alert
    with time_machine.travel(utcnow() + timedelta(minutes=3), tick=False):
        later = _web_login(pages, world.investigator.email, factories.PASSWORD)
    assert later.status_code == 429
    assert "Coba lagi dalam 2 menit" in later.get_data(as_text=True)
    # in English when the reader chose English
    pages.post("/lang/en", {"next": "/login"}, page="/login")
    english = _web_login(pages, world.investigator.email, factories.PASSWORD)
    assert english.status_code == 429
    assert "Try again in 5 min (after" in english.get_data(as_text=True)


def test_the_blocked_address_is_told_how_long_by_the_api(world, app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_IP_MAX_FAILURES", 3)
    for n in range(3):
        assert client.post(TOKEN, json={"email": f"orang{n}@tindak.test", "password": "salah-1234"}).status_code == 401
    blocked = client.post(TOKEN, json={"email": world.ppk.email, "password": factories.PASSWORD})
    assert blocked.status_code == 429
    error = blocked.get_json()["error"]
    assert error["code"] == "too_many_requests"
    assert error["message"] == ("Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi dalam 5 menit.")
    assert error["details"]["retry_after_minutes"] == 5
    assert error["details"]["retry_after"]


def test_the_code_step_says_how_long_the_account_is_locked(world, app):
    user = world.investigator
    _with_totp(user)
    pages = Pages(app.test_client())
    assert pages.login(user).headers["Location"] == "/login/kode"
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert pages.post("/login/kode", {"code": "111111"}, page="/login/kode").status_code == 401
    last = pages.post("/login/kode", {"code": "111111"}, page="/login/kode")
    assert last.status_code == 302 and last.headers["Location"] == "/login"
    alerts = _alerts(pages.get("/login").get_data(as_text=True))
    minutes = app.config["LOGIN_LOCK_MINUTES"]
    assert any(f"akun dikunci sementara. Coba lagi dalam {minutes} menit" in a for a in alerts), alerts


def test_a_locked_account_at_the_code_step_is_told_how_long(world, app):
    """Locked while at the code step (its password guessed wrong elsewhere): the password was right here."""
    user = world.investigator
    _with_totp(user)
    pages = Pages(app.test_client())
    assert pages.login(user).headers["Location"] == "/login/kode"
    db.session.get(User, user.id).locked_until = utcnow() + timedelta(minutes=30)
    db.session.commit()
    refused = pages.post("/login/kode", {"code": "111111"}, page="/login/kode")
    assert refused.status_code == 302 and refused.headers["Location"] == "/login"
    assert "Coba lagi dalam 30 menit" in pages.get("/login").get_data(as_text=True)


def test_the_api_says_how_long_after_wrong_codes_lock_the_account(world, app, client):
    user = world.investigator
    _with_totp(user)
    answers = [
        client.post(TOKEN, json={"email": user.email, "password": factories.PASSWORD, "totp": "111111"})
        for _ in range(app.config["LOGIN_MAX_FAILURES"])
    ]
    assert {r.status_code for r in answers} == {401}
    assert {r.get_json()["error"]["code"] for r in answers} == {"invalid_second_factor"}
    assert answers[0].get_json()["error"]["message"] == "Kode verifikasi salah."
    last = answers[-1].get_json()["error"]
    minutes = app.config["LOGIN_LOCK_MINUTES"]
    assert f"akun dikunci sementara. Coba lagi dalam {minutes} menit." in last["message"]
    assert last["details"]["retry_after_minutes"] == minutes


def test_the_password_answer_names_no_duration_for_a_locked_account(world, app, client):
    target = world.investigator
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post(TOKEN, json={"email": target.email, "password": "tebakan-salah-1"})
    db.session.expire_all()
    assert db.session.get(User, target.id).locked_until is not None
    locked = client.post(TOKEN, json={"email": target.email, "password": factories.PASSWORD})
    unknown = client.post(TOKEN, json={"email": "tidak-ada@tindak.test", "password": factories.PASSWORD})
    assert locked.status_code == unknown.status_code == 401
    assert locked.get_json()["error"] == unknown.get_json()["error"]
    assert "menit" not in locked.get_json()["error"]["message"]
    pages = Pages(app.test_client())
    web = [_web_login(pages, email, factories.PASSWORD) for email in (target.email, "tidak-ada@tindak.test")]
    alerts = [_alerts(r.get_data(as_text=True)) for r in web]
    assert alerts[0] == alerts[1]
    assert not any("menit" in a for a in alerts[0])
