"""Random event sequences keep the invariants: states from the table, versions strictly increasing,
one history row per applied event (and the hash chain intact)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from app.audit.history import verify_case
from app.cases.services import create_case
from app.core.states import CaseEvent, CaseStatus
from app.db import db
from app.errors import DomainError
from app.models.cases import CaseHistory
from tests.conftest import empty_all_tables
from tests.factories import make_cast, new_case_payload, payload_for
from workflows import fire
from workflows.transitions import TRANSITIONS

ROLES = ("investigator", "commissioner", "ppk", "overseer", "admin")


class CaseLife(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        empty_all_tables()
        self.cast = make_cast()
        self.case = create_case(new_case_payload(self.cast.agency.id), self.cast.investigator)
        db.session.commit()
        self.applied = 1  # the creation row
        self.last_version = self.case.version

    @rule(event=st.sampled_from(list(CaseEvent)), role=st.sampled_from(ROLES), second=st.booleans())
    def fire_event(self, event: CaseEvent, role: str, second: bool) -> None:
        actor = self.cast.user(role)
        if role == "commissioner" and second:
            actor = self.cast.commissioner2
        before = (self.case.status, self.case.version)
        try:
            fire(self.case, event, actor, payload_for(self.case, event), expected_version=self.case.version)
            db.session.commit()
        except DomainError:
            db.session.rollback()
            db.session.refresh(self.case)
            assert (self.case.status, self.case.version) == before
            return
        self.applied += 1
        transition = TRANSITIONS[event]
        assert CaseStatus(before[0]) in transition.sources
        assert actor.role in {r.value for r in transition.roles}
        assert self.case.status == transition.target_from(CaseStatus(before[0])).value

    @precondition(lambda self: True)
    @invariant()
    def status_is_in_the_table(self) -> None:
        assert self.case.status in {s.value for s in CaseStatus}

    @invariant()
    def version_strictly_increases(self) -> None:
        assert self.case.version >= self.last_version
        assert self.case.version == self.applied  # version 1 at creation, +1 per applied event
        self.last_version = self.case.version

    @invariant()
    def history_length_equals_applied_events(self) -> None:
        count = db.session.scalar(select(func.count()).where(CaseHistory.case_id == self.case.id))
        assert count == self.applied

    def teardown(self) -> None:
        assert verify_case(self.case.id) == (True, None)
        db.session.rollback()


CaseLife.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def test_random_event_sequences(app):
    CaseLife.TestCase().runTest()
