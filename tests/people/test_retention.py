"""Personal data past its retention period (app/people/retention.py): `flask people retention` reports it and, when
RETENTION_PSEUDONYMISE is on, replaces it with a stable pseudonym — exactly the records past their period, never a
case still open or within it, idempotent, and the hash-chained history keeps verifying."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.db import db
from app.intake import services as intake
from app.models.cases import Case, CaseHistory
from app.models.intake import IntakeReport
from app.models.notifications import ActivityEvent
from app.models.people import Person, PersonMerge, RecordLookupNip
from app.people.retention import PREFIX, PSEUDONYMISED, pseudonym, pseudonymise_due, retention_report
from app.people.services import log_lookup, merge_people
from app.scheduling import RETENTION_JOB_ID, build_scheduler
from tests.clocked import SUITE_NOW
from tests.factories import NIPS, REPORTER, S, case_in, make_cast

LONG_AGO = datetime(2015, 3, 10, 3, 0, tzinfo=UTC)  # past every period (10 years for people) at the suite's time
SIX_YEARS_AGO = datetime(2020, 6, 10, 3, 0, tzinfo=UTC)  # past the reporter's 5 years, within a person's 10
LAST_YEAR = datetime(2025, 11, 10, 3, 0, tzinfo=UTC)  # within every period

REPORT = {
    "reported_person": {"name": "Rahmat Hidayat", "nip": NIPS[3], "position": "Kepala Dinas"},
    "category": "netralitas",
    "subcategory": "menghadiri_deklarasi",
    "summary": "Kepala dinas hadir dan berpidato dalam kampanye terbuka pasangan calon bupati.",
    "occurred_on": "2019-05-10",
    "reporter": {"name": "Warga Pelapor", "contact": "warga@example.org"},
}


def _case(cast, status, at, name, nip):
    return case_in(
        cast,
        status,
        at=at,
        reported_person={"name": name, "nip": nip},
        occurred_on=(at - timedelta(days=30)).date().isoformat(),
    )


def _refused_report(cast, at):
    with time_machine.travel(at, tick=False):
        data = {**REPORT, "agency_id": cast.agency.id, "occurred_on": (at - timedelta(days=30)).date().isoformat()}
        report, _ = intake.submit_report(data, channel="public")
        intake.refuse(report, {"reason": "Bukan pelanggaran netralitas."}, cast.investigator)
        db.session.commit()
    return report


@pytest.fixture
def world():
    """Cases and records at every side of the periods."""
    cast = make_cast()
    old_closed = _case(cast, S.CLOSED, LONG_AGO, "Lama Sekali", NIPS[1])
    mid_dismissed = _case(cast, S.DISMISSED, SIX_YEARS_AGO, "Agak Lama", NIPS[2])
    # One person with an old closed case and a case still open: never pseudonymised, nor the open case's reporter.
    open_old = _case(cast, S.AWAITING_FOLLOW_UP, LONG_AGO, "Masih Buka", NIPS[0])
    closed_same_person = _case(cast, S.CLOSED, LONG_AGO, "Masih Buka", NIPS[0])
    recent_closed = _case(cast, S.CLOSED, LAST_YEAR, "Baru Saja", NIPS[3])
    old_report = _refused_report(cast, SIX_YEARS_AGO)
    new_report = _refused_report(cast, LAST_YEAR)
    with time_machine.travel(SIX_YEARS_AGO, tick=False):
        old_lookup = log_lookup(cast.admin, "view", [NIPS[2]])
    new_lookup = log_lookup(cast.admin, "view", [NIPS[3]])
    # The sign-in log: a refused sign-in of two years ago (past its 1 year) and one of last month.
    old_signin = ActivityEvent(
        kind="sign_in_failed",
        email="salah@example.org",
        address="203.0.113.9",
        created_at=SUITE_NOW - timedelta(days=730),
    )
    new_signin = ActivityEvent(
        kind="sign_in_failed",
        email="salah@example.org",
        address="203.0.113.9",
        created_at=SUITE_NOW - timedelta(days=30),
    )
    db.session.add_all([old_signin, new_signin])
    db.session.commit()
    return {
        "cast": cast,
        "old_closed": old_closed,
        "mid_dismissed": mid_dismissed,
        "open_old": open_old,
        "closed_same_person": closed_same_person,
        "recent_closed": recent_closed,
        "old_report": old_report,
        "new_report": new_report,
        "old_lookup": old_lookup,
        "new_lookup": new_lookup,
        "old_signin": old_signin,
        "new_signin": new_signin,
    }


def _row(case_id):
    return db.session.get(Case, case_id)


def _history_rows(case_id, event=PSEUDONYMISED):
    return db.session.scalar(
        select(func.count()).select_from(CaseHistory).where(CaseHistory.case_id == case_id, CaseHistory.event == event)
    )


def _refresh():
    db.session.expire_all()


def test_the_report_counts_exactly_the_records_past_their_period(world):
    report = {row["key"]: row["past"] for row in retention_report()}
    # Reporters: the closed case of 2015, the same person's closed case of 2015, the dismissal of 2020 and the
    # public report refused in 2020 (not the open case, not last year's case or refusal).
    assert report == {"reporter": 4, "person": 1, "lookup": 1, "signin": 1}


def test_pseudonymising_touches_exactly_what_is_past_its_period(app, world, runner, monkeypatch):
    ids = {k: v.id for k, v in world.items() if k != "cast"}
    versions = {k: _row(ids[k]).version for k in ("old_closed", "mid_dismissed", "open_old", "recent_closed")}
    monkeypatch.setitem(app.config, "RETENTION_PSEUDONYMISE", True)
    monkeypatch.setitem(app.config, "RETENTION_BATCH", 2)  # several batches
    done = pseudonymise_due()
    assert done == {"reporter": 4, "person": 1, "lookup": 1, "signin": 1}
    _refresh()

    old = _row(ids["old_closed"])
    expected = pseudonym("contact:" + REPORTER["contact"])
    assert (old.reporter_name, old.reporter_contact) == (expected, None)
    # The same reporter keeps the same pseudonym everywhere (linkable without the name).
    assert _row(ids["mid_dismissed"]).reporter_name == expected
    assert _row(ids["closed_same_person"]).reporter_name == expected
    # The person of 2015 (every case ended before the 10 years): name and NIP on the person and the case.
    nym = pseudonym("nip:" + NIPS[1])
    assert (old.reported_name, old.reported_nip, old.reported_position) == (nym, nym, None)
    person = db.session.get(Person, old.person_id)
    assert (person.nip, person.name, person.position) == (nym, nym, None)
    assert db.session.scalar(select(Person).where(Person.nip == NIPS[1])) is None
    # Within the person's period: the 2020 dismissal keeps the reported person; its reporter is past 5 years.
    mid = _row(ids["mid_dismissed"])
    assert (mid.reported_name, mid.reported_nip) == ("Agak Lama", NIPS[2])
    # An open case keeps everything, and so does its person (another case of theirs ended long ago).
    open_case = _row(ids["open_old"])
    assert (open_case.reporter_name, open_case.reporter_contact) == (REPORTER["name"], REPORTER["contact"])
    assert (open_case.reported_name, open_case.reported_nip) == ("Masih Buka", NIPS[0])
    assert _row(ids["closed_same_person"]).reported_nip == NIPS[0]
    # Last year's case keeps its reporter.
    assert _row(ids["recent_closed"]).reporter_contact == REPORTER["contact"]
    # The public form's reporter refused in 2020 is replaced; the one refused last year is kept.
    old_report, new_report = (
        db.session.get(IntakeReport, ids["old_report"]),
        db.session.get(IntakeReport, ids["new_report"]),
    )
    assert (old_report.reporter_name, old_report.reporter_contact) == (pseudonym("contact:warga@example.org"), None)
    assert (new_report.reporter_name, new_report.reporter_contact) == ("Warga Pelapor", "warga@example.org")
    # The look-up of 2020 names the NIP's pseudonym (the same as its person's would be); last year's keeps it.
    nips = dict(db.session.execute(select(RecordLookupNip.lookup_id, RecordLookupNip.nip)).all())
    assert nips == {ids["old_lookup"]: pseudonym("nip:" + NIPS[2]), ids["new_lookup"]: NIPS[3]}
    # The sign-in log of two years ago names the pseudonyms of the email and address; last month's keeps them.
    old_signin, new_signin = (
        db.session.get(ActivityEvent, ids["old_signin"]),
        db.session.get(ActivityEvent, ids["new_signin"]),
    )
    assert (old_signin.email, old_signin.address) == (
        pseudonym("email:salah@example.org"),
        pseudonym("address:203.0.113.9"),
    )
    assert (new_signin.email, new_signin.address) == ("salah@example.org", "203.0.113.9")
    # The history: one row per case touched and per kind, the case's status and version unchanged.
    assert _history_rows(ids["old_closed"]) == 2  # its reporter, then its person
    assert _history_rows(ids["mid_dismissed"]) == 1
    assert _history_rows(ids["open_old"]) == 0 and _history_rows(ids["recent_closed"]) == 0
    for key, version in versions.items():
        assert _row(ids[key]).version == version, key
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    # Idempotent: a second run changes nothing and writes no history.
    rows_before = db.session.scalar(select(func.count()).select_from(CaseHistory))
    assert pseudonymise_due() == {"reporter": 0, "person": 0, "lookup": 0, "signin": 0}
    assert db.session.scalar(select(func.count()).select_from(CaseHistory)) == rows_before
    assert {row["key"]: row["past"] for row in retention_report()} == {
        "reporter": 0,
        "person": 0,
        "lookup": 0,
        "signin": 0,
    }
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_the_case_page_reads_the_pseudonymisation_in_words(app, world, pages_for, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_PSEUDONYMISE", True)
    pseudonymise_due()
    html = pages_for(world["cast"].investigator).get(f"/cases/{world['old_closed'].id}").get_data(as_text=True)
    assert "Data pribadi diganti nama samaran (lewat masa simpan)" in html
    assert "Identitas pelapor" in html and "Siti Pelapor" not in html and REPORTER["contact"] not in html
    assert PREFIX in html


def test_the_command_reports_and_refuses_to_apply_unless_configured(app, world, runner, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_PSEUDONYMISE", False)
    reported = runner.invoke(args=["people", "retention"])
    assert reported.exit_code == 0, reported.output
    assert "melewati masa simpan: 4" in reported.output and "tidak aktif" in reported.output
    refused = runner.invoke(args=["people", "retention", "--apply"])
    assert refused.exit_code == 1 and "RETENTION_PSEUDONYMISE" in refused.output
    _refresh()
    assert _row(world["old_closed"].id).reporter_contact == REPORTER["contact"]  # nothing touched

    monkeypatch.setitem(app.config, "RETENTION_PSEUDONYMISE", True)
    applied = runner.invoke(args=["people", "retention", "--apply"])
    assert applied.exit_code == 0, applied.output
    assert "dipseudonimkan 4" in applied.output and "melewati masa simpan: 0" in applied.output
    again = runner.invoke(args=["people", "retention", "--apply"])
    assert "dipseudonimkan 4" not in again.output and "dipseudonimkan 0" in again.output


def test_time_moves_records_past_their_period(app, world, monkeypatch):
    """Last year's closed case passes its reporter's 5 years (5 × 365 days) after its closing day, not before."""
    monkeypatch.setitem(app.config, "RETENTION_PSEUDONYMISE", True)
    pseudonymise_due()
    recent = world["recent_closed"].id
    pseudonymise_due(LAST_YEAR + timedelta(days=365 * 5, seconds=-1))
    _refresh()
    assert _row(recent).reporter_contact == REPORTER["contact"]
    done = pseudonymise_due(LAST_YEAR + timedelta(days=365 * 5, seconds=1))
    _refresh()
    assert done["reporter"] == 2  # last year's case and last year's refused report
    assert _row(recent).reporter_contact is None


def test_the_scheduler_runs_it_daily_only_when_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_PSEUDONYMISE", False)
    assert build_scheduler(app).get_job(RETENTION_JOB_ID) is None
    monkeypatch.setitem(app.config, "RETENTION_PSEUDONYMISE", True)
    job = build_scheduler(app).get_job(RETENTION_JOB_ID)
    assert job is not None and job.trigger.interval == timedelta(seconds=86400)


def test_a_merged_nip_is_pseudonymised_with_its_person(app, runner, monkeypatch):
    """A mistyped NIP merged into the right person: when the person is past its period, the mistyped NIP's person
    row and the merge's record name pseudonyms too, and the history (with its merge rows) still verifies."""
    cast = make_cast()
    right = _case(cast, S.CLOSED, LONG_AGO, "Benar Sekali", NIPS[1])
    typo = _case(cast, S.CLOSED, LONG_AGO, "Benar Sekali", NIPS[2])
    merge = merge_people(NIPS[2], NIPS[1], "NIP salah ketik pada laporan kedua.", cast.investigator)
    db.session.commit()
    ids = (right.id, typo.id, merge.id, merge.from_person_id)
    monkeypatch.setitem(app.config, "RETENTION_PSEUDONYMISE", True)
    assert pseudonymise_due()["person"] == 1
    _refresh()
    right_nym, typo_nym = pseudonym("nip:" + NIPS[1]), pseudonym("nip:" + NIPS[2])
    assert _row(ids[0]).reported_nip == right_nym and _row(ids[1]).reported_nip == typo_nym
    row = db.session.get(PersonMerge, ids[2])
    assert (row.from_nip, row.into_nip) == (typo_nym, right_nym)
    assert db.session.get(Person, ids[3]).nip == typo_nym
    assert db.session.scalar(select(func.count()).select_from(Person).where(Person.nip.in_(NIPS[1:3]))) == 0
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
