"""The daily email of the bell: one per person per working day at NOTIFY_DIGEST_TIME in the person's zone, the
unread notices no earlier email carried, sent once through the outbox over a real SMTP conversation; off per
user; nothing on a day off; English for a person whose language is English (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import time_machine
from sqlalchemy import select

from app.db import db
from app.inbox import services
from app.inbox.digest import digest_key, digest_time, run_notice_digest
from app.models.notifications import Notification
from app.models.outbox import OutboxMessage
from config import ConfigError
from notifications.dispatcher import dispatch_pending
from tests.factories import Cast, S, case_in, make_agency, make_cast

# Thursday 19 November 2026 07.30 WIB (the default moment is 07.00), the next working days, a Saturday.
THURSDAY = datetime(2026, 11, 19, 0, 30, tzinfo=UTC)
THURSDAY_EARLY = datetime(2026, 11, 18, 23, 0, tzinfo=UTC)  # 06.00 WIB, 08.00 WIT
FRIDAY = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def _digests(user) -> list[OutboxMessage]:
    email = user if isinstance(user, str) else user.email
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "notice_digest", OutboxMessage.recipient == email)
            .order_by(OutboxMessage.id)
        )
    )


def _run(now: datetime):
    with time_machine.travel(now, tick=False):
        run = run_notice_digest(now)
        db.session.commit()
    return run


@pytest.fixture
def cast() -> Cast:
    return make_cast()


def test_one_email_per_person_per_working_day_sent_once_over_smtp(cast: Cast, smtp_server):
    first = case_in(cast, S.AWAITING_FOLLOW_UP)
    second = case_in(cast, S.AWAITING_FOLLOW_UP)
    assert _run(THURSDAY).emails >= 2  # the PPK and the investigator at least
    again = _run(THURSDAY)  # a second run the same day (another scheduler, the CLI) adds nothing
    assert again.emails == 0
    (row,) = _digests(cast.ppk)
    assert row.idempotency_key.startswith(digest_key(cast.ppk.id, THURSDAY.date()))
    with time_machine.travel(THURSDAY, tick=False):
        assert dispatch_pending()["sent"] >= 2
    mine = [
        d
        for d in smtp_server.deliveries
        if cast.ppk.email in d.rcpt_tos and d.message["X-Tindak-Kind"] == "notice_digest"
    ]
    assert len(mine) == 1
    message = mine[0].message
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert first.number in text and second.number in text and text.count("Rekomendasi diterbitkan") == 2
    assert f"http://tindak.test/cases/{first.id}" in html
    assert "Siti Pelapor" not in text and cast.commissioner2.name not in text
    assert "Notifikasi Tindak, 19 November 2026" in message["Subject"]
    # every notice it carried is marked emailed, not read (the bell still shows them)
    notices = list(db.session.scalars(select(Notification).where(Notification.user_id == cast.ppk.id)))
    assert all(n.emailed_at is not None and n.read_at is None for n in notices)
    assert services.unread_count(cast.ppk) == 2
    # something new later that day waits for the next working day's email, which carries it alone
    third = case_in(cast, S.AWAITING_FOLLOW_UP, at=datetime(2026, 11, 19, 5, 0, tzinfo=UTC))
    assert _run(datetime(2026, 11, 19, 6, 0, tzinfo=UTC)).emails == 0
    assert _run(SATURDAY).emails == 0  # no email on a day off
    assert _run(FRIDAY).emails >= 1
    rows = _digests(cast.ppk)
    assert len(rows) == 2 and third.number in rows[1].body_text and first.number not in rows[1].body_text


def test_off_per_user_read_notices_and_the_moment_in_the_persons_zone(cast: Cast):
    papua = make_agency(timezone="Asia/Jayapura")
    far = make_cast(agency=papua)
    case_in(cast, S.AWAITING_FOLLOW_UP)
    case_in(far, S.AWAITING_FOLLOW_UP)
    cast.investigator.notify_digest = False
    services.mark_read(far.investigator)
    db.session.commit()
    # 06.00 WIB is 08.00 WIT: only the Papuan PPK's moment has passed
    _run(THURSDAY_EARLY)
    assert len(_digests(far.ppk)) == 1 and "WIT" in _digests(far.ppk)[0].body_text
    assert _digests(cast.ppk) == []
    _run(THURSDAY)
    assert len(_digests(cast.ppk)) == 1
    assert _digests(cast.investigator) == []  # turned off
    assert _digests(far.investigator) == []  # everything read in the app already


def test_english_for_a_person_whose_language_is_english(cast: Cast):
    cast.ppk.locale = "en"
    db.session.commit()
    case_in(cast, S.AWAITING_FOLLOW_UP)
    _run(THURSDAY)
    (row,) = _digests(cast.ppk)
    assert "Tindak notifications, 19 November 2026" in row.subject
    assert "Recommendation issued" in row.body_text and "Rekomendasi diterbitkan" not in row.body_text
    assert "Please do not reply" in row.body_text


def test_the_cli_runs_it_once(cast: Cast, runner):
    case_in(cast, S.AWAITING_FOLLOW_UP)
    ppk = cast.ppk.email
    args = ["notifications", "digest", "--now", THURSDAY.isoformat()]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0 and _digests(ppk) == []
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "dikirimi" in result.output
    db.session.remove()
    assert len(_digests(ppk)) == 1
    assert runner.invoke(args=args).exit_code == 0
    db.session.remove()
    assert len(_digests(ppk)) == 1


def test_a_disabled_account_gets_no_email(cast: Cast):
    case_in(cast, S.AWAITING_FOLLOW_UP)
    cast.ppk.is_active = False
    db.session.commit()
    _run(THURSDAY)
    assert _digests(cast.ppk) == []


def test_the_moment_is_a_time_of_day():
    assert digest_time({"NOTIFY_DIGEST_TIME": "07.30"}) == time(7, 30)
    assert digest_time({}) == time(7, 0)
    for wrong in ("25:00", "pagi", "7"):
        with pytest.raises(ConfigError):
            digest_time({"NOTIFY_DIGEST_TIME": wrong})
