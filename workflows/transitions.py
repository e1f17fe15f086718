"""The state machine of DESIGN §2 as data: the one place that says who may do what, from where, with what.

Everything else — API validation, `allowed_events`, the page buttons and forms, the OpenAPI enum and the
diagram — is derived from `TRANSITIONS`. The table is validated at import: every state reachable from
`reported`, every non-terminal state has an exit, terminal states have none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema

from app.core.states import EVENT_LABELS, TERMINAL_STATUSES, CaseEvent, CaseStatus
from app.core.vocab import CASE_STAFF, Role
from app.errors import DomainError
from workflows import guards
from workflows import schemas as s

ST = CaseStatus
COMMISSIONER = frozenset({Role.COMMISSIONER})
PPK = frozenset({Role.PPK})
NON_TERMINAL = tuple(st for st in CaseStatus if st not in TERMINAL_STATUSES)


@dataclass(frozen=True)
class Transition:
    event: CaseEvent
    sources: tuple[CaseStatus, ...]
    target: CaseStatus | None  # None: stays in the current state
    roles: frozenset[Role]
    schema: type[Schema]
    guards: tuple[Callable[..., DomainError | None], ...] = field(default=())
    irreversible: bool = False
    description: str = ""

    @property
    def label(self) -> str:
        return EVENT_LABELS[self.event]

    def target_from(self, source: CaseStatus) -> CaseStatus:
        return self.target or source


TRANSITIONS: dict[CaseEvent, Transition] = {
    t.event: t
    for t in (
        Transition(CaseEvent.START_REVIEW, (ST.REPORTED,), ST.UNDER_REVIEW, CASE_STAFF, s.EmptySchema),
        Transition(
            CaseEvent.DISMISS,
            (ST.REPORTED, ST.UNDER_REVIEW),
            ST.DISMISSED,
            COMMISSIONER,
            s.ReasonSchema,
            irreversible=True,
            description="Tidak terbukti atau di luar kewenangan.",
        ),
        Transition(
            CaseEvent.DRAFT_RECOMMENDATION,
            (ST.UNDER_REVIEW, ST.RECOMMENDATION_DRAFTED),
            ST.RECOMMENDATION_DRAFTED,
            CASE_STAFF,
            s.DraftRecommendationSchema,
            guards=(guards.sanction_fits_person,),
        ),
        Transition(
            CaseEvent.ISSUE_RECOMMENDATION,
            (ST.RECOMMENDATION_DRAFTED,),
            ST.AWAITING_FOLLOW_UP,
            COMMISSIONER,
            s.IssueRecommendationSchema,
            guards=(guards.four_eyes,),
            irreversible=True,
            description="Diterbitkan oleh komisioner selain penyusun draf; tenggat mulai berjalan.",
        ),
        Transition(
            CaseEvent.ACKNOWLEDGE,
            (ST.AWAITING_FOLLOW_UP,),
            None,
            PPK,
            s.EmptySchema,
            guards=(guards.not_yet_acknowledged,),
        ),
        Transition(
            CaseEvent.RECORD_RECEIPT,
            (ST.AWAITING_FOLLOW_UP,),
            None,
            frozenset({Role.INVESTIGATOR}),
            s.RecordReceiptSchema,
            guards=(guards.receipt_not_before_issue,),
        ),
        Transition(CaseEvent.EXTEND_DEADLINE, (ST.AWAITING_FOLLOW_UP,), None, COMMISSIONER, s.ExtendDeadlineSchema),
        Transition(
            CaseEvent.REQUEST_CLARIFICATION,
            (ST.AWAITING_FOLLOW_UP,),
            ST.CLARIFICATION_REQUESTED,
            PPK,
            s.RequestClarificationSchema,
            guards=(guards.document_belongs_to_case,),
        ),
        Transition(
            CaseEvent.ANSWER_CLARIFICATION,
            (ST.CLARIFICATION_REQUESTED,),
            ST.AWAITING_FOLLOW_UP,
            COMMISSIONER,
            s.AnswerClarificationSchema,
            guards=(guards.sanction_fits_person,),
        ),
        Transition(
            CaseEvent.REPORT_FOLLOW_UP,
            (ST.AWAITING_FOLLOW_UP,),
            ST.FOLLOW_UP_REPORTED,
            PPK,
            s.ReportFollowUpSchema,
            guards=(guards.decision_not_before_issue, guards.sanction_fits_person, guards.document_belongs_to_case),
        ),
        Transition(
            CaseEvent.ACCEPT_FOLLOW_UP,
            (ST.FOLLOW_UP_REPORTED,),
            ST.COMPLETED,
            CASE_STAFF,
            s.EmptySchema,
            irreversible=True,
        ),
        Transition(
            CaseEvent.REJECT_FOLLOW_UP, (ST.FOLLOW_UP_REPORTED,), ST.AWAITING_FOLLOW_UP, CASE_STAFF, s.ReasonSchema
        ),
        Transition(
            CaseEvent.CLOSE,
            NON_TERMINAL,
            ST.CLOSED,
            COMMISSIONER,
            s.ReasonSchema,
            irreversible=True,
            description="Ditutup secara administratif.",
        ),
    )
}


def transitions_from(status: CaseStatus) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]


class InvalidDefinition(RuntimeError):
    """The transition table is not a sound state machine."""


def validate_table(table: dict[CaseEvent, Transition]) -> None:
    if set(table) != set(CaseEvent):
        raise InvalidDefinition(f"events without a transition: {set(CaseEvent) - set(table)}")
    reachable = {CaseStatus.REPORTED}
    frontier = [CaseStatus.REPORTED]
    while frontier:
        current = frontier.pop()
        for t in transitions_from(current):
            nxt = t.target_from(current)
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    if reachable != set(CaseStatus):
        raise InvalidDefinition(f"unreachable states: {set(CaseStatus) - reachable}")
    for status in CaseStatus:
        exits = [t for t in table.values() if status in t.sources and t.target_from(status) != status]
        if status in TERMINAL_STATUSES and any(status in t.sources for t in table.values()):
            raise InvalidDefinition(f"terminal state {status} has an exit")
        if status not in TERMINAL_STATUSES and not exits:
            raise InvalidDefinition(f"non-terminal state {status} has no exit")


def table_as_data() -> list[dict[str, Any]]:
    """The table for docs, the help page and API consumers."""
    return [
        {
            "event": t.event.value,
            "label": t.label,
            "from": [src.value for src in t.sources],
            "to": t.target.value if t.target else None,
            "roles": sorted(r.value for r in t.roles),
            "payload": sorted(t.schema().fields),
            "irreversible": t.irreversible,
        }
        for t in TRANSITIONS.values()
    ]


validate_table(TRANSITIONS)
