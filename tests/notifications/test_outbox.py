"""Queuing: one row per recipient, in the caller's transaction, idempotent by key, never any SMTP."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.core.clock import utcnow
from app.db import db, unit_of_work
from app.letters.mail import enqueue
from app.models.outbox import OutboxMessage
from notifications.outbox import _insert_ignoring_duplicates, message_id_for, row_key
from notifications.rendering import UnknownNotificationKind
from tests.notifications.helpers import make_case


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_one_row_per_distinct_recipient():
    case = make_case()
    with unit_of_work():
        rows = enqueue(
            "recommendation_issued",
            case=case,
            recipients=["PPK@Instansi.go.id", "ppk@instansi.go.id ", "sekretariat@instansi.go.id", ""],
            key=f"recommendation_issued:{case.id}:1",
        )
    assert sorted(r.recipient for r in rows) == ["ppk@instansi.go.id", "sekretariat@instansi.go.id"]
    stored = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.recipient)).all()
    assert [r.idempotency_key for r in stored] == [
        f"recommendation_issued:{case.id}:1:ppk@instansi.go.id",
        f"recommendation_issued:{case.id}:1:sekretariat@instansi.go.id",
    ]
    for row in stored:
        assert row.status == "pending"
        assert row.attempts == 0
        assert row.case_id == case.id
        assert case.number in row.subject
        assert row.body_html and case.number in row.body_html
        assert row.message_id == message_id_for(row.idempotency_key)
        assert row.message_id.startswith("<tindak.") and row.message_id.endswith("@tindak.test>")
    assert stored[0].message_id != stored[1].message_id
    # One rendering serves every recipient (the text does not name them); each row has its own message.
    assert stored[0].body_html == stored[1].body_html


def test_queuing_the_same_key_twice_adds_nothing():
    case = make_case()
    key = f"escalation:{case.id}:2"
    with unit_of_work():
        first = enqueue(
            "escalation", case=case, recipients=["eskalasi@menpan.go.id"], key=key, extra={"body": "menpanrb"}
        )
    with unit_of_work():
        second = enqueue(
            "escalation", case=case, recipients=["eskalasi@menpan.go.id"], key=key, extra={"body": "menpanrb"}
        )
    assert len(first) == 1
    assert second == []
    assert _count() == 1


def test_a_new_recipient_under_the_same_key_gets_its_row():
    case = make_case()
    key = f"overdue:{case.id}:1"
    with unit_of_work():
        enqueue("overdue", case=case, recipients=["ppk@instansi.go.id"], key=key)
    with unit_of_work():
        added = enqueue("overdue", case=case, recipients=["ppk@instansi.go.id", "penyelidik@kasn.go.id"], key=key)
    assert [r.recipient for r in added] == ["penyelidik@kasn.go.id"]
    assert _count() == 2


def test_rows_are_part_of_the_callers_transaction():
    case = make_case()

    def event_failing_after_its_email() -> None:
        with unit_of_work():
            enqueue("reminder", case=case, recipients=["ppk@instansi.go.id"], key=f"reminder:{case.id}:0")
            assert _count() == 1
            raise RuntimeError("the event failed after queuing its email")

    with pytest.raises(RuntimeError):
        event_failing_after_its_email()
    assert _count() == 0


def test_insert_skips_a_key_that_another_transaction_already_stored():
    """The race the pre-check cannot see: the database settles it with ON CONFLICT DO NOTHING."""
    case = make_case()
    with unit_of_work():
        (row,) = enqueue("reminder", case=case, recipients=["ppk@instansi.go.id"], key=f"reminder:{case.id}:0")
        values = {
            "idempotency_key": row.idempotency_key,
            "kind": "reminder",
            "case_id": case.id,
            "recipient": row.recipient,
            "subject": "x",
            "body_text": "x",
            "body_html": None,
            "message_id": row.message_id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": utcnow(),
            "created_at": utcnow(),
        }
        assert _insert_ignoring_duplicates([values]) == []
    assert _count() == 1


def test_send_after_delays_the_first_attempt():
    case = make_case()
    later = utcnow() + timedelta(hours=6)
    with unit_of_work():
        (row,) = enqueue("reminder", case=case, recipients=["ppk@instansi.go.id"], key="k", send_after=later)
    db.session.expire_all()
    assert abs(db.session.get(OutboxMessage, row.id).next_attempt_at - later) < timedelta(seconds=1)


def test_an_unknown_kind_fails_the_enqueue_instead_of_sending_a_blank_email():
    case = make_case()
    with pytest.raises(UnknownNotificationKind), unit_of_work():
        enqueue("escalaton", case=case, recipients=["a@b.go.id"], key="typo")
    assert _count() == 0


def test_very_long_keys_still_fit_and_stay_unique():
    long_key = "escalation:" + "x" * 400
    a = row_key(long_key, "a@b.go.id")
    b = row_key(long_key, "c@d.go.id")
    assert len(a) <= 255 and len(b) <= 255
    assert a != b
    assert row_key(long_key, "a@b.go.id") == a


@pytest.mark.postgres
def test_two_transactions_queuing_the_same_key_at_once_leave_one_row(app):
    """Transaction A has inserted the row but not committed; B queues the same key, waits on A's unique
    index entry, and when A commits, B's insert does nothing (no error, nothing added)."""
    case = make_case()
    case_id = case.id
    key = f"escalation:{case_id}:2"
    a_inserted = threading.Event()
    results: dict[str, object] = {}

    def transaction_a() -> None:
        with app.app_context():
            from app.models.cases import Case

            try:
                with unit_of_work():
                    own_case = db.session.get(Case, case_id)
                    results["a"] = len(enqueue("escalation", case=own_case, recipients=["x@menpan.go.id"], key=key))
                    a_inserted.set()
                    deadline = time.monotonic() + 10
                    # Commit only once B is blocked on our uncommitted row.
                    while time.monotonic() < deadline:
                        waiting = db.session.execute(
                            text(
                                "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid' "
                                "AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())"
                            )
                        ).scalar()
                        if waiting:
                            break
                        time.sleep(0.02)
                    results["b_was_blocked"] = bool(waiting)
            finally:
                db.session.remove()

    def transaction_b() -> None:
        with app.app_context():
            from app.models.cases import Case

            a_inserted.wait(10)
            try:
                with unit_of_work():
                    own_case = db.session.get(Case, case_id)
                    results["b"] = len(enqueue("escalation", case=own_case, recipients=["x@menpan.go.id"], key=key))
            except Exception as exc:  # noqa: BLE001 - reported below
                results["b_error"] = repr(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=transaction_a), threading.Thread(target=transaction_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert "b_error" not in results, results
    assert results["a"] == 1
    assert results["b"] == 0
    assert results["b_was_blocked"] is True
    assert _count() == 1


def test_one_event_split_by_send_moment_is_rendered_once(monkeypatch):
    """The sweep splits an event's recipients into several emails (their working hours start at different
    moments): an email that does not name its recipient is rendered once for all of them, and a different
    event (its own values) gets its own rendering."""
    import notifications.rendering as rendering
    from app.letters.mail import CaseEmail, enqueue_many

    case = make_case()
    calls: list[dict] = []
    real = rendering.render

    def counting(kind, context, recipient):
        calls.append(context["extra"])
        return real(kind, context, recipient)

    monkeypatch.setattr(rendering, "render", counting)
    extra = {"days_late": 3}
    later = utcnow() + timedelta(hours=5)
    emails = [
        CaseEmail("overdue", case, ["a@instansi.go.id"], f"overdue:{case.id}:1", extra),
        CaseEmail("overdue", case, ["b@instansi.go.id", "c@instansi.go.id"], f"overdue:{case.id}:1", extra, later),
        CaseEmail("overdue", case, ["d@instansi.go.id"], f"overdue:{case.id}:2", {"days_late": 4}),
    ]
    with unit_of_work():
        assert enqueue_many(emails) == 4
    assert len(calls) == 2
    rows = {r.recipient: r for r in db.session.scalars(select(OutboxMessage))}
    assert (
        rows["a@instansi.go.id"].body_text == rows["b@instansi.go.id"].body_text == rows["c@instansi.go.id"].body_text
    )
    assert rows["b@instansi.go.id"].next_attempt_at == later
    assert "3 hari kerja" in rows["a@instansi.go.id"].body_text
    assert "4 hari kerja" in rows["d@instansi.go.id"].body_text
