"""`flask demo load`: every role has a login, cases in every state, and a second run adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.audit.history import verify_case
from app.core.states import CaseStatus
from app.db import db
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case


def test_demo_load_is_complete_and_idempotent(runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "tindak-demo-2026" in first.output and "penyelidik@tindak.demo" in first.output
    statuses = dict(db.session.execute(select(Case._status, func.count()).group_by(Case._status)).all())
    assert set(statuses) == {s.value for s in CaseStatus}
    total = sum(statuses.values())
    assert 55 <= total <= 70
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {"admin", "investigator", "commissioner", "ppk", "overseer"}
    for case_id in db.session.scalars(select(Case.id)):
        assert verify_case(case_id) == (True, None)

    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert db.session.scalar(select(func.count()).select_from(Case)) == total
    assert "0 perkara baru" in second.output


def test_the_demo_loads_after_the_reference_data_as_make_run_does(runner):
    """`make run` loads the reference agencies first: no pilot agency of the demo may have ended (a case for an
    ended agency is refused), and the demo's own agencies are the reference rows."""
    reference = runner.invoke(args=["agencies", "load-reference"])
    assert reference.exit_code == 0, reference.output
    demo = runner.invoke(args=["demo", "load"])
    assert demo.exit_code == 0, demo.output
    ended = db.session.scalar(
        select(func.count())
        .select_from(Case)
        .join(Agency, Agency.id == Case.agency_id)
        .where(Agency.ended_on.is_not(None))
    )
    assert ended == 0
