"""The intake queue: a report arrives (a Bawaslu office's API or page, the public form, or typed by staff), waits,
and an investigator accepts it as a new case, attaches it to an existing case, or refuses it with a reason its
sender reads. Likely duplicates are shown before a report becomes a case (app/cases/duplicates.py). Services
flush; the entry points commit.

Why it is long: a report's whole way through the queue — arrival (one or a batch), its files, how staff and its
sender read it, and the three decisions — is one story, told here in order.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.audit.history import lock_case
from app.cases import access, attachments, duplicates, services
from app.core.clock import utcnow
from app.core.states import TERMINAL_STATUSES, CaseStatus
from app.core.vocab import Category, Source
from app.db import db, get_row, in_chunks, valid_row_id
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.intake import guard
from app.intake.schemas import IntakeAcceptIn, IntakeAttachIn, IntakeRefuseIn, IntakeReportIn
from app.intake.tracking import N_, new_tracking_code, normal_code, tracking_view
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case
from app.models.intake import CaseElection, Election, IntakeFile, IntakeReport

MAX_FILES = 5
OPEN_STATUSES = ("received", "verifying")
STATUS_LABELS = {
    "received": N_("Diterima, belum diperiksa"),
    "verifying": N_("Sedang diverifikasi"),
    "accepted": N_("Diterima sebagai perkara"),
    "attached": N_("Digabung ke perkara"),
    "refused": N_("Ditolak"),
}
CHANNEL_SOURCES = {"forwarder": Source.BAWASLU.value, "public": Source.PUBLIC.value, "staff": Source.MEDIA.value}


def load(schema: Schema, data: Any, message: str = "Data laporan tidak valid.") -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationFailed("Badan permintaan harus berupa objek JSON.")
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(message, details={"fields": exc.messages}) from exc


# -- arrival ----------------------------------------------------------------------------------------------------------


def election_for(day: Any, category: str) -> Election | None:
    """The election whose period covers `day`, for a neutrality report (the latest to start when several do)."""
    if category != Category.NETRALITAS.value:
        return None
    return db.session.scalar(
        select(Election)
        .where(Election.starts_on <= day, Election.ends_on >= day)
        .order_by(Election.starts_on.desc(), Election.id.desc())
        .limit(1)
    )


def submit_report(
    data: Any, *, channel: str, sender: User | None = None, now: datetime | None = None
) -> tuple[IntakeReport, bool]:
    """A new report in the queue, with its tracking code; (report, created). A forwarder's report with an
    `external_ref` it sent before is that report (created False). Flushes."""
    report, created, error = submit_reports([data], channel=channel, sender=sender, now=now)[0]
    if error is not None:
        raise error
    assert report is not None
    return report, created


_REPORT_SCHEMA = IntakeReportIn()  # built once: a schema is reusable, and building one copies every field


def submit_reports(
    items: list[Any], *, channel: str, sender: User | None = None, now: datetime | None = None
) -> list[tuple[IntakeReport | None, bool, ValidationFailed | None]]:
    """Many reports at once (a batch of the API): per item (report, created, None) or (None, False, the error);
    a refused item writes nothing. The office's register numbers, the agencies and the election period are read
    once for the batch, and the rows flushed together. Flushes."""
    _check_sender(channel, sender)
    now = now or utcnow()
    loaded: list[dict[str, Any] | ValidationFailed] = []
    for data in items:
        try:
            clean = load(_REPORT_SCHEMA, data)
            if channel != "forwarder":
                clean["external_ref"] = None
            loaded.append(clean)
        except ValidationFailed as exc:
            loaded.append(exc)
    earlier, active, elections = _batch_context([c for c in loaded if isinstance(c, dict)], sender)
    period = election_for(now.date(), Category.NETRALITAS.value)
    results: list[tuple[IntakeReport | None, bool, ValidationFailed | None]] = []
    for clean in loaded:
        if isinstance(clean, ValidationFailed):
            results.append((None, False, clean))
            continue
        if clean["external_ref"] and clean["external_ref"] in earlier:
            results.append((earlier[clean["external_ref"]], False, None))
            continue
        fields: dict[str, list[str]] = {}
        if clean["agency_id"] and clean["agency_id"] not in active:
            fields["agency_id"] = ["Instansi tidak ditemukan."]
        if clean["election_id"] and clean["election_id"] not in elections:
            fields["election_id"] = ["Pemilihan tidak ditemukan."]
        if fields:
            results.append((None, False, ValidationFailed("Data laporan tidak valid.", details={"fields": fields})))
            continue
        election = elections.get(clean["election_id"]) or (
            period if clean["category"] == Category.NETRALITAS.value else None
        )
        report = _new_report(clean, channel, sender, election, now)
        db.session.add(report)
        if report.external_ref:
            earlier[report.external_ref] = report  # the same number twice in one batch: one report
        results.append((report, True, None))
    db.session.flush()
    return results


def _check_sender(channel: str, sender: User | None) -> None:
    if channel == "forwarder" and (sender is None or not access.may_forward(sender)):
        raise Forbidden("Hanya akun penerus laporan (Bawaslu) yang dapat meneruskan laporan.")
    if channel == "staff" and (sender is None or not access.may_triage(sender)):
        raise Forbidden("Hanya penyelidik atau komisioner yang dapat mencatat laporan.")


def _batch_context(
    cleans: list[dict[str, Any]], sender: User | None
) -> tuple[dict[str, IntakeReport], set[int], dict[int, Election]]:
    """What a batch reads once: the office's reports with the batch's register numbers, the active agencies it
    names, and the elections (when an item names one)."""
    refs = {c["external_ref"] for c in cleans if c["external_ref"]}
    earlier: dict[str, IntakeReport] = {}
    if refs and sender is not None:
        for chunk in in_chunks(sorted(refs)):
            for row in db.session.scalars(
                select(IntakeReport).where(IntakeReport.forwarder_id == sender.id, IntakeReport.external_ref.in_(chunk))
            ):
                earlier[str(row.external_ref)] = row
    agency_ids = {c["agency_id"] for c in cleans if c["agency_id"] and valid_row_id(c["agency_id"])}
    active: set[int] = set()
    for chunk in in_chunks(sorted(agency_ids)):
        active.update(db.session.scalars(select(Agency.id).where(Agency.id.in_(chunk), Agency.is_active.is_(True))))
    elections = {e.id: e for e in db.session.scalars(select(Election))} if any(c["election_id"] for c in cleans) else {}
    return earlier, active, elections


def _new_report(
    clean: dict[str, Any], channel: str, sender: User | None, election: Election | None, now: datetime
) -> IntakeReport:
    person = clean["reported_person"]
    reporter = clean.get("reporter") or {}
    return IntakeReport(
        tracking_code=new_tracking_code(),
        channel=channel,
        forwarder_id=sender.id if channel == "forwarder" and sender is not None else None,
        external_ref=clean["external_ref"],
        status="received",
        agency_id=clean["agency_id"] or None,
        agency_text=(clean.get("agency_name") or "").strip() or None,
        category=clean["category"],
        subcategory=clean.get("subcategory"),
        reported_name=" ".join(person["name"].split()),
        reported_nip=person.get("nip"),
        reported_position=person.get("position"),
        summary=clean["summary"],
        occurred_on=clean["occurred_on"],
        place=clean.get("place"),
        reporter_name=reporter.get("name"),
        reporter_contact=reporter.get("contact"),
        election_id=election.id if election is not None else None,
        verify_due_at=now + timedelta(days=election.verify_days) if election is not None else None,
        created_at=now,
        updated_at=now,
    )


def add_files(report: IntakeReport, files: list[FileStorage], sender: User | None = None) -> list[IntakeFile]:
    """Evidence files of a report, through the same checks as a case's (app/cases/attachments.py); while the
    report waits, by its sender or the authority's staff. Flushes."""
    if sender is not None and not (access.may_triage(sender) or report.forwarder_id == sender.id):
        raise NotFound("Laporan tidak ditemukan.")
    if report.status not in OPEN_STATUSES:
        raise Conflict("Laporan sudah diputuskan: berkas tidak dapat ditambahkan lagi.")
    present = [f for f in files if f is not None and f.filename]
    existing = len(db.session.scalars(select(IntakeFile.id).where(IntakeFile.report_id == report.id)).all())
    if existing + len(present) > MAX_FILES:
        message = f"Paling banyak {MAX_FILES} berkas bukti per laporan."
        raise ValidationFailed(message, details={"fields": {"file": [message]}})
    rows = []
    for file in present:
        stored = attachments.store_evidence(file)
        row = IntakeFile(
            report_id=report.id,
            filename=stored.filename,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            storage_key=stored.storage_key,
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def discard_files(rows: list[IntakeFile]) -> None:
    """Remove stored files whose rows were rolled back (a refused submission)."""
    for row in rows:
        attachments.attachment_path(row.storage_key).unlink(missing_ok=True)


# -- reading ----------------------------------------------------------------------------------------------------------


def report_for(user: User, report_id: int) -> IntakeReport:
    """A report `user` may read: the authority's staff any, a forwarder its own (404 otherwise)."""
    report = get_row(IntakeReport, report_id)
    if report is None or not (
        access.reads_intake(user) or (report.forwarder_id == user.id and access.may_forward(user))
    ):
        raise NotFound("Laporan tidak ditemukan.")
    return report


def _case_statuses(case_ids: set[int]) -> dict[int, tuple[str, str]]:
    if not case_ids:
        return {}
    rows = db.session.execute(select(Case.id, Case.status, Case.number).where(Case.id.in_(case_ids)))
    return {row.id: (row.status, row.number) for row in rows}


def tracking_of(report: IntakeReport) -> dict[str, Any]:
    case_status = _case_statuses({report.case_id}).get(report.case_id, (None, None))[0] if report.case_id else None
    return tracking_view(report, case_status)


NOT_FOUND = N_("Kode lacak tidak ditemukan. Periksa kembali kode yang Anda terima.")


def lookup(code: str, address: str, now: datetime | None = None) -> dict[str, Any] | None:
    """The tracking answer for `code`, or None for a malformed, wrong or unknown code alike (the caller answers
    the same "not found"), which counts towards the address's limit of misses (app/intake/guard.py; 429 past it,
    for every code). Flushes (the count): the caller commits it before answering."""
    guard.check_lookups(address, now)
    normal = normal_code(code)
    report = db.session.scalar(select(IntakeReport).where(IntakeReport.tracking_code == normal)) if normal else None
    if report is None:
        guard.count_miss(address, now)
        return None
    return tracking_of(report)


def forwarded_page(user: User, limit: int = 50, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """A forwarder's reports, newest first, each with its plain status (nothing else of the case)."""
    if not access.may_forward(user):
        raise Forbidden("Daftar ini untuk akun penerus laporan (Bawaslu).")
    stmt = select(IntakeReport).where(IntakeReport.forwarder_id == user.id).order_by(IntakeReport.id.desc())
    if cursor:
        stmt = stmt.where(IntakeReport.id < int(cursor))
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    cases = _case_statuses({r.case_id for r in rows if r.case_id})
    items = []
    for report in rows:
        view = tracking_view(report, cases.get(report.case_id, (None, None))[0] if report.case_id else None)
        items.append(
            {
                "id": report.id,
                "tracking_code": report.tracking_code,
                "external_ref": report.external_ref,
                "reported_name": report.reported_name,
                "occurred_on": report.occurred_on,
                "received_at": report.created_at,
                "status": view["status"],
                "status_label": view["status_label"],
                "reason": view["reason"],
            }
        )
    return items, (str(rows[-1].id) if more and rows else None)


def queue_page(
    user: User, status: str | None = None, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The intake queue for the authority's staff: the open reports (or those of `status`), oldest first."""
    if not access.reads_intake(user):
        raise Forbidden("Antrean laporan hanya untuk petugas.")
    stmt = select(IntakeReport).order_by(IntakeReport.id)
    stmt = stmt.where(IntakeReport.status == status) if status else stmt.where(IntakeReport.status.in_(OPEN_STATUSES))
    if cursor:
        stmt = stmt.where(IntakeReport.id > int(cursor))
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return [report_out(r, with_duplicates=False) for r in rows], (str(rows[-1].id) if more and rows else None)


def report_out(report: IntakeReport, *, with_duplicates: bool = True) -> dict[str, Any]:
    """A report as the authority's staff read it (the reporter and the internal note included)."""
    agency = db.session.get(Agency, report.agency_id) if report.agency_id else None
    forwarder = db.session.get(User, report.forwarder_id) if report.forwarder_id else None
    case_number = _case_statuses({report.case_id}).get(report.case_id, (None, None))[1] if report.case_id else None
    files = db.session.scalars(select(IntakeFile).where(IntakeFile.report_id == report.id).order_by(IntakeFile.id))
    return {
        "id": report.id,
        "tracking_code": report.tracking_code,
        "channel": report.channel,
        "forwarder": forwarder.name if forwarder is not None else None,
        "external_ref": report.external_ref,
        "status": report.status,
        "status_label": STATUS_LABELS[report.status],
        "agency_id": report.agency_id,
        "agency_name": agency.name if agency is not None else report.agency_text,
        "category": report.category,
        "subcategory": report.subcategory,
        "reported_person": {
            "name": report.reported_name,
            "nip": report.reported_nip,
            "position": report.reported_position,
        },
        "summary": report.summary,
        "occurred_on": report.occurred_on,
        "place": report.place,
        "reporter": {"name": report.reporter_name, "contact": report.reporter_contact},
        "election_id": report.election_id,
        "verify_due_at": report.verify_due_at,
        "refuse_reason": report.refuse_reason,
        "internal_note": report.internal_note,
        "case_id": report.case_id,
        "case_number": case_number,
        "received_at": report.created_at,
        "files": [
            {"id": f.id, "filename": f.filename, "size": f.size, "sha256": f.sha256, "content_type": f.content_type}
            for f in files
        ],
        "duplicates": report_duplicates(report) if with_duplicates and report.status in OPEN_STATUSES else [],
    }


def report_duplicates(report: IntakeReport) -> list[dict[str, Any]]:
    return duplicates.find_duplicates(
        nip=report.reported_nip,
        name=report.reported_name,
        agency_id=report.agency_id,
        summary=report.summary,
        occurred_on=report.occurred_on,
        exclude_report_id=report.id,
    )


# -- decisions --------------------------------------------------------------------------------------------------------


def _decidable(report: IntakeReport, actor: User) -> None:
    if not access.may_triage(actor):
        raise Forbidden("Hanya penyelidik atau komisioner yang memutuskan laporan.")
    db.session.refresh(report, with_for_update=True)  # one decision per report, however many press at once
    if report.status not in OPEN_STATUSES:
        raise Conflict(
            f"Laporan ini sudah diputuskan ({STATUS_LABELS[report.status].lower()}).",
            details={"status": report.status},
        )


def start_verifying(report: IntakeReport, actor: User, now: datetime | None = None) -> IntakeReport:
    """The sender reads "being verified" from now on. Flushes."""
    _decidable(report, actor)
    now = now or utcnow()
    report.status = "verifying"
    report.verifying_since = now
    report.updated_at = now
    db.session.flush()
    return report


def _decided(report: IntakeReport, status: str, actor: User, now: datetime) -> None:
    report.status = status
    report.decided_by_id = actor.id
    report.decided_at = now
    report.updated_at = now


def _hand_over_files(report: IntakeReport, case: Case, actor: User) -> None:
    rows = list(db.session.scalars(select(IntakeFile).where(IntakeFile.report_id == report.id).order_by(IntakeFile.id)))
    if not rows:
        return
    lock_case(case)
    for row in rows:
        stored = attachments.StoredFile(row.filename, row.content_type, row.size, row.sha256, row.storage_key)
        attachments.record_stored(case, stored, actor, "evidence")


def accept(report: IntakeReport, data: Any, actor: User, now: datetime | None = None) -> Case:
    """The report becomes a new case (what it lacks, or corrections, in `data`). With likely duplicates and no
    `allow_duplicates`: 409 possible_duplicates naming them; with it, the case is created and the override
    recorded. Flushes."""
    _decidable(report, actor)
    clean = load(IntakeAcceptIn(), data or {})
    now = now or utcnow()
    nip = clean["reported_nip"] or report.reported_nip
    agency_id = clean["agency_id"] or report.agency_id
    candidates = duplicates.find_duplicates(
        nip=nip,
        name=report.reported_name,
        agency_id=agency_id,
        summary=report.summary,
        occurred_on=report.occurred_on,
        exclude_report_id=report.id,
    )
    if candidates and not clean["allow_duplicates"]:
        raise Conflict(
            "Kemungkinan duplikat ditemukan: periksa dulu, lalu terima dengan allow_duplicates bila tetap berbeda.",
            code="possible_duplicates",
            details={"candidates": _jsonable(candidates)},
        )
    summary = report.summary if not report.place else f"{report.summary}\n\nTempat kejadian: {report.place}"
    payload: dict[str, Any] = {
        "agency_id": agency_id,
        "category": clean["category"] or report.category,
        "subcategory": clean["subcategory"] or report.subcategory,
        "source": clean["source"] or CHANNEL_SOURCES[report.channel],
        "reported_person": {"name": report.reported_name, "nip": nip or "", "position": report.reported_position},
        "summary": summary[:20000],
        "occurred_on": report.occurred_on.isoformat(),
        "reporter": (
            {"name": report.reporter_name, "contact": report.reporter_contact}
            if report.reporter_name or report.reporter_contact
            else None
        ),
    }
    if agency_id is None:
        raise ValidationFailed(
            "Pilih instansi terlapor sebelum menerima laporan sebagai perkara.",
            details={"fields": {"agency_id": ["Wajib diisi."]}},
        )
    try:
        case = services.create_case(payload, actor, now=now)
    except ValidationFailed as exc:
        fields = exc.details.get("fields") or {}
        person = fields.pop("reported_person", None) if isinstance(fields, dict) else None
        if isinstance(person, dict) and "nip" in person:
            fields["reported_nip"] = person["nip"]
        raise
    duplicates.record_override(candidates, actor, case_id=case.id, report_id=report.id)
    _decided(report, "accepted", actor, now)
    report.case_id = case.id
    if report.election_id is not None:
        db.session.add(CaseElection(case_id=case.id, election_id=report.election_id))
    db.session.flush()
    _hand_over_files(report, case, actor)
    return case


def attach(report: IntakeReport, data: Any, actor: User, now: datetime | None = None) -> Case:
    """The report joins an existing case (the same act, reported again): its files become the case's evidence and
    its sender reads the case's status. Flushes."""
    _decidable(report, actor)
    clean = load(IntakeAttachIn(), data or {})
    case = access.get_case_for(actor, clean["case_id"])
    if CaseStatus(case.status) in TERMINAL_STATUSES:
        raise Conflict("Perkara itu sudah berakhir: terima laporan ini sebagai perkara baru, atau tolak.")
    now = now or utcnow()
    _decided(report, "attached", actor, now)
    report.case_id = case.id
    db.session.flush()
    _hand_over_files(report, case, actor)
    return case


def refuse(report: IntakeReport, data: Any, actor: User, now: datetime | None = None) -> IntakeReport:
    """Refuse the report with a reason its sender reads (the internal note stays with the staff). Flushes."""
    _decidable(report, actor)
    clean = load(IntakeRefuseIn(), data or {})
    now = now or utcnow()
    _decided(report, "refused", actor, now)
    report.refuse_reason = clean["reason"].strip()
    report.internal_note = clean.get("internal_note")
    db.session.flush()
    return report


def _jsonable(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**c, "occurred_on": c["occurred_on"].isoformat() if c.get("occurred_on") else None} for c in candidates]


def case_id_by_number(number: str) -> int:
    """The id of the case numbered `number` (the page's attach form names a case by its number)."""
    case_id = db.session.scalar(select(Case.id).where(Case.number == (number or "").strip().upper()))
    if case_id is None:
        message = "Perkara dengan nomor itu tidak ditemukan."
        raise ValidationFailed(message, details={"fields": {"case_number": [message]}})
    return int(case_id)
