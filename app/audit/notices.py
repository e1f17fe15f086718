"""Who is told in the app (the bell) of an event of a case's history: one row per event per person, written by
the history writer (app/audit/history.py) in the event's transaction, so an event and its notices commit or
roll back together, whoever wrote the event (a workflow event, the sweep's escalation, a reassignment).

Who is told, never the person who acted:
- the case's staff — its creator, its assignee, the drafter and the issuer of its
  recommendation, while they are active investigators or commissioners — of an issued recommendation, the
  PPK's replies (acknowledged, clarification asked, follow-up reported), an answered clarification and an
  escalation;
- every active commissioner (the signing official) of a draft that waits for issue by someone else;
- the assignee of a case assigned to them (at creation or later), and the previous assignee of a reassignment;
- the agency's active PPK users, once the recommendation is issued (they see the case from then on), of the
  issue, the answer to their clarification, the verdict on their follow-up, a new deadline and an escalation;
- the active overseers of the ministry a case reached (level ≥ 2 with that body), of that escalation.

These are the people `app.cases.access` lets see the case; the bell and the digest read notices through that
module's rule again (a PPK moved to another agency reads nothing of the old one). A notice carries the event's
kind and a few values (an escalation's level), never the reporter, never a staff name. (user, case, seq) is
unique and rows are inserted with ON CONFLICT DO NOTHING: an event is told once to each person."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core.vocab import CASE_STAFF, Role
from app.db import db, in_chunks
from app.models.auth import User
from app.models.cases import Case, Recommendation
from app.models.notifications import Notification

ESCALATED_LEVEL = 2  # a ministry reads a case from this level (app.cases.access, the "body" rule)

STAFF = "staff"
PPK = "ppk"
OVERSEERS = "overseers"
COMMISSIONERS = "commissioners"
NEW_ASSIGNEE = "new_assignee"
OLD_ASSIGNEE = "old_assignee"


@dataclass(frozen=True)
class Fact:
    """One history row as the notifier reads it."""

    case_id: int
    seq: int
    event: str
    actor_id: int | None
    payload: Mapping[str, Any]
    at: datetime


@dataclass(frozen=True)
class Told:
    kind: str
    audiences: tuple[str, ...]
    data: Mapping[str, Any]


# event → (kind, who is told). Every kind has its words in app/inbox/words.py.
SIMPLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "draft_recommendation": ("draft_waiting", (COMMISSIONERS,)),
    "issue_recommendation": ("recommendation_issued", (STAFF, PPK)),
    "acknowledge": ("acknowledged", (STAFF,)),
    "request_clarification": ("clarification_requested", (STAFF,)),
    "answer_clarification": ("clarification_answered", (STAFF, PPK)),
    "report_follow_up": ("follow_up_reported", (STAFF,)),
    "accept_follow_up": ("follow_up_accepted", (PPK,)),
    "reject_follow_up": ("follow_up_rejected", (PPK,)),
    "extend_deadline": ("deadline_extended", (PPK,)),
}
ESCALATION_EVENT = "escalation_level_reached"  # app.escalations.sweep.HISTORY_EVENT
# A reassignment (app.cases.assignment: `assigned`, {from_assignee, to_assignee: {id, name}}) and a new case's
# assignee (`create`, {assignee: {id, name}}); plain ids are read too.
ASSIGN_EVENTS = ("assigned", "reassign")
NEW_ASSIGNEE_KEYS = ("to_assignee", "assignee", "assignee_id")
OLD_ASSIGNEE_KEYS = ("from_assignee", "previous_assignee_id")


def _first_id(payload: Mapping[str, Any], keys: Iterable[str]) -> int | None:
    for key in keys:
        value = payload.get(key)
        if isinstance(value, Mapping):
            value = value.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def told(fact: Fact) -> Told | None:
    """What `fact` tells and to whom, or None for an event nobody is told of (edits, uploads, review)."""
    if fact.event in SIMPLE:
        kind, audiences = SIMPLE[fact.event]
        return Told(kind, audiences, {})
    if fact.event == ESCALATION_EVENT:
        level = fact.payload.get("level")
        if not isinstance(level, int) or level < 1:
            return None  # a reminder before the deadline is the PPK's email, not news
        audiences = (STAFF, PPK, OVERSEERS) if level >= ESCALATED_LEVEL else (STAFF, PPK)
        return Told("escalated", audiences, {"level": level, "body": fact.payload.get("body")})
    if fact.event in ASSIGN_EVENTS or fact.event == "create":
        new, old = _first_id(fact.payload, NEW_ASSIGNEE_KEYS), _first_id(fact.payload, OLD_ASSIGNEE_KEYS)
        if new is None or new == old:
            return None  # no assignee, or only the team changed
        return Told("case_assigned", (NEW_ASSIGNEE, OLD_ASSIGNEE), {})
    return None


def notify(facts: list[Fact]) -> int:
    """Write the notices of `facts` (history rows just added, in this transaction); returns the rows added.
    Flushes only."""
    planned = [(fact, plan) for fact in facts if (plan := told(fact)) is not None]
    if not planned:
        return 0
    people = _People.load(planned)
    values: list[dict[str, Any]] = []
    for fact, plan in planned:
        for user_id in sorted(people.told(fact, plan)):
            kind = plan.kind
            if kind == "case_assigned" and user_id != _first_id(fact.payload, NEW_ASSIGNEE_KEYS):
                kind = "case_reassigned"  # the previous assignee: the case left them
            values.append(
                {
                    "user_id": user_id,
                    "case_id": fact.case_id,
                    "seq": fact.seq,
                    "kind": kind,
                    "data": {k: v for k, v in plan.data.items() if v is not None},
                    "created_at": fact.at,
                }
            )
    return _insert(values)


class _People:
    """The people around the cases of one batch of facts, read with at most five queries whatever its size."""

    def __init__(self) -> None:
        self.cases: dict[int, Any] = {}
        self.recommendations: dict[int, tuple[int | None, int | None]] = {}
        self.staff: set[int] = set()
        self.ppk: dict[int, set[int]] = {}
        self.overseers: dict[str, set[int]] = {}
        self.commissioners: set[int] = set()

    @classmethod
    def load(cls, facts: list[tuple[Fact, Told]]) -> _People:
        people = cls()
        ids = sorted({fact.case_id for fact, _ in facts})
        audiences = {audience for _, plan in facts for audience in plan.audiences}
        columns: list[Any] = [Case.id, Case.created_by_id, Case.agency_id, Case.issued_at, Case.assignee_id]
        for chunk in in_chunks(ids):
            for row in db.session.execute(select(*columns).where(Case.id.in_(chunk))):
                people.cases[row[0]] = row
            for case_id, drafted, issued in db.session.execute(
                select(Recommendation.case_id, Recommendation.drafted_by_id, Recommendation.issued_by_id).where(
                    Recommendation.case_id.in_(chunk)
                )
            ):
                people.recommendations[case_id] = (drafted, issued)
        active = User.is_active.is_(True)
        wanted = {i for row in people.cases.values() for i in (row[1], row[4]) if i is not None}
        wanted |= {i for pair in people.recommendations.values() for i in pair if i is not None}
        wanted |= {i for fact, _ in facts for i in _assignees(fact) if i is not None}
        staff = [r.value for r in CASE_STAFF]
        for chunk in in_chunks(sorted(wanted)):
            people.staff |= set(
                db.session.scalars(select(User.id).where(User.id.in_(chunk), active, User.role.in_(staff)))
            )
        if PPK in audiences:
            agencies = sorted({row[2] for row in people.cases.values() if row[3] is not None})
            for chunk in in_chunks(agencies):
                rows = db.session.execute(
                    select(User.id, User.agency_id).where(
                        User.agency_id.in_(chunk), active, User.role == Role.PPK.value
                    )
                )
                for user_id, agency_id in rows:
                    people.ppk.setdefault(int(agency_id or 0), set()).add(user_id)
        if OVERSEERS in audiences:
            bodies = db.session.execute(select(User.id, User.body).where(active, User.role == Role.OVERSEER.value))
            for user_id, body in bodies:
                people.overseers.setdefault(str(body), set()).add(user_id)
        if COMMISSIONERS in audiences:
            people.commissioners = set(
                db.session.scalars(select(User.id).where(active, User.role == Role.COMMISSIONER.value))
            )
        return people

    def told(self, fact: Fact, plan: Told) -> set[int]:
        case = self.cases.get(fact.case_id)
        if case is None:
            return set()
        _, created_by, agency_id, issued_at, assignee = case
        new, old = _assignees(fact)
        found: set[int] = set()
        for audience in plan.audiences:
            if audience == STAFF:
                drafted, issued = self.recommendations.get(fact.case_id, (None, None))
                found |= {created_by, assignee, drafted, issued} & self.staff
            elif audience == COMMISSIONERS:
                found |= self.commissioners
            elif audience == PPK and issued_at is not None:
                found |= self.ppk.get(agency_id, set())
            elif audience == OVERSEERS and plan.data.get("body"):
                found |= self.overseers.get(plan.data["body"], set())
            elif audience == NEW_ASSIGNEE and new is not None:
                found |= {new} & self.staff
            elif audience == OLD_ASSIGNEE and old is not None:
                found |= {old} & self.staff
        if fact.actor_id is not None:
            found.discard(fact.actor_id)
        return found


def _assignees(fact: Fact) -> tuple[int | None, int | None]:
    """The new and the previous assignee a fact names (None when it names none)."""
    return _first_id(fact.payload, NEW_ASSIGNEE_KEYS), _first_id(fact.payload, OLD_ASSIGNEE_KEYS)


def _insert(values: list[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT (user_id, case_id, seq) DO NOTHING: an event is told once to each person."""
    if not values:
        return 0
    dialect = db.session.get_bind().dialect.name
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = Notification.__table__
    assert isinstance(table, Table)
    stmt = (
        dialect_insert(table).on_conflict_do_nothing(index_elements=["user_id", "case_id", "seq"]).returning(table.c.id)
    )
    return len(db.session.execute(stmt, values).all())
