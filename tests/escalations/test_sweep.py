"""The sweep under a controlled clock: each ladder boundary, routing, working hours, catch-up, re-runs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.core.clock import utcnow
from app.db import db
from app.escalations.sweep import run_sweep
from app.models.cases import Case, CaseHistory, Recommendation
from app.models.escalations import EscalationRecipient, EscalationStep
from app.models.outbox import OutboxMessage
from tests.escalations.helpers import count, emails_of, history_of, open_case, steps_of

MENPAN, KEMENDAGRI, KASN, BKN = (
    "eskalasi@menpan.go.id",
    "eskalasi@kemendagri.go.id",
    "ketua@kasn.go.id",
    "blokir@bkn.go.id",
)
RECEIVED = date(2026, 11, 2)  # Monday; 14 working days → due Friday 20 Nov 2026


def end_of_wib_day(day: date) -> datetime:
    """23:59:59.999999 WIB as UTC."""
    return datetime(day.year, day.month, day.day, 16, 59, 59, 999999, tzinfo=UTC)


def sweep_at(instant: datetime, **kw):
    with time_machine.travel(instant, tick=False):
        return run_sweep(utcnow(), **kw)


@pytest.fixture
def central(make_agency, make_user):
    agency = make_agency(kind="kementerian", timezone="Asia/Jakarta", ppk_email="ppk@kemenx.go.id")
    drafter = make_user("investigator", email="analis@kasn.go.id")
    return agency, drafter


# Each level: the day it is reached (end of that day, WIB), the level the case already has, its email kind and
# recipients. Due Friday 20 Nov; reminder 3 working days before (Tue 17), overdue 1 after (Mon 23),
# escalation 5 after (Fri 27), final report 14 after the escalation (Thu 17 Dec).
BOUNDARIES = [
    (0, date(2026, 11, 17), None, "reminder", ["ppk@kemenx.go.id"]),
    (1, date(2026, 11, 23), 0, "overdue", ["analis@kasn.go.id", "ppk@kemenx.go.id"]),
    (2, date(2026, 11, 27), 1, "escalation", [MENPAN, KASN, "ppk@kemenx.go.id"]),
    (3, date(2026, 12, 17), 2, "final_report", [MENPAN, BKN, KASN]),
]


@pytest.mark.parametrize(("level", "day", "preset", "kind", "recipients"), BOUNDARIES)
def test_each_level_is_reached_exactly_at_its_boundary(central, level, day, preset, kind, recipients):
    agency, drafter = central
    case, rec = open_case(agency, received_on=RECEIVED, level=preset, drafter=drafter)
    assert rec.due_at == end_of_wib_day(date(2026, 11, 20))
    boundary = end_of_wib_day(day)

    report = sweep_at(boundary - timedelta(seconds=1))
    assert report.steps == 0
    assert db.session.get(Recommendation, rec.id).escalation_level == preset
    assert emails_of(case.id) == []

    report = sweep_at(boundary + timedelta(seconds=1))
    assert dict(report.levels) == {level: 1}
    assert report.cases == [case.number]
    assert db.session.get(Recommendation, rec.id).escalation_level == level
    assert steps_of(rec.id) == [(0, level, True)]
    step = db.session.scalar(select(EscalationStep).where(EscalationStep.recommendation_id == rec.id))
    assert step.reached_at == boundary
    assert step.body == ("menpanrb" if level >= 2 else None)
    assert emails_of(case.id) == [(kind, r) for r in sorted(recipients)]


def test_the_zone_decides_when_a_level_is_reached(make_agency, make_user):
    drafter = make_user("investigator")
    papua = make_agency(kind="provinsi", timezone="Asia/Jayapura")
    jakarta = make_agency(kind="provinsi", timezone="Asia/Jakarta")
    _, rec_papua = open_case(papua, received_on=RECEIVED, level=0, drafter=drafter)
    _, rec_jakarta = open_case(jakarta, received_on=RECEIVED, level=0, drafter=drafter)
    # Monday 23 Nov ends at 15:00 UTC in WIT and at 17:00 UTC in WIB.
    assert rec_papua.due_at == datetime(2026, 11, 20, 14, 59, 59, 999999, tzinfo=UTC)
    sweep_at(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    assert db.session.get(Recommendation, rec_papua.id).escalation_level == 1
    assert db.session.get(Recommendation, rec_jakarta.id).escalation_level == 0
    sweep_at(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))
    assert db.session.get(Recommendation, rec_jakarta.id).escalation_level == 1


def test_holidays_move_the_ladder(make_agency, make_user):
    """Received Mon 14 Dec 2026: due Thu 7 Jan 2027 (cuti bersama, Natal, New Year and Isra Mikraj skipped).
    The reminder is 3 working days before: Wed 6, Mon 4 (Tue 5 is Isra Mikraj), Thu 31 Dec (1 Jan and the
    weekend skipped)."""
    agency = make_agency(ppk_email="ppk@a.go.id")
    case, rec = open_case(agency, received_on=date(2026, 12, 14), drafter=make_user("investigator"))
    assert rec.due_at == end_of_wib_day(date(2027, 1, 7))
    assert sweep_at(end_of_wib_day(date(2026, 12, 31)) - timedelta(seconds=1)).steps == 0
    assert dict(sweep_at(end_of_wib_day(date(2026, 12, 31)) + timedelta(seconds=1)).levels) == {0: 1}
    assert emails_of(case.id) == [("reminder", "ppk@a.go.id")]
    # Overdue one working day after Thursday 7 Jan: at the end of Friday 8 Jan.
    assert sweep_at(end_of_wib_day(date(2027, 1, 8)) - timedelta(seconds=1)).steps == 0
    assert dict(sweep_at(end_of_wib_day(date(2027, 1, 8)) + timedelta(seconds=1)).levels) == {1: 1}


def test_catch_up_after_downtime_records_every_level_and_sends_only_the_highest(central):
    agency, drafter = central
    case, rec = open_case(agency, received_on=RECEIVED, drafter=drafter)
    version = case.version
    report = sweep_at(datetime(2027, 1, 15, 3, 0, tzinfo=UTC))
    assert dict(report.levels) == {0: 1, 1: 1, 2: 1, 3: 1}
    assert dict(report.notified) == {3: 1}
    assert steps_of(rec.id) == [(0, 0, False), (0, 1, False), (0, 2, False), (0, 3, True)]
    assert emails_of(case.id) == [("final_report", r) for r in sorted([MENPAN, BKN, KASN])]
    rows = history_of(case.id)
    assert [r.event for r in rows] == ["escalation_level_reached"] * 4
    assert [r.payload["level"] for r in rows] == [0, 1, 2, 3]
    assert [r.payload["notified"] for r in rows] == [False, False, False, True]
    assert {(r.actor_label, r.actor_id, r.from_status, r.to_status) for r in rows} == {
        ("system", None, "awaiting_follow_up", "awaiting_follow_up")
    }
    db.session.expire_all()
    assert db.session.get(Case, case.id).version == version  # the case row is never updated by the sweep
    assert db.session.get(Recommendation, rec.id).escalation_level == 3


def test_partial_catch_up_sends_the_escalation_not_the_stale_reminders(central):
    agency, drafter = central
    case, rec = open_case(agency, received_on=RECEIVED, drafter=drafter)
    sweep_at(end_of_wib_day(date(2026, 11, 30)))  # Monday after the escalation day
    assert steps_of(rec.id) == [(0, 0, False), (0, 1, False), (0, 2, True)]
    assert {kind for kind, _ in emails_of(case.id)} == {"escalation"}


def test_rerunning_sends_nothing_twice(central):
    agency, drafter = central
    case, rec = open_case(agency, received_on=RECEIVED, drafter=drafter)
    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    first = sweep_at(now)
    assert first.steps == 2 and first.emails == 2
    before = (count(EscalationStep), count(OutboxMessage), count(CaseHistory))
    for _ in range(3):
        again = sweep_at(now)
        assert again.steps == 0 and again.emails == 0
    assert (count(EscalationStep), count(OutboxMessage), count(CaseHistory)) == before


def test_only_open_recommendations_of_cases_awaiting_follow_up_are_swept(central):
    agency, drafter = central
    paused_case, _ = open_case(agency, received_on=RECEIVED, drafter=drafter, status="clarification_requested")
    closed_case, _ = open_case(agency, received_on=RECEIVED, drafter=drafter, is_open=False)
    report = sweep_at(datetime(2027, 1, 15, tzinfo=UTC))
    assert report.steps == 0
    assert emails_of(paused_case.id) == [] and emails_of(closed_case.id) == []


def test_a_new_cycle_climbs_the_ladder_again(central):
    agency, drafter = central
    case, rec = open_case(agency, received_on=RECEIVED, drafter=drafter)
    sweep_at(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    assert steps_of(rec.id) == [(0, 0, False), (0, 1, True)]
    # The follow-up was rejected on 1 Dec: a new deadline, a new cycle (what the workflow does).
    from app.calendar.working_days import due_at_for

    row = db.session.get(Recommendation, rec.id)
    row.cycle, row.escalation_level = 1, None
    row.received_on = date(2026, 12, 1)
    row.due_at, row.due_calendar_version = due_at_for(agency, date(2026, 12, 1), 14)
    db.session.commit()
    assert row.due_at == end_of_wib_day(date(2026, 12, 21))
    report = sweep_at(end_of_wib_day(date(2026, 12, 16)) + timedelta(hours=3))  # reminder: 3 days before 21 Dec
    assert dict(report.levels) == {0: 1}
    assert steps_of(rec.id) == [(0, 0, False), (0, 1, True), (1, 0, True)]
    keys = set(db.session.scalars(select(OutboxMessage.idempotency_key).where(OutboxMessage.kind == "reminder")))
    assert keys == {f"esc:{rec.id}:1:0:ppk@kemenx.go.id"}


@pytest.fixture
def province(make_agency):
    return make_agency(kind="provinsi", timezone="Asia/Makassar", ppk_email="gubernur@sulsel.go.id")


def test_regional_escalation_goes_to_kemendagri_with_the_governor_in_copy(make_agency, make_user, province):
    kabupaten = make_agency(
        kind="kabupaten", timezone="Asia/Makassar", ppk_email="bupati@gowa.go.id", parent_id=province.id
    )
    case, rec = open_case(kabupaten, received_on=RECEIVED, level=1, drafter=make_user("investigator"))
    sweep_at(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    assert emails_of(case.id) == [
        ("escalation", "bupati@gowa.go.id"),
        ("escalation", KEMENDAGRI),
        ("escalation", "gubernur@sulsel.go.id"),
        ("escalation", KASN),
    ]
    assert (
        db.session.scalar(select(EscalationStep.body).where(EscalationStep.recommendation_id == rec.id)) == "kemendagri"
    )


def test_a_province_and_a_city_without_parent_have_no_governor_copy(make_agency, make_user, province):
    kota = make_agency(kind="kota", ppk_email="walikota@x.go.id")
    drafter = make_user("investigator")
    case_p, _ = open_case(province, received_on=RECEIVED, level=1, drafter=drafter)
    case_k, _ = open_case(kota, received_on=RECEIVED, level=1, drafter=drafter)
    sweep_at(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    assert [r for _, r in emails_of(case_p.id)] == sorted(["gubernur@sulsel.go.id", KEMENDAGRI, KASN])
    assert [r for _, r in emails_of(case_k.id)] == sorted(["walikota@x.go.id", KEMENDAGRI, KASN])


def test_agency_override_routes_to_the_other_ministry(make_agency, make_user, province):
    kabupaten = make_agency(kind="kabupaten", escalation_body="menpanrb", ppk_email="b@x.go.id", parent_id=province.id)
    case, _ = open_case(kabupaten, received_on=RECEIVED, level=1, drafter=make_user("investigator"))
    sweep_at(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    recipients = [r for _, r in emails_of(case.id)]
    assert MENPAN in recipients and KEMENDAGRI not in recipients


def test_admin_recipients_replace_the_configured_mailboxes(make_agency, make_user):
    db.session.add(EscalationRecipient(target="kemendagri", email="dirjen.otda@kemendagri.go.id"))
    db.session.commit()
    provinsi = make_agency(kind="provinsi", ppk_email="g@x.go.id")
    case, _ = open_case(provinsi, received_on=RECEIVED, level=1, drafter=make_user("investigator"))
    sweep_at(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    recipients = [r for _, r in emails_of(case.id)]
    assert "dirjen.otda@kemendagri.go.id" in recipients and KEMENDAGRI not in recipients


def test_final_report_copies_the_ministry_of_the_escalation(make_agency, make_user, province):
    kabupaten = make_agency(kind="kabupaten", ppk_email="b@x.go.id", parent_id=province.id)
    case, rec = open_case(kabupaten, received_on=RECEIVED, level=1, drafter=make_user("investigator"))
    sweep_at(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    kabupaten.escalation_body = "menpanrb"  # routing changed after the escalation went out
    db.session.commit()
    sweep_at(datetime(2026, 12, 21, 3, 0, tzinfo=UTC))
    final = sorted(r for kind, r in emails_of(case.id) if kind == "final_report")
    assert final == sorted([KASN, KEMENDAGRI, BKN])
    bodies = db.session.execute(
        select(EscalationStep.level, EscalationStep.body).where(EscalationStep.recommendation_id == rec.id)
    ).all()
    assert sorted(bodies) == [(2, "kemendagri"), (3, "kemendagri")]


def _attempts(case_id: int) -> dict[str, datetime]:
    rows = db.session.execute(
        select(OutboxMessage.recipient, OutboxMessage.next_attempt_at).where(OutboxMessage.case_id == case_id)
    ).all()
    return dict(rows)


def test_emails_wait_for_working_hours_but_the_step_records_the_moment(central):
    agency, drafter = central
    case, rec = open_case(agency, received_on=RECEIVED, level=0, drafter=drafter)
    night = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # Tue 24 Nov 02:00 WIB
    sweep_at(night)
    eight = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 08:00 WIB
    assert _attempts(case.id) == {"ppk@kemenx.go.id": eight, "analis@kasn.go.id": eight}
    step = db.session.scalar(select(EscalationStep).where(EscalationStep.recommendation_id == rec.id))
    assert step.reached_at == end_of_wib_day(date(2026, 11, 23))
    assert step.recorded_at == night


def test_a_weekend_sweep_sends_on_monday_morning(central):
    agency, drafter = central
    case, _ = open_case(agency, received_on=RECEIVED, level=1, drafter=drafter)
    sweep_at(datetime(2026, 11, 28, 3, 0, tzinfo=UTC))  # Saturday 10:00 WIB
    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert set(_attempts(case.id).values()) == {monday}


def test_within_working_hours_emails_go_at_once(central):
    agency, drafter = central
    case, _ = open_case(agency, received_on=RECEIVED, level=0, drafter=drafter)
    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday 10:00 WIB
    sweep_at(now)
    assert set(_attempts(case.id).values()) == {now}


def test_each_recipient_waits_for_the_hours_of_its_own_zone(make_agency, make_user):
    papua = make_agency(kind="provinsi", timezone="Asia/Jayapura", ppk_email="gubernur@papua.go.id")
    case, _ = open_case(papua, received_on=RECEIVED, level=1, drafter=make_user("investigator"))
    now = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)  # Monday 09:30 WIT, 07:30 WIB
    sweep_at(now)
    attempts = _attempts(case.id)
    assert attempts["gubernur@papua.go.id"] == now
    assert attempts[KEMENDAGRI] == attempts[KASN] == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def test_dry_run_reports_and_writes_nothing(central):
    agency, drafter = central
    case, rec = open_case(agency, received_on=RECEIVED, drafter=drafter)
    report = sweep_at(datetime(2026, 11, 30, 3, 0, tzinfo=UTC), dry_run=True)
    assert dict(report.levels) == {0: 1, 1: 1, 2: 1}
    assert report.cases == [case.number]
    assert count(EscalationStep) == count(OutboxMessage) == count(CaseHistory) == 0
    assert db.session.get(Recommendation, rec.id).escalation_level is None


def test_batches_cover_every_case(central):
    agency, drafter = central
    cases = [open_case(agency, received_on=RECEIVED, drafter=drafter)[0] for _ in range(7)]
    report = sweep_at(datetime(2026, 11, 24, 3, 0, tzinfo=UTC), batch_size=2)
    assert report.batches == 4
    assert sorted(report.cases) == sorted(c.number for c in cases)
    assert count(EscalationStep, EscalationStep.level == 1) == 7


def test_a_configured_ladder_replaces_the_default(app, central):
    agency, drafter = central
    case, rec = open_case(agency, received_on=RECEIVED, drafter=drafter)
    ladder = [
        {"level": 0, "kind": "overdue", "label": "Lewat tenggat", "offset": 2, "to": ["ppk"]},
        {"level": 1, "kind": "escalation", "label": "Eskalasi", "offset": 3, "after": 0, "to": ["ministry"]},
    ]
    previous = app.config.get("ESCALATION_LADDER")
    app.config["ESCALATION_LADDER"] = json.dumps(ladder)  # as the environment variable gives it
    try:
        assert sweep_at(end_of_wib_day(date(2026, 11, 24)) - timedelta(seconds=1)).steps == 0
        assert dict(sweep_at(end_of_wib_day(date(2026, 11, 24)) + timedelta(seconds=1)).levels) == {0: 1}
        # 3 working days after Tue 24 Nov: Fri 27 Nov.
        assert sweep_at(end_of_wib_day(date(2026, 11, 27)) - timedelta(seconds=1)).steps == 0
        assert dict(sweep_at(end_of_wib_day(date(2026, 11, 27)) + timedelta(seconds=1)).levels) == {1: 1}
    finally:
        app.config["ESCALATION_LADDER"] = previous
    assert steps_of(rec.id) == [(0, 0, True), (0, 1, True)]
    assert emails_of(case.id) == [("escalation", MENPAN), ("overdue", "ppk@kemenx.go.id")]


def test_an_invalid_ladder_is_refused():
    from app.escalations.ladder import DEFAULT_LADDER, build_ladder
    from config import ConfigError

    assert [r.days_from_due for r in build_ladder(DEFAULT_LADDER)] == [-3, 1, 5, 19]
    with pytest.raises(ConfigError):
        build_ladder(
            [
                {"level": 0, "kind": "a", "offset": 2, "to": ["ppk"]},
                {"level": 1, "kind": "b", "offset": 1, "to": ["ppk"]},
            ]
        )
    with pytest.raises(ConfigError):
        build_ladder([{"level": 0, "kind": "a", "offset": 2, "to": ["nobody"]}])
    with pytest.raises(ConfigError):
        build_ladder([{"level": 1, "kind": "a", "offset": 2, "to": ["ppk"]}])


def test_an_agency_open_saturday_is_not_missed_by_the_preselection(make_agency, make_user):
    """The SQL pre-selection must not lose a row whose agency works on a day others do not."""
    from app.calendar.services import add_override

    papua = make_agency(timezone="Asia/Jayapura", ppk_email="p@papua.go.id")
    add_override(date(2026, 11, 21), "open", "Hari kerja pengganti", agency_id=papua.id)
    db.session.commit()
    case, rec = open_case(papua, received_on=RECEIVED, level=0, drafter=make_user("investigator"))
    # For Papua the first working day after Friday 20 Nov is Saturday 21 Nov: overdue at its end.
    assert sweep_at(datetime(2026, 11, 21, 14, 59, tzinfo=UTC)).steps == 0
    assert dict(sweep_at(datetime(2026, 11, 21, 15, 1, tzinfo=UTC)).levels) == {1: 1}


def test_batched_ppk_lookup_follows_the_agency_rule(make_agency, make_user):
    """The sweep loads PPK addresses for a whole batch at once; it must give what `ppk_recipients` gives."""
    from app.agencies.services import ppk_recipients
    from app.escalations.routing import Directory

    with_users = make_agency(ppk_email="Kantor@X.go.id")
    make_user("ppk", agency=with_users, email="staf1@x.go.id")
    make_user("ppk", agency=with_users, email="staf2@x.go.id", is_active=False)
    make_user("investigator", agency_id=with_users.id, email="bukan.ppk@kasn.go.id")
    without_mailbox = make_agency(ppk_email=None)
    make_user("ppk", agency=without_mailbox, email="satu@y.go.id")
    directory = Directory()
    directory.preload_ppk([with_users, without_mailbox])
    for agency in (with_users, without_mailbox):
        assert directory.ppk(agency) == ppk_recipients(agency)
    assert directory.ppk(with_users) == ["Kantor@X.go.id", "staf1@x.go.id"]
