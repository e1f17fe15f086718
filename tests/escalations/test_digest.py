"""The ministries' weekly digest: content per ministry, no reporter, idempotent per ISO week, an empty week
sends nothing, the CLI, the scheduler job, and delivery through the test SMTP server."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from app.core.clock import utcnow
from app.db import db, unit_of_work
from app.escalations.digest import DigestSchedule, digest_schedule, iso_week, run_digest
from app.letters.mail import enqueue_many
from app.models.cases import Case, Recommendation
from app.models.core import JobHeartbeat
from app.models.escalations import EscalationStep
from app.models.outbox import OutboxMessage
from app.scheduling import DIGEST_JOB_ID, build_scheduler, digest_job, record_heartbeat, run_job
from config import ConfigError
from notifications.dispatcher import dispatch_pending
from tests.escalations.helpers import count, open_case
from tests.escalations.test_sweep import KEMENDAGRI, MENPAN, RECEIVED, sweep_at
from tests.notifications.helpers import REPORTER_CONTACT, REPORTER_NAME
from workflows.effects import resolve_escalation

# Received Monday 2 Nov → due Friday 20 Nov; level 2 at the end of Friday 27 Nov (WIB), level 3 on 17 Dec.
ESCALATED = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # Tuesday 10.00 WIB: level 2 reached
MONDAY = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Monday 7 Dec 08.00 WIB, ISO week 2026-W50
NEXT_MONDAY = MONDAY + timedelta(days=7)  # 2026-W51
LINK = "http://tindak.test/cases/{}"


def _digests(body_recipient: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    stmt = select(OutboxMessage).where(OutboxMessage.kind == "digest").order_by(OutboxMessage.id)
    if body_recipient:
        stmt = stmt.where(OutboxMessage.recipient == body_recipient)
    return list(db.session.scalars(stmt))


def _digest(now: datetime, **kw):
    with unit_of_work():
        return run_digest(now, **kw)


def _with_reporter(case: Case) -> Case:
    """The confidential reporter, which no digest may carry."""
    row = db.session.get(Case, case.id)
    row.reporter_name = REPORTER_NAME
    row.reporter_contact = REPORTER_CONTACT
    db.session.commit()
    return row


def _follow_up(case: Case, rec: Recommendation, at: datetime) -> None:
    """What the workflow does when the PPK reports: stop the clock, then resolve the escalation."""
    with time_machine.travel(at, tick=False):
        row = db.session.get(Recommendation, rec.id)
        row.is_open = False
        row.followed_up_at = utcnow()
        db.session.get(Case, case.id)._status = "follow_up_reported"
        db.session.flush()
        enqueue_many(resolve_escalation(db.session.get(Case, case.id), now=at))
        db.session.commit()


@pytest.fixture
def escalated(make_agency, make_user):
    """Two central cases (Menpan-RB) and one regional case (Kemendagri) at level 2, one central case still at
    level 1 (never escalated), all with a confidential reporter."""
    drafter = make_user("investigator")
    central = make_agency(kind="kementerian", name="Kementerian Contoh", ppk_email="ppk@kemen.go.id")
    other = make_agency(kind="lembaga", name="Lembaga Contoh", ppk_email="ppk@lembaga.go.id")
    province = make_agency(kind="provinsi", name="Pemerintah Provinsi Contoh", ppk_email="gubernur@prov.go.id")
    regency = make_agency(
        kind="kabupaten", name="Pemerintah Kabupaten Contoh", ppk_email="bupati@kab.go.id", parent_id=province.id
    )
    cases = {
        "central": open_case(central, received_on=RECEIVED, drafter=drafter),
        "central_resolved": open_case(other, received_on=RECEIVED, drafter=drafter),
        "regional": open_case(regency, received_on=RECEIVED, drafter=drafter),
        # Due Monday 30 Nov: overdue (level 1) by the digest, escalated only at the end of Monday 7 Dec.
        "late_only": open_case(central, received_on=date(2026, 11, 10), drafter=drafter),
    }
    for case, _ in cases.values():
        _with_reporter(case)
    sweep_at(ESCALATED)
    sweep_at(MONDAY - timedelta(hours=2))
    _follow_up(*cases["central_resolved"], datetime(2026, 12, 3, 3, 0, tzinfo=UTC))  # Thursday 3 Dec
    ids = {name: (case.id, rec.id) for name, (case, rec) in cases.items()}
    db.session.remove()
    return {name: (db.session.get(Case, c), db.session.get(Recommendation, r)) for name, (c, r) in ids.items()}


def test_each_ministry_gets_its_own_cases_with_numbers_links_and_days_late(escalated):
    central, resolved, regional, late_only = (
        escalated[k][0] for k in ("central", "central_resolved", "regional", "late_only")
    )
    assert {
        s.level for s in db.session.scalars(select(EscalationStep).where(EscalationStep.case_id == late_only.id))
    } == {0, 1}

    report = _digest(MONDAY)

    assert report.week == "2026-W50"
    rows = _digests()
    assert sorted(r.recipient for r in rows) == [KEMENDAGRI, MENPAN]
    assert sorted(r.idempotency_key for r in rows) == [
        f"digest:kemendagri:2026-W50:{KEMENDAGRI}",
        f"digest:menpanrb:2026-W50:{MENPAN}",
    ]
    menpan, kemendagri = _digests(MENPAN)[0], _digests(KEMENDAGRI)[0]
    assert menpan.case_id is None and menpan.status == "pending"
    assert menpan.subject == "[Tindak] Ringkasan mingguan eskalasi untuk Kementerian PANRB, pekan 2026-W50"
    assert kemendagri.subject == "[Tindak] Ringkasan mingguan eskalasi untuk Kementerian Dalam Negeri, pekan 2026-W50"

    for row in (menpan, kemendagri):
        assert "<" not in row.body_text
        for body in (row.body_text, row.body_html, row.subject):
            assert REPORTER_NAME not in body and REPORTER_CONTACT not in body and "Siti" not in body
            assert late_only.number not in body

    flat = " ".join(menpan.body_text.split())
    assert central.number in flat and resolved.number in flat and regional.number not in flat
    assert LINK.format(central.id) in menpan.body_text and LINK.format(resolved.id) in menpan.body_text
    assert f'href="{LINK.format(central.id)}"' in menpan.body_html
    assert LINK.format(regional.id) not in menpan.body_html
    assert "Kementerian Contoh" in flat and "Lembaga Contoh" in flat
    # Still open: level 2 since Friday 27 Nov, 11 working days late on Monday 7 Dec (23 Nov … 7 Dec).
    assert "- Masih menunggu tindak lanjut PPK: 1 perkara" in flat
    assert "Level 2 (Eskalasi ke kementerian) sejak 27 November 2026" in flat
    assert "Keterlambatan 11 hari kerja" in flat
    # Ended in the past week: the PPK reported on Thursday 3 Dec, 9 working days late.
    assert "- Berakhir sejak 30 November 2026: 1 perkara" in flat
    assert "Tindak lanjut dilaporkan PPK 3 Desember 2026, terlambat 9 hari kerja" in flat
    assert flat.index(central.number) < flat.index("Berakhir dalam sepekan terakhir") < flat.index(resolved.number)

    flat = " ".join(kemendagri.body_text.split())
    assert regional.number in flat and LINK.format(regional.id) in flat
    assert "Pemerintah Kabupaten Contoh" in flat
    assert central.number not in flat and resolved.number not in flat
    assert central.number not in kemendagri.body_html and "Kementerian Contoh" not in kemendagri.body_html
    assert "Yth. Kementerian Dalam Negeri," in flat


def test_the_admin_mailboxes_of_a_body_receive_it(escalated, runner):
    result = runner.invoke(args=["escalations", "recipients", "set", "menpanrb", "a@menpan.go.id", "b@menpan.go.id"])
    assert result.exit_code == 0, result.output
    _digest(MONDAY)
    assert sorted(r.recipient for r in _digests()) == ["a@menpan.go.id", "b@menpan.go.id", KEMENDAGRI]
    assert len({r.body_text for r in _digests()}) == 2  # one rendering per body


def test_running_twice_in_a_week_queues_once_and_the_next_week_again(escalated):
    first = _digest(MONDAY)
    assert first.queued == 2
    again = _digest(MONDAY + timedelta(days=2, hours=5))  # Wednesday, same ISO week
    assert again.queued == 0
    assert [b.already_queued for b in again.bodies] == [1, 1]
    assert count(OutboxMessage, OutboxMessage.kind == "digest") == 2

    nxt = _digest(NEXT_MONDAY)
    assert nxt.week == "2026-W51"
    assert nxt.queued == 2
    keys = {r.idempotency_key for r in _digests()}
    assert f"digest:menpanrb:2026-W51:{MENPAN}" in keys and f"digest:kemendagri:2026-W51:{KEMENDAGRI}" in keys
    # A week later the follow-up of 3 Dec is out of the window; the open case is still listed, later.
    text = " ".join(_digests(MENPAN)[-1].body_text.split())
    assert escalated["central"][0].number in text and escalated["central_resolved"][0].number not in text
    assert "Keterlambatan 16 hari kerja" in text


def test_an_empty_week_sends_nothing(make_agency, make_user):
    """Nothing escalated open and nothing ended in the past week: no digest (not even "nothing to report")."""
    agency = make_agency(kind="kementerian")
    case, rec = open_case(agency, received_on=RECEIVED, drafter=make_user("investigator"))
    report = _digest(MONDAY)
    assert report.queued == 0 and [b.skipped for b in report.bodies] == ["tidak ada perkara"] * 2
    assert count(OutboxMessage, OutboxMessage.kind == "digest") == 0
    # Escalated, then followed up more than a week before the digest: still nothing.
    sweep_at(ESCALATED)
    _follow_up(case, rec, datetime(2026, 12, 2, 3, 0, tzinfo=UTC))
    assert _digest(NEXT_MONDAY).queued == 0
    assert count(OutboxMessage, OutboxMessage.kind == "digest") == 0


def test_a_case_closed_while_escalated_is_listed_once_as_ended_then_dropped(make_agency, make_user):
    agency = make_agency(kind="kota", name="Pemerintah Kota Contoh")
    case, _ = open_case(agency, received_on=RECEIVED, drafter=make_user("investigator"))
    sweep_at(ESCALATED)
    row = db.session.get(Case, case.id)
    row._status, row.close_reason = "closed", "Ditutup secara administratif"
    row.closed_at = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    db.session.commit()

    report = _digest(MONDAY)
    (kemendagri,) = [b for b in report.bodies if b.body == "kemendagri"]
    assert [c.number for c in kemendagri.ended_cases] == [case.number] and kemendagri.open_cases == []
    assert "Perkara ditutup 4 Desember 2026" in " ".join(_digests(KEMENDAGRI)[0].body_text.split())
    assert _digest(NEXT_MONDAY).queued == 0


def test_no_recipients_means_no_email(escalated, app, monkeypatch):
    monkeypatch.setitem(app.config, "ESCALATION_RECIPIENTS_KEMENDAGRI", [])
    report = _digest(MONDAY)
    assert {b.body: b.skipped for b in report.bodies} == {"menpanrb": None, "kemendagri": "tidak ada penerima"}
    assert [r.recipient for r in _digests()] == [MENPAN]


def test_cli_dry_run_then_run_then_again(escalated, runner):
    central, resolved, regional = (escalated[k][0] for k in ("central", "central_resolved", "regional"))
    args = ["escalations", "digest", "--now", "2026-12-07T08:00:00+07:00"]

    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Uji coba ringkasan mingguan eskalasi pekan 2026-W50" in dry.output
    assert (
        "menpanrb (Kementerian PANRB): 1 perkara masih terbuka, 1 berakhir sepekan terakhir, 1 penerima; "
        "1 email akan diantrekan" in dry.output
    )
    assert (
        "kemendagri (Kementerian Dalam Negeri): 1 perkara masih terbuka, 0 berakhir sepekan terakhir, 1 penerima"
        in dry.output
    )
    assert central.number in dry.output and resolved.number in dry.output and regional.number in dry.output
    assert "tidak ada yang disimpan (--dry-run)" in dry.output
    assert count(OutboxMessage, OutboxMessage.kind == "digest") == 0

    real = runner.invoke(args=args)
    assert real.exit_code == 0, real.output
    assert "Ringkasan mingguan eskalasi pekan 2026-W50 (2026-12-07T01:00:00+00:00):" in real.output
    assert real.output.count("; 1 email diantrekan") == 2
    assert count(OutboxMessage, OutboxMessage.kind == "digest") == 2

    again = runner.invoke(args=[*args, "--json"])
    assert again.exit_code == 0, again.output
    data = json.loads(again.output)
    assert data["week"] == "2026-W50" and data["queued"] == 0
    assert {b["body"]: b["already_queued"] for b in data["bodies"]} == {"menpanrb": 1, "kemendagri": 1}
    assert count(OutboxMessage, OutboxMessage.kind == "digest") == 2


def test_cli_empty_week_and_bad_instant(runner):
    output = runner.invoke(args=["escalations", "digest", "--now", "2026-12-07T01:00:00Z"]).output
    assert output.count("0 perkara masih terbuka, 0 berakhir sepekan terakhir") == 2
    assert output.count("tidak dikirim (tidak ada perkara)") == 2
    bad = runner.invoke(args=["escalations", "digest", "--now", "kemarin"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output


def test_delivered_through_smtp_as_text_and_html(escalated, smtp_server):
    central = escalated["central"][0]
    with time_machine.travel(MONDAY, tick=False):  # the digest is queued and sent on its Monday morning
        _digest(MONDAY)  # within the ministries' working hours: due at once
        assert dispatch_pending()["sent"] >= 2
    deliveries = [d for d in smtp_server.deliveries if d.message["X-Tindak-Kind"] == "digest"]
    assert sorted(r for d in deliveries for r in d.rcpt_tos) == [KEMENDAGRI, MENPAN]
    (delivery,) = [d for d in deliveries if MENPAN in d.rcpt_tos]  # its digest (escalation letters go too)
    message = delivery.message
    # A long ASCII subject is folded right after "Subject:"; unfolded it is the row's subject.
    assert message["Subject"].strip() == _digests(MENPAN)[0].subject
    assert message["Message-ID"] == _digests(MENPAN)[0].message_id
    alternative = next(part for part in message.walk() if part.get_content_type() == "multipart/alternative")
    parts = {part.get_content_type(): part.get_content() for part in alternative.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert central.number in parts["text/plain"] and LINK.format(central.id) in parts["text/plain"]
    assert f'href="{LINK.format(central.id)}"' in parts["text/html"]
    raw = delivery.raw.decode("utf-8", "replace")
    assert REPORTER_NAME not in raw and REPORTER_CONTACT not in raw
    assert _digests(MENPAN)[0].status == "sent"


def test_outside_working_hours_it_waits_for_the_ministries_morning(escalated):
    _digest(datetime(2026, 12, 6, 13, 0, tzinfo=UTC))  # Sunday 20.00 WIB
    assert {r.next_attempt_at for r in _digests()} == {datetime(2026, 12, 7, 1, 0, tzinfo=UTC)}  # Monday 08.00


# -- the scheduler -------------------------------------------------------------------------------------------


def test_the_scheduler_runs_it_weekly_with_the_same_settings(app):
    start = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)  # Monday 07.30 WIB: this week's digest is still ahead
    scheduler = build_scheduler(app, BackgroundScheduler, now=start)
    job = scheduler.get_job(DIGEST_JOB_ID)
    assert job is not None and isinstance(job.trigger, CronTrigger)
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)
    assert getattr(job, "next_run_time", None) is None  # no run at start: the trigger decides
    assert job.trigger.get_next_fire_time(None, start) == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 08.00 WIB
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 11, 30, 2, 0, tzinfo=UTC))
    assert fire == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # the next Monday 08.00 WIB


def test_a_scheduler_started_after_this_weeks_moment_sends_at_start_unless_it_ran(app):
    start = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)  # Wednesday: Monday's digest may have been missed
    job = build_scheduler(app, BackgroundScheduler, now=start).get_job(DIGEST_JOB_ID)
    assert job.next_run_time == start
    # Monday's run failed:
    with time_machine.travel(datetime(2026, 11, 30, 1, 0, 5, tzinfo=UTC), tick=False), unit_of_work():
        record_heartbeat(DIGEST_JOB_ID, False, "RuntimeError: x")
    assert build_scheduler(app, BackgroundScheduler, now=start).get_job(DIGEST_JOB_ID).next_run_time == start
    # Monday's run succeeded:
    with time_machine.travel(datetime(2026, 11, 30, 1, 0, 5, tzinfo=UTC), tick=False), unit_of_work():
        record_heartbeat(DIGEST_JOB_ID, True, None)
    job = build_scheduler(app, BackgroundScheduler, now=start).get_job(DIGEST_JOB_ID)
    assert getattr(job, "next_run_time", None) is None
    # The week after, the digest of the new week is due again at start.
    later = start + timedelta(days=7)
    assert build_scheduler(app, BackgroundScheduler, now=later).get_job(DIGEST_JOB_ID).next_run_time == later


def test_digest_schedule_is_configurable_and_can_be_switched_off(app, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_WEEKDAY", "jumat")
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 14)
    schedule = digest_schedule(app.config)
    assert schedule == DigestSchedule(weekday=4, hour=14)
    assert schedule.label == "tiap Jumat pukul 14.00 WIB"
    job = build_scheduler(app, BackgroundScheduler, now=datetime(2026, 11, 30, 0, 0, tzinfo=UTC)).get_job(DIGEST_JOB_ID)
    assert job.trigger.get_next_fire_time(None, datetime(2026, 11, 30, tzinfo=UTC)) == datetime(
        2026, 12, 4, 7, 0, tzinfo=UTC
    )
    for key, value in (("DIGEST_WEEKDAY", "someday"), ("DIGEST_HOUR", 24)):
        with monkeypatch.context() as patch:
            patch.setitem(app.config, key, value)
            with pytest.raises(ConfigError):
                digest_schedule(app.config)
    monkeypatch.setitem(app.config, "DIGEST_ENABLED", False)
    scheduler = build_scheduler(app, BackgroundScheduler, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert scheduler.get_job(DIGEST_JOB_ID) is None


def test_the_job_queues_the_digest_and_writes_its_heartbeat(escalated, app):
    db.session.remove()  # the job's own context writes; on SQLite no transaction of ours may hold the lock
    with time_machine.travel(MONDAY, tick=False):
        assert run_job(app, DIGEST_JOB_ID, digest_job) is True
        assert run_job(app, DIGEST_JOB_ID, digest_job) is True
    assert count(OutboxMessage, OutboxMessage.kind == "digest") == 2
    beat = db.session.get(JobHeartbeat, DIGEST_JOB_ID)
    assert beat is not None and beat.last_ok is True


def test_iso_week_is_read_in_wib():
    assert iso_week(datetime(2026, 12, 6, 16, 59, tzinfo=UTC)) == "2026-W49"  # Sunday 23.59 WIB
    assert iso_week(datetime(2026, 12, 6, 17, 0, tzinfo=UTC)) == "2026-W50"  # Monday 00.00 WIB
    assert iso_week(datetime(2027, 1, 3, 17, 0, tzinfo=UTC)) == "2027-W01"


def test_a_wrong_digest_schedule_stops_the_scheduler_at_start(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULER_ENABLED", True)
    monkeypatch.setitem(app.config, "DIGEST_WEEKDAY", "someday")
    result = runner.invoke(args=["scheduler", "run"])
    assert result.exit_code != 0
    assert "DIGEST_WEEKDAY" in result.output
