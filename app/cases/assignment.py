"""Who works a case: its assigned investigator (`cases.assignee_id`, a user of the authority's staff) and an
optional team name (`cases.team`).

A new case is assigned to whoever logs it unless the form or the API names someone else (`assignee_id`); an
import assigns to whoever runs it. Reassigning is not a transition of the workflow: the status does not change
(the state machine of workflows/transitions.py has no state for "whose case it is", and `fire()` stays the only
place a status changes), nor does the case's version (a colleague's open edit form is not made stale by a change
of hands). It writes one history row, `assigned`, in the same transaction: who reassigned, from whom, to whom,
and why. The history row is part of the authority's deliberation: a PPK or a ministry never reads it
(`PARTY_EVENTS` in app/cases/services.py does not list it), nor the staff's names.
Services flush; the entry points commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select, update

from app.audit.history import append_history, lock_case
from app.core.clock import utcnow
from app.core.vocab import CASE_STAFF, Role
from app.db import MAX_ROW_ID, db, get_row
from app.errors import Forbidden, ValidationFailed
from app.models.auth import User
from app.models.cases import Case

ASSIGNED = "assigned"
EVENT_LABELS = {ASSIGNED: "Penanggung jawab perkara diganti"}
# The labels of the history payload's keys, for the case page's timeline (app/cases/history_words.py).
PAYLOAD_LABELS = {
    "assignee": "Penanggung jawab",
    "from_assignee": "Penanggung jawab sebelumnya",
    "to_assignee": "Penanggung jawab baru",
    "from_team": "Tim sebelumnya",
    "to_team": "Tim baru",
    "reason": "Alasan",
}
ASSIGNEE_LABEL = "Penanggung jawab (penyelidik)"
_required: dict[str, Any] = {"required": "Wajib diisi.", "null": "Wajib diisi."}


class AssigneeIn(Schema):
    """`POST /api/v1/cases/<id>/assignee`: to whom, and why."""

    class Meta:
        unknown = RAISE

    assignee_id = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_ROW_ID, error="Pengguna tidak ditemukan."),
        error_messages=_required,
        metadata={"description": "pengguna staf otoritas pengawas (penyelidik atau pejabat penanda tangan)"},
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=3, max=2000, error="Alasan 3–2000 karakter."),
        error_messages=_required,
        metadata={"description": "mengapa perkara dialihkan (tercatat di riwayat)"},
    )
    team = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100, error="Nama tim paling banyak 100 karakter."),
        metadata={"description": "nama tim (opsional); kosong: tim tidak berubah"},
    )


class AssigneeOut(Schema):
    case_id = fields.Integer()
    number = fields.String()
    assignee_id = fields.Integer(allow_none=True)
    assignee_name = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    version = fields.Integer(metadata={"description": "versi perkara (tidak berubah karena pengalihan)"})


def may_assign(user: Any) -> bool:
    """Who (re)assigns cases: the authority's case staff."""
    return user.role in CASE_STAFF


def staff_choices() -> list[tuple[str, str]]:
    """The active staff a case may be assigned to, as (id, "name (role)") for a page's select."""
    rows = db.session.execute(
        select(User.id, User.name, User.email, User.role)
        .where(User.role.in_([r.value for r in CASE_STAFF]), User.is_active.is_(True))
        .order_by(User.name, User.id)
    ).all()
    role_words = {Role.INVESTIGATOR.value: "penyelidik", Role.COMMISSIONER.value: "penanda tangan"}
    return [(str(r.id), f"{r.name or r.email} ({role_words.get(r.role, r.role)})") for r in rows]


def check_assignee(assignee_id: Any, field: str = "assignee_id") -> User:
    """The user a case may be assigned to (active staff of the authority), else 422 naming `field`."""
    user = get_row(User, assignee_id) if isinstance(assignee_id, int) and not isinstance(assignee_id, bool) else None
    if user is None or not user.is_active or user.role not in CASE_STAFF:
        message = "Penanggung jawab harus pengguna aktif staf otoritas pengawas (penyelidik atau penanda tangan)."
        raise ValidationFailed("Penanggung jawab tidak sah.", details={"fields": {field: [message]}})
    return user


def load_assignment(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationFailed("Badan permintaan harus berupa objek JSON.")
    try:
        loaded: dict[str, Any] = AssigneeIn().load(data)
    except ValidationError as exc:
        raise ValidationFailed("Data pengalihan tidak valid.", details={"fields": exc.messages}) from exc
    reason = (loaded.get("reason") or "").strip()
    if len(reason) < 3:
        raise ValidationFailed("Data pengalihan tidak valid.", details={"fields": {"reason": ["Wajib diisi."]}})
    loaded["reason"] = reason
    if loaded.get("team") is not None:
        loaded["team"] = loaded["team"].strip() or None
    return loaded


def assign_case(case: Case, data: Any, actor: User, *, now: datetime | None = None) -> Case:
    """Give `case` to the staff member `data["assignee_id"]` (and the team `data["team"]`, when given) for the
    reason `data["reason"]`: one history row, no change of status or version. Assigning to the one already in
    charge (and the same team) is refused (422): it would record nothing. Flushes."""
    if not may_assign(actor):
        raise Forbidden("Hanya penyelidik atau pejabat otoritas pengawas yang dapat mengalihkan perkara.")
    clean = load_assignment(data)
    assignee = check_assignee(clean["assignee_id"])
    lock_case(case)  # every writer of a case takes its row lock first (app/audit/history.py)
    team = clean.get("team") if clean.get("team") is not None else case.team
    if case.assignee_id == assignee.id and team == case.team:
        raise ValidationFailed(
            "Perkara sudah ditangani oleh penanggung jawab ini.",
            details={"fields": {"assignee_id": ["Pilih penanggung jawab lain (atau tim lain)."]}},
        )
    previous = get_row(User, case.assignee_id) if case.assignee_id else None
    payload: dict[str, Any] = {
        "from_assignee": staff_ref(previous),
        "to_assignee": staff_ref(assignee),
        "reason": clean["reason"],
    }
    if team != case.team:
        payload.update(from_team=case.team, to_team=team)
    now = now or utcnow()
    # A Core UPDATE: the mapper's version counter (`version_id_col`) stays as it is, since the case's content did
    # not change (see the module's docstring); the history row records the version as it stands.
    db.session.execute(
        update(Case.__table__).where(Case.__table__.c.id == case.id).values(assignee_id=assignee.id, team=team)
    )
    db.session.refresh(case)
    append_history(case, ASSIGNED, case.status, case.status, actor=actor, payload=payload, at=now)
    return case


def staff_ref(user: User | None) -> dict[str, Any] | None:
    """Who, as the history keeps it: the id (the case page names the person from it) and the name at the time."""
    if user is None:
        return None
    return {"id": user.id, "name": user.name or user.email}


def assignment_out(case: Case) -> dict[str, Any]:
    assignee = get_row(User, case.assignee_id) if case.assignee_id else None
    return {
        "case_id": case.id,
        "number": case.number,
        "assignee_id": case.assignee_id,
        "assignee_name": (assignee.name or assignee.email) if assignee is not None else None,
        "team": case.team,
        "version": case.version,
    }
