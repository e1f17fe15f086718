"""One event, many civil servants; election periods as data.

An event (a campaign rally, a post, a meeting) groups cases, each with its own reported person, agency and
recommendation. Drafting and issuing run for the whole group in one action and one transaction, but each case
through its own workflow (`workflows.fire`: its role, state, guards — four eyes — history and emails); a case that
cannot take the action is skipped with the reason, the others go on. The event's page shows each PPK's follow-up.

Elections (Pemilu, Pilkada serentak, per region where it applies, with stages) are rows an administrator keeps; a
neutrality case is linked to one (a report received during a period is linked on acceptance; by hand:
app/cases/elections.py, `link_election`, named here too for the intake's callers).
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, select

from app.cases import access
from app.cases.elections import election_summary
from app.cases.elections import link_election as link_election  # the by-hand link, beside the intake's
from app.core.states import STATUS_LABELS, CaseEvent, CaseStatus
from app.db import db, get_row
from app.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.intake.schemas import ElectionIn, IncidentEventActionIn, IncidentEventCasesIn, IncidentEventIn
from app.intake.services import load
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case, FollowUp, Recommendation
from app.models.intake import CaseElection, Election, ElectionStage, EventCase, IncidentEvent
from workflows import TRANSITIONS, fire

# -- elections -------------------------------------------------------------------------------------------------------


def election_out(election: Election) -> dict[str, Any]:
    stages = db.session.scalars(
        select(ElectionStage).where(ElectionStage.election_id == election.id).order_by(ElectionStage.starts_on)
    )
    return {
        **election_summary(election),
        "verify_days": election.verify_days,
        "stages": [{"name": s.name, "starts_on": s.starts_on, "ends_on": s.ends_on} for s in stages],
    }


def list_elections() -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Election).order_by(Election.starts_on.desc(), Election.id.desc()))
    return [election_out(e) for e in rows]


def create_election(data: Any, actor: User) -> Election:
    if actor.role != "admin":
        raise Forbidden("Hanya administrator yang mengelola data pemilihan.")
    clean = load(ElectionIn(), data, "Data pemilihan tidak valid.")
    if db.session.scalar(select(Election.id).where(Election.name == clean["name"])) is not None:
        raise ValidationFailed("Nama pemilihan sudah ada.", details={"fields": {"name": ["Nama pemilihan sudah ada."]}})
    election = Election(
        name=clean["name"],
        kind=clean["kind"],
        region=clean.get("region"),
        starts_on=clean["starts_on"],
        ends_on=clean["ends_on"],
        verify_days=clean["verify_days"],
    )
    db.session.add(election)
    db.session.flush()
    for stage in clean["stages"]:
        db.session.add(ElectionStage(election_id=election.id, **stage))
    db.session.flush()
    return election


def election_cases(election_id: int) -> list[dict[str, Any]]:
    if get_row(Election, election_id) is None:
        raise NotFound("Pemilihan tidak ditemukan.")
    ids = list(db.session.scalars(select(CaseElection.case_id).where(CaseElection.election_id == election_id)))
    return _cases_out(ids)


# -- events ------------------------------------------------------------------------------------------------------------


def list_events(limit: int = 200) -> list[dict[str, Any]]:
    """The latest events, newest first, with how many cases each groups."""
    count = func.count(EventCase.case_id)
    rows = db.session.execute(
        select(IncidentEvent, count)
        .outerjoin(EventCase, EventCase.event_id == IncidentEvent.id)
        .group_by(IncidentEvent.id)
        .order_by(IncidentEvent.occurred_on.desc(), IncidentEvent.id.desc())
        .limit(limit)
    ).all()
    return [
        {"id": e.id, "title": e.title, "occurred_on": e.occurred_on, "place": e.place, "cases": int(n)} for e, n in rows
    ]


def case_ids_by_numbers(text: str, field: str = "case_numbers") -> list[int]:
    """The ids of the cases numbered in `text` (separated by spaces, commas or lines; case ignored), in order,
    each once; one unknown number refuses them all, naming it (422 on `field`)."""
    numbers = list(dict.fromkeys(n.upper() for n in re.split(r"[\s,;]+", text or "") if n))
    if not numbers:
        return []
    found = {n: i for n, i in db.session.execute(select(Case.number, Case.id).where(Case.number.in_(numbers)))}
    missing = [n for n in numbers if n not in found]
    if missing:
        message = f"Nomor perkara tidak ditemukan: {', '.join(missing)}."
        raise ValidationFailed(message, details={"fields": {field: [message]}})
    return [int(found[n]) for n in numbers]


def action_preview(event: IncidentEvent, action: CaseEvent, actor: User) -> list[dict[str, Any]]:
    """Each case of the event and whether `actor` can take `action` on it now, and when not why — the
    workflow's own rules (role, state, guards such as four eyes), read without changing anything."""
    transition = TRANSITIONS[action]
    sources = set(transition.sources)
    if action == CaseEvent.DRAFT_RECOMMENDATION:
        sources.add(CaseStatus.REPORTED)  # the group action starts the review first
    ids = _event_case_ids(event)
    cases = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
    out = []
    for row in _cases_out(ids):
        case = cases[row["case_id"]]
        reason = None
        if actor.role not in transition.roles:
            reason = "Peran Anda tidak dapat melakukan tindakan ini."
        elif CaseStatus(case.status) not in sources:
            reason = f"Status perkara \u201c{row['status_label']}\u201d: tindakan ini tidak berlaku."
        else:
            for guard in transition.guards:
                error = guard(case, actor, {})
                if error is not None:
                    reason = error.message
                    break
        out.append({**row, "can": reason is None, "reason": reason})
    return out


def check_draft(payload: dict[str, Any]) -> None:
    """The same drafting fields for every case (the event page's form) checked by the workflow's own schema before
    any case is touched: 422 naming each bad field, rather than every case refused for the same reason."""
    try:
        TRANSITIONS[CaseEvent.DRAFT_RECOMMENDATION].schema().load(payload)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationFailed("Data draf rekomendasi tidak valid.", details={"fields": messages}) from exc


def event_for(event_id: int) -> IncidentEvent:
    event = get_row(IncidentEvent, event_id)
    if event is None:
        raise NotFound("Peristiwa tidak ditemukan.")
    return event


def _check_cases(case_ids: list[int], event_id: int | None) -> list[Case]:
    cases = list(db.session.scalars(select(Case).where(Case.id.in_(case_ids)))) if case_ids else []
    missing = sorted(set(case_ids) - {c.id for c in cases})
    if missing:
        raise ValidationFailed(
            "Perkara tidak ditemukan.", details={"fields": {"case_ids": [f"Perkara tidak ditemukan: {missing}"]}}
        )
    taken = db.session.execute(
        select(EventCase.case_id, EventCase.event_id).where(EventCase.case_id.in_(case_ids))
    ).all()
    elsewhere = [case_id for case_id, other in taken if other != event_id]
    if elsewhere:
        numbers = [c.number for c in cases if c.id in elsewhere]
        message = f"Perkara sudah termasuk peristiwa lain: {', '.join(numbers)}."
        raise ValidationFailed(message, details={"fields": {"case_ids": [message]}})
    return cases


def create_event(data: Any, actor: User) -> IncidentEvent:
    if not access.may_triage(actor):
        raise Forbidden("Hanya penyelidik atau komisioner yang mengelompokkan perkara.")
    clean = load(IncidentEventIn(), data, "Data peristiwa tidak valid.")
    if clean["election_id"] is not None and get_row(Election, clean["election_id"]) is None:
        raise ValidationFailed("Pemilihan tidak ditemukan.", details={"fields": {"election_id": ["tidak ditemukan"]}})
    cases = _check_cases(clean["case_ids"], None)
    event = IncidentEvent(
        title=clean["title"],
        occurred_on=clean["occurred_on"],
        place=clean.get("place"),
        description=clean.get("description"),
        election_id=clean.get("election_id"),
        created_by_id=actor.id,
    )
    db.session.add(event)
    db.session.flush()
    for case in cases:
        db.session.add(EventCase(case_id=case.id, event_id=event.id))
    db.session.flush()
    return event


def add_cases(event: IncidentEvent, data: Any, actor: User) -> IncidentEvent:
    if not access.may_triage(actor):
        raise Forbidden("Hanya penyelidik atau komisioner yang mengelompokkan perkara.")
    clean = load(IncidentEventCasesIn(), data, "Data tidak valid.")
    present = set(db.session.scalars(select(EventCase.case_id).where(EventCase.event_id == event.id)))
    for case in _check_cases(clean["case_ids"], event.id):
        if case.id not in present:
            db.session.add(EventCase(case_id=case.id, event_id=event.id))
    db.session.flush()
    return event


def _event_case_ids(event: IncidentEvent) -> list[int]:
    return list(
        db.session.scalars(select(EventCase.case_id).where(EventCase.event_id == event.id).order_by(EventCase.case_id))
    )


def _cases_out(case_ids: list[int]) -> list[dict[str, Any]]:
    if not case_ids:
        return []
    rows = db.session.execute(
        select(Case, Agency.name, Recommendation)
        .join(Agency, Agency.id == Case.agency_id)
        .outerjoin(Recommendation, Recommendation.case_id == Case.id)
        .where(Case.id.in_(case_ids))
        .order_by(Case.id)
    ).all()
    follow_ups: dict[int, FollowUp] = {}
    for row in db.session.scalars(select(FollowUp).where(FollowUp.case_id.in_(case_ids)).order_by(FollowUp.id)):
        follow_ups[row.case_id] = row  # the latest
    out = []
    for case, agency_name, rec in rows:
        latest = follow_ups.get(case.id)
        out.append(
            {
                "case_id": case.id,
                "number": case.number,
                "reported_name": case.reported_name,
                "agency": agency_name,
                "status": case.status,
                "status_label": STATUS_LABELS[CaseStatus(case.status)],
                "recommendation_letter": rec.letter_number if rec is not None and rec.issued_at is not None else None,
                "due_at": rec.due_at if rec is not None and rec.issued_at is not None else None,
                "follow_up": (
                    {
                        "decision_number": latest.decision_number,
                        "decision_date": latest.decision_date.isoformat(),
                        "sanction_imposed": latest.sanction_imposed,
                        "is_late": latest.is_late,
                        "is_lighter": latest.is_lighter,
                        "verdict": latest.verdict,
                    }
                    if latest is not None
                    else None
                ),
            }
        )
    return out


def event_out(event: IncidentEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "title": event.title,
        "occurred_on": event.occurred_on,
        "place": event.place,
        "description": event.description,
        "election_id": event.election_id,
        "cases": _cases_out(_event_case_ids(event)),
    }


def group_action(event: IncidentEvent, data: Any, actor: User) -> tuple[list[int], list[dict[str, Any]]]:
    """Fire `draft_recommendation` (after `start_review` for a case just reported) or `issue_recommendation` on
    every case of the event that can take it, each in a savepoint: (done case ids, skipped with their reasons).
    Flushes; the caller commits the whole group."""
    clean = load(IncidentEventActionIn(), data, "Data tindakan kelompok tidak valid.")
    event_name = CaseEvent(clean["event"])
    shared = {k: clean[k] for k in ("sanction", "sanction_form", "legal_basis", "text") if clean.get(k) is not None}
    done: list[int] = []
    skipped: list[dict[str, Any]] = []
    cases = list(db.session.scalars(select(Case).where(Case.id.in_(_event_case_ids(event))).order_by(Case.id)))
    for case in cases:
        payload = (
            {**shared, **(clean["per_case"].get(str(case.id)) or {})}
            if event_name == CaseEvent.DRAFT_RECOMMENDATION
            else {}
        )
        try:
            with db.session.begin_nested():
                if event_name == CaseEvent.DRAFT_RECOMMENDATION and case.status == CaseStatus.REPORTED.value:
                    fire(case, CaseEvent.START_REVIEW, actor, {})
                fire(case, event_name, actor, payload)
            done.append(case.id)
        except DomainError as exc:
            db.session.expire(case)
            skipped.append({"case_id": case.id, "number": case.number, "code": exc.code, "reason": exc.message})
    return done, skipped
