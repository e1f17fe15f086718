"""Build cases in any state through the real workflow (no shortcuts into the tables)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.cases.services import add_attachment, create_case
from app.core.states import CaseEvent, CaseStatus
from app.extensions import db
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case
from tests.factories import make_agency, make_user
from workflows import fire

E = CaseEvent
S = CaseStatus

SAMPLE_PAYLOADS: dict[CaseEvent, dict[str, Any]] = {
    E.START_REVIEW: {},
    E.DISMISS: {"reason": "Tidak terbukti setelah klarifikasi."},
    E.DRAFT_RECOMMENDATION: {
        "sanction": "disiplin_sedang",
        "sanction_form": "potong_tpp_25_6",
        "legal_basis": "PP 94/2021 Pasal 5 huruf n; SKB 2/2022",
        "text": "Menjatuhkan hukuman disiplin sedang berupa pemotongan tunjangan kinerja.",
    },
    E.ISSUE_RECOMMENDATION: {"letter_number": "R-1194/KASN/4/2026"},
    E.ACKNOWLEDGE: {},
    E.RECORD_RECEIPT: {"received_on": None},  # filled with the issue day by the tests
    E.EXTEND_DEADLINE: {"working_days": 5, "reason": "Permohonan PPK", "letter_number": "B-77/KASN/2026"},
    E.REQUEST_CLARIFICATION: {"letter_number": "800/123/BKD", "reason": "Fakta berbeda"},
    E.ANSWER_CLARIFICATION: {"outcome": "upheld", "letter_number": "B-1895/JP.01/05/2026"},
    E.REPORT_FOLLOW_UP: {
        "decision_number": "SK 862/45/2026",
        "decision_date": "2026-11-02",
        "sanction_imposed": "disiplin_sedang",
    },
    E.ACCEPT_FOLLOW_UP: {},
    E.REJECT_FOLLOW_UP: {"reason": "SK tidak sesuai rekomendasi"},
    E.CLOSE: {"reason": "ASN telah pensiun"},
}

# The shortest path of events from `reported` to each state.
PATHS: dict[CaseStatus, list[CaseEvent]] = {
    S.REPORTED: [],
    S.UNDER_REVIEW: [E.START_REVIEW],
    S.DISMISSED: [E.START_REVIEW, E.DISMISS],
    S.RECOMMENDATION_DRAFTED: [E.START_REVIEW, E.DRAFT_RECOMMENDATION],
    S.AWAITING_FOLLOW_UP: [E.START_REVIEW, E.DRAFT_RECOMMENDATION, E.ISSUE_RECOMMENDATION],
    S.CLARIFICATION_REQUESTED: [
        E.START_REVIEW,
        E.DRAFT_RECOMMENDATION,
        E.ISSUE_RECOMMENDATION,
        E.REQUEST_CLARIFICATION,
    ],
    S.FOLLOW_UP_REPORTED: [E.START_REVIEW, E.DRAFT_RECOMMENDATION, E.ISSUE_RECOMMENDATION, E.REPORT_FOLLOW_UP],
    S.COMPLETED: [
        E.START_REVIEW,
        E.DRAFT_RECOMMENDATION,
        E.ISSUE_RECOMMENDATION,
        E.REPORT_FOLLOW_UP,
        E.ACCEPT_FOLLOW_UP,
    ],
    S.CLOSED: [E.CLOSE],
}

NIPS = ["198609262015051001", "197001011995031002", "198512122010122003", "199003032019031004"]


@dataclass
class Cast:
    """Everyone who acts on a case of `agency`."""

    agency: Agency
    other_agency: Agency
    investigator: User
    commissioner: User
    commissioner2: User
    ppk: User
    other_ppk: User
    overseer: User
    admin: User

    def actor_for(self, event: CaseEvent) -> User:
        if event in (E.ISSUE_RECOMMENDATION,):
            return self.commissioner2
        if event in (E.DISMISS, E.EXTEND_DEADLINE, E.ANSWER_CLARIFICATION, E.CLOSE):
            return self.commissioner
        if event in (E.ACKNOWLEDGE, E.REQUEST_CLARIFICATION, E.REPORT_FOLLOW_UP):
            return self.ppk
        return self.investigator

    def user(self, role: str) -> User:
        return {
            "investigator": self.investigator,
            "commissioner": self.commissioner,
            "ppk": self.ppk,
            "overseer": self.overseer,
            "admin": self.admin,
        }[role]


def make_cast(kind: str = "kementerian", timezone: str = "Asia/Jakarta") -> Cast:
    agency = make_agency(kind=kind, timezone=timezone)
    other = make_agency()
    return Cast(
        agency=agency,
        other_agency=other,
        investigator=make_user("investigator"),
        commissioner=make_user("commissioner"),
        commissioner2=make_user("commissioner"),
        ppk=make_user("ppk", agency=agency),
        other_ppk=make_user("ppk", agency=other),
        overseer=make_user("overseer", body="menpanrb"),
        admin=make_user("admin"),
    )


def new_case_payload(agency_id: int, **kw: Any) -> dict[str, Any]:
    payload = {
        "agency_id": agency_id,
        "category": "netralitas",
        "subcategory": "kampanye_medsos",
        "source": "bawaslu",
        "reported_person": {"name": "Budi Santoso", "nip": NIPS[0], "position": "Analis Kepegawaian"},
        "summary": "Mengunggah dukungan kepada bakal calon di media sosial.",
        "occurred_on": "2026-09-14",
        "reporter": {"name": "Siti Pelapor", "contact": "siti@example.org"},
    }
    payload.update(kw)
    return payload


def payload_for(case: Case, event: CaseEvent) -> dict[str, Any]:
    payload = dict(SAMPLE_PAYLOADS[event])
    if event == E.RECORD_RECEIPT:
        from sqlalchemy import select

        from app.calendar.working_days import local_today
        from app.models.cases import Recommendation

        rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
        agency = db.session.get(Agency, case.agency_id)
        issued = rec.issued_at if rec is not None and rec.issued_at is not None else None
        payload["received_on"] = (local_today(agency, issued) if issued else date.today()).isoformat()
    if event == E.REPORT_FOLLOW_UP:
        payload["decision_date"] = date.today().isoformat()
    return payload


def case_in(cast: Cast, status: CaseStatus, **case_kw: Any) -> Case:
    """A committed case of cast.agency in `status`, reached through the workflow."""
    case = create_case(new_case_payload(cast.agency.id, **case_kw), cast.investigator)
    db.session.commit()
    for event in PATHS[status]:
        fire(case, event, cast.actor_for(event), payload_for(case, event), expected_version=case.version)
        db.session.commit()
    assert case.status == status.value
    return case


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(
    case: Case, actor: User, purpose: str = "follow_up", name: str = "sk.pdf", content: bytes = PDF_BYTES
) -> Any:
    from werkzeug.datastructures import FileStorage

    attachment = add_attachment(case, FileStorage(io.BytesIO(content), filename=name), actor, purpose)
    db.session.commit()
    return attachment
