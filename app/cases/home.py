"""What each role sees first: the cases waiting for them, most urgent first, from the same scoped queries and order
as the case list page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from app.agencies.authority import role_labels
from app.cases import access, listing, services
from app.core.clock import utcnow
from app.core.states import TERMINAL_STATUSES, CaseStatus
from app.core.vocab import Role
from app.db import db
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case, Recommendation
from app.models.escalations import EscalationStep
from app.web.filters import label
from notifications.services import STATUS_LABELS as OUTBOX_STATUS_LABELS
from notifications.services import outbox_counts

LIMIT = 20


@dataclass
class Section:
    key: str
    title: str
    template: str
    items: list[dict[str, Any]] = field(default_factory=list)
    more_url: dict[str, Any] | None = None
    empty: str = ""


def _cases(user: User, **filters: Any) -> list[dict[str, Any]]:
    items, _ = listing.list_page(user, filters, sort=listing.URGENCY, limit=LIMIT)
    return items


def _my_open_cases(user: User) -> list[dict[str, Any]]:
    open_statuses = [s.value for s in CaseStatus if s not in TERMINAL_STATUSES]
    rows = db.session.execute(
        access.scoped_cases(user)
        .add_columns(Agency, Recommendation)
        .join(Agency, Agency.id == Case.agency_id)
        .outerjoin(Recommendation, Recommendation.case_id == Case.id)
        .where(Case.assignee_id == user.id, Case._status.in_(open_statuses))
        .order_by(*listing.sort_order(listing.URGENCY, False))
        .limit(LIMIT)
    ).all()
    now = utcnow()
    return [listing.case_summary(case, agency, rec, now) for case, agency, rec in rows]


def _waiting_for_follow_up(user: User) -> list[dict[str, Any]]:
    """The PPK's open recommendations with working days left (or late), most urgent first."""
    statuses = [CaseStatus.AWAITING_FOLLOW_UP.value, CaseStatus.CLARIFICATION_REQUESTED.value]
    rows = db.session.execute(
        access.scoped_cases(user)
        .add_columns(Agency, Recommendation)
        .join(Agency, Agency.id == Case.agency_id)
        .join(Recommendation, Recommendation.case_id == Case.id)
        .where(Case._status.in_(statuses))
        .order_by(Recommendation.due_at.asc().nulls_last(), Case.id)
        .limit(LIMIT)
    ).all()
    now = utcnow()
    items = []
    for case, agency, rec in rows:
        item = listing.case_summary(case, agency, rec, now)
        item.update(services.deadline_status(case, agency, rec, now))
        item["urgency"] = _urgency(item)
        items.append(item)
    return items


def _urgency(item: dict[str, Any]) -> str:
    if item.get("overdue"):
        return "danger"
    left = item.get("working_days_left")
    if left is not None and left <= 3:
        return "warning"
    return "success"


def _escalations_this_week(user: User) -> list[dict[str, Any]]:
    since = utcnow() - timedelta(days=7)
    visible = access.scoped_cases(user).with_only_columns(Case.id)
    rows = db.session.execute(
        select(EscalationStep, Case, Agency)
        .join(Case, Case.id == EscalationStep.case_id)
        .join(Agency, Agency.id == Case.agency_id)
        .where(EscalationStep.reached_at >= since, EscalationStep.level >= 1, Case.id.in_(visible))
        .order_by(EscalationStep.reached_at.desc())
        .limit(LIMIT)
    ).all()
    return [
        {
            "id": case.id,
            "number": case.number,
            "agency": agency.name,
            "timezone": agency.timezone,
            "level": step.level,
            "reached_at": step.reached_at,
            "body": step.body,
            "status": case.status,
        }
        for step, case, agency in rows
    ]


def _admin_overview() -> list[dict[str, Any]]:
    counts = outbox_counts()
    # The home page prints `status` as it is: the state in words, never the outbox's key (dead, pending, sent).
    return [{"status": label(OUTBOX_STATUS_LABELS, k), "count": v} for k, v in sorted(counts.items())]


def _drafts(user: User) -> list[Section]:
    """The drafts waiting to be issued; those the commissioner drafted himself apart, saying why another official
    issues them (the four-eyes rule, workflows/guards.py), instead of listing drafts he may not issue."""
    drafts = _cases(user, status=CaseStatus.RECOMMENDATION_DRAFTED.value)
    ids = [item["id"] for item in drafts]
    own = set(
        db.session.scalars(
            select(Recommendation.case_id).where(
                Recommendation.case_id.in_(ids), Recommendation.drafted_by_id == user.id
            )
        )
        if ids
        else ()
    )
    status = {"status": CaseStatus.RECOMMENDATION_DRAFTED.value}
    sections = [
        Section(
            "drafts",
            gettext("Draf rekomendasi menunggu diterbitkan"),
            "home/_cases.html",
            [item for item in drafts if item["id"] not in own],
            status,
        )
    ]
    if own:
        signer = label(role_labels(), Role.COMMISSIONER.value).lower()
        title = gettext(
            "Draf yang Anda susun sendiri: diterbitkan oleh %(signer)s lain (prinsip empat mata)", signer=signer
        )
        sections.append(Section("own-drafts", title, "home/_cases.html", [i for i in drafts if i["id"] in own]))
    return sections


def home_context(user: User) -> dict[str, Any]:
    sections: list[Section] = []
    role = Role(user.role)
    if role == Role.INVESTIGATOR:
        sections += [
            Section("mine", gettext("Perkara terbuka yang saya tangani"), "home/_cases.html", _my_open_cases(user)),
            Section(
                "review",
                gettext("Tindak lanjut menunggu penilaian"),
                "home/_cases.html",
                _cases(user, status=CaseStatus.FOLLOW_UP_REPORTED.value),
                {"status": CaseStatus.FOLLOW_UP_REPORTED.value},
            ),
            Section(
                "overdue", gettext("Lewat tenggat"), "home/_cases.html", _cases(user, overdue=True), {"overdue": "true"}
            ),
        ]
    elif role == Role.COMMISSIONER:
        sections += _drafts(user)
        sections += [
            Section(
                "escalations", gettext("Eskalasi minggu ini"), "home/_escalations.html", _escalations_this_week(user)
            ),
            Section(
                "review",
                gettext("Tindak lanjut menunggu penilaian"),
                "home/_cases.html",
                _cases(user, status=CaseStatus.FOLLOW_UP_REPORTED.value),
                {"status": CaseStatus.FOLLOW_UP_REPORTED.value},
            ),
        ]
    elif role == Role.PPK:
        sections.append(
            Section(
                "follow_up",
                gettext("Rekomendasi menunggu tindak lanjut Anda"),
                "home/_follow_up.html",
                _waiting_for_follow_up(user),
            )
        )
    elif role == Role.OVERSEER:
        sections.append(
            Section(
                "escalated",
                gettext("Perkara yang dieskalasi ke kementerian Anda"),
                "home/_cases.html",
                _cases(user),
                {},
            )
        )
    elif role == Role.ADMIN:
        sections.append(Section("admin", gettext("Administrasi"), "home/_admin.html", _admin_overview()))
    return {"user": user, "sections": sections}
