"""Sign-in hardening: CSRF everywhere, per-address throttling, bounded lockout, TOTP, session expiry."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from sqlalchemy import select

from app.core.clock import utcnow
from app.db import db
from app.models.auth import LoginThrottle, User
from tests import factories
from tests.web.conftest import Pages


def _login(pages: Pages, email: str, password: str) -> object:
    return pages.post("/login", {"email": email, "password": password}, page="/login")


def test_sign_in_and_out(world, pages):
    response = pages.login(world.investigator)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Selamat datang, Ina Penyelidik" in pages.get("/").get_data(as_text=True)
    response = pages.post("/logout", page="/")
    assert response.status_code == 302
    assert "Anda telah keluar." in pages.get("/login").get_data(as_text=True)
    assert pages.get("/").status_code == 302


def test_wrong_password_is_refused_in_indonesian(world, pages):
    response = _login(pages, world.investigator.email, "salah-sekali-123")
    assert response.status_code == 401
    assert "Email atau kata sandi salah." in response.get_data(as_text=True)
    response = _login(pages, "", "")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Email wajib diisi." in html and "Kata sandi wajib diisi." in html


def test_post_without_csrf_token_is_refused_not_a_server_error(world, pages, make_case):
    for url in ("/login", "/logout", "/lang/en"):
        response = pages.client.post(url, data={"email": world.investigator.email, "password": factories.PASSWORD})
        assert response.status_code == 400, url
        assert "token keamanannya tidak ada" in response.get_data(as_text=True)
    case = make_case("under_review")
    pages.login(world.investigator)
    for url in (
        "/cases/new",
        f"/cases/{case.id}/events/dismiss",
        f"/cases/{case.id}/attachments",
        "/admin/agencies/new",
    ):
        response = pages.client.post(url, data={"reason": "x"})
        assert response.status_code == 400, url
        assert "Muat ulang halaman" in response.get_data(as_text=True)
    response = pages.client.post("/login", data={"csrf_token": "palsu", "email": "a@b.c", "password": "x"})
    assert response.status_code == 400


def test_open_redirect_after_sign_in_is_ignored(world, pages):
    token = pages.token("/login")
    response = pages.client.post(
        "/login?next=https://evil.example/x",
        data={"email": world.ppk.email, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_failures_from_one_address_are_throttled_for_a_while(world, pages, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_IP_MAX_FAILURES", 3)
    victim = world.commissioner
    for n in range(3):
        # Different accounts: the address, not an account, is what gets slowed down.
        assert _login(pages, f"orang{n}@tindak.test", "tebakan-salah-1").status_code == 401
    blocked = _login(pages, victim.email, factories.PASSWORD)
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan masuk yang gagal dari alamat ini" in blocked.get_data(as_text=True)
    row = db.session.scalar(select(LoginThrottle))
    assert row.blocked_until <= utcnow() + timedelta(minutes=60)
    row.blocked_until = utcnow() - timedelta(seconds=1)  # the block has run out
    db.session.commit()
    assert _login(pages, victim.email, factories.PASSWORD).status_code == 302


def test_account_lockout_is_short_and_bounded(world, pages, app):
    target = world.investigator
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 6):
        _login(pages, target.email, "tebakan-salah-1")
    db.session.expire_all()
    locked = db.session.get(User, target.id)
    assert locked.locked_until is not None
    assert locked.locked_until <= utcnow() + timedelta(minutes=120)
    refused = _login(pages, target.email, factories.PASSWORD)
    assert refused.status_code == 401
    assert "dikunci sementara" in refused.get_data(as_text=True)


def test_idle_session_expires(world, pages_for, app):
    pages = pages_for(world.ppk)
    assert pages.get("/").status_code == 200
    with pages.client.session_transaction() as session:
        session["last_seen"] = time.time() - (app.config["SESSION_IDLE_MINUTES"] * 60 + 5)
    response = pages.get("/cases")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    html = pages.get("/login").get_data(as_text=True)
    assert "Sesi Anda berakhir karena tidak ada aktivitas" in html
    assert pages.get("/").status_code == 302


def test_session_has_an_absolute_lifetime(world, pages_for, app):
    pages = pages_for(world.ppk)
    with pages.client.session_transaction() as session:
        session["signed_in_at"] = time.time() - app.permanent_session_lifetime.total_seconds() - 5
    assert pages.get("/").status_code == 302


def test_disabling_a_user_ends_their_sessions(world, pages_for):
    ppk = pages_for(world.ppk)
    admin = pages_for(world.admin)
    assert admin.post(f"/admin/users/{world.ppk.id}/disable", page=f"/admin/users/{world.ppk.id}").status_code == 303
    assert ppk.get("/").status_code == 302


def test_totp_second_factor_for_kasn_roles(world, pages_for, pages):
    user = world.commissioner
    account = pages_for(user)
    html = account.get("/akun").get_data(as_text=True)
    assert "<svg" in html  # the QR code, drawn on the server
    secret = html.split('id="totp-secret">')[1].split("<")[0]
    wrong = account.post("/akun", {"code": "000000"}, page="/akun")
    assert wrong.status_code == 422 and "Kode verifikasi salah." in wrong.get_data(as_text=True)
    assert account.post("/akun", {"code": pyotp.TOTP(secret).now()}, page="/akun").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == secret

    totp = pyotp.TOTP(secret)
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=30)) as clock:
        # Signing in now takes the password, then the code (a new one: the code that enabled it is spent).
        response = pages.login(user)
        assert response.headers["Location"] == "/login/kode"
        assert pages.get("/").status_code == 302  # not signed in yet
        bad = pages.post("/login/kode", {"code": "123456"}, page="/login/kode")
        assert bad.status_code == 401 and "Kode verifikasi salah." in bad.get_data(as_text=True)
        good = pages.post("/login/kode", {"code": totp.now()}, page="/login/kode")
        assert good.status_code == 302 and good.headers["Location"] == "/"
        assert pages.get("/").status_code == 200

        # Turning it off needs a current code, not one already used.
        clock.shift(30)
        assert account.post("/akun", {"code": totp.now()}, page="/akun").status_code == 302
        db.session.expire_all()
        assert db.session.get(User, user.id).totp_secret is None


def test_a_totp_code_signs_in_once(world, app):
    """A code seen over a shoulder or phished in real time cannot be used again within its window."""
    user = world.investigator
    secret = pyotp.random_base32()
    user.totp_secret = secret
    db.session.commit()
    code = pyotp.TOTP(secret).now()
    first, second = Pages(app.test_client()), Pages(app.test_client())
    for pages in (first, second):
        assert pages.login(user).headers["Location"] == "/login/kode"
    assert first.post("/login/kode", {"code": code}, page="/login/kode").status_code == 302
    replay = second.post("/login/kode", {"code": code}, page="/login/kode")
    assert replay.status_code == 401 and "Kode verifikasi salah." in replay.get_data(as_text=True)
    assert second.get("/").status_code == 302  # not signed in
    # An older code (the previous step, still inside the drift window) is refused too.
    older = pyotp.TOTP(secret).at(datetime.now(UTC) - timedelta(seconds=30))
    assert second.post("/login/kode", {"code": older}, page="/login/kode").status_code == 401


def test_totp_code_step_gives_up_after_repeated_wrong_codes(world, pages):
    world.investigator.totp_secret = pyotp.random_base32()
    db.session.commit()
    pages.login(world.investigator)
    for _ in range(4):
        assert pages.post("/login/kode", {"code": "111111"}, page="/login/kode").status_code == 401
    last = pages.post("/login/kode", {"code": "111111"}, page="/login/kode")
    assert last.status_code == 302 and last.headers["Location"] == "/login"
    assert pages.get("/login/kode").status_code == 302


def test_totp_is_not_offered_to_ppk_offices(world, pages_for):
    pages = pages_for(world.ppk)
    html = pages.get("/akun").get_data(as_text=True)
    assert "tersedia untuk peran KASN" in html and "Kode QR untuk aplikasi autentikator" not in html  # no QR code
    assert pages.post("/akun", {"code": "123456"}, page="/akun").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, world.ppk.id).totp_secret is None
