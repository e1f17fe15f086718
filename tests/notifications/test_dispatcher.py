"""Delivery through a real SMTP server in the test process: headers, retries, dead letters, reclaiming,
SMTP down and back, and two dispatchers at once on PostgreSQL."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.clock import utcnow
from app.db import db, unit_of_work
from app.letters.mail import enqueue
from app.models.outbox import OutboxMessage
from notifications.dispatcher import BACKOFF_SECONDS, JITTER_FRACTION, dispatch_all, dispatch_pending, retry_delay
from tests.notifications.helpers import REPORTER_CONTACT, REPORTER_NAME, make_case
from tests.smtp import allow_smtp, disallow_smtp

PPK = "ppk@instansi.go.id"


def _queue(case, kind="recommendation_issued", recipients=(PPK,), key=None, extra=None):
    with unit_of_work():
        rows = enqueue(
            kind, case=case, recipients=list(recipients), key=key or f"{kind}:{case.id}:1", extra=extra or {}
        )
        return [r.id for r in rows]


def _row(row_id: int) -> OutboxMessage:
    db.session.expire_all()
    row = db.session.get(OutboxMessage, row_id)
    assert row is not None
    return row


def test_delivers_a_multipart_email_with_the_stored_headers(smtp_server, app):
    case = make_case()
    (row_id,) = _queue(case)

    result = dispatch_pending()

    assert result == {"sent": 1, "retried": 0, "dead": 0, "reclaimed": 0}
    (delivery,) = smtp_server.deliveries
    row = _row(row_id)
    message = delivery.message
    assert delivery.rcpt_tos == (PPK,)
    assert delivery.mail_from == "noreply@tindak.test"
    assert message["Subject"] == row.subject
    assert message["Subject"].startswith(f"[Tindak] {case.number} — ")
    assert message["Message-ID"] == row.message_id
    assert message["To"] == PPK
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/mixed"
    alternative = next(part for part in message.walk() if part.get_content_type() == "multipart/alternative")
    parts = {part.get_content_type(): part.get_content() for part in alternative.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert case.number in parts["text/plain"] and case.number in parts["text/html"]
    assert f"http://tindak.test/cases/{case.id}" in parts["text/plain"]
    raw = delivery.raw.decode("utf-8", "replace")
    assert REPORTER_NAME not in raw and REPORTER_CONTACT not in raw
    assert row.status == "sent"
    assert row.attempts == 1
    assert row.sent_at is not None and row.locked_until is None


def test_one_connection_per_batch(smtp_server):
    case = make_case()
    _queue(case, recipients=[f"ppk{i}@instansi.go.id" for i in range(6)])
    assert dispatch_pending()["sent"] == 6
    peers = {d.peer for d in smtp_server.deliveries}
    assert len(peers) == 1
    assert sorted(d.rcpt_tos[0] for d in smtp_server.deliveries) == sorted(f"ppk{i}@instansi.go.id" for i in range(6))


def test_nothing_due_opens_no_connection():
    # No smtp_server fixture: the guard would fail the test if the dispatcher connected anywhere.
    case = make_case()
    with unit_of_work():
        enqueue("reminder", case=case, recipients=[PPK], key="later", send_after=utcnow() + timedelta(hours=2))
    assert dispatch_pending() == {"sent": 0, "retried": 0, "dead": 0, "reclaimed": 0}


def test_a_451_is_retried_later_with_backoff_and_the_same_message_id(smtp_server):
    case = make_case()
    (row_id,) = _queue(case)
    smtp_server.fail_next(1, "451 4.7.1 Greylisted, coba lagi nanti")
    now = utcnow()

    assert dispatch_pending(now=now) == {"sent": 0, "retried": 1, "dead": 0, "reclaimed": 0}
    row = _row(row_id)
    assert row.status == "pending"
    assert row.attempts == 1
    assert "451" in (row.last_error or "")
    assert now + timedelta(seconds=60) <= row.next_attempt_at <= now + timedelta(seconds=60 * (1 + JITTER_FRACTION))
    assert smtp_server.deliveries == []

    # Not yet due: nothing happens.
    assert dispatch_pending(now=now + timedelta(seconds=30))["sent"] == 0
    # Due: delivered, with the Message-ID the row had from the start.
    assert dispatch_pending(now=now + timedelta(minutes=2))["sent"] == 1
    (delivery,) = smtp_server.deliveries
    row = _row(row_id)
    assert delivery.message_id == row.message_id
    assert row.status == "sent" and row.attempts == 2 and row.last_error is None


def test_a_451_at_data_is_temporary_too(smtp_server):
    case = make_case()
    (row_id,) = _queue(case)
    smtp_server.fail_next(1, "452 4.3.1 Ruang penyimpanan penuh", stage="data")
    assert dispatch_pending()["retried"] == 1
    assert _row(row_id).status == "pending"


def test_a_550_goes_dead_visible_in_the_api_and_retry_sends_it(smtp_server, api, make_user):
    case = make_case()
    (row_id,) = _queue(case)
    smtp_server.fail_next(1, "550 5.1.1 Kotak surat tidak dikenal")

    assert dispatch_pending() == {"sent": 0, "retried": 0, "dead": 1, "reclaimed": 0}
    row = _row(row_id)
    assert row.status == "dead" and "550" in (row.last_error or "")

    admin = api(make_user("admin"))
    listing = admin.get("/api/v1/outbox?status=dead")
    assert listing.status_code == 200
    (item,) = listing.get_json()["items"]
    assert item["id"] == row_id
    assert item["case_number"] == case.number
    assert "550" in item["last_error"]

    retried = admin.post(f"/api/v1/outbox/{row_id}/retry")
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["status"] == "pending"
    assert retried.get_json()["attempts"] == 0

    assert dispatch_pending()["sent"] == 1
    assert [d.message_id for d in smtp_server.deliveries] == [row.message_id]
    assert admin.get("/api/v1/outbox?status=dead").get_json()["items"] == []


def test_the_last_allowed_attempt_goes_dead(smtp_server, app, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)
    case = make_case()
    (row_id,) = _queue(case)
    smtp_server.fail_next(2, "421 4.3.2 Sistem tidak tersedia")
    now = utcnow()
    assert dispatch_pending(now=now)["retried"] == 1
    assert dispatch_pending(now=now + timedelta(hours=1))["dead"] == 1
    row = _row(row_id)
    assert row.status == "dead" and row.attempts == 2
    assert smtp_server.deliveries == []


def test_backoff_grows_and_has_jitter():
    delays = [retry_delay(n).total_seconds() for n in range(1, 8)]
    for n, delay in enumerate(delays, start=1):
        step = BACKOFF_SECONDS[min(n, len(BACKOFF_SECONDS)) - 1]
        assert step <= delay <= step * (1 + JITTER_FRACTION)
    assert [BACKOFF_SECONDS[i] for i in range(5)] == [60, 300, 1800, 7200, 43200]
    assert len({retry_delay(3).total_seconds() for _ in range(20)}) > 1


def test_stuck_sending_rows_are_reclaimed(smtp_server):
    case = make_case()
    stuck_id, leased_id = _queue(case, recipients=["a@instansi.go.id", "b@instansi.go.id"])
    now = utcnow()
    with unit_of_work():
        stuck = db.session.get(OutboxMessage, stuck_id)
        stuck.status, stuck.attempts, stuck.locked_until = "sending", 1, now - timedelta(minutes=1)
        leased = db.session.get(OutboxMessage, leased_id)
        leased.status, leased.attempts, leased.locked_until = "sending", 1, now + timedelta(minutes=4)

    assert dispatch_pending(now=now) == {"sent": 1, "retried": 0, "dead": 0, "reclaimed": 1}
    assert [d.rcpt_tos for d in smtp_server.deliveries] == [("a@instansi.go.id",)]
    assert _row(stuck_id).status == "sent" and _row(stuck_id).attempts == 2
    # A row whose lease still runs belongs to another dispatcher: untouched.
    assert _row(leased_id).status == "sending"


def test_smtp_down_then_back_delivers_each_message_exactly_once(smtp_server, app):
    smtp_server.stop()  # nothing listens on the port any more: connections are refused
    case = make_case()

    # A user's action queues email while SMTP is down: it succeeds, and does not wait for SMTP.
    started = time.monotonic()
    with app.test_request_context("/api/v1/cases/1/transitions", method="POST"), unit_of_work():
        enqueue("recommendation_issued", case=case, recipients=[PPK, "sekretariat@instansi.go.id"], key="issue:1")
        enqueue("follow_up_reported", case=case, recipients=["penyelidik@kasn.go.id"], key="report:1")
    assert time.monotonic() - started < 2

    now = utcnow()
    assert dispatch_pending(now=now) == {"sent": 0, "retried": 3, "dead": 0, "reclaimed": 0}
    assert dispatch_pending(now=now + timedelta(minutes=3))["retried"] == 3  # still down: back off again
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {r.status for r in rows} == {"pending"}
    assert all("menolak koneksi" in (r.last_error or "") or "Connection" in (r.last_error or "") for r in rows)

    smtp_server.start()
    later = now + timedelta(hours=1)
    assert dispatch_all(now=later)["sent"] == 3
    assert dispatch_all(now=later + timedelta(days=1)) == {"sent": 0, "retried": 0, "dead": 0, "reclaimed": 0}
    counts = Counter(d.message_id for d in smtp_server.deliveries)
    assert len(counts) == 3 and set(counts.values()) == {1}
    assert {r.status for r in db.session.scalars(select(OutboxMessage)).all()} == {"sent"}


def test_a_server_that_never_answers_times_out(app, monkeypatch):
    """A hung SMTP server delays email by the timeout, never forever."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    allow_smtp("127.0.0.1", port)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 1)
    try:
        case = make_case()
        (row_id,) = _queue(case)
        started = time.monotonic()
        assert dispatch_pending()["retried"] == 1
        assert time.monotonic() - started < 10
        assert "waktu" in (_row(row_id).last_error or "").lower()
    finally:
        disallow_smtp("127.0.0.1", port)
        listener.close()


def test_only_due_rows_in_batches(smtp_server):
    case = make_case()
    _queue(case, recipients=[f"p{i}@instansi.go.id" for i in range(5)])
    assert dispatch_pending(batch_size=2)["sent"] == 2
    assert dispatch_all(batch_size=2)["sent"] == 3
    assert len(smtp_server.deliveries) == 5


def test_the_guard_refuses_smtp_to_anything_but_the_test_server(smtp_guard):
    import smtplib

    from tests.smtp import SmtpConnectionNotAllowed

    with pytest.raises(SmtpConnectionNotAllowed):
        smtplib.SMTP("127.0.0.1", 25, timeout=1)
    assert smtp_guard.violations == ["127.0.0.1:25"]
    smtp_guard.violations.clear()


@pytest.mark.postgres
def test_two_dispatchers_at_once_send_each_row_once(smtp_server, app):
    case = make_case()
    total = 200
    with unit_of_work():
        enqueue("reminder", case=case, recipients=[f"ppk{i:03d}@instansi.go.id" for i in range(total)], key="r")
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def dispatcher() -> None:
        with app.app_context():
            try:
                barrier.wait(10)
                totals = Counter()
                while True:
                    result = dispatch_pending(batch_size=7)
                    totals.update(result)
                    if not any(result.values()):
                        break
                results.append(dict(totals))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sum(r.get("sent", 0) for r in results) == total
    assert all(r.get("sent", 0) > 0 for r in results), results  # both really worked
    counts = Counter(d.rcpt_tos[0] for d in smtp_server.deliveries)
    assert len(counts) == total and set(counts.values()) == {1}
    assert {r.status for r in db.session.scalars(select(OutboxMessage)).all()} == {"sent"}


def test_a_very_long_paragraph_still_reaches_a_strict_server(smtp_server):
    """aiosmtpd refuses lines over 1000 bytes (RFC 5321), as real servers do: long parts are encoded."""
    case = make_case()
    reason = "Alasan penolakan yang sangat panjang dalam satu paragraf tanpa baris baru. " * 60
    (row_id,) = _queue(case, kind="follow_up_rejected", extra={"reason": reason})
    assert max(len(line) for line in _row(row_id).body_html.splitlines()) > 1000

    assert dispatch_pending()["sent"] == 1
    (delivery,) = smtp_server.deliveries
    assert max(len(line) for line in delivery.raw.splitlines()) <= 998
    html = delivery.message.get_body(("html",)).get_content()
    assert reason.strip() in html


def test_a_retried_email_is_the_same_email_as_queued(smtp_server):
    """The row's rendered text and HTML go out under its Message-ID, on the first attempt and on a retry."""
    case = make_case()
    (row_id,) = _queue(case)
    row = _row(row_id)

    smtp_server.fail_next(1, "451 4.3.0 Coba lagi nanti")
    now = utcnow()
    assert dispatch_pending(now=now)["retried"] == 1
    before = utcnow().replace(microsecond=0)
    assert dispatch_pending(now=now + timedelta(hours=1))["sent"] == 1
    after = utcnow()

    (delivery,) = smtp_server.deliveries
    assert delivery.message_id == row.message_id
    assert delivery.subject == row.subject
    assert delivery.message["To"] == row.recipient
    plain = delivery.message.get_body(("plain",)).get_content()
    assert [line.rstrip() for line in plain.strip().splitlines()] == [
        line.rstrip() for line in row.body_text.strip().splitlines()
    ]
    assert case.number in delivery.message.get_body(("html",)).get_content()
    # Dated when it was really sent (the clock of the second attempt), not when it was queued.
    assert before <= email.utils.parsedate_to_datetime(delivery.message["Date"]) <= after


def test_login_with_the_configured_account(smtp_server, app, monkeypatch):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"tindak", b"rahasia")
        return AuthResult(success=ok, handled=False)

    smtp_server.restart(authenticator=authenticator, auth_require_tls=False)
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "tindak")
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "salah")
    case = make_case()
    (row_id,) = _queue(case)
    now = utcnow()

    # A refused login is the configuration's fault: the email waits, it does not die.
    assert dispatch_pending(now=now) == {"sent": 0, "retried": 1, "dead": 0, "reclaimed": 0}
    assert "535" in (_row(row_id).last_error or "")

    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "rahasia")
    assert dispatch_pending(now=now + timedelta(hours=1))["sent"] == 1
    assert len(smtp_server.deliveries) == 1
