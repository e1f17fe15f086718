"""The bell's pages: the list, marking one or all read, the count in every page's header, the daily email's
switch (no browser: tests/web/test_bell_browser.py draws them in Chromium)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.db import db
from app.models.auth import User
from app.models.notifications import Notification
from tests.factories import S, case_in, make_cast


def test_the_bell_page_and_marking_read(pages_for):
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    other_case = case_in(cast, S.AWAITING_FOLLOW_UP)
    client = pages_for(cast.ppk)
    page = client.get("/notifikasi")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2 belum dibaca" in html and case.number in html and other_case.number in html
    assert "Siti Pelapor" not in html and cast.investigator.name not in html
    ids = [n.id for n in db.session.scalars(select(Notification).where(Notification.user_id == cast.ppk.id))]
    response = client.post("/notifikasi/baca", data={"id": ids[0], "open": case.id})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/cases/{case.id}")
    assert "1 belum dibaca" in client.get("/cases").get_data(as_text=True)  # the bell in every page's header
    client.post("/notifikasi/baca", data={"all": "1"})
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.read_at.is_(None), Notification.user_id == cast.ppk.id)
        )
        == 0
    )
    # another person's notices stay unread
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.read_at.is_(None))) > 0


def test_off_from_the_notifications_page(pages_for):
    cast = make_cast()
    page = pages_for(cast.ppk)
    response = page.post("/notifikasi/email-harian", {"digest": "0"}, page="/notifikasi")
    assert response.status_code == 303
    assert db.session.get(User, cast.ppk.id).notify_digest is False
    assert "Aktifkan email harian" in page.get("/notifikasi").get_data(as_text=True)


def test_off_and_on_again_from_the_account_page(pages_for):
    cast = make_cast()
    page = pages_for(cast.investigator)
    assert "Matikan email harian" in page.get("/akun").get_data(as_text=True)
    response = page.post("/notifikasi/email-harian", {"digest": "0", "back": "account"}, page="/akun")
    assert response.status_code == 303 and response.headers["Location"].endswith("/akun")
    assert db.session.get(User, cast.investigator.id).notify_digest is False
    assert "Aktifkan email harian" in page.get("/akun").get_data(as_text=True)
    page.post("/notifikasi/email-harian", {"digest": "1", "back": "account"}, page="/akun")
    db.session.expire_all()
    assert db.session.get(User, cast.investigator.id).notify_digest is True
