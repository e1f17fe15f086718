"""A late follow-up after escalation, the steps for pages, and the commands `flask escalations` / `calendar`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from app.core.clock import utcnow
from app.db import db
from app.escalations.services import step_dump
from app.letters.mail import enqueue_many
from app.models.calendar import CalendarOverride
from app.models.cases import Case, Recommendation
from app.models.escalations import EscalationRecipient, EscalationStep, escalation_steps_for
from app.models.outbox import OutboxMessage
from tests.escalations.helpers import count, emails_of, open_case
from tests.escalations.test_sweep import BKN, KASN, KEMENDAGRI, RECEIVED, sweep_at
from workflows.effects import resolve_escalation


def _follow_up(case: Case, rec: Recommendation, at: datetime) -> None:
    """What the workflow does when the PPK reports: stop the clock, then resolve its escalation (workflows.effects)."""
    with time_machine.travel(at, tick=False):
        row = db.session.get(Recommendation, rec.id)
        row.is_open = False
        row.followed_up_at = utcnow()
        db.session.flush()
        enqueue_many(resolve_escalation(db.session.get(Case, case.id), now=at))
        db.session.commit()


def _regional_case(make_agency, make_user, level=None):
    province = make_agency(kind="provinsi", ppk_email="gubernur@jatim.go.id")
    kab = make_agency(kind="kabupaten", ppk_email="bupati@x.go.id", parent_id=province.id)
    return open_case(kab, received_on=RECEIVED, level=level, drafter=make_user("investigator"))


def test_a_late_follow_up_after_escalation_tells_the_ministry(make_agency, make_user):
    case, rec = _regional_case(make_agency, make_user)
    sweep_at(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))  # level 2
    _follow_up(case, rec, datetime(2026, 12, 2, 20, 0, tzinfo=UTC))  # Thursday 03:00 WIB
    resolved = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "escalation_resolved")).all()
    assert [m.recipient for m in resolved] == [KEMENDAGRI]
    assert resolved[0].next_attempt_at == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 08:00 WIB
    assert case.number in resolved[0].subject
    steps = db.session.scalars(select(EscalationStep).where(EscalationStep.recommendation_id == rec.id)).all()
    assert {s.resolved_at for s in steps} == {datetime(2026, 12, 2, 20, 0, tzinfo=UTC)}
    # Called again (a retried request): nothing more is queued.
    retried = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    with time_machine.travel(retried, tick=False):
        enqueue_many(resolve_escalation(db.session.get(Case, case.id), now=retried))
        db.session.commit()
    assert count(OutboxMessage, OutboxMessage.kind == "escalation_resolved") == 1


def test_after_the_final_report_kasn_and_bkn_are_told_too(make_agency, make_user):
    case, rec = _regional_case(make_agency, make_user)
    sweep_at(datetime(2027, 1, 15, 3, 0, tzinfo=UTC))  # level 3
    _follow_up(case, rec, datetime(2027, 1, 18, 3, 0, tzinfo=UTC))
    resolved = sorted(r for kind, r in emails_of(case.id) if kind == "escalation_resolved")
    assert resolved == sorted([KEMENDAGRI, KASN, BKN])


def test_a_follow_up_before_the_escalation_tells_no_ministry(make_agency, make_user):
    case, rec = _regional_case(make_agency, make_user)
    sweep_at(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))  # level 1
    _follow_up(case, rec, datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    assert count(OutboxMessage, OutboxMessage.kind == "escalation_resolved") == 0
    assert count(EscalationStep, EscalationStep.resolved_at.is_(None)) == 0


def test_a_followed_up_recommendation_is_no_longer_swept(make_agency, make_user):
    case, rec = _regional_case(make_agency, make_user)
    sweep_at(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    _follow_up(case, rec, datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    assert sweep_at(datetime(2027, 2, 1, tzinfo=UTC)).steps == 0


def test_steps_for_pages_and_api(make_agency, make_user):
    case, rec = _regional_case(make_agency, make_user)
    sweep_at(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    steps = escalation_steps_for(case.id)
    assert [(s.level, s.notified) for s in steps] == [(0, False), (1, False), (2, True)]
    dumped = step_dump(steps[-1])
    assert dumped["label"] == "Eskalasi ke kementerian" and dumped["body"] == "kemendagri"


def _invoke(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_dry_run_lists_cases_and_writes_nothing(runner, make_agency, make_user):
    case, rec = _regional_case(make_agency, make_user)
    output = _invoke(runner, "escalations", "run", "--now", "2026-12-01T03:00:00Z", "--dry-run")
    assert "Uji coba sapuan eskalasi" in output
    assert "level 2 (Eskalasi ke kementerian): 1 langkah" in output
    assert case.number in output
    assert "tidak ada yang disimpan" in output
    assert count(EscalationStep) == 0 and count(OutboxMessage) == 0


def test_cli_run_prints_counts_per_level(runner, make_agency, make_user):
    case, rec = _regional_case(make_agency, make_user)
    output = _invoke(runner, "escalations", "run", "--now", "2026-12-01T03:00:00Z")
    assert "level 0 (Pengingat): 1 langkah, 0 dengan email, 1 terlewati tanpa email" in output
    assert "level 2 (Eskalasi ke kementerian): 1 langkah" in output
    assert "level 3 (Laporan akhir): 0 langkah" in output
    assert "email diantrekan: 4" in output
    assert count(EscalationStep) == 3
    again = json.loads(_invoke(runner, "escalations", "run", "--now", "2026-12-01T03:00:00Z", "--json"))
    assert again["steps"] == 0 and again["emails"] == 0


def test_cli_rejects_a_bad_instant(runner):
    result = runner.invoke(args=["escalations", "run", "--now", "kemarin"])
    assert result.exit_code != 0
    assert "ISO 8601" in result.output


def test_cli_recipients(runner):
    _invoke(runner, "escalations", "recipients", "set", "kemendagri", "a@kemendagri.go.id", "B@kemendagri.go.id")
    assert sorted(db.session.scalars(select(EscalationRecipient.email))) == ["a@kemendagri.go.id", "b@kemendagri.go.id"]
    listing = _invoke(runner, "escalations", "recipients", "list")
    assert "kemendagri: a@kemendagri.go.id, b@kemendagri.go.id" in listing
    assert "bkn: blokir@bkn.go.id" in listing  # from the configuration
    output = _invoke(runner, "escalations", "recipients", "set", "kemendagri")
    assert "memakai konfigurasi (eskalasi@kemendagri.go.id)" in output
    assert count(EscalationRecipient) == 0
    bad = runner.invoke(args=["escalations", "recipients", "set", "bkn", "bukan-email"])
    assert bad.exit_code != 0


def test_cli_calendar_explain_names_every_skipped_day(runner, make_agency):
    make_agency(code="PAPUA", timezone="Asia/Jayapura")
    output = _invoke(runner, "calendar", "explain", "--received", "2026-12-14", "--agency", "PAPUA")
    assert "Aturan ppk_follow_up: 14 hari kerja" in output
    assert "Kamis   2026-12-24  dilewati: Cuti bersama (Hari Raya Natal" in output
    assert "Jumat   2027-01-01  dilewati: Tahun Baru Masehi" in output
    assert "Kamis   2027-01-07  hari kerja ke-14" in output
    assert "Tenggat: 7 Januari 2027 23.59 WIT" in output


def test_cli_calendar_overrides(runner):
    output = _invoke(
        runner, "calendar", "override", "add", "2026-11-25", "--kind", "closed",
        "--description", "Hari pemungutan suara", "--decree", "Keppres 10/2026",
    )  # fmt: skip
    assert "2026-11-25 menjadi libur (nasional)" in output
    check = _invoke(runner, "calendar", "check", "2026-11-25")
    assert "bukan hari kerja — Hari pemungutan suara (Keppres 10/2026)" in check
    assert "Keppres 10/2026" in _invoke(runner, "calendar", "override", "list", "--year", "2026")
    row_id = db.session.scalar(select(CalendarOverride.id))
    _invoke(runner, "calendar", "override", "remove", str(row_id))
    assert "hari kerja" in _invoke(runner, "calendar", "check", "2026-11-25")
    duplicate = runner.invoke(
        args=["calendar", "override", "add", "2026-11-26", "--kind", "closed", "--description", "x"]
    )
    assert duplicate.exit_code == 0
    again = runner.invoke(args=["calendar", "override", "add", "2026-11-26", "--kind", "open", "--description", "y"])
    assert again.exit_code != 0 and "sudah memiliki pengecualian" in again.output


def test_cli_calendar_rules(runner):
    assert "Belum ada aturan" in _invoke(runner, "calendar", "rules", "list")
    assert "ditambahkan" in _invoke(runner, "calendar", "rules", "ensure")
    assert "sudah ada" in _invoke(runner, "calendar", "rules", "ensure")
    _invoke(
        runner, "calendar", "rules", "add", "--days", "10", "--valid-from", "2027-01-01",
        "--source", "Peraturan baru Pasal 12",
    )  # fmt: skip
    listing = _invoke(runner, "calendar", "rules", "list")
    assert "14 working_days, 2014-01-15" in listing and "10 working_days, 2027-01-01" in listing
