"""Who may see and do what with a case, decided here and nowhere else: every read of a case goes through
`scoped_cases(user)`, so a PPK never loads another agency's case (404, not 403) nor a case before its
recommendation is issued, and an overseer sees only cases escalated to its ministry; the reporter, the
deliberation and the internal files are for the authority's own staff. The role × agency matrix of
tests/quality/test_authorization_matrix.py holds it to that."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, false, select, true

from app.auth.services import TokenCaller
from app.core.states import CaseStatus
from app.core.vocab import CASE_STAFF, KASN_ROLES, Role
from app.db import db, valid_row_id
from app.errors import NotFound
from app.models.auth import User
from app.models.cases import Case
from app.models.escalations import EscalationStep
from app.models.people import Person


def _visibility(user: User | TokenCaller) -> tuple[str, dict[str, Any]]:
    """Which visibility rule applies to `user`, and the values it compares with."""
    if user.role in KASN_ROLES:
        return "all", {}
    if user.role == Role.PPK:
        return "agency", {"viewer_agency_id": user.agency_id}
    if user.role == Role.OVERSEER:
        return "body", {"viewer_body": user.body}
    return "none", {}


def _visibility_rule(rule: str, values: Mapping[str, Any] | None = None, *, per_row: bool = False) -> Any:
    """The WHERE clause of a visibility rule, its values bound in, or (None) left as parameters to execute
    with: a statement built once serves every user of the rule.

    `per_row`: for a query that walks an index in its own order and stops at a page (the overseer's running
    deadlines in app/cases/queue.py). The overseer's rule is then asked of each row walked (`OFFSET 0` keeps
    PostgreSQL from turning the EXISTS into a join): a ministry's cases are mostly closed ones, so as a join the
    planner read every escalation step of the ministry and every open recommendation to keep a page (230 ms at
    1,000,000 cases), where the walk asks a few hundred rows from the (case_id) index of the steps. The rows
    are the same either way."""
    param = _binder(values)
    if rule == "all":
        return true()
    if rule == "agency":
        return and_(Case.agency_id == param("viewer_agency_id"), Case.issued_at.is_not(None))
    if rule == "body":
        steps = select(EscalationStep.id).where(
            EscalationStep.case_id == Case.id, EscalationStep.level >= 2, EscalationStep.body == param("viewer_body")
        )
        return exists(steps.offset(0) if per_row else steps)
    return false()


def _binder(values: Mapping[str, Any] | None) -> Any:
    """`param(name)`: a bound parameter holding values[name], or a required one when `values` is None."""

    def param(name: str, **options: Any) -> Any:
        return bindparam(name, **options) if values is None else bindparam(name, values[name], **options)

    return param


def visibility_clause(user: User) -> Any:
    """The WHERE clause of the cases `user` may see (always true for KASN roles)."""
    rule, values = _visibility(user)
    return _visibility_rule(rule, values)


def scoped_cases(user: User) -> Select[Case]:
    return select(Case).where(visibility_clause(user))


def get_case_for(user: User, case_id: int) -> Case:
    """The case if `user` may see it, else NotFound (never confirms that another agency's case exists)."""
    case: Case | None = (
        db.session.scalars(scoped_cases(user).where(Case.id == case_id)).first() if valid_row_id(case_id) else None
    )
    if case is None:
        raise NotFound("Perkara tidak ditemukan.")
    return case


def sees_reporter(user: User) -> bool:
    return user.role in KASN_ROLES


def sees_deliberation(user: Any) -> bool:
    """Whether `user` reads the authority's own side of a case: its history in full, staff included."""
    return user.role in KASN_ROLES


def sees_incumbency(user: Any) -> bool:
    """Whether `user` reads that a case's PPK in office is a candidate in its election (the flag "PPK petahana
    mencalonkan diri", and why its levels came earlier): everyone who reads the case — the authority's staff, the
    ministry it was escalated to (whose guidance of the PPK it calls for) and the PPK's own office, which the
    escalation emails of those levels already tell. A public fact (the candidacy), never about the reporter."""
    return user.role in KASN_ROLES or user.role in (Role.PPK, Role.OVERSEER)


def sees_agency_holders(user: Any, agency_id: int) -> bool:
    """Who reads an agency's PPK office holders and their candidacies: the authority's roles and the ministries
    every agency's, a PPK its own agency's only (another agency's answers 404, as its cases do)."""
    if user.role in KASN_ROLES or user.role == Role.OVERSEER:
        return True
    return user.role == Role.PPK and user.agency_id == agency_id


def may_record_candidacy(user: Any) -> bool:
    """Who records that a PPK office holder stands as a candidate: administrators and the authority's staff."""
    return user.role in KASN_ROLES


def may_create_case(user: User) -> bool:
    """Who logs cases and sees the new-case form (create_case refuses everyone else with 403)."""
    return user.role in CASE_STAFF


def may_upload(case: Case, user: User, purpose: str) -> bool:
    status = CaseStatus(case.status)
    if user.role in CASE_STAFF:
        return not case.is_terminal
    if user.role == Role.PPK:
        return purpose in ("follow_up", "clarification") and status == CaseStatus.AWAITING_FOLLOW_UP
    return False


SHARED_PURPOSES = ("follow_up", "clarification")


def sees_attachment(user: User, purpose: str) -> bool:
    return user.role in KASN_ROLES or purpose in SHARED_PURPOSES


def sees_every_person(user: Any) -> bool:
    """Whether `user` reads any person's record (the authority's roles); everyone else reads a person only
    through the cases it may see (`scoped_cases`), and gets 404 for a person of none of them."""
    return user.role in KASN_ROLES


def panel_cases(user: Any, decided_statuses: Any) -> Select[Case]:
    """The cases a selection panel reads in a record check: only decided ones (`decided_statuses`: the rules of
    the check, app/people/rules.py), of any agency for a national panel (no agency), and for a panel of an
    agency the cases of its agency plus every case of a person who now belongs to it (the record follows the
    person). Everyone else reads none here. The panel never reads the reporter, the evidence or the summary:
    the check's answer carries none of them (app/people/checks.py)."""
    if user.role != Role.PANEL:
        return select(Case).where(false())
    decided = Case.status.in_([str(s) for s in decided_statuses])
    if user.agency_id is None:
        return select(Case).where(decided)
    in_agency = exists().where(Person.id == Case.person_id, Person.agency_id == user.agency_id)
    return select(Case).where(decided, (Case.agency_id == user.agency_id) | in_agency)


# -- intake (app/intake): reports that are not cases yet --------------------------------------------------------------
# A forwarder (a Bawaslu office) sees no case (`_visibility` gives it none): only the reports it forwarded, each with
# its status in plain words (app/intake/tracking.py). The authority's staff triage the queue; an administrator
# reads it.


def may_forward(user: Any) -> bool:
    """Who sends reports through the forwarding channel (its own reports only)."""
    return user.role == Role.FORWARDER


def may_triage(user: Any) -> bool:
    """Who accepts, attaches or refuses a report of the intake queue, and groups cases into events."""
    return user.role in CASE_STAFF


def reads_intake(user: Any) -> bool:
    """Who reads the intake queue and a report in full (the reporter included)."""
    return user.role in KASN_ROLES
