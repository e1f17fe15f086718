"""Open recommendations inserted directly (a case awaiting follow-up with its deadline), and counters."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select

from app.audit.history import Entry, append_history_many
from app.calendar.working_days import due_at_for
from app.cases.importing import recommendation_row
from app.db import db
from app.models.cases import Case, CaseHistory, Recommendation
from app.models.escalations import EscalationStep
from app.models.outbox import OutboxMessage

NIP = "198609262015051001"
_numbers = itertools.count(1)


def case_values(agency_id: int, number: str, created_by_id: int | None = None) -> dict[str, Any]:
    return {
        "number": number,
        "agency_id": agency_id,
        "category": "netralitas",
        "subcategory": "kampanye_medsos",
        "source": "bawaslu",
        "reported_name": "Budi Santoso",
        "reported_nip": NIP,
        "reported_position": "Analis Kepegawaian",
        "summary": "Mengunggah dukungan kepada bakal calon di media sosial.",
        "occurred_on": date(2026, 9, 14),
        "status": "awaiting_follow_up",
        "version": 1,
        "created_by_id": created_by_id,
        "created_at": datetime(2026, 10, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 10, 1, tzinfo=UTC),
        "issued_at": datetime(2026, 10, 1, tzinfo=UTC),
    }


def rec_values(
    case_id: int, agency_id: int, due_at: datetime, received_on: date, drafted_by_id: int | None, **kw: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "case_id": case_id,
        "agency_id": agency_id,
        "sanction": "disiplin_sedang",
        "legal_basis": "PP 94/2021 Pasal 5 huruf n",
        "text": "Menjatuhkan hukuman disiplin sedang.",
        "drafted_by_id": drafted_by_id,
        "drafted_at": datetime(2026, 10, 1, tzinfo=UTC),
        "letter_number": "R-1/KASN/10/2026",
        "issued_at": datetime(2026, 10, 1, tzinfo=UTC),
        "received_on": received_on,
        "working_days": 14,
        "due_at": due_at,
        "due_calendar_version": "test",
        "deadline_rule_code": "ppk_follow_up",
        "is_open": True,
    }
    values.update(kw)
    return recommendation_row(**values)


def open_case(
    agency: Any,
    *,
    received_on: date,
    working_days: int = 14,
    level: int | None = None,
    cycle: int = 0,
    drafter: Any | None = None,
    creator: Any | None = None,
    status: str = "awaiting_follow_up",
    is_open: bool = True,
) -> tuple[Case, Recommendation]:
    """A case awaiting follow-up with an issued recommendation, due N working days after `received_on`."""
    due_at, version = due_at_for(agency, received_on, working_days)
    case = Case(
        number=f"NKK-2026-{next(_numbers):06d}",
        agency_id=agency.id,
        category="netralitas",
        subcategory="kampanye_medsos",
        source="bawaslu",
        reported_name="Budi Santoso",
        reported_nip=NIP,
        reported_position="Analis Kepegawaian",
        summary="Mengunggah dukungan kepada bakal calon di media sosial.",
        occurred_on=date(2026, 9, 14),
        _status=status,
        created_by_id=getattr(creator, "id", None),
        issued_at=datetime.combine(received_on, datetime.min.time(), tzinfo=UTC),
    )
    db.session.add(case)
    db.session.flush()
    rec = Recommendation(
        case_id=case.id,
        agency_id=case.agency_id,
        sanction="disiplin_sedang",
        legal_basis="PP 94/2021 Pasal 5 huruf n",
        text="Menjatuhkan hukuman disiplin sedang.",
        drafted_by_id=getattr(drafter, "id", None),
        letter_number="R-1/KASN/10/2026",
        issued_at=case.issued_at,
        received_on=received_on,
        working_days=working_days,
        due_at=due_at,
        due_calendar_version=version,
        deadline_rule_code="ppk_follow_up",
        cycle=cycle,
        escalation_level=level,
        is_open=is_open,
    )
    db.session.add(rec)
    db.session.commit()
    return case, rec


def bulk_open_cases(
    agency_id: int,
    count: int,
    *,
    due_at: datetime,
    received_on: date,
    drafted_by_id: int | None,
    level: int | None = None,
    with_history: bool = False,
) -> None:
    """`count` open recommendations of one agency, all due at `due_at`, at `level` (bulk inserts, committed);
    `with_history` gives each case its creation row (what `flask audit verify` expects of every case)."""
    start = next(_numbers)
    for _ in range(count):
        next(_numbers)
    chunk = 1000
    for offset in range(0, count, chunk):
        size = min(chunk, count - offset)
        rows = [case_values(agency_id, f"NKK-2026-{start + offset + i:06d}") for i in range(size)]
        ids = db.session.scalars(insert(Case.__table__).returning(Case.__table__.c.id), rows).all()
        db.session.execute(
            insert(Recommendation.__table__),
            [
                rec_values(case_id, agency_id, due_at, received_on, drafted_by_id, escalation_level=level)
                for case_id in ids
            ],
        )
        if with_history:
            append_history_many([Entry(case_id, "create", None, "awaiting_follow_up") for case_id in ids])
    db.session.commit()


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def steps_of(rec_id: int) -> list[tuple[int, int, bool]]:
    rows = db.session.execute(
        select(EscalationStep.cycle, EscalationStep.level, EscalationStep.notified)
        .where(EscalationStep.recommendation_id == rec_id)
        .order_by(EscalationStep.cycle, EscalationStep.level)
    ).all()
    return [tuple(r) for r in rows]


def emails_of(case_id: int) -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(OutboxMessage.kind, OutboxMessage.recipient)
        .where(OutboxMessage.case_id == case_id)
        .order_by(OutboxMessage.kind, OutboxMessage.recipient)
    ).all()
    return [tuple(r) for r in rows]


def history_of(case_id: int) -> list[CaseHistory]:
    return list(db.session.scalars(select(CaseHistory).where(CaseHistory.case_id == case_id).order_by(CaseHistory.seq)))
