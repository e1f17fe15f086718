"""IM-NKK operations: compute the index, freeze a year, an agency's detail and trend, the self-assessment.

Who may see what (docs/index-method.md §11):
- KASN roles (investigator, commissioner, admin) see everything; investigators and commissioners verify
  self-assessments, a commissioner takes the plenary decision and freezes (publishes) a year.
- an overseer (Menpan-RB / Kemendagri) sees the ranking and every agency's scores and indicators, not the
  cases behind them and not the self-assessment answers or evidence;
- a PPK sees its own agency only (its item of the index, its page, its cases, its self-assessment, which
  it fills in); anything of another agency is 404.

Services flush; the API, pages and CLI commit through `app.db.unit_of_work()`.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, insert, literal, select

from app.core.clock import utcnow
from app.core.vocab import KASN_ROLES, Role
from app.db import MAX_ROW_ID, get_row, valid_row_id
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.index import queries
from app.index.method import Method, current_method
from app.index.scoring import INDICATOR_KEYS, Answer, rank, score_agency
from app.models.agencies import Agency
from app.models.auth import User
from app.models.index import IndexSnapshot, IndexSnapshotCase, SelfAssessment

NATIONAL_TZ = "Asia/Jakarta"
MIN_YEAR, MAX_YEAR = 2000, 2100


def check_agency_id(agency_id: int) -> int:
    """404 for an id no agency can have (never a database overflow)."""
    if not valid_row_id(int(agency_id)):
        raise NotFound("Instansi tidak ditemukan.")
    return int(agency_id)


def check_cursor(cursor: Any) -> int | None:
    """A case-id cursor: digits within the id range, else 422."""
    if cursor is None or cursor == "":
        return None
    text = str(cursor)
    if not text.isdigit() or int(text) > MAX_ROW_ID:
        raise ValidationFailed("Kursor halaman tidak sah.", details={"fields": {"cursor": ["tidak sah"]}})
    return int(text)


# --- access ---------------------------------------------------------------------------------------------


def is_kasn(user: User) -> bool:
    return user.role in KASN_ROLES


def can_see_ranking(user: User) -> bool:
    return user.role in KASN_ROLES or user.role == Role.OVERSEER


def visible_agency_ids(user: User) -> set[int] | None:
    """None: every agency; otherwise the only agencies whose index items the user may see."""
    if user.role == Role.PPK:
        return {user.agency_id} if user.agency_id is not None else set()
    return None


def check_agency_visible(user: User, agency_id: int) -> None:
    """404 for an agency the user may not see (DESIGN §1: do not confirm that it exists)."""
    check_agency_id(agency_id)
    allowed = visible_agency_ids(user)
    if allowed is not None and agency_id not in allowed:
        raise NotFound("Instansi tidak ditemukan.")
    if user.role not in KASN_ROLES and user.role not in (Role.OVERSEER, Role.PPK):
        raise Forbidden("Peran Anda tidak berwenang melihat indeks.")


def check_cases_visible(user: User, agency_id: int) -> None:
    """The cases behind an indicator: KASN roles, and a PPK for its own agency."""
    check_agency_visible(user, agency_id)
    if user.role == Role.OVERSEER:
        raise Forbidden("Daftar perkara di balik indikator hanya untuk KASN dan PPK instansi yang bersangkutan.")


def check_year(year: int) -> int:
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        raise ValidationFailed("Tahun tidak sah.", details={"fields": {"year": [f"antara {MIN_YEAR} dan {MAX_YEAR}"]}})
    return int(year)


def current_year(now: datetime | None = None) -> int:
    return (now or utcnow()).astimezone(ZoneInfo(NATIONAL_TZ)).year


# --- the index -------------------------------------------------------------------------------------------


def _agencies(agency_ids: Sequence[int] | None) -> list[dict[str, Any]]:
    stmt = select(Agency.id, Agency.code, Agency.name, Agency.kind, Agency.timezone, Agency.is_active)
    if agency_ids is not None:
        stmt = stmt.where(Agency.id.in_(list(agency_ids)))
    return [row._asdict() for row in db.session.execute(stmt.order_by(Agency.id))]


def _answers(year: int, agency_ids: Sequence[int] | None) -> dict[int, dict[str, Answer]]:
    stmt = select(
        SelfAssessment.agency_id,
        SelfAssessment.subcriterion,
        SelfAssessment.self_score,
        SelfAssessment.verified_score,
        SelfAssessment.stage,
    ).where(SelfAssessment.year == year)
    if agency_ids is not None:
        stmt = stmt.where(SelfAssessment.agency_id.in_(list(agency_ids)))
    result: dict[int, dict[str, Answer]] = {}
    for row in db.session.execute(stmt):
        score = row.verified_score if row.verified_score is not None else row.self_score
        result.setdefault(row.agency_id, {})[row.subcriterion] = Answer(
            score=score, stage=row.stage, verified=row.verified_score is not None
        )
    return result


def compute_index(
    year: int,
    *,
    as_of: datetime | None = None,
    agency_ids: Sequence[int] | None = None,
    method: Method | None = None,
) -> dict[str, Any]:
    """The live index of a year for all agencies (or the given ones), ranked: three queries whatever the count.

    Active agencies are always listed; an inactive agency only when it has data for the year.
    """
    year = check_year(year)
    method = method or current_method()
    as_of = as_of or utcnow()
    agencies = _agencies(agency_ids)
    timezones = {a["timezone"] for a in agencies}
    facts = queries.enforcement_facts(year, as_of, timezones, agency_ids)
    answers = _answers(year, agency_ids)
    items = []
    for agency in agencies:
        agency_facts = facts.get(agency["id"])
        agency_answers = answers.get(agency["id"], {})
        if not agency["is_active"] and agency_facts is None and not agency_answers:
            continue
        items.append(
            score_agency(
                agency,
                agency_facts.counts if agency_facts else None,
                agency_facts.median_working_days() if agency_facts else None,
                agency_answers,
                method,
            )
        )
    return {
        "year": year,
        "method_version": method.version,
        "frozen": False,
        "frozen_at": None,
        "as_of": as_of,
        "items": rank(items),
    }


def latest_snapshot(year: int) -> IndexSnapshot | None:
    return db.session.scalar(
        select(IndexSnapshot)
        .where(IndexSnapshot.year == year)
        .order_by(IndexSnapshot.frozen_at.desc(), IndexSnapshot.id.desc())
        .limit(1)
    )


def _from_snapshot(snapshot: IndexSnapshot) -> dict[str, Any]:
    data = snapshot.data
    return {
        "year": snapshot.year,
        "method_version": snapshot.method_version,
        "frozen": True,
        "frozen_at": snapshot.frozen_at,
        "as_of": datetime.fromisoformat(data["as_of"]),
        "snapshot_id": snapshot.id,
        "items": data["items"],
    }


def get_index(year: int, *, live: bool = False, method: Method | None = None) -> dict[str, Any]:
    """The published (frozen) index of the year when there is one, else (or with `live`) the live one."""
    year = check_year(year)
    if not live:
        snapshot = latest_snapshot(year)
        if snapshot is not None:
            return _from_snapshot(snapshot)
    return compute_index(year, method=method)


def index_for(user: User, year: int, *, live: bool = False) -> dict[str, Any]:
    """The index as `user` may see it: the whole ranking, or a PPK's own item only."""
    if user.role not in KASN_ROLES and user.role not in (Role.OVERSEER, Role.PPK):
        raise Forbidden("Peran Anda tidak berwenang melihat indeks.")
    result = get_index(year, live=live)
    allowed = visible_agency_ids(user)
    if allowed is not None:
        result = {**result, "items": [i for i in result["items"] if i["agency_id"] in allowed]}
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def freeze_year(year: int, user: User | None, *, method: Method | None = None) -> IndexSnapshot:
    """Freeze (publish) the year's index under the current method; flushes.

    The snapshot keeps every agency's full result, the method parameters and, per case, the indicators
    it counted in, so the published figures and the cases behind them never change afterwards.
    Raises Conflict when the year is already frozen under this method version.
    """
    year = check_year(year)
    method = method or current_method()
    if user is not None and user.role != Role.COMMISSIONER:
        raise Forbidden("Hanya komisioner yang dapat membekukan (menetapkan) indeks.")
    exists = db.session.scalar(
        select(IndexSnapshot.id).where(IndexSnapshot.year == year, IndexSnapshot.method_version == method.version)
    )
    if exists is not None:
        raise Conflict(f"Indeks tahun {year} sudah dibekukan dengan metode {method.version}.", code="already_frozen")
    result = compute_index(year, method=method)
    snapshot = IndexSnapshot(
        year=year,
        method_version=method.version,
        frozen_by_id=user.id if user is not None else None,
        data=_jsonable({"as_of": result["as_of"], "method": method.params, "items": result["items"]}),
    )
    db.session.add(snapshot)
    db.session.flush()
    flags = queries.flags_select(year, result["as_of"], {a["timezone"] for a in _agencies(None)})
    flags_rows = flags.add_columns(literal(snapshot.id).label("snapshot_id"))
    db.session.execute(
        insert(IndexSnapshotCase).from_select(["agency_id", "case_id", "flags", "snapshot_id"], flags_rows)
    )
    db.session.flush()
    return snapshot


def agency_detail(user: User, year: int, agency_id: int, *, live: bool = False) -> dict[str, Any]:
    """An agency's full result for the year, with its trend over the years."""
    check_agency_visible(user, agency_id)
    result = get_index(year, live=live)
    item = next((i for i in result["items"] if i["agency_id"] == agency_id), None)
    if item is None:
        raise NotFound("Instansi tidak ditemukan.")
    detail = {
        **item,
        "year": result["year"],
        "frozen": result["frozen"],
        "frozen_at": result["frozen_at"],
        "as_of": result["as_of"],
        "method_version": result["method_version"],
        "agency_count": sum(1 for i in result["items"] if i["rank"] is not None),
        "trend": agency_trend(agency_id, until=max(year, current_year())),
    }
    if user.role == Role.OVERSEER:  # aggregates only
        detail["subcriteria"] = [{**s, "stage": None} for s in detail["subcriteria"]]
    return detail


def agency_trend(agency_id: int, *, until: int) -> list[dict[str, Any]]:
    """The agency's score per year, from its first year with data: frozen years as published."""
    first_years = [
        y
        for y in (
            queries.first_issue_year(agency_id),
            db.session.scalar(select(func.min(SelfAssessment.year)).where(SelfAssessment.agency_id == agency_id)),
            db.session.scalar(select(func.min(IndexSnapshot.year))),
        )
        if y is not None
    ]
    if not first_years:
        return []
    snapshots = {
        row.year: row.id
        for row in db.session.execute(select(IndexSnapshot.year, IndexSnapshot.id).order_by(IndexSnapshot.frozen_at))
    }
    trend = []
    for year in range(max(min(first_years), until - 20), until + 1):
        if year in snapshots:
            data = db.session.get(IndexSnapshot, snapshots[year])
            item = next((i for i in data.data["items"] if i["agency_id"] == agency_id), None) if data else None
            frozen = True
        else:
            items = compute_index(year, agency_ids=[agency_id])["items"]
            item = items[0] if items else None
            frozen = False
        if item is None:
            continue
        trend.append(
            {
                "year": year,
                "score": item["score"],
                "index": item["index"],
                "category": item["category"],
                "penegakan": item["criteria"]["penegakan"],
                "frozen": frozen,
            }
        )
    return trend


def indicator_cases(
    user: User,
    year: int,
    agency_id: int,
    indicator: str,
    *,
    cursor: int | None = None,
    limit: int = 100,
    live: bool = False,
) -> dict[str, Any]:
    """The cases behind an indicator: as frozen when the year is published, else from live data."""
    year = check_year(year)
    check_cases_visible(user, agency_id)
    if indicator not in INDICATOR_KEYS:
        raise ValidationFailed(
            "Indikator tidak dikenal.",
            details={"fields": {"indicator": [f"pilih: {', '.join(sorted(INDICATOR_KEYS))}"]}},
        )
    agency = get_row(Agency, agency_id)
    if agency is None:
        raise NotFound("Instansi tidak ditemukan.")
    snapshot = None if live else latest_snapshot(year)
    if snapshot is not None:
        rows = queries.frozen_cases(snapshot.id, indicator, agency_id=agency_id, after_id=cursor, limit=limit + 1)
        as_of = datetime.fromisoformat(snapshot.data["as_of"])
    else:
        as_of = utcnow()
        rows = queries.indicator_cases(
            indicator, year=year, agency_id=agency_id, timezone=agency.timezone, as_of=as_of,
            after_id=cursor, limit=limit + 1,
        )  # fmt: skip
    next_cursor = rows[limit - 1]["id"] if len(rows) > limit else None
    return {
        "year": year,
        "agency_id": agency_id,
        "indicator": indicator,
        "frozen": snapshot is not None,
        "as_of": as_of,
        "items": rows[:limit],
        "next_cursor": next_cursor,
    }


def agency_name(agency_id: int) -> str:
    name = db.session.scalar(select(Agency.name).where(Agency.id == agency_id))
    if name is None:
        raise NotFound("Instansi tidak ditemukan.")
    return name


def available_years() -> list[int]:
    first = queries.first_issue_year()
    frozen = list(db.session.scalars(select(IndexSnapshot.year).distinct()))
    this_year = current_year()
    start = min([y for y in [first, *frozen] if y is not None] or [this_year])
    return list(range(max(start, this_year - 30), this_year + 1))


# --- self-assessment -------------------------------------------------------------------------------------

STAGE_LABELS = {
    "self_assessment": "Penilaian mandiri",
    "verification": "Verifikasi",
    "clarification": "Klarifikasi",
    "plenary": "Pleno penetapan",
}

ALLOWED_EVIDENCE = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip


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


def _check_ppk_of(user: User, agency_id: int) -> None:
    check_agency_id(agency_id)
    if user.role != Role.PPK:
        raise Forbidden("Hanya PPK instansi yang bersangkutan yang mengisi penilaian mandiri.")
    if user.agency_id != agency_id:
        raise NotFound("Instansi tidak ditemukan.")


def check_self_assessment_visible(user: User, agency_id: int) -> None:
    check_agency_id(agency_id)
    if user.role == Role.PPK:
        if user.agency_id != agency_id:
            raise NotFound("Instansi tidak ditemukan.")
        return
    if user.role not in KASN_ROLES:
        raise Forbidden("Penilaian mandiri hanya untuk KASN dan PPK instansi yang bersangkutan.")


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
        "stage": row.stage if row else "self_assessment",
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
    _check_ppk_of(user, agency_id)
    method = method or current_method()
    sub = _self_assessable(subcriterion, method)
    score = _check_score(self_score, "self_score")
    row = _row(agency_id, year, subcriterion, lock=True)
    if row is None:
        row = SelfAssessment(agency_id=agency_id, year=year, criterion=sub["criterion"], subcriterion=subcriterion)
        db.session.add(row)
    elif row.stage not in ("self_assessment", "clarification"):
        raise Conflict(
            f"Jawaban sedang dalam tahap {STAGE_LABELS[row.stage].lower()} dan tidak dapat diubah.",
            code="invalid_stage",
            details={"stage": row.stage},
        )
    row.self_score = score
    row.answer = (answer or "").strip() or None
    row.updated_by_id = user.id
    db.session.flush()
    return row


def store_evidence(
    user: User, agency_id: int, year: int, subcriterion: str, stream: IO[bytes], filename: str
) -> SelfAssessment:
    """Attach an evidence file to an answer: generated storage name, SHA-256, type checked; flushes."""
    from werkzeug.utils import secure_filename

    year = check_year(year)
    _check_ppk_of(user, agency_id)
    sub = _self_assessable(subcriterion, current_method())
    row = _row(agency_id, year, subcriterion, lock=True)
    if row is None:
        row = SelfAssessment(agency_id=agency_id, year=year, criterion=sub["criterion"], subcriterion=subcriterion)
        db.session.add(row)
    elif row.stage not in ("self_assessment", "clarification"):
        raise Conflict("Bukti tidak dapat diubah pada tahap ini.", code="invalid_stage", details={"stage": row.stage})
    display = secure_filename(filename or "") or "bukti"
    extension = display.rsplit(".", 1)[-1].lower() if "." in display else ""
    if extension not in ALLOWED_EVIDENCE:
        raise ValidationFailed(
            "Jenis berkas tidak diizinkan.", details={"fields": {"file": [f"pilih: {', '.join(ALLOWED_EVIDENCE)}"]}}
        )
    key, digest, size, head = _write_file(stream)
    if not _type_matches(extension, head):
        _evidence_path(key).unlink(missing_ok=True)
        raise ValidationFailed("Isi berkas tidak sesuai jenisnya.", details={"fields": {"file": ["isi tidak sesuai"]}})
    if size == 0:
        _evidence_path(key).unlink(missing_ok=True)
        raise ValidationFailed("Berkas kosong.", details={"fields": {"file": ["berkas kosong"]}})
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


def _write_file(stream: IO[bytes]) -> tuple[str, str, int, bytes]:
    directory = _evidence_dir()
    directory.mkdir(parents=True, exist_ok=True)
    key = uuid.uuid4().hex
    temporary = directory / f".{key}.part"
    digest = hashlib.sha256()
    size = 0
    head = b""
    with temporary.open("wb") as out:
        while chunk := stream.read(64 * 1024):
            if len(head) < 512:
                head += chunk[: 512 - len(head)]
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    os.replace(temporary, directory / key)
    return key, digest.hexdigest(), size, head


def _type_matches(extension: str, head: bytes) -> bool:
    import filetype

    kind = filetype.guess(head)
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
    _check_ppk_of(user, agency_id)
    rows = list(
        db.session.scalars(
            select(SelfAssessment)
            .where(
                SelfAssessment.agency_id == agency_id,
                SelfAssessment.year == year,
                SelfAssessment.stage == "self_assessment",
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
        raise Conflict("Tidak ada jawaban penilaian mandiri yang dapat diajukan.", code="invalid_stage")
    now = utcnow()
    for row in rows:
        row.stage = "verification"
        row.submitted_at = now
        row.updated_by_id = user.id
    db.session.flush()
    return len(rows)


def _kasn_row(user: User, agency_id: int, year: int, subcriterion: str, stage: str) -> SelfAssessment:
    if user.role not in (Role.INVESTIGATOR, Role.COMMISSIONER):
        raise Forbidden("Hanya penyelidik atau komisioner KASN yang memverifikasi penilaian mandiri.")
    check_agency_id(agency_id)
    row = _row(agency_id, check_year(year), subcriterion, lock=True)
    if row is None:
        raise NotFound("Jawaban penilaian mandiri tidak ditemukan.")
    if row.stage != stage:
        raise Conflict(
            f"Jawaban sedang dalam tahap {STAGE_LABELS[row.stage].lower()}.",
            code="invalid_stage",
            details={"stage": row.stage},
        )
    return row


def verify(
    user: User, agency_id: int, year: int, subcriterion: str, *, verified_score: Any, note: str | None
) -> SelfAssessment:
    """KASN confirms or corrects an answer's score; a correction needs a note. Flushes."""
    row = _kasn_row(user, agency_id, year, subcriterion, "verification")
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
    row = _kasn_row(user, agency_id, year, subcriterion, "verification")
    question = (question or "").strip()
    if not question:
        raise ValidationFailed("Pertanyaan klarifikasi wajib diisi.", details={"fields": {"question": ["wajib"]}})
    row.stage = "clarification"
    row.clarification_question = question
    row.verified_score = None
    row.verified_at = None
    db.session.flush()
    return row


def answer_clarification(
    user: User, agency_id: int, year: int, subcriterion: str, *, answer: str, self_score: Any = None
) -> SelfAssessment:
    """The agency answers KASN's question (and may revise its score); back to verification. Flushes."""
    _check_ppk_of(user, agency_id)
    row = _row(agency_id, check_year(year), subcriterion, lock=True)
    if row is None:
        raise NotFound("Jawaban penilaian mandiri tidak ditemukan.")
    if row.stage != "clarification":
        raise Conflict("Tidak ada permintaan klarifikasi untuk jawaban ini.", code="invalid_stage")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed("Jawaban klarifikasi wajib diisi.", details={"fields": {"answer": ["wajib"]}})
    row.answer = answer
    if self_score is not None:
        row.self_score = _check_score(self_score, "self_score")
    row.stage = "verification"
    row.updated_by_id = user.id
    db.session.flush()
    return row


def decide(user: User, agency_id: int, year: int) -> int:
    """The plenary decision: every submitted answer verified, then all locked. Returns how many. Flushes."""
    year = check_year(year)
    if user.role != Role.COMMISSIONER:
        raise Forbidden("Hanya komisioner yang menetapkan hasil pleno.")
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
    waiting = [
        r.subcriterion for r in rows if r.stage != "plenary" and (r.stage != "verification" or r.verified_score is None)
    ]
    if waiting:
        raise Conflict(
            "Masih ada jawaban yang belum diverifikasi atau masih dalam klarifikasi.",
            code="invalid_stage",
            details={"subcriteria": waiting},
        )
    now = utcnow()
    moved = 0
    for row in rows:
        if row.stage != "plenary":
            row.stage = "plenary"
            row.decided_by_id = user.id
            row.decided_at = now
            moved += 1
    db.session.flush()
    return moved


@dataclass(frozen=True)
class ExportColumn:
    header: str
    key: str


EXPORT_COLUMNS = (
    ExportColumn("Peringkat", "rank"),
    ExportColumn("Kode", "agency_code"),
    ExportColumn("Instansi", "agency_name"),
    ExportColumn("Penetapan", "criteria.penetapan"),
    ExportColumn("Penerapan", "criteria.penerapan"),
    ExportColumn("Penegakan", "criteria.penegakan"),
    ExportColumn("Kesinambungan", "criteria.kesinambungan"),
    ExportColumn("Skor (dari 300)", "score"),
    ExportColumn("Indeks", "index"),
    ExportColumn("Kategori", "category"),
    ExportColumn("Lengkap", "complete"),
    ExportColumn("Rekomendasi diterima", "enforcement.received"),
    ExportColumn("Ditindaklanjuti", "enforcement.followed_up"),
    ExportColumn("Tepat waktu", "enforcement.on_time"),
    ExportColumn("Sanksi lebih ringan", "enforcement.lighter_sanction"),
    ExportColumn("Eskalasi level 2+", "enforcement.escalated"),
    ExportColumn("Masih terbuka", "enforcement.open"),
    ExportColumn("Median hari kerja", "enforcement.median_working_days"),
)


def export_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    """Flat rows for CSV/XLSX exports and the CLI table, in EXPORT_COLUMNS order."""
    rows = []
    for item in items:
        row = []
        for column in EXPORT_COLUMNS:
            value: Any = item
            for part in column.key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if column.key == "index" and value is not None:
                value = round(value, 4)
            if column.key == "complete":
                value = "ya" if value else "tidak"
            row.append(value)
        rows.append(row)
    return rows
