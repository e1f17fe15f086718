"""Case services: creation, editing, the scoped visibility rule, listing, detail and evidence files.

Authorization lives here, in one place: every read of a case goes through `scoped_cases(user)`, so a PPK
never loads another agency's case (404, not 403) nor a case before its recommendation is issued, and an
overseer sees only cases escalated to its ministry.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import filetype
from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import Select, and_, bindparam, exists, false, insert, or_, select, true, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import aliased
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from app.api.pagination import cursor_id, encode_cursor
from app.auth.services import TokenCaller
from app.cases.schemas import SEARCH_TOO_SHORT, NewCaseSchema, _partial_update_schema, search_term_too_short
from app.core.clock import utcnow
from app.core.states import STATUS_LABELS, CaseStatus
from app.core.vocab import KASN_ROLES, Role
from app.db import MAX_ROW_ID, get_row, valid_row_id
from app.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed, VersionConflict
from app.escalations.services import escalated_clause
from app.extensions import db
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import (
    Attachment,
    Case,
    CaseCounter,
    CaseHistory,
    Clarification,
    FollowUp,
    Recommendation,
    search_text,
)
from app.models.escalations import EscalationStep
from workflows.history import append_history, lock_case

EDITABLE_STATUSES = (CaseStatus.REPORTED, CaseStatus.UNDER_REVIEW, CaseStatus.RECOMMENDATION_DRAFTED)


# -- visibility -----------------------------------------------------------------------------------------------


def _visibility(user: User | TokenCaller) -> tuple[str, dict[str, Any]]:
    """Which visibility rule applies to `user`, and the values it compares with."""
    if user.role in KASN_ROLES:
        return "all", {}
    if user.role == Role.PPK:
        return "agency", {"viewer_agency_id": user.agency_id}
    if user.role == Role.OVERSEER:
        return "body", {"viewer_body": user.body}
    return "none", {}


def _visibility_rule(rule: str, values: Mapping[str, Any] | None = None) -> Any:
    """The WHERE clause of a visibility rule, its values bound in, or (None) left as parameters to execute
    with: a statement built once serves every user of the rule."""
    param = _binder(values)
    if rule == "all":
        return true()
    if rule == "agency":
        return and_(Case.agency_id == param("viewer_agency_id"), Case.issued_at.is_not(None))
    if rule == "body":
        return exists().where(
            EscalationStep.case_id == Case.id, EscalationStep.level >= 2, EscalationStep.body == param("viewer_body")
        )
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


def scoped_cases(user: User) -> Select[tuple[Case]]:
    return select(Case).where(visibility_clause(user))


def get_case_for(user: User, case_id: int) -> Case:
    """The case if `user` may see it, else NotFound (never confirms that another agency's case exists)."""
    case = db.session.scalar(scoped_cases(user).where(Case.id == case_id)) if valid_row_id(case_id) else None
    if case is None:
        raise NotFound("Perkara tidak ditemukan.")
    return case


def sees_reporter(user: User) -> bool:
    return user.role in KASN_ROLES


# -- creation and editing ----------------------------------------------------------------------------------------


def next_case_number(year: int) -> str:
    """NKK-YYYY-NNNNNN from a per-year counter, safe under concurrency (row lock / upsert)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = (
            pg_insert(CaseCounter)
            .values(year=year, last_value=1)
            .on_conflict_do_update(index_elements=["year"], set_={"last_value": CaseCounter.last_value + 1})
            .returning(CaseCounter.last_value)
        )
        value = db.session.execute(stmt).scalar_one()
    else:
        updated = db.session.execute(
            update(CaseCounter)
            .where(CaseCounter.year == year)
            .values(last_value=CaseCounter.last_value + 1)
            .returning(CaseCounter.last_value)
        ).scalar()
        if updated is None:
            db.session.execute(insert(CaseCounter).values(year=year, last_value=1))
            updated = 1
        value = updated
    return f"NKK-{year}-{value:06d}"


def _load(schema: Any, data: dict[str, Any]) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed("Data perkara tidak valid.", details={"fields": exc.messages}) from exc


def may_create_case(user: User) -> bool:
    return user.role in (Role.INVESTIGATOR, Role.COMMISSIONER)


def create_case(data: dict[str, Any], actor: User, *, now: datetime | None = None) -> Case:
    """Log a new case (investigator or commissioner); writes the first history row. Flushes."""
    if not may_create_case(actor):
        raise Forbidden("Hanya penyelidik atau komisioner KASN yang dapat mencatat perkara.")
    clean = _load(NewCaseSchema(), data)
    agency = get_row(Agency, clean["agency_id"])
    if agency is None or not agency.is_active:
        raise ValidationFailed(
            "Instansi tidak ditemukan.", details={"fields": {"agency_id": ["instansi tidak ditemukan"]}}
        )
    now = now or utcnow()
    person = clean["reported_person"]
    reporter = clean.get("reporter") or {}
    case = Case(
        number=next_case_number(now.year),
        agency_id=agency.id,
        category=clean["category"],
        subcategory=clean.get("subcategory"),
        source=clean["source"],
        reported_name=person["name"],
        reported_nip=person["nip"],
        reported_position=person.get("position"),
        summary=clean["summary"],
        occurred_on=clean["occurred_on"],
        reporter_name=reporter.get("name"),
        reporter_contact=reporter.get("contact"),
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(case)
    db.session.flush()
    append_history(
        case,
        "create",
        None,
        CaseStatus.REPORTED.value,
        actor=actor,
        payload={
            "number": case.number,
            "agency_id": agency.id,
            "category": case.category,
            "source": case.source,
            "has_reporter": bool(reporter.get("name") or reporter.get("contact")),
        },
        at=now,
    )
    return case


def update_case(case: Case, data: dict[str, Any], actor: User) -> Case:
    """Edit the report's fields before the recommendation is issued (KASN staff). Flushes."""
    if actor.role not in (Role.INVESTIGATOR, Role.COMMISSIONER):
        raise Forbidden("Hanya penyelidik atau komisioner KASN yang dapat mengubah perkara.")
    clean = _load(_partial_update_schema(), data)
    lock_case(case)
    if "agency_id" in data:
        raise ValidationFailed(
            "Instansi tidak dapat diubah.", details={"fields": {"agency_id": ["tidak dapat diubah"]}}
        )
    if clean["version"] != case.version:
        raise VersionConflict(
            "Perkara telah diubah oleh pengguna lain; muat ulang dan coba lagi.",
            details={"current_version": case.version},
        )
    if CaseStatus(case.status) not in EDITABLE_STATUSES:
        raise InvalidTransition("Perkara hanya dapat diubah sebelum rekomendasi diterbitkan.")
    changed: dict[str, Any] = {}
    simple = {
        "category": "category",
        "subcategory": "subcategory",
        "source": "source",
        "summary": "summary",
        "occurred_on": "occurred_on",
    }
    for key, attr in simple.items():
        if key in clean and getattr(case, attr) != clean[key]:
            setattr(case, attr, clean[key])
            changed[key] = clean[key]
    if "reported_person" in clean:
        person = clean["reported_person"]
        case.reported_name, case.reported_nip = person["name"], person["nip"]
        case.reported_position = person.get("position")
        changed["reported_person"] = {k: v for k, v in person.items() if k != "pppk"}
    if "reporter" in clean:
        reporter = clean["reporter"] or {}
        case.reporter_name, case.reporter_contact = reporter.get("name"), reporter.get("contact")
        changed["reporter"] = "diubah"  # never copy the identity into the history
    if not changed:
        return case
    case.updated_at = utcnow()
    db.session.flush()
    append_history(case, "update", case.status, case.status, actor=actor, payload={"changed": changed})
    return case


# -- listing -----------------------------------------------------------------------------------------------------


def filter_values(filters: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The list filters of `GET /api/v1/cases` (status, agency_id, category, overdue, escalated, q) as the
    named values their clauses compare with."""
    values: dict[str, Any] = {}
    if filters.get("status"):
        statuses = filters["status"] if isinstance(filters["status"], list | tuple) else filters["status"].split(",")
        values["f_status"] = [s for s in statuses if s]
    if filters.get("agency_id") is not None:
        values["f_agency_id"] = int(filters["agency_id"])
    if filters.get("category"):
        values["f_category"] = filters["category"]
    if filters.get("overdue") is not None:
        values["f_overdue"] = _truthy(filters["overdue"])
        values["f_now"] = now
    if filters.get("escalated") is not None:
        values["f_escalated"] = _truthy(filters["escalated"])
    if filters.get("q"):
        term = str(filters["q"]).strip().lower()
        if search_term_too_short(term):  # the schema refuses it first; a caller passing filters directly too
            raise ValidationFailed(SEARCH_TOO_SHORT, details={"fields": {"q": [SEARCH_TOO_SHORT]}})
        values["f_like"] = f"%{term}%"
        digits = term.replace(" ", "")
        if digits.isdigit() and digits != term:  # a NIP typed in groups
            values["f_digits"] = f"%{digits}%"
    return values


# Filters whose value changes the SQL (EXISTS or NOT EXISTS); the others only change parameters.
_SHAPING_FILTERS = ("f_overdue", "f_escalated")


def filter_shape(values: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """What the SQL of these filter values depends on: which filters are present, and the shaping ones' values."""
    return tuple((key, values[key] if key in _SHAPING_FILTERS else None) for key in sorted(values))


def filter_clauses(shape: tuple[tuple[str, Any], ...], values: Mapping[str, Any] | None = None) -> list[Any]:
    """The WHERE clauses of a filter shape, values bound in, or (None) as parameters to execute with."""
    present = dict(shape)
    param = _binder(values)
    clauses: list[Any] = []
    if "f_status" in present:
        clauses.append(Case._status.in_(param("f_status", expanding=True)))
    if "f_agency_id" in present:
        clauses.append(Case.agency_id == param("f_agency_id"))
    if "f_category" in present:
        clauses.append(Case.category == param("f_category"))
    if "f_overdue" in present:
        rec = aliased(Recommendation)  # never correlated with a Recommendation the caller's query joins
        overdue = exists().where(rec.case_id == Case.id, rec.is_overdue(param("f_now")))
        clauses.append(overdue if present["f_overdue"] else ~overdue)
    if "f_escalated" in present:
        escalated = escalated_clause()
        clauses.append(escalated if present["f_escalated"] else ~escalated)
    if "f_like" in present:
        # One text, one condition: `search_text ILIKE :term`, which PostgreSQL's trigram index on that expression
        # serves (app.models.cases `search_text`); `lower(…) LIKE lower(:term)` on SQLite, a scan.
        text = search_text()
        match = text.ilike(param("f_like"))
        if "f_digits" in present:  # "1986 0926" also finds the NIP 198609262015051001
            match = or_(match, text.like(param("f_digits")))
        clauses.append(match)
    return clauses


def apply_filters(stmt: Select[Any], filters: Mapping[str, Any], now: datetime) -> Select[Any]:
    """`stmt` narrowed by the list filters (see `filter_values`), their values bound in."""
    values = filter_values(filters, now)
    clauses = filter_clauses(filter_shape(values), values)
    return stmt.where(*clauses) if clauses else stmt


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "ya", "on")
    return bool(value)


def list_cases(
    user: User | TokenCaller, filters: dict[str, Any], limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of visible cases, newest first, keyset-paginated; one SQL statement whatever the page size."""
    now = utcnow()
    rule, params = _visibility(user)
    values = filter_values(filters, now)
    after = cursor_id(cursor)
    paged = after is not None and after <= MAX_ROW_ID  # a larger cursor is past every id: no bound
    stmt = _list_statement(rule, filter_shape(values), paged)
    params.update(values, page_size=limit + 1, now=now)
    if paged:
        params["after"] = after
    # Columns, not entities, through the session's connection: a page is read straight into its JSON shape
    # (no identity map, no eager loads), and the statement object is the same for every request of its shape.
    rows = db.session.connection().execute(stmt, params).all()
    items = [_summary(row) for row in rows[:limit]]
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return items, next_cursor


@lru_cache(maxsize=256)
def _list_statement(rule: str, shape: tuple[tuple[str, Any], ...], paged: bool) -> Select[Any]:
    """The list query of a visibility rule, a filter shape and (paged) a cursor, built once with its values
    left as parameters: SQLAlchemy's per-execution work (cache key, result columns) is then done once per
    statement object instead of per request."""
    stmt = (
        select(*SUMMARY_COLUMNS)
        .select_from(Case)
        .join(Agency, Agency.id == Case.agency_id)
        .outerjoin(Recommendation, Recommendation.case_id == Case.id)
        .where(_visibility_rule(rule), *filter_clauses(shape))
    )
    if paged:
        stmt = stmt.where(Case.id < bindparam("after"))
    return stmt.order_by(Case.id.desc()).limit(bindparam("page_size"))


# What a case list row needs, in the order `_summary` unpacks it: the query selects these columns, and
# `case_summary` reads the same names from loaded objects (a test compares both forms on every kind of case).
_CASE_FIELDS = (
    "id", "number", "version", "agency_id", "category", "subcategory", "source", "reported_name", "reported_nip",
    "reported_position", "summary", "occurred_on", "created_at", "updated_at", "issued_at",
)  # fmt: skip
_AGENCY_FIELDS = ("code", "name", "kind", "timezone")
# The recommendation's part is decided by the database (the row fetch costs per column), with the rules
# `case_summary` applies to loaded objects: Recommendation's hybrids `issued_due_at` and `is_overdue`.
SUMMARY_COLUMNS = (
    Case._status.label("status"),
    *(getattr(Case, name) for name in _CASE_FIELDS),
    *(getattr(Agency, name).label(f"agency_{name}") for name in _AGENCY_FIELDS),
    Recommendation.issued_due_at.label("rec_due_at"),
    Recommendation.escalation_level.label("rec_escalation_level"),
    sql_case((Recommendation.is_overdue(bindparam("now")), True), else_=False).label("rec_overdue"),
)


def case_summary(case: Case, agency: Agency, rec: Recommendation | None, now: datetime | None = None) -> dict[str, Any]:
    """The list form of a case from its loaded objects (pages that already hold them)."""
    row = (
        case.status,
        *(getattr(case, name) for name in _CASE_FIELDS),
        *(getattr(agency, name) for name in _AGENCY_FIELDS),
        *(
            (rec.issued_due_at, rec.escalation_level, rec.is_overdue(now or utcnow()))
            if rec is not None
            else (None, None, False)
        ),
    )
    return _summary(row)


def _summary(row: Sequence[Any]) -> dict[str, Any]:
    """The list form of a case from a row of SUMMARY_COLUMNS (unpacked by position: the hot path of the list)."""
    (
        status, case_id, number, version, agency_id, category, subcategory, source, reported_name, reported_nip,
        reported_position, summary, occurred_on, created_at, updated_at, issued_at,
        agency_code, agency_name, agency_kind, agency_timezone,
        due_at, escalation_level, overdue,
    ) = row  # fmt: skip
    return {
        "id": case_id,
        "number": number,
        "status": status,
        "status_label": STATUS_LABELS[status],  # a StrEnum key: its text finds it
        "version": version,
        "agency_id": agency_id,
        "agency": {
            "id": agency_id,
            "code": agency_code,
            "name": agency_name,
            "kind": agency_kind,
            "timezone": agency_timezone,
        },
        "category": category,
        "subcategory": subcategory,
        "source": source,
        "reported_person": {"name": reported_name, "nip": reported_nip, "position": reported_position},
        "summary": summary,
        "occurred_on": occurred_on,
        "created_at": created_at,
        "updated_at": updated_at,
        "issued_at": issued_at,
        "due_at": due_at,
        "escalation_level": escalation_level,
        "overdue": overdue,
    }


# -- detail ------------------------------------------------------------------------------------------------------


def _recommendation_out(rec: Recommendation | None, *, party: bool = False) -> dict[str, Any] | None:
    """The recommendation; for an outside party (`party`), without who drafted and issued it (staff): the
    issuing authority is its `authority`."""
    if rec is None:
        return None
    out = {
        "sanction": rec.sanction,
        "sanction_form": rec.sanction_form,
        "legal_basis": rec.legal_basis,
        "text": rec.text,
        "letter_number": rec.letter_number,
        "authority": rec.authority_name,
        "drafted_by": rec.drafted_by_id,
        "drafted_at": rec.drafted_at,
        "issued_by": rec.issued_by_id,
        "issued_at": rec.issued_at,
        "acknowledged_at": rec.acknowledged_at,
        "received_on": rec.received_on,
        "working_days": rec.working_days,
        "due_at": rec.due_at,
        "due_calendar_version": rec.due_calendar_version,
        "cycle": rec.cycle,
        "escalation_level": rec.escalation_level,
    }
    if party:
        out.update(drafted_by=None, drafted_at=None, issued_by=None)
    return out


def _follow_up_out(row: FollowUp) -> dict[str, Any]:
    return {
        "id": row.id,
        "decision_number": row.decision_number,
        "decision_date": row.decision_date,
        "sanction_imposed": row.sanction_imposed,
        "sanction_form": row.sanction_form,
        "note": row.note,
        "is_lighter": row.is_lighter,
        "is_late": row.is_late,
        "working_days_taken": row.working_days_taken,
        "document_id": row.document_id,
        "reported_at": row.reported_at,
        "verdict": row.verdict,
        "verdict_reason": row.verdict_reason,
    }


def deadline_status(
    case: Case, agency: Agency, rec: Recommendation | None, now: datetime | None = None
) -> dict[str, Any]:
    """Working days left (the due day counts: 1 on the due day) or late, while the clock runs."""
    from app.calendar.services import deadline_status as clock

    status = clock(rec, agency, now or utcnow())
    return {"working_days_left": status["working_days_left"], "working_days_late": status["working_days_late"]}


def case_records(case: Case) -> tuple[list[FollowUp], list[Clarification], list[EscalationStep]]:
    """The case's follow-ups, clarifications and escalation steps, each in order (the detail, the PDF summary)."""
    from app.escalations.services import escalation_steps_for

    follow_ups = list(db.session.scalars(select(FollowUp).where(FollowUp.case_id == case.id).order_by(FollowUp.id)))
    clarifications = list(
        db.session.scalars(select(Clarification).where(Clarification.case_id == case.id).order_by(Clarification.id))
    )
    return follow_ups, clarifications, escalation_steps_for(case)


def case_detail(case: Case, user: User, now: datetime | None = None) -> dict[str, Any]:
    """The case as the API returns it to `user` (reporter only for KASN roles)."""
    from workflows import allowed_events

    now = now or utcnow()
    agency = db.session.get(Agency, case.agency_id)
    assert agency is not None
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    follow_ups, clarifications, steps = case_records(case)
    out = case_summary(case, agency, rec, now)
    out.update(deadline_status(case, agency, rec, now))
    out.update(
        {
            "allowed_events": allowed_events(case, user),
            "recommendation": _recommendation_out(rec, party=not sees_deliberation(user)),
            "follow_up": _follow_up_out(follow_ups[-1]) if follow_ups else None,
            "follow_ups": [_follow_up_out(f) for f in follow_ups],
            "clarifications": [
                {
                    "letter_number": c.letter_number,
                    "reason": c.reason,
                    "requested_at": c.requested_at,
                    "outcome": c.outcome,
                    "reply_letter_number": c.reply_letter_number,
                    "revised_sanction": c.revised_sanction,
                    "answered_at": c.answered_at,
                }
                for c in clarifications
            ],
            "escalations": [
                {
                    "cycle": s.cycle,
                    "level": s.level,
                    "reached_at": s.reached_at,
                    "body": s.body,
                    "notified": s.notified,
                    "resolved_at": s.resolved_at,
                }
                for s in steps
            ],
            "dismiss_reason": case.dismiss_reason,
            "close_reason": case.close_reason,
        }
    )
    if sees_reporter(user):
        out["reporter"] = {"name": case.reporter_name, "contact": case.reporter_contact}
    return out


# What a party outside the oversight authority (the PPK's office, a supervising ministry) sees of a case's
# history: the events that concern it, from the issued recommendation on, with who acted by role and office;
# never the authority's deliberation (review, drafts and redrafts, dismissal, edits of the report), staff names
# or addresses, request ids, or anything about the reporter. The API and the case page both read it here.
PARTY_EVENTS = frozenset(
    {
        "issue_recommendation",
        "acknowledge",
        "record_receipt",
        "extend_deadline",
        "request_clarification",
        "answer_clarification",
        "report_follow_up",
        "accept_follow_up",
        "reject_follow_up",
        "close",
        "attachment_added",
        "escalation_level_reached",
        "escalation",
    }
)
PARTY_HIDDEN_PAYLOAD_KEYS = frozenset(
    {"has_reporter", "reporter", "reporter_name", "reporter_contact", "note_internal", "notes", "review_note"}
)


def sees_deliberation(user: Any) -> bool:
    """Whether `user` reads the authority's own side of a case: its history in full, staff included."""
    return user.role in KASN_ROLES


def _party_actor_labels(rows: Sequence[CaseHistory]) -> dict[int, str]:
    """Who acted, as an outside party may read it: the role and the office (the authority in force on the day
    of the row, for its staff), never the person. Keyed by the row's seq."""
    from app.agencies.authority import authority_name_on, role_labels
    from app.core.vocab import BODY_LABELS, ROLE_LABELS

    ids = {r.actor_id for r in rows if r.actor_id is not None}
    people: dict[int, tuple[str, str | None, str | None]] = {}
    if ids:
        stmt = (
            select(User.id, User.role, User.body, Agency.name)
            .outerjoin(Agency, Agency.id == User.agency_id)
            .where(User.id.in_(ids))
        )
        people = {uid: (role, body, agency) for uid, role, body, agency in db.session.execute(stmt)}
    authorities: dict[Any, str] = {}
    labels: dict[int, str] = {}
    for row in rows:
        role, body, agency_name = people.get(row.actor_id, (None, None, None))
        if role is None:
            labels[row.seq] = "Sistem"
        elif role == Role.PPK:
            labels[row.seq] = f"{ROLE_LABELS[Role.PPK]} {agency_name or ''}".strip()
        elif role == Role.OVERSEER:
            labels[row.seq] = f"{ROLE_LABELS[Role.OVERSEER]}: {BODY_LABELS.get(body, body or '')}"
        else:
            day = row.created_at.date()
            if day not in authorities:
                authorities[day] = authority_name_on(day)
            labels[row.seq] = f"{role_labels(day).get(role, role)} {authorities[day]}"
    return labels


def case_history(case: Case, user: Any | None = None) -> list[dict[str, Any]]:
    """The ordered history, as `user` may read it (None: in full, for internal use).

    The authority's roles read every row. A PPK or an overseer reads the rows of PARTY_EVENTS only, an upload
    only when it may see the file (KASN's evidence may name the reporter), the actor as role and office, and
    no internal payload keys; the rows keep their hashes, so the visible chain still shows its numbers."""
    rows = list(db.session.scalars(select(CaseHistory).where(CaseHistory.case_id == case.id).order_by(CaseHistory.seq)))
    party = user is not None and not sees_deliberation(user)
    if party:
        rows = [
            r
            for r in rows
            if r.event in PARTY_EVENTS
            and (r.event != "attachment_added" or sees_attachment(user, str(r.payload.get("purpose") or "evidence")))
        ]
        actors = _party_actor_labels(rows)
    return [
        {
            "seq": r.seq,
            "event": r.event,
            "from_status": r.from_status,
            "to_status": r.to_status,
            "actor": actors[r.seq] if party else r.actor_label,
            "actor_id": None if party else r.actor_id,
            "payload": (
                {k: v for k, v in (r.payload or {}).items() if k not in PARTY_HIDDEN_PAYLOAD_KEYS}
                if party
                else r.payload
            ),
            "request_id": None if party else r.request_id,
            "created_at": r.created_at,
            "hash": r.hash,
            "prev_hash": r.prev_hash,
        }
        for r in rows
    ]


# -- attachments -------------------------------------------------------------------------------------------------

# Allowed evidence types, decided by the file's content (magic bytes), never by its name.
ALLOWED_TYPES = {
    "application/pdf": ("pdf",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
    "image/webp": ("webp",),
    "image/gif": ("gif",),
    "video/mp4": ("mp4",),
    "audio/mpeg": ("mp3",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.oasis.opendocument.text": ("odt",),
}
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_RATIO = 100
MAX_ZIP_UNPACKED = 200 * 1024 * 1024
UPLOAD_PURPOSES = {"evidence", "follow_up", "clarification", "other"}


def _reject(message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"fields": {"file": [message]}})


def _check_zip(path: Path) -> None:
    """Office files are ZIPs: refuse zip bombs (too many entries, too large or too compressed)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise _reject("Berkas rusak atau bukan dokumen yang sah.") from exc
    unpacked = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    if len(infos) > MAX_ZIP_ENTRIES or unpacked > MAX_ZIP_UNPACKED or unpacked / packed > MAX_ZIP_RATIO:
        raise _reject("Berkas arsip ditolak: isi terlalu besar atau terlalu banyak (kemungkinan bom zip).")


def attachment_dir() -> Path:
    path = Path(current_app.config["ATTACHMENT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def attachment_path(storage_key: str) -> Path:
    return attachment_dir() / storage_key[:2] / storage_key


def may_upload(case: Case, user: User, purpose: str) -> bool:
    status = CaseStatus(case.status)
    if user.role in (Role.INVESTIGATOR, Role.COMMISSIONER):
        return not case.is_terminal
    if user.role == Role.PPK:
        return purpose in ("follow_up", "clarification") and status == CaseStatus.AWAITING_FOLLOW_UP
    return False


def add_attachment(case: Case, file: FileStorage, actor: User, purpose: str = "evidence") -> Attachment:
    """Store an uploaded file under a generated name outside the static folder; record its sha256. Flushes."""
    if purpose not in UPLOAD_PURPOSES:
        raise ValidationFailed("Tujuan berkas tidak dikenal.", details={"fields": {"purpose": ["tidak dikenal"]}})
    if not may_upload(case, actor, purpose):
        raise Forbidden("Anda tidak dapat mengunggah berkas ke perkara ini sekarang.")
    if file is None or not file.filename:
        raise _reject("Berkas wajib diunggah (field 'file').")
    directory = attachment_dir()
    digest = hashlib.sha256()
    size = 0
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 20 * 1024 * 1024
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".upload-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := file.stream.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise _reject("Berkas terlalu besar.")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise _reject("Berkas kosong.")
        kind = filetype.guess(str(tmp))
        if kind is None or kind.mime not in ALLOWED_TYPES:
            raise _reject("Jenis berkas tidak diizinkan (PDF, gambar, video MP4, MP3, DOCX, XLSX, ODT).")
        name = secure_filename(file.filename) or f"berkas.{ALLOWED_TYPES[kind.mime][0]}"
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in ALLOWED_TYPES[kind.mime]:
            raise _reject(f"Nama berkas (.{extension or '?'}) tidak sesuai dengan isinya ({kind.extension}).")
        if kind.mime.startswith("application/vnd"):
            _check_zip(tmp)
        key = uuid.uuid4().hex
        final = attachment_path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    lock_case(case)  # before the INSERT below takes its foreign-key lock on the case row
    if not may_upload(case, actor, purpose):  # again, under the lock: the state may have moved meanwhile
        final.unlink(missing_ok=True)
        raise Forbidden("Anda tidak dapat mengunggah berkas ke perkara ini sekarang.")
    attachment = Attachment(
        case_id=case.id,
        purpose=purpose,
        filename=name,
        content_type=kind.mime,
        size=size,
        sha256=digest.hexdigest(),
        storage_key=key,
        uploaded_by_id=actor.id,
    )
    db.session.add(attachment)
    db.session.flush()
    append_history(
        case,
        "attachment_added",
        case.status,
        case.status,
        actor=actor,
        payload={"attachment_id": attachment.id, "filename": name, "sha256": attachment.sha256, "purpose": purpose},
    )
    return attachment


# The files PPK offices and overseers may see: the PPK's own documents. KASN's evidence (and anything else)
# may reveal the reporter, so it stays with KASN roles.
SHARED_PURPOSES = ("follow_up", "clarification")


def sees_attachment(user: User, purpose: str) -> bool:
    return user.role in KASN_ROLES or purpose in SHARED_PURPOSES


def visible_attachments(case: Case, user: User) -> list[Attachment]:
    """The case's files `user` may see (see `sees_attachment`)."""
    stmt = select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
    if user.role not in KASN_ROLES:
        stmt = stmt.where(Attachment.purpose.in_(SHARED_PURPOSES))
    return list(db.session.scalars(stmt))


def attachment_for(user: User, attachment_id: int) -> tuple[Attachment, Path]:
    attachment = get_row(Attachment, attachment_id)
    if attachment is None or not sees_attachment(user, attachment.purpose):
        raise NotFound("Berkas tidak ditemukan.")
    get_case_for(user, attachment.case_id)  # and the case itself must be visible
    return attachment, attachment_path(attachment.storage_key)


def attachment_out(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.id,
        "filename": a.filename,
        "size": a.size,
        "sha256": a.sha256,
        "content_type": a.content_type,
        "purpose": a.purpose,
        "created_at": a.created_at,
    }


__all__ = [
    "add_attachment",
    "attachment_for",
    "case_detail",
    "case_history",
    "create_case",
    "get_case_for",
    "list_cases",
    "scoped_cases",
    "update_case",
    "visible_attachments",
]
