"""Writing valid rows: a batch at a time, by bulk INSERT of the case, its recommendation, clarification,
follow-up and escalation levels as the file gives them, and one `imported` history row hash-chained like every
other; case numbers come from the shared per-year counter. No outbox row is written: an import sends no email.

Also the one builder of a recommendation row (`recommendation_row`), every column as inserted, which the
benchmark data (bench/datagen.py) and the tests' direct inserts use too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from app.audit.history import GENESIS, chained_row
from app.cases.importing.context import ImportContext, PreparedRow
from app.core.clock import utcnow
from app.core.nip import normalize_nip
from app.db import db, one_of
from app.models.cases import Case, CaseCounter, CaseHistory, Clarification, FollowUp, Recommendation
from app.models.escalations import EscalationStep
from app.models.people import people_of

IMPORT_EVENT = "imported"


def recommendation_row(
    *,
    case_id: int | None,
    agency_id: int,
    sanction: str | None,
    legal_basis: str,
    text: str,
    drafted_at: datetime,
    drafted_by_id: int | None = None,
    sanction_form: str | None = None,
    letter_number: str | None = None,
    authority_name: str | None = None,
    issued_by_id: int | None = None,
    issued_at: datetime | None = None,
    addressed_holder_id: int | None = None,
    acknowledged_at: datetime | None = None,
    received_on: date | None = None,
    working_days: int | None = None,
    due_at: datetime | None = None,
    due_calendar_version: str | None = None,
    deadline_rule_code: str | None = None,
    cycle: int = 0,
    escalation_level: int | None = None,
    is_open: bool = False,
    paused_at: datetime | None = None,
    followed_up_at: datetime | None = None,
) -> dict[str, Any]:
    """Every column of a `recommendations` row but its id, as a bulk INSERT takes it: a draft from the draft's
    parts alone; issued with its letter number, issuer and day of issue; its clock with the receipt day, working
    days, due instant, calendar version and rule; then its cycle, escalation level and whether the clock runs.
    `agency_id` is the case's (the database refuses another)."""
    return {
        "case_id": case_id,
        "agency_id": agency_id,
        "sanction": sanction,
        "sanction_form": sanction_form,
        "legal_basis": legal_basis,
        "text": text,
        "drafted_by_id": drafted_by_id,
        "drafted_at": drafted_at,
        "letter_number": letter_number,
        "authority_name": authority_name,
        "issued_by_id": issued_by_id,
        "issued_at": issued_at,
        "addressed_holder_id": addressed_holder_id,
        "acknowledged_at": acknowledged_at,
        "received_on": received_on,
        "working_days": working_days,
        "due_at": due_at,
        "due_calendar_version": due_calendar_version,
        "deadline_rule_code": deadline_rule_code,
        "cycle": cycle,
        "escalation_level": escalation_level,
        "is_open": is_open,
        "paused_at": paused_at,
        "followed_up_at": followed_up_at,
    }


def _allocate_numbers(year: int, count: int) -> list[str]:
    """`count` consecutive case numbers of `year` from the shared per-year counter (row-locked until commit)."""
    last = db.session.execute(
        update(CaseCounter)
        .where(CaseCounter.year == year)
        .values(last_value=CaseCounter.last_value + count)
        .returning(CaseCounter.last_value)
    ).scalar()
    if last is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(CaseCounter).values(year=year, last_value=count))
            last = count
        except IntegrityError:  # created meanwhile by another transaction
            return _allocate_numbers(year, count)
    first = last - count + 1
    return [f"NKK-{year}-{n:06d}" for n in range(first, last + 1)]


def _history_row(
    ctx: ImportContext, case_id: int, status: str, payload: dict[str, Any], at: datetime
) -> dict[str, Any]:
    """The first history row of an imported case, chained like every other row."""
    return chained_row(
        case_id=case_id,
        seq=1,
        prev_hash=GENESIS,
        event=IMPORT_EVENT,
        from_status=None,
        to_status=status,
        actor_id=ctx.actor_id,
        actor_label=ctx.actor_label,
        payload=payload,
        created_at=at,
    )


def _escalation_steps(
    item: PreparedRow, case_id: int, rec_id: int, bodies: dict[int, str], now: datetime
) -> list[dict[str, Any]]:
    """The levels an imported recommendation had reached: recorded (the index counts them), never emailed."""
    rec = item.recommendation
    if item.escalation_level is None or rec is None:
        return []
    return [
        {
            "recommendation_id": rec_id,
            "case_id": case_id,
            "cycle": 0,
            "level": level,
            "reached_at": item.escalation_reached[level],
            "recorded_at": now,
            "due_at": rec["due_at"],
            "body": bodies[item.case["agency_id"]] if level >= 2 else None,
            "notified": False,
            "resolved_at": rec["followed_up_at"] if level >= 2 else None,
        }
        for level in range(item.escalation_level + 1)
    ]


def _assign_numbers(batch: list[PreparedRow]) -> None:
    by_year: dict[int, list[PreparedRow]] = {}
    for item in batch:
        by_year.setdefault(item.year, []).append(item)
    for year, items in sorted(by_year.items()):
        for item, number in zip(items, _allocate_numbers(year, len(items)), strict=True):
            item.case["number"] = number
            item.payload["number"] = number


def _write_batch(ctx: ImportContext, batch: list[PreparedRow], bodies: dict[int, str]) -> list[int]:
    """Insert the batch's rows (flush-level statements, a handful per batch); returns the new case ids."""
    _assign_numbers(batch)
    # executemany without RETURNING (one multi-row statement per page on every backend), then the new ids
    # by the unique reference: far cheaper than RETURNING in parameter order, which SQLite does row by row.
    # Each case is written with its person, created from the row when the NIP is new (app/models/people.py).
    cases = [item.case for item in batch]
    people = people_of(
        [(c["reported_nip"], c["reported_name"], c.get("reported_position"), c["agency_id"]) for c in cases]
    )
    for item in batch:
        item.case["person_id"] = people[normalize_nip(item.case["reported_nip"])]
    db.session.execute(insert(Case.__table__), cases)
    refs = [item.external_ref for item in batch]
    found = db.session.execute(select(Case.external_ref, Case.id).where(one_of(Case.external_ref, refs)))
    id_by_ref = dict(found.all())
    ids = [id_by_ref[ref] for ref in refs]
    recs, rec_items = [], []
    clarifications, follow_ups, history = [], [], []
    now = utcnow()
    for item, case_id in zip(batch, ids, strict=True):
        if item.recommendation is not None:
            recs.append({**item.recommendation, "case_id": case_id, "agency_id": item.case["agency_id"]})
            rec_items.append((item, case_id))
        if item.clarification is not None:
            clarifications.append({**item.clarification, "case_id": case_id})
        if item.follow_up is not None:
            follow_ups.append({**item.follow_up, "case_id": case_id})
        history.append(_history_row(ctx, case_id, item.case["status"], item.payload, now))
    steps: list[dict[str, Any]] = []
    if recs:
        db.session.execute(insert(Recommendation.__table__), recs)
        escalated = [(item, case_id) for item, case_id in rec_items if item.escalation_level is not None]
        if escalated:
            case_ids = [case_id for _, case_id in escalated]
            rec_ids = dict(
                db.session.execute(
                    select(Recommendation.case_id, Recommendation.id).where(one_of(Recommendation.case_id, case_ids))
                ).all()
            )
            for item, case_id in escalated:
                steps += _escalation_steps(item, case_id, rec_ids[case_id], bodies, now)
    for model, rows in ((Clarification, clarifications), (FollowUp, follow_ups), (EscalationStep, steps),
                        (CaseHistory, history)):  # fmt: skip
        if rows:
            db.session.execute(insert(model.__table__), rows)
    return ids


def write_new(ctx: ImportContext, batch: list[PreparedRow], bodies: dict[int, str]) -> tuple[int, list[int]]:
    """Write the batch's rows not in the database yet, in a savepoint; returns (rows skipped, new case ids).

    A unique-reference conflict means another import committed some of these rows meanwhile: the savepoint is
    rolled back and the batch written again without them. A retry is made only when more references exist than
    before, so this ends, and any other integrity error is raised."""
    refs = [item.external_ref for item in batch]
    known: set[str] | None = None
    conflict: IntegrityError | None = None
    while True:
        existing = set(db.session.scalars(select(Case.external_ref).where(one_of(Case.external_ref, refs))))
        if conflict is not None and known is not None and existing <= known:
            raise conflict
        todo = [item for item in batch if item.external_ref not in existing]
        try:
            with db.session.begin_nested():
                ids = _write_batch(ctx, todo, bodies) if todo else []
        except IntegrityError as exc:
            conflict = exc
            known = existing
            continue
        return len(batch) - len(todo), ids
