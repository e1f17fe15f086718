"""Case services: creation, editing, the detail and the history of a case. Who may see what is decided in
app.cases.access; the list in app.cases.listing; evidence files in app.cases.attachments.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.agencies.authority import authority_name_on, role_labels
from app.agencies.services import check_open_for_new_case, end_dump
from app.audit.history import append_history, lock_case
from app.calendar.services import deadline_status as clock
from app.calendar.working_days import local_today
from app.cases import outcomes
from app.cases.access import may_create_case, sees_attachment, sees_deliberation, sees_incumbency, sees_reporter
from app.cases.assignment import check_assignee, staff_ref
from app.cases.elections import election_of, election_ref
from app.cases.listing import case_summary
from app.cases.schemas import NewCaseSchema, _partial_update_schema
from app.core.clock import utcnow
from app.core.states import CaseStatus
from app.core.vocab import BODY_LABELS, CASE_STAFF, ROLE_LABELS, Body, Role
from app.db import db, get_row
from app.errors import Forbidden, InvalidTransition, ValidationFailed, VersionConflict
from app.escalations.ladder import incumbent_shift
from app.escalations.services import case_incumbency
from app.i18n import format_day
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import (
    Case,
    CaseCounter,
    CaseHistory,
    FollowUp,
    Recommendation,
    case_records,
)
from app.models.people import Person, addressed_holder, holder_out, link_cases
from workflows import allowed_events

EDITABLE_STATUSES = (CaseStatus.REPORTED, CaseStatus.UNDER_REVIEW, CaseStatus.RECOMMENDATION_DRAFTED)


# -- creation and editing ----------------------------------------------------------------------------------------


def next_case_number(year: int) -> str:
    """NKK-YYYY-NNNNNN from a per-year counter, safe under concurrency (row lock / upsert)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
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
    assignee = actor if clean.get("assignee_id") is None else check_assignee(clean["assignee_id"])
    now = now or utcnow()
    check_open_for_new_case(agency, now)  # an agency that ended takes no case reported from that day (422)
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
        assignee_id=assignee.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(case)
    db.session.flush()
    link_cases([case.id])  # the person of the reported NIP (app/models/people.py)
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
            "assignee": staff_ref(assignee),
        },
        at=now,
    )
    return case


def update_case(case: Case, data: dict[str, Any], actor: User) -> Case:
    """Edit the report's fields before the recommendation is issued (KASN staff). Flushes."""
    if actor.role not in CASE_STAFF:
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
    if "reported_person" in changed:
        link_cases([case.id])  # a corrected NIP or name moves the case to its person
    append_history(case, "update", case.status, case.status, actor=actor, payload={"changed": changed})
    return case


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

    status = clock(rec, agency, now or utcnow())
    return {"working_days_left": status["working_days_left"], "working_days_late": status["working_days_late"]}


def case_detail(case: Case, user: User, now: datetime | None = None) -> dict[str, Any]:
    """The case as the API returns it to `user` (reporter only for KASN roles)."""

    now = now or utcnow()
    agency = db.session.get(Agency, case.agency_id)
    assert agency is not None
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    follow_ups, clarifications, steps = case_records(case)
    out = case_summary(case, agency, rec, now)
    out["agency"].update(end_dump(agency))  # an agency that ended names the one that took over
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
                    # reached earlier: the PPK in office is a candidate in the case's election (incumbent_ppk)
                    "early": s.early_candidacy_id is not None,
                }
                for s in steps
            ],
            "dismiss_reason": case.dismiss_reason,
            "close_reason": case.close_reason,
            "blocks": outcomes.case_blocks(case, user),  # blocks of data/services in SIASN (app/cases/outcomes.py)
            "person": person_link(case, agency, now),
            "election": election_ref(election_of(case.id)),  # a neutrality case's election (app/cases/elections.py)
            "incumbent_ppk": incumbent_out(case, now) if sees_incumbency(user) else None,
        }
    )
    if out["recommendation"] is not None:
        out["recommendation"]["addressed_holder"] = holder_out(addressed_holder(rec, agency.timezone))
    if sees_reporter(user):
        out["reporter"] = {"name": case.reporter_name, "contact": case.reporter_contact}
    if sees_deliberation(user):  # who handles the case is the authority's own business (staff names)
        assignee = get_row(User, case.assignee_id) if case.assignee_id else None
        out["assignee"] = {"id": assignee.id, "name": assignee.name or assignee.email} if assignee else None
        out["team"] = case.team
    return out


INCUMBENT_LABEL = "PPK petahana mencalonkan diri"


def incumbent_out(case: Case, now: datetime) -> dict[str, Any] | None:
    """The flag of a neutrality case whose PPK in office is a candidate in its election (on the agency's day of
    `now`): who, in which election, since when, and how many levels earlier it climbs (`INCUMBENT_ESCALATION_SHIFT`).
    Only while the case is open: a closed case climbs no more."""
    if case.is_terminal:
        return None
    found = case_incumbency(case, now)
    if found is None:
        return None
    shift = incumbent_shift()
    text = (
        f"{found.holder_title} {found.holder_name} mencalonkan diri dalam {found.election_name} sejak "
        f"{format_day(found.since)}."
    )
    if shift:
        text += f" Perkara ini dieskalasi {shift} tingkat lebih awal."
    return {**found.as_dict(), "since": found.since, "label": INCUMBENT_LABEL, "text": text, "shift": shift}


def person_link(case: Case, agency: Agency, now: datetime) -> dict[str, Any] | None:
    """The case's person (its record at /people/<nip>) and, while the case is open, what the national register
    found since: a transfer to another agency (the PPK may have changed) or a retirement."""
    person = db.session.get(Person, case.person_id) if case.person_id else None
    if person is None:
        return None
    notices = [] if case.is_terminal else person.register_notices(agency.name, local_today(agency, now))
    for notice in notices:
        checked = format_day(person.register_checked_at.date()) if person.register_checked_at else "-"
        if notice["kind"] == "transfer":
            notice["text"] = (
                f"Menurut register ASN ({checked}), {person.name} kini tercatat di {notice['agency_name']}: "
                "PPK yang berwenang atas perkara ini mungkin sudah berganti."
            )
        elif notice["kind"] == "retired":
            notice["text"] = f"Menurut register ASN ({checked}), {person.name} pensiun per {format_day(notice['on'])}."
        else:
            notice["text"] = f"Menurut register ASN ({checked}), kedudukan {person.name}: {notice['status']}."
    return {"nip": person.nip, "notices": notices}


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
        "data_block_recorded",
        "data_block_lifted",
    }
)
PARTY_HIDDEN_PAYLOAD_KEYS = frozenset(
    {"has_reporter", "reporter", "reporter_name", "reporter_contact", "note_internal", "notes", "review_note"}
)


def _party_actor_labels(rows: Sequence[CaseHistory]) -> dict[int, str]:
    """Who acted, as an outside party may read it: the role and the office (the authority in force on the day
    of the row, for its staff), never the person. Keyed by the row's seq."""

    ids = {r.actor_id for r in rows if r.actor_id is not None}
    people: dict[int, tuple[str | None, str | None, str | None]] = {}
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
        role, body, agency_name = people.get(row.actor_id, (None, None, None)) if row.actor_id else (None, None, None)
        if role is None:
            labels[row.seq] = "Sistem"
        elif role == Role.PPK:
            labels[row.seq] = f"{ROLE_LABELS[Role.PPK]} {agency_name or ''}".strip()
        elif role == Role.OVERSEER:
            labels[row.seq] = f"{ROLE_LABELS[Role.OVERSEER]}: {BODY_LABELS.get(Body(body), body) if body else ''}"
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
    if user is not None and party:
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
