"""End to end through the workflow: issue → deadline → sweep → escalation → late follow-up → ministry told."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from app.calendar.working_days import due_at_for
from app.cases.access import scoped_cases
from app.core.clock import utcnow
from app.db import db, unit_of_work
from app.escalations.sweep import run_sweep
from app.models.cases import Case, Recommendation
from app.models.escalations import EscalationStep
from app.models.outbox import OutboxMessage
from tests.escalations.helpers import count
from tests.factories import S, case_in, make_cast
from workflows import fire


def _fire(case_id: int, event: str, actor, payload=None):
    with unit_of_work():
        case = db.session.get(Case, case_id)
        fire(case, event, actor, payload or {}, expected_version=case.version, now=utcnow())


def test_a_recommendation_climbs_the_ladder_and_the_late_follow_up_is_reported(make_agency, api):
    province = make_agency(kind="provinsi", timezone="Asia/Makassar", ppk_email="gubernur@sulsel.go.id")
    kab = make_agency(kind="kabupaten", timezone="Asia/Makassar", ppk_email="bupati@gowa.go.id", parent_id=province.id)
    cast = make_cast(agency=kab, overseer_body="kemendagri")
    issued_at = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 WITA
    case_id = case_in(cast, S.AWAITING_FOLLOW_UP, at=issued_at).id

    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case_id))
    expected_due, version = due_at_for(kab, date(2026, 11, 2), 14)
    assert rec.due_at == expected_due == datetime(2026, 11, 20, 15, 59, 59, 999999, tzinfo=UTC)
    assert rec.due_calendar_version == version
    assert rec.is_open and rec.escalation_level is None

    version_before_sweep = db.session.get(Case, case_id).version
    with time_machine.travel(datetime(2026, 12, 1, 2, 0, tzinfo=UTC), tick=False):  # Tuesday 10:00 WITA
        report = run_sweep(utcnow())
        assert dict(report.levels) == {0: 1, 1: 1, 2: 1}
        escalations = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "escalation")).all()
        assert sorted(m.recipient for m in escalations) == sorted(
            ["eskalasi@kemendagri.go.id", "gubernur@sulsel.go.id", "ketua@kasn.go.id", "bupati@gowa.go.id",
             cast.ppk.email]
        )  # fmt: skip
        # The ministry's overseer now sees the case; the API shows the clock.
        assert db.session.scalar(scoped_cases(cast.overseer).where(Case.id == case_id)) is not None
        body = api(cast.investigator).get(f"/api/v1/cases/{case_id}").get_json()
        assert body["escalation_level"] == 2 and body["overdue"] is True
        assert body["working_days_late"] == 7

        # The PPK reports late, with the version it read before the sweep: no spurious conflict.
        db.session.expire_all()
        assert db.session.get(Case, case_id).version == version_before_sweep
        _fire(
            case_id,
            "report_follow_up",
            cast.ppk,
            {"decision_number": "SK 862/45/2026", "decision_date": "2026-11-30", "sanction_imposed": "disiplin_sedang"},
        )

    resolved = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "escalation_resolved")).all()
    assert [m.recipient for m in resolved] == ["eskalasi@kemendagri.go.id"]
    assert count(EscalationStep, EscalationStep.resolved_at.is_(None)) == 0
    with time_machine.travel(datetime(2027, 2, 1, 2, 0, tzinfo=UTC), tick=False):
        assert run_sweep(utcnow()).steps == 0


@pytest.mark.parametrize(
    ("tz_name", "received_on", "due_utc"),
    [
        ("Asia/Jakarta", date(2026, 12, 23), datetime(2027, 1, 18, 16, 59, 59, 999999, tzinfo=UTC)),
        ("Asia/Makassar", date(2026, 12, 24), datetime(2027, 1, 18, 15, 59, 59, 999999, tzinfo=UTC)),
        ("Asia/Jayapura", date(2026, 12, 24), datetime(2027, 1, 18, 14, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_issuing_late_on_23_december_in_each_zone(tz_name, received_on, due_utc):
    """Issued at 16:30 UTC on 23 Dec 2026: still the 23rd in WIB, already the 24th (cuti bersama) in WITA and
    WIT. Day 1 is Monday 28 Dec everywhere (24-27 Dec are not working days); day 14 is Monday 18 Jan 2027
    (1 Jan and Isra Mikraj on 5 Jan skipped), ending at midnight of each zone."""
    cast = make_cast(kind="provinsi", timezone=tz_name)
    case = case_in(cast, S.AWAITING_FOLLOW_UP, at=datetime(2026, 12, 23, 16, 30, tzinfo=UTC))
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    assert rec.received_on == received_on
    assert rec.due_at == due_utc
