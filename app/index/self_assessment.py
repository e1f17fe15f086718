"""The IM-NKK self-assessment: the agency's answers with their evidence files, KASN's verification and
clarification, and the plenary decision (docs/index-method.md §10).

Every change of an answer's stage goes through `app.index.stages` (the table of which action may be taken in
which stage); who may act is checked in `app.index.access`. Everything here flushes; the API, pages and CLI
commit through `app.db.unit_of_work()`.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import IO, Any

import filetype
from flask import current_app
from sqlalchemy import select
from werkzeug.utils import secure_filename

from app.core.clock import utcnow
from app.core.uploads import stage
from app.db import db, get_row
from app.errors import NotFound, ValidationFailed
from app.index import stages
from app.index.access import (
    check_agency_id,
    check_commissioner,
    check_ppk_of,
    check_self_assessment_visible,
    check_verifier,
    check_year,
)
from app.index.method import Method, current_method
from app.index.stages import INITIAL_STAGE, TRANSITIONS, Stage, StageAction
from app.models.agencies import Agency
from app.models.auth import User
from app.models.index import SelfAssessment

ALLOWED_EVIDENCE = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip


# --- reading the answers ---------------------------------------------------------------------------------


def list_answers(user: User, agency_id: int, year: int, method: Method | None = None) -> list[dict[str, Any]]:
    """Every self-assessed sub-criterion of the agency and year, answered or not, in method order."""
    year = check_year(year)
    check_self_assessment_visible(user, agency_id)
    if get_row(Agency, agency_id) is None:
        raise NotFound("Instansi tidak ditemukan.")
    method = method or current_method()
    rows = {
        row.subcriterion: row
        for row in db.session.scalars(
            select(SelfAssessment).where(SelfAssessment.agency_id == agency_id, SelfAssessment.year == year)
        )
    }
    return [answer_dump(rows.get(key), key, agency_id, year, method) for key in method.self_assessed()]


def answer_dump(
    row: SelfAssessment | None, subcriterion: str, agency_id: int, year: int, method: Method
) -> dict[str, Any]:
    sub = method.subcriteria.get(subcriterion, {"criterion": subcriterion.split(".")[0], "label": subcriterion})
    return {
        "agency_id": agency_id,
        "year": year,
        "criterion": sub["criterion"],
        "subcriterion": subcriterion,
        "label": sub["label"],
        "stage": row.stage if row else INITIAL_STAGE,
        "self_score": row.self_score if row else None,
        "answer": row.answer if row else None,
        "verified_score": row.verified_score if row else None,
        "verifier_note": row.verifier_note if row else None,
        "clarification_question": row.clarification_question if row else None,
        "evidence": (
            {"filename": row.evidence_filename, "sha256": row.evidence_sha256, "size": row.evidence_size}
            if row is not None and row.evidence_key
            else None
        ),
        "submitted_at": row.submitted_at if row else None,
        "verified_at": row.verified_at if row else None,
        "decided_at": row.decided_at if row else None,
        "exists": row is not None,
    }


def _row(agency_id: int, year: int, subcriterion: str, *, lock: bool = False) -> SelfAssessment | None:
    stmt = select(SelfAssessment).where(
        SelfAssessment.agency_id == agency_id,
        SelfAssessment.year == year,
        SelfAssessment.subcriterion == subcriterion,
    )
    if lock:
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


# --- the agency fills it in ------------------------------------------------------------------------------


def _self_assessable(subcriterion: str, method: Method) -> dict[str, Any]:
    sub = method.subcriteria.get(subcriterion)
    if sub is None:
        raise NotFound("Subkriteria tidak dikenal.")
    if sub["source"] != "self":
        raise ValidationFailed(
            "Subkriteria ini dihitung dari data perkara, tidak dinilai mandiri.",
            details={"fields": {"subcriterion": ["dihitung dari data perkara"]}},
        )
    return sub


def _editable_row(
    agency_id: int, year: int, subcriterion: str, sub: dict[str, Any], action: StageAction
) -> SelfAssessment:
    """The answer to change (locked), new in the first stage when there is none; refused in a stage that
    does not allow `action`."""
    row = _row(agency_id, year, subcriterion, lock=True)
    if row is None:
        row = SelfAssessment(
            agency_id=agency_id, year=year, criterion=sub["criterion"], subcriterion=subcriterion, stage=INITIAL_STAGE
        )
        db.session.add(row)
    else:
        stages.check(row.stage, action)
    return row


def _check_score(value: Any, field: str) -> float | None:
    if value is None:
        return None
    try:
        score = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Nilai tidak sah.", details={"fields": {field: ["harus angka 0-100"]}}) from exc
    if not 0 <= score <= 100:
        raise ValidationFailed("Nilai tidak sah.", details={"fields": {field: ["harus antara 0 dan 100"]}})
    return score


def save_answer(
    user: User,
    agency_id: int,
    year: int,
    subcriterion: str,
    *,
    self_score: Any,
    answer: str | None,
    method: Method | None = None,
) -> SelfAssessment:
    """The PPK fills in (or, when KASN asked for clarification, revises) one answer; flushes."""
    year = check_year(year)
    check_ppk_of(user, agency_id)
    method = method or current_method()
    sub = _self_assessable(subcriterion, method)
    score = _check_score(self_score, "self_score")
    row = _editable_row(agency_id, year, subcriterion, sub, StageAction.SAVE_ANSWER)
    row.self_score = score
    row.answer = (answer or "").strip() or None
    row.updated_by_id = user.id
    db.session.flush()
    return row


def store_evidence(
    user: User, agency_id: int, year: int, subcriterion: str, stream: IO[bytes], filename: str
) -> SelfAssessment:
    """Attach an evidence file to an answer: generated storage name, SHA-256, type checked; flushes."""
    year = check_year(year)
    check_ppk_of(user, agency_id)
    sub = _self_assessable(subcriterion, current_method())
    row = _editable_row(agency_id, year, subcriterion, sub, StageAction.ATTACH_EVIDENCE)
    display = secure_filename(filename or "") or "bukti"
    extension = display.rsplit(".", 1)[-1].lower() if "." in display else ""
    if extension not in ALLOWED_EVIDENCE:
        raise ValidationFailed(
            "Jenis berkas tidak diizinkan.", details={"fields": {"file": [f"pilih: {', '.join(ALLOWED_EVIDENCE)}"]}}
        )
    staged = stage(stream, _evidence_dir(), limit=current_app.config.get("MAX_CONTENT_LENGTH") or 20 * 1024 * 1024)
    try:
        if not _type_matches(extension, staged.kind):
            raise ValidationFailed(
                "Isi berkas tidak sesuai jenisnya.", details={"fields": {"file": ["isi tidak sesuai"]}}
            )
        key = uuid.uuid4().hex
        staged.keep(_evidence_path(key))
    finally:
        staged.discard()  # nothing left once kept
    digest, size = staged.sha256, staged.size
    row.evidence_filename = display
    row.evidence_key = key
    row.evidence_sha256 = digest
    row.evidence_size = size
    row.evidence_content_type = ALLOWED_EVIDENCE[extension]
    row.updated_by_id = user.id
    db.session.flush()
    return row


def _evidence_dir() -> Path:
    return Path(current_app.config["ATTACHMENT_DIR"]) / "self_assessments"


def _evidence_path(key: str) -> Path:
    return _evidence_dir() / key


def _type_matches(extension: str, kind: filetype.Type | None) -> bool:
    if kind is None:
        return False
    if extension in ("docx", "xlsx"):  # zip containers: the first bytes cannot tell them apart reliably
        return kind.extension in ("zip", "docx", "xlsx")
    return kind.extension == {"jpeg": "jpg"}.get(extension, extension)


def evidence_file(user: User, agency_id: int, year: int, subcriterion: str) -> tuple[Path, SelfAssessment]:
    """The stored evidence of an answer (KASN roles, or the agency's own PPK)."""
    check_self_assessment_visible(user, agency_id)
    row = _row(agency_id, check_year(year), subcriterion)
    if row is None or not row.evidence_key:
        raise NotFound("Bukti tidak ditemukan.")
    path = _evidence_path(row.evidence_key)
    if not path.is_file():
        raise NotFound("Berkas bukti tidak ditemukan di penyimpanan.")
    return path, row


def submit(user: User, agency_id: int, year: int) -> int:
    """The PPK submits its answers for verification; returns how many moved. Flushes."""
    year = check_year(year)
    check_ppk_of(user, agency_id)
    rows = list(
        db.session.scalars(
            select(SelfAssessment)
            .where(
                SelfAssessment.agency_id == agency_id,
                SelfAssessment.year == year,
                SelfAssessment.stage.in_(TRANSITIONS[StageAction.SUBMIT].sources),
            )
            .with_for_update()
        )
    )
    unscored = [r.subcriterion for r in rows if r.self_score is None]
    if unscored:
        raise ValidationFailed(
            "Setiap jawaban yang diajukan harus memiliki nilai.", details={"fields": {"self_score": unscored}}
        )
    if not rows:
        raise stages.refusal(StageAction.SUBMIT)
    now = utcnow()
    for row in rows:
        stages.move(row, StageAction.SUBMIT)
        row.submitted_at = now
        row.updated_by_id = user.id
    db.session.flush()
    return len(rows)


# --- KASN verifies, asks, the agency answers -------------------------------------------------------------


def _kasn_row(user: User, agency_id: int, year: int, subcriterion: str, action: StageAction) -> SelfAssessment:
    check_verifier(user, agency_id)
    row = _row(agency_id, check_year(year), subcriterion, lock=True)
    if row is None:
        raise NotFound("Jawaban penilaian mandiri tidak ditemukan.")
    stages.check(row.stage, action)
    return row


def verify(
    user: User, agency_id: int, year: int, subcriterion: str, *, verified_score: Any, note: str | None
) -> SelfAssessment:
    """KASN confirms or corrects an answer's score; a correction needs a note. Flushes."""
    row = _kasn_row(user, agency_id, year, subcriterion, StageAction.VERIFY)
    score = _check_score(verified_score, "verified_score")
    if score is None:
        raise ValidationFailed("Nilai verifikasi wajib diisi.", details={"fields": {"verified_score": ["wajib"]}})
    note = (note or "").strip() or None
    corrected = row.self_score is None or abs(score - row.self_score) > 1e-9
    if corrected and not note:
        raise ValidationFailed(
            "Koreksi nilai wajib disertai catatan.", details={"fields": {"note": ["wajib bila nilai dikoreksi"]}}
        )
    row.verified_score = score
    row.verifier_note = note
    row.verified_by_id = user.id
    row.verified_at = utcnow()
    db.session.flush()
    return row


def request_clarification(user: User, agency_id: int, year: int, subcriterion: str, *, question: str) -> SelfAssessment:
    """KASN asks the agency to clarify an answer; it goes back to the agency. Flushes."""
    row = _kasn_row(user, agency_id, year, subcriterion, StageAction.REQUEST_CLARIFICATION)
    question = (question or "").strip()
    if not question:
        raise ValidationFailed("Pertanyaan klarifikasi wajib diisi.", details={"fields": {"question": ["wajib"]}})
    stages.move(row, StageAction.REQUEST_CLARIFICATION)
    row.clarification_question = question
    row.verified_score = None
    row.verified_at = None
    db.session.flush()
    return row


def answer_clarification(
    user: User, agency_id: int, year: int, subcriterion: str, *, answer: str, self_score: Any = None
) -> SelfAssessment:
    """The agency answers KASN's question (and may revise its score); back to verification. Flushes."""
    check_ppk_of(user, agency_id)
    row = _row(agency_id, check_year(year), subcriterion, lock=True)
    if row is None:
        raise NotFound("Jawaban penilaian mandiri tidak ditemukan.")
    stages.check(row.stage, StageAction.ANSWER_CLARIFICATION)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed("Jawaban klarifikasi wajib diisi.", details={"fields": {"answer": ["wajib"]}})
    row.answer = answer
    if self_score is not None:
        row.self_score = _check_score(self_score, "self_score")
    stages.move(row, StageAction.ANSWER_CLARIFICATION)
    row.updated_by_id = user.id
    db.session.flush()
    return row


# --- the plenary decision --------------------------------------------------------------------------------


def decide(user: User, agency_id: int, year: int) -> int:
    """The plenary decision: every submitted answer verified, then all locked. Returns how many. Flushes."""
    year = check_year(year)
    check_commissioner(user, "Hanya komisioner yang menetapkan hasil pleno.")
    check_agency_id(agency_id)
    rows = list(
        db.session.scalars(
            select(SelfAssessment)
            .where(SelfAssessment.agency_id == agency_id, SelfAssessment.year == year)
            .with_for_update()
        )
    )
    if not rows:
        raise NotFound("Penilaian mandiri tidak ditemukan.")
    # Answers already decided stay as they are; every other one must be verified (with a score) to be decided.
    waiting = [
        r.subcriterion
        for r in rows
        if r.stage != Stage.PLENARY
        and not (stages.allows(r.stage, StageAction.DECIDE) and r.verified_score is not None)
    ]
    if waiting:
        raise stages.refusal(StageAction.DECIDE, details={"subcriteria": waiting})
    now = utcnow()
    moved = 0
    for row in rows:
        if row.stage != Stage.PLENARY:
            stages.move(row, StageAction.DECIDE)
            row.decided_by_id = user.id
            row.decided_at = now
            moved += 1
    db.session.flush()
    return moved
