"""Pure predicates checked before an event applies; each returns None, or the error to raise.

Guards get an empty payload when `allowed_events` asks whether an event is possible at all, so guards on
payload values pass when the value is absent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.calendar.working_days import local_today
from app.core.sanction_rules import employee_of_nip, sanction_problem
from app.db import db, get_row
from app.errors import DomainError, Forbidden, InvalidTransition, ValidationFailed
from app.models.agencies import Agency
from app.models.cases import Attachment, Recommendation


def four_eyes(case: Any, actor: Any, payload: dict[str, Any]) -> DomainError | None:
    """The commissioner who issues a recommendation is not the one who drafted it."""
    rec = _recommendation(case)
    if rec is not None and rec.drafted_by_id == actor.id:
        return Forbidden(
            "Rekomendasi harus diterbitkan oleh komisioner selain penyusun draf (prinsip empat mata).",
            code="four_eyes",
        )
    return None


def not_yet_acknowledged(case: Any, actor: Any, payload: dict[str, Any]) -> DomainError | None:
    rec = _recommendation(case)
    if rec is not None and rec.acknowledged_at is not None:
        return InvalidTransition("Penerimaan rekomendasi sudah dikonfirmasi.")
    return None


def receipt_not_before_issue(case: Any, actor: Any, payload: dict[str, Any]) -> DomainError | None:
    return _not_before_issue(
        case, payload, "received_on", "Tanggal diterima tidak boleh sebelum tanggal terbit rekomendasi."
    )


def decision_not_before_issue(case: Any, actor: Any, payload: dict[str, Any]) -> DomainError | None:
    """The SK that follows a recommendation up cannot predate it (a sanction decided earlier is not its
    follow-up)."""
    return _not_before_issue(
        case,
        payload,
        "decision_date",
        "Tanggal SK tidak boleh sebelum tanggal terbit rekomendasi: SK yang menindaklanjuti rekomendasi "
        "ditetapkan sesudah rekomendasi diterbitkan.",
    )


def _not_before_issue(case: Any, payload: dict[str, Any], field: str, message: str) -> DomainError | None:
    """`payload[field]` (a day) is not before the recommendation's day of issue in the agency's zone."""
    rec = _recommendation(case)
    day = payload.get(field)
    if rec is None or rec.issued_at is None or day is None:
        return None
    agency = db.session.get(Agency, case.agency_id)
    if day < local_today(agency, rec.issued_at):
        return ValidationFailed(message, details={"fields": {field: [message]}})
    return None


def sanction_fits_person(case: Any, actor: Any, payload: dict[str, Any]) -> DomainError | None:
    """The sanction of a draft, a revised recommendation or a follow-up fits the reported person: a PPPK gets no
    form that presupposes a PNS, a PNS none of a PPPK's (app/core/sanction_rules.py, read from the NIP). The
    payload schema has already refused a form of another level."""
    level = payload.get("sanction_imposed") or payload.get("sanction")
    if payload.get("outcome") == "upheld":
        return None  # an upheld recommendation keeps its sanction: nothing new to check
    problem = sanction_problem(level, payload.get("sanction_form"), employee=employee_of_nip(case.reported_nip))
    if problem:
        return ValidationFailed(problem, details={"fields": {"sanction_form": [problem]}})
    return None


def document_belongs_to_case(case: Any, actor: Any, payload: dict[str, Any]) -> DomainError | None:
    document_id = payload.get("document_id")
    if document_id is None:
        return None
    attachment = get_row(Attachment, document_id)
    if attachment is None or attachment.case_id != case.id:
        message = "Dokumen tidak ditemukan pada perkara ini."
        return ValidationFailed(message, details={"fields": {"document_id": [message]}})
    return None


def _recommendation(case: Any) -> Any:
    return db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
