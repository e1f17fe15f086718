"""An escalation whose target has no mailbox is never lost (issue 16, item 5).

A level whose email cannot reach everyone it is for (a target without a mailbox, nobody in its `to`) is recorded
with notified=False and stays due: once the mailbox exists, the next sweep sends it, once, however many sweeps
run. A level passed over, a step the follow-up resolved and a level the importer recorded are never sent. The
health endpoint, the admin home page and `flask scheduler run` name every target without a mailbox; in
production the scheduler refuses to start without the level-2 ones unless ESCALATION_RECIPIENTS_OPTIONAL is set.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

import app.scheduling
from app import create_app
from app.db import db, unit_of_work
from app.escalations.routing import set_target_recipients
from app.models.cases import Case, Recommendation
from app.models.escalations import EscalationStep
from app.models.outbox import OutboxMessage
from tests.escalations.helpers import count, emails_of, open_case, steps_of
from tests.escalations.test_sweep import KASN, MENPAN, RECEIVED, sweep_at
from tests.factories import PASSWORD
from tests.quality.conftest import Pages
from tests.quality.test_health import beat_all
from workflows import fire

# Due Friday 20 Nov 2026; the escalation to the ministry (level 2) at the end of Friday 27 Nov WIB, the final
# report (level 3) at the end of Thursday 17 Dec.
ESCALATED = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
LATER_STILL = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
AFTER_FINAL = datetime(2026, 12, 21, 3, 0, tzinfo=UTC)
PPK = "ppk@kemenx.go.id"
TARGET_SETTINGS = {
    "menpanrb": "ESCALATION_RECIPIENTS_MENPANRB",
    "kemendagri": "ESCALATION_RECIPIENTS_KEMENDAGRI",
    "kasn": "ESCALATION_RECIPIENTS_KASN",
    "bkn": "ESCALATION_RECIPIENTS_BKN",
}


@pytest.fixture
def no_mailbox(app, monkeypatch):
    """`no_mailbox("menpanrb", ...)`: those targets have no configured mailbox (and no admin rows)."""

    def _remove(*targets: str) -> None:
        for target in targets:
            monkeypatch.setitem(app.config, TARGET_SETTINGS[target], [])

    return _remove


@pytest.fixture
def central(make_agency, make_user):
    agency = make_agency(kind="kementerian", timezone="Asia/Jakarta", ppk_email=PPK)
    return agency, make_user("investigator", email="analis@kasn.go.id")


def give_mailbox(target: str, *emails: str) -> None:
    """What the administrator does on the recipients page (or `flask escalations recipients set`)."""
    with unit_of_work():
        set_target_recipients(target, list(emails))


def mails(case_id: int, kind: str) -> list[str]:
    return [recipient for k, recipient in emails_of(case_id) if k == kind]


def step(rec_id: int, level: int) -> EscalationStep:
    db.session.expire_all()
    return db.session.scalar(
        select(EscalationStep).where(EscalationStep.recommendation_id == rec_id, EscalationStep.level == level)
    )


def test_the_ministry_without_a_mailbox_gets_the_escalation_once_it_has_one(central, no_mailbox):
    agency, drafter = central
    no_mailbox("menpanrb")
    case, rec = open_case(agency, received_on=RECEIVED, level=1, drafter=drafter)

    report = sweep_at(ESCALATED)
    # The copies went to those who have a mailbox; the ministry's waits, and the step says so.
    assert mails(case.id, "escalation") == [KASN, PPK]
    assert steps_of(rec.id) == [(0, 2, False)]
    assert dict(report.levels) == {2: 1}
    assert dict(report.unaddressed) == {2: 1} and dict(report.notified) == {}
    assert report.targets_without_mailbox == ["menpanrb"]

    report = sweep_at(LATER)  # still no mailbox: nothing more, still due
    assert report.steps == 0 and report.emails == 0 and dict(report.sent_late) == {}
    assert report.targets_without_mailbox == ["menpanrb"]
    assert step(rec.id, 2).notified is False

    give_mailbox("menpanrb", "Deputi.SDM@menpan.go.id")
    report = sweep_at(LATER_STILL)
    assert mails(case.id, "escalation") == ["deputi.sdm@menpan.go.id", KASN, PPK]
    assert step(rec.id, 2).notified is True
    assert dict(report.sent_late) == {2: 1} and report.emails == 1 and report.targets_without_mailbox == []
    ministry = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "deputi.sdm@menpan.go.id"))
    assert ministry.idempotency_key == f"esc:{rec.id}:0:2:deputi.sdm@menpan.go.id"
    assert "Kementerian PANRB" in ministry.body_text and case.number in ministry.subject

    # However many sweeps follow, it is sent once.
    for instant in (LATER_STILL, datetime(2026, 12, 3, 3, 0, tzinfo=UTC)):
        again = sweep_at(instant)
        assert again.emails == 0 and dict(again.sent_late) == {}
    assert count(OutboxMessage, OutboxMessage.case_id == case.id) == 3


def test_with_no_recipient_at_all_nothing_is_sent_until_each_mailbox_exists(make_agency, make_user, no_mailbox):
    """The reported case: no mailbox configured anywhere, an agency without a PPK address."""
    no_mailbox("menpanrb", "kemendagri", "kasn", "bkn")
    agency = make_agency(kind="kementerian", ppk_email=None)
    case, rec = open_case(agency, received_on=RECEIVED, level=1, drafter=make_user("investigator"))

    report = sweep_at(ESCALATED)
    assert steps_of(rec.id) == [(0, 2, False)]
    assert report.emails == 0 and emails_of(case.id) == []

    give_mailbox("menpanrb", MENPAN)
    report = sweep_at(LATER)
    assert mails(case.id, "escalation") == [MENPAN]
    assert step(rec.id, 2).notified is False  # KASN's copy still waits
    assert dict(report.sent_late) == {} and report.targets_without_mailbox == ["kasn"]

    give_mailbox("kasn", KASN)
    report = sweep_at(LATER_STILL)
    assert mails(case.id, "escalation") == [MENPAN, KASN]  # the ministry's copy is not sent twice
    assert step(rec.id, 2).notified is True
    assert dict(report.sent_late) == {2: 1}
    assert sweep_at(LATER_STILL).emails == 0


def test_a_level_reached_since_supersedes_the_waiting_one(central, no_mailbox):
    """Catch-up semantics hold: only the current level's email is due, never one passed over."""
    agency, drafter = central
    no_mailbox("menpanrb")
    case, rec = open_case(agency, received_on=RECEIVED, level=1, drafter=drafter)
    sweep_at(ESCALATED)  # level 2 waits for the ministry's mailbox
    sweep_at(AFTER_FINAL)  # level 3 (to KASN, the ministry in copy) also without it
    assert [(lvl, notified) for _, lvl, notified in steps_of(rec.id)] == [(2, False), (3, False)]
    give_mailbox("menpanrb", MENPAN)
    report = sweep_at(AFTER_FINAL)
    assert MENPAN in mails(case.id, "final_report")
    assert MENPAN not in mails(case.id, "escalation")  # the escalation it never got is superseded
    assert [(lvl, notified) for _, lvl, notified in steps_of(rec.id)] == [(2, False), (3, True)]
    assert dict(report.sent_late) == {3: 1}


def test_a_step_resolved_by_the_follow_up_is_no_longer_due(central, no_mailbox, make_user):
    agency, drafter = central
    no_mailbox("menpanrb")
    ppk = make_user("ppk", agency=agency)
    case, rec = open_case(agency, received_on=RECEIVED, level=1, drafter=drafter)
    sweep_at(ESCALATED)
    with unit_of_work():
        fire(
            db.session.get(Case, case.id),
            "report_follow_up",
            ppk,
            {"decision_number": "SK-9/2026", "decision_date": "2026-11-16", "sanction_imposed": "disiplin_sedang"},
        )
    give_mailbox("menpanrb", MENPAN)
    report = sweep_at(LATER)
    assert MENPAN not in mails(case.id, "escalation")
    assert step(rec.id, 2).notified is False and step(rec.id, 2).resolved_at is not None
    assert report.emails == 0


def test_a_dry_run_says_what_would_be_sent_and_writes_nothing(central, no_mailbox):
    agency, drafter = central
    no_mailbox("menpanrb")
    case, rec = open_case(agency, received_on=RECEIVED, level=1, drafter=drafter)
    sweep_at(ESCALATED)
    give_mailbox("menpanrb", MENPAN)
    before = count(OutboxMessage)
    report = sweep_at(LATER, dry_run=True)
    assert dict(report.sent_late) == {2: 1}
    assert count(OutboxMessage) == before and step(rec.id, 2).notified is False
    assert dict(sweep_at(LATER).sent_late) == {2: 1}


def test_the_cli_names_the_targets_and_the_waiting_steps(central, no_mailbox, runner):
    agency, drafter = central
    no_mailbox("menpanrb")
    open_case(agency, received_on=RECEIVED, level=1, drafter=drafter)
    result = runner.invoke(args=["escalations", "run", "--now", ESCALATED.isoformat()])
    assert result.exit_code == 0, result.output
    assert "level 2 (Eskalasi ke kementerian): 1 langkah, 0 dengan email, 0 terlewati tanpa email, 1 menunggu" in (
        result.output
    )
    assert "tujuan eskalasi tanpa alamat email: Kementerian PANRB" in result.output
    give_mailbox("menpanrb", MENPAN)
    result = runner.invoke(args=["escalations", "run", "--now", LATER.isoformat()])
    assert "level 2 (Eskalasi ke kementerian): 0 langkah; 1 langkah tertunda kini terkirim" in result.output
    assert "tanpa alamat" not in result.output


def test_what_the_importer_recorded_is_never_emailed(make_agency, tmp_path):
    """Past levels of imported cases are history: recorded without notification, never sent later."""
    from tests.importing.helpers import ISSUED, case_row, import_rows

    make_agency(code="KEMEN-X", kind="kementerian", ppk_email=PPK)
    cases = import_rows(
        tmp_path,
        [
            case_row(
                "IMP-1", "KEMEN-X", "awaiting_follow_up", **ISSUED, Tenggat="2021-05-20", **{"Tingkat Eskalasi": "3"}
            )
        ],
    )
    imported = cases["IMP-1"]
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == imported.id))
    assert rec.is_open and rec.escalation_level == 3
    assert [notified for *_, notified in steps_of(rec.id)] == [False] * 4
    report = sweep_at(LATER)
    assert emails_of(imported.id) == [] and report.emails == 0


# -- where the missing mailboxes are named -------------------------------------------------------------------


def test_the_health_endpoint_names_every_target_without_a_mailbox(client, no_mailbox):
    beat_all()
    body = client.get("/api/v1/health").get_json()
    assert body["status"] == "ok", body["problems"]
    assert body["escalation"] == {"ok": True, "targets_without_mailbox": []}

    no_mailbox("kasn", "bkn")
    response = client.get("/api/v1/health")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["escalation"] == {
        "ok": False,
        "targets_without_mailbox": [
            {"target": "kasn", "label": "KASN / otoritas pengawas"},
            {"target": "bkn", "label": "Badan Kepegawaian Negara"},
        ],
    }
    assert body["problems"] == [
        "Tujuan eskalasi tanpa alamat email: KASN / otoritas pengawas, Badan Kepegawaian Negara. Email eskalasi "
        "kepadanya tertunda sampai administrator mengisi alamatnya."
    ]
    assert "ESCALATION_RECIPIENTS" not in response.get_data(as_text=True)

    give_mailbox("bkn", "blokir@bkn.go.id")  # an administrator's row counts as a mailbox
    body = client.get("/api/v1/health").get_json()
    assert [t["target"] for t in body["escalation"]["targets_without_mailbox"]] == ["kasn"]


def test_the_admin_home_page_names_them(app, make_user, no_mailbox):
    pages = Pages(app.test_client(), PASSWORD)
    assert pages.login(make_user("admin")).status_code == 302
    assert "targets-without-mailbox" not in pages.get("/admin/").get_data(as_text=True)
    no_mailbox("menpanrb", "bkn")
    html = pages.get("/admin/").get_data(as_text=True)
    assert 'id="targets-without-mailbox"' in html
    assert "Tujuan eskalasi tanpa alamat email:" in html
    assert "Kementerian PANRB, Badan Kepegawaian Negara." in html
    assert "Kementerian Dalam Negeri" not in html and "ESCALATION_RECIPIENTS" not in html
    assert 'href="/admin/recipients"' in html


class _Started(Exception):
    """The scheduler would have been built: the start-up checks passed."""


def _scheduler_run(app_overrides, monkeypatch, **settings):
    def _build(*_args, **_kwargs):
        raise _Started

    monkeypatch.setattr(app.scheduling, "build_scheduler", _build)
    process = create_app({**app_overrides, "SCHEDULER_ENABLED": True, **settings})
    with process.app_context():
        return process.test_cli_runner().invoke(args=["scheduler", "run"])


PRODUCTION = {
    "TINDAK_ENV": "production",
    "AUDIT_CHAIN_KEYS": "k1:" + "rahasia-rantai-audit-" * 3,
}


def test_scheduler_run_names_every_target_without_a_mailbox_at_start(app_overrides, monkeypatch):
    result = _scheduler_run(app_overrides, monkeypatch, ESCALATION_RECIPIENTS_MENPANRB=[], ESCALATION_RECIPIENTS_BKN="")
    assert isinstance(result.exception, _Started), result.output  # outside production it starts
    assert "tujuan eskalasi tanpa alamat email: Kementerian PANRB, Badan Kepegawaian Negara" in result.output
    assert "ESCALATION_RECIPIENTS_MENPANRB, ESCALATION_RECIPIENTS_BKN" in result.output  # the admin's hint

    result = _scheduler_run(app_overrides, monkeypatch)
    assert isinstance(result.exception, _Started)
    assert "tanpa alamat email" not in result.output


def test_in_production_the_scheduler_refuses_to_start_without_the_level_2_mailboxes(app_overrides, monkeypatch):
    result = _scheduler_run(app_overrides, monkeypatch, **PRODUCTION, ESCALATION_RECIPIENTS_KEMENDAGRI=[])
    assert result.exit_code != 0 and not isinstance(result.exception, _Started)
    assert "Penjadwal tidak dijalankan: eskalasi level 2 ke Kementerian Dalam Negeri" in result.output
    assert "ESCALATION_RECIPIENTS_OPTIONAL" in result.output

    # ... unless told otherwise,
    result = _scheduler_run(
        app_overrides,
        monkeypatch,
        **PRODUCTION,
        ESCALATION_RECIPIENTS_KEMENDAGRI=[],
        ESCALATION_RECIPIENTS_OPTIONAL=True,
    )
    assert isinstance(result.exception, _Started), result.output
    assert "tujuan eskalasi tanpa alamat email: Kementerian Dalam Negeri" in result.output
    # ... and a target of the final report only (BKN) is named but does not stop it.
    result = _scheduler_run(app_overrides, monkeypatch, **PRODUCTION, ESCALATION_RECIPIENTS_BKN=[])
    assert isinstance(result.exception, _Started), result.output
    assert "Badan Kepegawaian Negara" in result.output


def test_in_production_an_administrators_mailbox_is_enough(app_overrides, monkeypatch):
    give_mailbox("kemendagri", "dirjen.otda@kemendagri.go.id")
    result = _scheduler_run(app_overrides, monkeypatch, **PRODUCTION, ESCALATION_RECIPIENTS_KEMENDAGRI=[])
    assert isinstance(result.exception, _Started), result.output
