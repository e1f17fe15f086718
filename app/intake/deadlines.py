"""The verification deadline of a report received during an election period (`verify_due_at`, set on arrival:
the period's `verify_days` after receipt, 7 by default — the Satgas Netralitas verifies within at most 7 days
under the 2022 SKB procedure), tracked and escalated inside the authority like the follow-up deadline: once it
passes with the report still waiting, the signing officials are emailed (one email per run naming every report
that became late, through the outbox) and the report is marked escalated, so it is told once. Run by the scheduler
(`intake_verification`) in its own transaction (`run_job` commits)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.core.vocab import Role
from app.db import db, on_postgresql
from app.i18n import format_instant
from app.letters.mail import enqueue
from app.models.auth import User
from app.models.intake import IntakeReport

BATCH = 500
OPEN_STATUSES = ("received", "verifying")


def escalate_late_verifications(now: datetime) -> int:
    """Email the signing officials about the waiting reports whose verification is past due and not yet told;
    returns how many reports. Flushes."""
    stmt = (
        select(IntakeReport)
        .where(
            IntakeReport.status.in_(OPEN_STATUSES),
            IntakeReport.verify_due_at < now,
            IntakeReport.verify_escalated_at.is_(None),
        )
        .order_by(IntakeReport.verify_due_at, IntakeReport.id)
        .limit(BATCH)
    )
    if on_postgresql():
        stmt = stmt.with_for_update(skip_locked=True)  # two schedulers never tell the same report twice
    reports = list(db.session.scalars(stmt))
    if not reports:
        return 0
    recipients = sorted(
        db.session.scalars(select(User.email).where(User.role == Role.COMMISSIONER, User.is_active.is_(True)))
    )
    base_url = str(current_app.config.get("BASE_URL", "")).rstrip("/")
    items: list[dict[str, Any]] = [
        {
            "tracking_code": r.tracking_code,
            "received": format_instant(r.created_at, None, locale="id"),
            "due": format_instant(r.verify_due_at, None, locale="id"),
            "link": f"{base_url}/intake/{r.id}",
        }
        for r in reports
    ]
    if not recipients:  # nobody to tell yet: the reports stay due, and the next run tells them
        return 0
    key = f"intake_verification_late:{reports[0].id}:{reports[-1].id}:{len(reports)}:{now.isoformat()}"
    enqueue("intake_verification_late", case=None, recipients=recipients, key=key, extra={"reports": items})
    for report in reports:
        report.verify_escalated_at = now
    db.session.flush()
    return len(reports)
