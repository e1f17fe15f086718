"""Likely duplicates of a report or a new case, shown before it is saved (the intake queue, the new-case form, the
API's check): the same NIP; the same person's name in the same agency; or the same event — a description alike,
within `WINDOW_DAYS` days of the date it happened.

The description's likeness is the database's own where it has one: on PostgreSQL pg_trgm's `similarity()` (trigrams,
0…1; migration 0004 created the extension), at least `SIMILARITY` among the cases and open reports of the window,
asked as `summary % :text` (the threshold set for the transaction) nearest first (`summary <-> :text`), which the
GiST index of (occurred_on, summary) of migration 0023 answers without reading the rows that do not match; on
SQLite, which has no such function, the share of words (three letters or more) the two texts have in common
(Jaccard), computed here among the window's rows (read through the `occurred_on` indexes of migration 0014), at
least `SIMILARITY` too. The same name in the agency reads the (agency_id, lower(reported_name), id) indexes of
migration 0023 on both, the NIP the NIP indexes. So the check stays fast however many cases there are
(bench/intake.py, bench/RESULTS-postgresql.md).

Saving anyway is allowed and recorded (`record_override`: who, when, and which candidates were shown).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Float, and_, cast, func, literal, null, select, union_all

from app.cases.schemas import NewCaseSchema
from app.core.clock import utcnow
from app.db import db, on_postgresql
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case
from app.models.intake import DuplicateOverride, IntakeReport


def N_(text: str) -> str:  # noqa: N802 - the catalogue's marker (babel.cfg keyword)
    """Marks a text for the message catalogue; the page translates it where it is shown."""
    return text


WINDOW_DAYS = 3
SIMILARITY = 0.4
MAX_CANDIDATES = 10
# On SQLite the window's descriptions are compared in Python: at most this many of them.
SCAN_LIMIT = 5000
OPEN_REPORT_STATUSES = ("received", "verifying")
REASON_LABELS = {
    "nip": N_("NIP sama"),
    "name_agency": N_("Nama terlapor sama di instansi yang sama"),
    "similar_event": N_("Uraian mirip dan tanggal kejadian berdekatan"),
}


_WORD = re.compile(r"\w{3,}", re.UNICODE)


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text or "")}


def word_similarity(a: str, b: str) -> float:
    """SQLite's fallback: the share of words the two texts have in common (Jaccard over words of 3+ letters)."""
    return _shared(_words(a), b)


def _shared(left: set[str], text: str) -> float:
    """`word_similarity` of a text whose words are `left` (computed once for a whole window) and `text`."""
    right = _words(text)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def _normal_name(name: str) -> str:
    return " ".join((name or "").lower().split())


def find_duplicates(
    *,
    nip: str | None,
    name: str | None,
    agency_id: int | None,
    summary: str | None,
    occurred_on: date | None,
    exclude_report_id: int | None = None,
    include_reports: bool = True,
) -> list[dict[str, Any]]:
    """The likely duplicates among the cases (and the open reports of the queue), most reasons first; each with
    `kind` (case | report), `id`, `label` (case number or tracking code), `reasons` (codes), `reason_labels`,
    `similarity` (the description's, when that is a reason), `occurred_on`, `agency`, `status`."""
    found: dict[tuple[str, int], dict[str, Any]] = {}

    def add(kind: str, row_id: int, reason: str, similarity: float | None = None) -> None:
        entry = found.setdefault((kind, row_id), {"kind": kind, "id": row_id, "reasons": [], "similarity": None})
        if reason not in entry["reasons"]:
            entry["reasons"].append(reason)
        if similarity is not None:
            entry["similarity"] = round(float(similarity), 3)

    postgres = on_postgresql()
    members = _exact_members(
        _exact_checks(nip, _normal_name(name or ""), agency_id), exclude_report_id, include_reports
    )
    scanned: list[tuple[str, str, int, float | None]] = []
    if summary and occurred_on:
        if postgres:
            # `%` is `similarity() >= pg_trgm.similarity_threshold`, set here for this transaction (SET LOCAL).
            db.session.execute(select(func.set_config("pg_trgm.similarity_threshold", str(SIMILARITY), True)))
            members.extend(_nearest_members(summary, occurred_on, exclude_report_id, include_reports))
        else:
            scanned = _shared_words(summary, occurred_on, exclude_report_id, include_reports)
    # One statement for every check the database answers (each member reads its own index).
    rows = [tuple(row) for row in db.session.execute(union_all(*members))] if members else []
    order = {reason: n for n, reason in enumerate(REASON_LABELS)}
    for reason, kind, row_id, score in sorted([*rows, *scanned], key=lambda row: order[row[0]]):
        add(kind, row_id, reason, score)
    ranked = sorted(found.values(), key=lambda e: (-len(e["reasons"]), -(e["similarity"] or 0), e["kind"], -e["id"]))
    return _describe(ranked[:MAX_CANDIDATES])


def _exact_checks(nip: str | None, normal: str, agency_id: int | None) -> list[tuple[str, Any, Any]]:
    """(reason, condition on cases, condition on reports) of the exact matches: the NIP, the name in the agency."""
    checks: list[tuple[str, Any, Any]] = []
    if nip:
        checks.append(("nip", Case.reported_nip == nip, IntakeReport.reported_nip == nip))
    if normal and agency_id:
        checks.append(
            (
                "name_agency",
                and_(Case.agency_id == agency_id, func.lower(Case.reported_name) == normal),
                and_(IntakeReport.agency_id == agency_id, func.lower(IntakeReport.reported_name) == normal),
            )
        )
    return checks


def _member(stmt: Any, reason: str, kind: str) -> Any:
    """`stmt` (its own order and limit; `id`, and `score` when it has one) as a member of the check's UNION ALL:
    (reason, kind, id, score). A subquery, as SQLite takes no LIMIT in a member of a compound select."""
    inner = stmt.subquery()
    score = inner.c.score if "score" in inner.c else cast(null(), Float)
    return select(literal(reason), literal(kind), inner.c.id, score)


def _exact_members(
    checks: list[tuple[str, Any, Any]], exclude_report_id: int | None, include_reports: bool
) -> list[Any]:
    """The newest `MAX_CANDIDATES` exact matches of each check among the cases and among the open reports."""
    members = []
    for reason, on_cases, on_reports in checks:
        members.append(
            _member(select(Case.id).where(on_cases).order_by(Case.id.desc()).limit(MAX_CANDIDATES), reason, "case")
        )
        if include_reports:
            members.append(
                _member(_open_reports(exclude_report_id).where(on_reports).limit(MAX_CANDIDATES), reason, "report")
            )
    return members


def _open_reports(exclude_report_id: int | None) -> Any:
    stmt = select(IntakeReport.id).where(IntakeReport.status.in_(OPEN_REPORT_STATUSES)).order_by(IntakeReport.id.desc())
    if exclude_report_id is not None:
        stmt = stmt.where(IntakeReport.id != exclude_report_id)
    return stmt


def _window(model: Any, occurred_on: date, exclude_id: int | None) -> list[Any]:
    """The conditions of the rows of the days around `occurred_on` (open reports only)."""
    low, high = occurred_on - timedelta(days=WINDOW_DAYS), occurred_on + timedelta(days=WINDOW_DAYS)
    conditions = [model.occurred_on.between(low, high)]
    if model is IntakeReport:
        conditions.append(IntakeReport.status.in_(OPEN_REPORT_STATUSES))
    if exclude_id is not None:
        conditions.append(model.id != exclude_id)
    return conditions


def _sources(exclude_report_id: int | None, include_reports: bool) -> list[tuple[str, Any, int | None]]:
    sources: list[tuple[str, Any, int | None]] = [("case", Case, None)]
    if include_reports:
        sources.append(("report", IntakeReport, exclude_report_id))
    return sources


def _nearest_members(
    summary: str, occurred_on: date, exclude_report_id: int | None, include_reports: bool
) -> list[Any]:
    """PostgreSQL: the `MAX_CANDIDATES` descriptions most like `summary` among the window's cases and among its
    open reports, at least `SIMILARITY`. `summary % :text` (the threshold set for the transaction) and `<->`
    (1 - similarity()) give the same rows and order as `similarity() >= SIMILARITY ORDER BY similarity() DESC`, in
    the operators the GiST index serves: its leaves hold each description's trigrams."""
    text = literal(summary)
    members = []
    for kind, model, exclude_id in _sources(exclude_report_id, include_reports):
        score = func.similarity(model.summary, text)
        nearest = (
            select(model.id, score.label("score"))
            .where(*_window(model, occurred_on, exclude_id), model.summary.op("%", is_comparison=True)(text))
            .where(score >= SIMILARITY)
            .order_by(model.summary.op("<->", return_type=Float)(text))
            .limit(MAX_CANDIDATES)
        )
        members.append(_member(nearest, "similar_event", kind))
    return members


def _shared_words(
    summary: str, occurred_on: date, exclude_report_id: int | None, include_reports: bool
) -> list[tuple[str, str, int, float | None]]:
    """SQLite: the same, by the share of words, computed here among the window's rows (at most `SCAN_LIMIT`)."""
    words = _words(summary)
    found: list[tuple[str, str, int, float | None]] = []
    for kind, model, exclude_id in _sources(exclude_report_id, include_reports):
        window = db.session.execute(
            select(model.id, model.summary).where(*_window(model, occurred_on, exclude_id)).limit(SCAN_LIMIT)
        )
        scored = [(row_id, _shared(words, text)) for row_id, text in window]
        alike = sorted(((row_id, value) for row_id, value in scored if value >= SIMILARITY), key=lambda pair: -pair[1])
        found.extend(("similar_event", kind, row_id, value) for row_id, value in alike[:MAX_CANDIDATES])
    return found


def _describe(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries with what the page shows of each (number or tracking code, person, agency, date, status): one
    statement for the cases and the reports."""
    case_ids = [e["id"] for e in entries if e["kind"] == "case"]
    report_ids = [e["id"] for e in entries if e["kind"] == "report"]
    members = []
    if case_ids:
        members.append(
            select(
                literal("case").label("kind"),
                Case.id,
                Case.number.label("number"),
                Case.occurred_on,
                Case.status,
                Case.reported_name,
                Agency.name.label("agency"),
            )
            .join(Agency, Agency.id == Case.agency_id)
            .where(Case.id.in_(case_ids))
        )
    if report_ids:
        members.append(
            select(
                literal("report").label("kind"),
                IntakeReport.id,
                IntakeReport.tracking_code.label("number"),
                IntakeReport.occurred_on,
                IntakeReport.status,
                IntakeReport.reported_name,
                func.coalesce(Agency.name, IntakeReport.agency_text).label("agency"),
            )
            .outerjoin(Agency, Agency.id == IntakeReport.agency_id)
            .where(IntakeReport.id.in_(report_ids))
        )
    described = {(row.kind, row.id): row for row in db.session.execute(union_all(*members))} if members else {}
    out = []
    for entry in entries:
        row = described.get((entry["kind"], entry["id"]))
        if row is None:
            continue
        out.append(
            {
                **entry,
                "label": row.number,
                "reported_name": row.reported_name,
                "agency": row.agency,
                "occurred_on": row.occurred_on,
                "status": row.status,
                "reason_labels": [REASON_LABELS[r] for r in entry["reasons"]],
            }
        )
    return out


def record_override(
    candidates: list[dict[str, Any]], actor: User | None, *, case_id: int | None = None, report_id: int | None = None
) -> DuplicateOverride | None:
    """Record that a case or a report was saved although `candidates` were shown (nothing when there were none).
    Flushes."""
    if not candidates:
        return None
    row = DuplicateOverride(
        case_id=case_id,
        report_id=report_id,
        candidates=[
            {"kind": c["kind"], "id": c["id"], "label": c["label"], "reasons": c["reasons"]} for c in candidates
        ],
        actor_id=actor.id if actor is not None else None,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def for_new_case(clean: dict[str, Any]) -> list[dict[str, Any]]:
    """The likely duplicates of a new case's loaded payload (NewCaseSchema)."""
    person = clean.get("reported_person") or {}
    return find_duplicates(
        nip=person.get("nip"),
        name=person.get("name"),
        agency_id=clean.get("agency_id"),
        summary=clean.get("summary"),
        occurred_on=clean.get("occurred_on"),
    )


def for_payload(data: Any) -> list[dict[str, Any]]:
    """The likely duplicates of a new case's raw payload (nothing when it does not load: creating it will say
    why)."""
    try:
        clean = NewCaseSchema().load(data)
    except (ValidationError, TypeError):
        return []
    return for_new_case(clean)
