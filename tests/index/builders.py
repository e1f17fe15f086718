"""Hand-made enforcement records for the index tests, written straight into the tables."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.db import db
from app.index.stages import Stage
from app.models.agencies import Agency
from app.models.cases import Case, Clarification, FollowUp, Recommendation
from app.models.escalations import EscalationStep
from app.models.index import SelfAssessment

_numbers = itertools.count(1)


def at(year: int, month: int, day: int, hour: int = 3) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def issue(
    agency: Agency,
    issued_at: datetime,
    *,
    status: str = "awaiting_follow_up",
    due_in_days: int = 20,
    sanction: str = "disiplin_sedang",
    follow_up: dict[str, Any] | None = None,
    escalations: tuple[int, ...] = (),
    clarification: bool = False,
) -> Case:
    """One case whose recommendation was issued to `agency` at `issued_at`.

    `follow_up`: {"after_days": n, "working_days": wd, "imposed": sanction, "verdict": "accepted"|None}.
    With an accepted follow-up the case is `completed`; `is_late` and `is_lighter` are left to the caller
    (keys "is_late", "is_lighter") or default to False, as data entered by hand may be.
    """
    n = next(_numbers)
    close_reason = "ASN telah pensiun" if status == "closed" else None
    case = Case(
        number=f"NKK-{issued_at.year}-{n:06d}",
        agency_id=agency.id,
        category="netralitas",
        source="bawaslu",
        reported_name=f"Terlapor {n}",
        reported_nip="198609262015051001",
        summary="Mengunggah foto bersama bakal calon dengan simbol tangan.",
        occurred_on=date(issued_at.year, 1, 1) if issued_at.month > 1 else issued_at.date(),
        _status=status,
        close_reason=close_reason,
        issued_at=issued_at,
    )
    db.session.add(case)
    db.session.flush()
    due_at = issued_at + timedelta(days=due_in_days)
    rec = Recommendation(
        case_id=case.id,
        agency_id=case.agency_id,
        sanction=sanction,
        legal_basis="PP 94/2021 Pasal 5 huruf n",
        text="Menjatuhkan hukuman disiplin.",
        letter_number=f"R-{n}/KASN/2026",
        issued_at=issued_at,
        received_on=issued_at.date(),
        working_days=14,
        due_at=due_at,
        is_open=status == "awaiting_follow_up",
        escalation_level=max(escalations) if escalations else None,
    )
    db.session.add(rec)
    db.session.flush()
    if follow_up is not None:
        reported_at = issued_at + timedelta(days=follow_up.get("after_days", 10))
        db.session.add(
            FollowUp(
                case_id=case.id,
                decision_number=f"SK {n}/2026",
                decision_date=reported_at.date(),
                sanction_imposed=follow_up.get("imposed", sanction),
                is_lighter=follow_up.get("is_lighter", False),
                is_late=follow_up.get("is_late", False),
                working_days_taken=follow_up.get("working_days"),
                reported_at=reported_at,
                verdict=follow_up.get("verdict", "accepted"),
            )
        )
        rec.followed_up_at = reported_at
        rec.is_open = False
    for level in escalations:
        reached = due_at + timedelta(days=2 + 7 * level)
        db.session.add(
            EscalationStep(
                recommendation_id=rec.id, case_id=case.id, cycle=0, level=level, reached_at=reached, due_at=reached
            )
        )
    if clarification:
        db.session.add(
            Clarification(case_id=case.id, letter_number=f"800/{n}/BKD", reason="Fakta berbeda", requested_at=issued_at)
        )
    db.session.commit()
    return case


def followed(agency: Agency, issued_at: datetime, working_days: int = 6, **kw: Any) -> Case:
    """A recommendation followed up (and accepted) on time."""
    after = kw.pop("after_days", working_days + 2)
    return issue(
        agency, issued_at, status="completed", follow_up={"after_days": after, "working_days": working_days, **kw}
    )


def answer_all(agency: Agency, year: int, score: float, *, method: Any, overrides: dict[str, float] | None = None,
               verified: dict[str, float] | None = None) -> None:  # fmt: skip
    """Self-assessment answers for every self-assessed sub-criterion (optionally some verified)."""
    overrides = overrides or {}
    verified = verified or {}
    for key in method.self_assessed():
        db.session.add(
            SelfAssessment(
                agency_id=agency.id,
                year=year,
                criterion=method.subcriteria[key]["criterion"],
                subcriterion=key,
                self_score=overrides.get(key, score),
                verified_score=verified.get(key),
                stage=Stage.VERIFICATION if key in verified else Stage.SELF_ASSESSMENT,
            )
        )
    db.session.commit()
