"""A neutrality case's election (`case_elections`, one election per case): linking and unlinking it by hand from
the case page or `PUT /api/v1/cases/<id>/election`, the choices the forms and filters offer, and the link as the
case shows it.

Linking is not a transition of the workflow: the status and the case's version do not change (a colleague's open
edit form stays valid, as with a reassignment). A change writes one history row, `election_linked`, in the same
transaction, naming the election before and after. Only a neutrality case is linked, to an election that exists;
anything else is refused with a 422 naming `election_id`. Services flush; the entry points commit.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import delete, exists, select

from app.audit.history import append_history, lock_case
from app.cases.access import may_triage
from app.core.vocab import Category
from app.db import MAX_ROW_ID, db, get_row
from app.errors import Forbidden, ValidationFailed
from app.models.auth import User
from app.models.cases import Case
from app.models.intake import CaseElection, Election

ELECTION_LINKED = "election_linked"
EVENT_LABELS = {ELECTION_LINKED: "Pemilihan perkara diubah"}
# The labels of the history payload's keys, for the case page's timeline (app/cases/history_words.py).
PAYLOAD_LABELS = {"from_election": "Pemilihan sebelumnya", "to_election": "Pemilihan baru"}
NOT_FOUND = "Pemilihan tidak ditemukan."
NOT_NEUTRALITY = "Hanya perkara netralitas yang dikaitkan dengan pemilihan."


class CaseElectionIn(Schema):
    """`PUT /api/v1/cases/<id>/election`: the election to link (null: unlink)."""

    class Meta:
        unknown = RAISE

    election_id = fields.Integer(
        required=True,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_ROW_ID, error=NOT_FOUND),
        error_messages={"required": "Wajib diisi (null untuk melepas kaitan).", "invalid": "Harus id pemilihan."},
        metadata={"description": "id pemilihan (GET /api/v1/elections); null melepas kaitan"},
    )


class CaseElectionOut(Schema):
    election_id = fields.Integer(allow_none=True, metadata={"description": "null: perkara tidak dikaitkan"})


def in_election(election_id: Any) -> Any:
    """SQL: the case (`Case.id`, the `cases` table's own column: ORM and Core queries alike) is linked to the
    election `election_id` (a value or a bound parameter). A semi-join on `case_elections`: its primary key is the
    case and its `election_id` index finds an election's cases, so the planner may start from either side."""
    link = CaseElection.__table__.alias("election_link")  # never correlated with a case_elections the query joins
    return exists().where(link.c.case_id == Case.id, link.c.election_id == election_id)


def election_of(case_id: int) -> Election | None:
    """The election `case_id` is linked to, if any."""
    return db.session.scalar(
        select(Election)
        .join(CaseElection, CaseElection.election_id == Election.id)
        .where(CaseElection.case_id == case_id)
    )


def election_ref(election: Election | None) -> dict[str, Any] | None:
    """An election as a case shows it (and its history keeps it): its id and its name."""
    return None if election is None else {"id": election.id, "name": election.name}


def election_summary(election: Election) -> dict[str, Any]:
    """An election as the answers that name it give it: what it is, where and when."""
    return {
        "id": election.id,
        "name": election.name,
        "kind": election.kind,
        "region": election.region,
        "starts_on": election.starts_on,
        "ends_on": election.ends_on,
    }


def election_choices() -> list[tuple[str, str]]:
    """(id, name) of every election, newest first: the options of the case page's and the filters' selects."""
    rows = db.session.execute(
        select(Election.id, Election.name).order_by(Election.starts_on.desc(), Election.id.desc())
    )
    return [(str(election_id), name) for election_id, name in rows]


def check_election(election_id: Any) -> Election:
    """The election `election_id` names, else ValidationFailed naming `election_id` (422)."""
    election = get_row(Election, election_id) if isinstance(election_id, int) else None
    if election is None:
        raise ValidationFailed(NOT_FOUND, details={"fields": {"election_id": [NOT_FOUND]}})
    return election


def link_election(case: Case, data: Any, actor: User) -> dict[str, Any]:
    """Link the neutrality `case` to the election `data["election_id"]`, or unlink it (null): one history row.
    Refused (422, `election_id`) for an unknown election or a case of another category. The same link again (a
    PUT sent twice) changes nothing and writes no row. Flushes."""
    if not may_triage(actor):
        raise Forbidden("Hanya penyelidik atau komisioner yang mengaitkan perkara dengan pemilihan.")
    if not isinstance(data, dict):
        raise ValidationFailed("Badan permintaan harus berupa objek JSON.")
    try:
        clean = CaseElectionIn().load(data)
    except ValidationError as exc:
        raise ValidationFailed("Data tidak valid.", details={"fields": exc.messages_dict}) from exc
    target = None if clean["election_id"] is None else check_election(clean["election_id"])
    if target is not None and case.category != Category.NETRALITAS.value:
        raise ValidationFailed(NOT_NEUTRALITY, details={"fields": {"election_id": [NOT_NEUTRALITY]}})
    lock_case(case)  # every writer of a case takes its row lock first (app/audit/history.py)
    current = election_of(case.id)
    out = {"election_id": target.id if target else None}
    if (current.id if current else None) == out["election_id"]:
        return out
    db.session.execute(delete(CaseElection).where(CaseElection.case_id == case.id))
    if target is not None:
        db.session.add(CaseElection(case_id=case.id, election_id=target.id))
    db.session.flush()
    payload = {"from_election": election_ref(current), "to_election": election_ref(target)}
    append_history(case, ELECTION_LINKED, case.status, case.status, actor=actor, payload=payload)
    return out
