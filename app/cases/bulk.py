"""Bulk actions on a selection of cases (the case list's checkboxes, `POST /api/v1/cases/bulk`): assign them to
one investigator, start their review, or export them (CSV/XLSX through the list's own export).

Each case goes the way a single one goes: `workflows.fire()` for the start of a review, `assign_case` for an
assignment, both under the case's row lock, each writing its history row. A case that cannot (not visible to
the caller, not in a state the event leaves, already with that investigator, changed meanwhile) is reported
with its reason in words, and the others go on.

Transactions: the whole selection is one transaction with a SAVEPOINT per case. A case that fails is rolled back
to its savepoint (its status, history row and emails, all or nothing), the cases that succeeded are committed
together at the end. So the answer lists exactly what was committed: a failure of the commit itself (a lost
connection) leaves nothing done, and sending the same request again does the same work once (a review already
started is then reported per case as not possible in its status, an assignment already made as already made).
One transaction per case was the alternative; it would commit part of a selection before a crash the client never
hears about, and holds no fewer locks on PostgreSQL, where each case's row lock is taken as the loop reaches it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm.exc import StaleDataError

from app.cases import access, page_errors
from app.cases.assignment import AssigneeIn, assign_case, check_assignee, load_assignment, may_assign
from app.core.states import CaseEvent
from app.db import MAX_ROW_ID, db
from app.errors import DomainError, Forbidden, NotFound, ValidationFailed, VersionConflict
from app.models.auth import User
from app.models.cases import Case
from workflows import fire

ASSIGN, START_REVIEW, EXPORT = "assign", "start_review", "export"
ACTIONS = (ASSIGN, START_REVIEW, EXPORT)
ACTION_LABELS = {
    ASSIGN: "Alihkan ke penanggung jawab",
    START_REVIEW: "Mulai penelaahan",
    EXPORT: "Ekspor pilihan (CSV)",
}
MAX_CASES = 100
_required: dict[str, Any] = {"required": "Wajib diisi.", "null": "Wajib diisi."}


class BulkIn(Schema):
    class Meta:
        unknown = RAISE

    action = fields.String(
        required=True,
        validate=validate.OneOf(ACTIONS, error="Pilih salah satu: assign, start_review, export."),
        error_messages=_required,
    )
    case_ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ROW_ID, error="Perkara tidak ditemukan.")),
        required=True,
        validate=validate.Length(min=1, max=MAX_CASES, error=f"Pilih 1–{MAX_CASES} perkara."),
        error_messages=_required,
    )
    assignee_id = fields.Integer(
        load_default=None, allow_none=True, strict=True, metadata={"description": "untuk assign: penanggung jawab"}
    )
    reason = fields.String(load_default=None, allow_none=True, metadata={"description": "untuk assign: alasan"})
    team = fields.String(load_default=None, allow_none=True, metadata={"description": "untuk assign: tim (opsional)"})
    format = fields.String(
        load_default="csv",
        validate=validate.OneOf(("csv", "xlsx"), error="Pilih csv atau xlsx."),
        metadata={"description": "untuk export"},
    )

    @validates_schema
    def _assignment(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("action") != ASSIGN:
            return
        errors = {}
        if data.get("assignee_id") is None:
            errors["assignee_id"] = ["Wajib diisi untuk pengalihan."]
        if not (data.get("reason") or "").strip():
            errors["reason"] = ["Wajib diisi untuk pengalihan."]
        if errors:
            raise ValidationError(errors)


class BulkDone(Schema):
    case_id = fields.Integer()
    number = fields.String()
    status = fields.String()
    version = fields.Integer()


class BulkFailed(Schema):
    case_id = fields.Integer()
    number = fields.String(allow_none=True, metadata={"description": "kosong bila perkara tidak terlihat"})
    code = fields.String()
    message = fields.String(metadata={"description": "alasan dalam kata-kata"})


class BulkOut(Schema):
    action = fields.String()
    done = fields.List(fields.Nested(BulkDone))
    failed = fields.List(fields.Nested(BulkFailed))


def require_role(action: Any, user: Any) -> None:
    """Assigning and starting reviews are for the authority's case staff (403 for anyone else); anyone who sees
    cases may export those of a selection they see."""
    if action in (ASSIGN, START_REVIEW) and not may_assign(user):
        raise Forbidden("Hanya penyelidik atau pejabat otoritas pengawas yang dapat menjalankan tindakan massal.")


def load_bulk(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationFailed("Badan permintaan harus berupa objek JSON.")
    try:
        loaded: dict[str, Any] = BulkIn().load(data)
    except ValidationError as exc:
        raise ValidationFailed("Data tindakan massal tidak valid.", details={"fields": exc.messages}) from exc
    loaded["case_ids"] = list(dict.fromkeys(loaded["case_ids"]))  # each case once, in the order given
    return loaded


def run_bulk(clean: dict[str, Any], user: User) -> dict[str, Any]:
    """Apply an assignment or the start of review to each case of `clean` (see `load_bulk`), each in its own
    savepoint; returns what was done and what failed, per case, in words. The caller commits (see the module's
    docstring). 403 when the role may not, 422 when the assignee is not staff, before touching any case."""
    action = clean["action"]
    if action not in (ASSIGN, START_REVIEW):
        raise ValidationFailed("Tindakan ini tidak dijalankan per perkara.", details={"fields": {"action": ["export"]}})
    require_role(action, user)
    assignment: dict[str, Any] = {}
    if action == ASSIGN:
        assignment = load_assignment({k: clean[k] for k in AssigneeIn().fields if clean.get(k) is not None})
        check_assignee(assignment["assignee_id"])
    done: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for case_id in clean["case_ids"]:
        number = None
        savepoint = db.session.begin_nested()
        try:
            case = access.get_case_for(user, case_id)  # 404 words for a case the caller may not see
            number = case.number
            if action == START_REVIEW:
                fire(case, CaseEvent.START_REVIEW, user, {})
            else:
                assign_case(case, assignment, user)
            savepoint.commit()
        except (DomainError, StaleDataError) as exc:
            savepoint.rollback()
            failed.append({"case_id": case_id, "number": number, **_failure(exc, case_id, number, action)})
            continue
        done.append({"case_id": case.id, "number": case.number, "status": case.status, "version": case.version})
    return {"action": action, "done": done, "failed": failed}


def _failure(exc: BaseException, case_id: int, number: str | None, action: str) -> dict[str, str]:
    """Why one case of the selection was not done, in words (and the error's stable code)."""
    if isinstance(exc, NotFound) or number is None:
        return {"code": "not_found", "message": gettext("Perkara tidak ditemukan.")}
    if isinstance(exc, StaleDataError):
        exc = VersionConflict("Perkara telah diubah oleh pengguna lain; muat ulang dan coba lagi.")
    code = getattr(exc, "code", "conflict")
    if action == START_REVIEW:
        case = db.session.get(Case, case_id)
        if case is not None:
            return {"code": code, "message": page_errors.refusal_words(exc, case, CaseEvent.START_REVIEW.value)}
    fields_ = getattr(exc, "details", {}).get("fields") or {}
    first = next((msgs[0] for msgs in fields_.values() if isinstance(msgs, list) and msgs), None)
    message = getattr(exc, "message", "") or str(exc)
    return {"code": code, "message": gettext(message) + (f" {gettext(first)}" if first else "")}
