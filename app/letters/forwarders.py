"""What a Bawaslu office that forwarded a report is told about it: an email when a recommendation is issued on
the case its report became or joined, and when the PPK reports the follow-up. The email says the tracking code,
the status in plain words and where to read it: nothing of the case itself (no case number, person, agency,
sanction or staff), since a forwarder sees nothing of cases beyond the status of what it forwarded."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.db import db
from app.letters.mail import CaseEmail
from app.models.auth import User
from app.models.cases import Case
from app.models.intake import IntakeReport

# The email kind of each moment a forwarder is told of, and the status it announces (app/intake/tracking.py words).
NOTICES = {
    "forwarded_recommendation_issued": "Rekomendasi diterbitkan",
    "forwarded_followed_up": "Sudah ditindaklanjuti",
}


def forwarder_notices(case: Case, kind: str) -> list[CaseEmail]:
    """One email of `kind` per forwarded report that became or joined `case`, to its office's address; keyed by
    the report and the case's version before the event, so a retried event queues it once."""
    rows = db.session.execute(
        select(IntakeReport.id, IntakeReport.tracking_code, User.email)
        .join(User, User.id == IntakeReport.forwarder_id)
        .where(IntakeReport.case_id == case.id, IntakeReport.channel == "forwarder", User.is_active.is_(True))
        .order_by(IntakeReport.id)
    ).all()
    base_url = str(current_app.config.get("BASE_URL", "")).rstrip("/")
    return [
        CaseEmail(
            kind,
            None,
            [email],
            f"{kind}:report-{report_id}:v{case.version}",
            {"tracking_code": code, "status_label": NOTICES[kind], "tracking_link": f"{base_url}/lacak/{code}"},
        )
        for report_id, code, email in rows
    ]
