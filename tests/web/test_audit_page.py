"""The administrator's audit page (case history, sign-ins, refused sign-ins, emails sent again: filters, keyset
pages, admin only) and the outbox's resend of a dead email (asks first, recorded) — SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from app.admin import audit
from app.db import db
from app.models.notifications import ActivityEvent
from app.models.outbox import OutboxMessage
from tests.factories import PASSWORD, E, S, case_in, make_cast
from workflows import TRANSITIONS

ROWS = re.compile(r"<tbody>(.*?)</tbody>", re.S)


def _body(response) -> str:
    match = ROWS.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:500]
    return match.group(1)


def test_sign_ins_and_refusals_are_logged_web_and_api(client, pages_for):
    cast = make_cast()
    pages_for(cast.ppk)  # a web sign-in
    client.post("/api/v1/auth/token", json={"email": cast.investigator.email, "password": PASSWORD})
    client.post("/api/v1/auth/token", json={"email": cast.investigator.email, "password": "salah-sekali-123"})
    client.post("/api/v1/auth/token", json={"email": "siapa@tidak.ada", "password": "salah-sekali-123"})
    rows = list(db.session.scalars(select(ActivityEvent).order_by(ActivityEvent.id)))
    seen = [(r.kind, r.user_id, r.channel, (r.data or {}).get("reason")) for r in rows]
    assert ("sign_in", cast.ppk.id, "web", None) in seen
    assert ("sign_in", cast.investigator.id, "api", None) in seen
    assert ("sign_in_failed", cast.investigator.id, "api", "wrong_password") in seen
    assert ("sign_in_failed", None, "api", "unknown_account") in seen
    assert all("salah-sekali" not in str(r.data) for r in rows)  # never the password typed


def test_filters_pages_and_words(pages_for):
    cast = make_cast()
    first = case_in(cast, S.AWAITING_FOLLOW_UP)
    with time_machine.travel(datetime(2026, 11, 25, 3, 0, tzinfo=UTC), tick=False):
        second = case_in(cast, S.UNDER_REVIEW)
    admin = pages_for(cast.admin)
    page = admin.get("/admin/audit")
    assert page.status_code == 200
    body = _body(page)
    assert (
        "Perkara dicatat" in body
        and "Rekomendasi diterbitkan" in body.replace("Terbitkan rekomendasi", "Rekomendasi diterbitkan")
        or "Terbitkan" in body
    )
    assert "Masuk" in body and cast.admin.email in body  # the admin's own sign-in
    assert "WIB" in body
    # by case number: that case's history only
    only = _body(admin.get(f"/admin/audit?case={first.number}"))
    assert first.number in only and second.number not in only and "Masuk" not in only
    # by person: the investigator's acts only (the issue was the second commissioner's)
    mine = _body(admin.get(f"/admin/audit?who={cast.investigator.email}"))
    assert "Perkara dicatat" in mine and TRANSITIONS[E.ISSUE_RECOMMENDATION].label not in mine
    assert cast.commissioner2.email not in mine and cast.admin.email not in mine
    # by date range (days in WIB): 25 November holds the second case only
    day = _body(admin.get("/admin/audit?since=2026-11-25&until=2026-11-25"))
    assert second.number in day and first.number not in day
    # by kind
    signins = _body(admin.get("/admin/audit?kind=sign_in"))
    assert "Perkara dicatat" not in signins and cast.admin.email in signins
    # bad filters: every error at once, 422
    bad = admin.get("/admin/audit?since=kemarin&kind=apa")
    assert bad.status_code == 422 and "Tanggal tidak sah" in bad.get_data(as_text=True)
    assert admin.get("/admin/audit?cursor=bukan-kursor").status_code == 422


def test_keyset_pages_cover_everything_once(pages_for):
    cast = make_cast()
    for _ in range(6):
        case_in(cast, S.AWAITING_FOLLOW_UP)  # 4 history rows each: 24 rows, plus the sign-in
    admin = pages_for(cast.admin)
    seen: list[str] = []
    url = "/admin/audit"
    pages = 0
    while url:
        html = admin.get(url).get_data(as_text=True)
        seen += re.findall(r'<tr>\s*<td data-label="Waktu">(.*?)</tr>', html, re.S)
        found = re.search(r'<a href="([^"]+)" id="audit-next">', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
    assert len(seen) == 25 and pages == 1  # one page of 50
    cursor, total, pages = None, [], 0
    while True:
        page, cursor = audit.audit_page(audit.AuditFilters(), cursor, limit=7)
        total += [(r.at, r.what, r.case_number) for r in page]
        pages += 1
        if cursor is None:
            break
    assert pages == 4 and len(total) == 25 and len(set(total)) == len(total)
    assert [r[0] for r in total] == sorted((r[0] for r in total), reverse=True)


def test_admin_only(client, pages_for):
    cast = make_cast()
    for role in ("investigator", "commissioner", "ppk", "overseer"):
        assert pages_for(cast.user(role)).get("/admin/audit").status_code == 403
    assert client.get("/admin/audit").status_code == 302  # signed out: to the sign-in page


def test_resending_a_dead_email_asks_first_and_is_recorded(pages_for, api):
    cast = make_cast()
    case_in(cast, S.AWAITING_FOLLOW_UP)
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "recommendation_issued"))
    message.status, message.attempts, message.last_error = "dead", 8, "550 5.1.1 mailbox unavailable"
    db.session.commit()
    admin = pages_for(cast.admin)
    listing = admin.get("/admin/outbox?status=dead").get_data(as_text=True)
    assert "Gagal (perlu tindakan)" in listing and "Rekomendasi diterbitkan" in listing
    confirm = admin.get(f"/admin/outbox/{message.id}/retry?status=dead")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "550 5.1.1" in html and "Ya, kirim ulang" in html
    # a POST without the page's confirmation only shows the page again
    admin.post(f"/admin/outbox/{message.id}/retry", {"status": "dead"}, page=f"/admin/outbox/{message.id}/retry")
    db.session.refresh(message)
    assert message.status == "dead"
    done = admin.post(
        f"/admin/outbox/{message.id}/retry",
        {"status": "dead", "confirm": "1"},
        page=f"/admin/outbox/{message.id}/retry",
    )
    assert done.status_code == 303
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 0)
    event = db.session.scalar(select(ActivityEvent).where(ActivityEvent.kind == "outbox_resend"))
    assert event.user_id == cast.admin.id and event.data["message_id"] == message.id
    audit_rows = _body(admin.get("/admin/audit?kind=outbox_resend"))
    assert f"Email #{message.id} untuk {message.recipient} dikirim ulang" in audit_rows
    assert cast.admin.email in audit_rows
    # a sent email is not sent again (409 in the API, a warning on the page)
    message.status = "sent"
    db.session.commit()
    assert api(cast.admin).post(f"/api/v1/outbox/{message.id}/retry").status_code == 409
    for role in ("investigator", "ppk"):
        assert pages_for(cast.user(role)).get(f"/admin/outbox/{message.id}/retry").status_code == 403
