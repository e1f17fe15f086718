"""The one factory of each thing the tests build: agencies and users, the cast of people around a case, the
payload of a new case, a case in any state (reached through the real workflow, no shortcuts into the tables),
an uploaded file, and the CSRF token of a page. Bound to db.session; each commits so other connections see
the rows."""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import time_machine
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.auth.services import hash_password, issue_token
from app.calendar.working_days import local_today
from app.cases.attachments import add_attachment
from app.cases.services import create_case
from app.core.states import CaseEvent, CaseStatus
from app.db import db
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Attachment, Case, Recommendation
from workflows import fire

E = CaseEvent
S = CaseStatus

PASSWORD = "kata-sandi-uji-123"  # noqa: S105
_seq = itertools.count(1)
_HASH: dict[str, str] = {}


# -- agencies and users -----------------------------------------------------------------------------------------


def _password_hash() -> str:
    if PASSWORD not in _HASH:
        _HASH[PASSWORD] = hash_password(PASSWORD)
    return _HASH[PASSWORD]


def make_agency(**kw: Any) -> Agency:
    n = next(_seq)
    values: dict[str, Any] = {
        "code": f"AG{n:04d}",
        "name": f"Instansi Uji {n}",
        "kind": "kementerian",
        "timezone": "Asia/Jakarta",
        "ppk_title": "Menteri",
        "ppk_email": f"ppk{n}@instansi.go.id",
    }
    values.update(kw)
    agency = Agency(**values)
    db.session.add(agency)
    db.session.commit()
    return agency


def make_user(role: str = "investigator", **kw: Any) -> User:
    n = next(_seq)
    values: dict[str, Any] = {
        "email": f"{role}{n}@tindak.test",
        "name": f"{role.title()} {n}",
        "password_hash": _password_hash(),
        "role": role,
    }
    if role == "ppk" and "agency_id" not in kw and "agency" not in kw:
        values["agency_id"] = make_agency().id
    if role == "overseer" and "body" not in kw:
        values["body"] = "menpanrb"
    if "agency" in kw:
        kw["agency_id"] = kw.pop("agency").id
    values.update(kw)
    user = User(**values)
    db.session.add(user)
    db.session.commit()
    return user


# -- the cast: everyone who acts on a case ------------------------------------------------------------------------

ROLES = ("investigator", "commissioner", "ppk", "overseer", "admin")


@dataclass
class Cast:
    """Everyone who acts on a case of `agency`, and the PPK of `other_agency`, who must see nothing of it.

    A test keeps here, when it needs them, the cases it built (`cases`) and a bearer token per role (`tokens`,
    see `issue_tokens`)."""

    agency: Agency
    other_agency: Agency
    investigator: User
    commissioner: User
    commissioner2: User
    ppk: User
    other_ppk: User
    overseer: User
    admin: User
    cases: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def actor_for(self, event: CaseEvent) -> User:
        if event in (E.ISSUE_RECOMMENDATION,):
            return self.commissioner2  # four eyes: not the commissioner who may have drafted
        if event in (E.DISMISS, E.EXTEND_DEADLINE, E.ANSWER_CLARIFICATION, E.CLOSE):
            return self.commissioner
        if event in (E.ACKNOWLEDGE, E.REQUEST_CLARIFICATION, E.REPORT_FOLLOW_UP):
            return self.ppk
        return self.investigator

    def user(self, role: str) -> User:
        """The user acting as `role` (one of ROLES, or other_ppk)."""
        if role not in (*ROLES, "other_ppk"):
            raise KeyError(role)
        return getattr(self, role)

    def issue_tokens(self, **users: User) -> dict[str, str]:
        """A bearer token for each role named (`commissioner=cast.commissioner2`), by default for each of ROLES
        and other_ppk; kept in `tokens` and committed."""
        for role, user in (users or {role: self.user(role) for role in (*ROLES, "other_ppk")}).items():
            self.tokens[role], _ = issue_token(user)
        db.session.commit()
        return self.tokens

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_cast(
    kind: str = "kementerian",
    timezone: str = "Asia/Jakarta",
    *,
    agency: Agency | None = None,
    other_agency: Agency | None = None,
    overseer_body: str = "menpanrb",
    names: dict[str, str] | None = None,
) -> Cast:
    """The cast of a new agency of `kind` in `timezone` (or of `agency`), with `other_agency` beside it;
    `names` gives people (by Cast field) their display names."""
    agency = agency or make_agency(kind=kind, timezone=timezone)
    other_agency = other_agency or make_agency()
    names = names or {}

    def person(key: str, role: str, **kw: Any) -> User:
        if key in names:
            kw["name"] = names[key]
        return make_user(role, **kw)

    return Cast(
        agency=agency,
        other_agency=other_agency,
        investigator=person("investigator", "investigator"),
        commissioner=person("commissioner", "commissioner"),
        commissioner2=person("commissioner2", "commissioner"),
        ppk=person("ppk", "ppk", agency=agency),
        other_ppk=person("other_ppk", "ppk", agency=other_agency),
        overseer=person("overseer", "overseer", body=overseer_body),
        admin=person("admin", "admin"),
    )


# -- cases --------------------------------------------------------------------------------------------------------

NIPS = ["198609262015051001", "197001011995031002", "198512122010122003", "199003032019031004"]
NIP = NIPS[0]
# The confidential reporter of every case built here: KASN's staff see it, the PPK and overseers never do.
REPORTER = {"name": "Siti Pelapor", "contact": "siti@example.org"}


def new_case_payload(agency_id: int, **kw: Any) -> dict[str, Any]:
    """What the API (and `create_case`) take for a new case of the agency; `kw` replaces top-level fields."""
    payload = {
        "agency_id": agency_id,
        "category": "netralitas",
        "subcategory": "kampanye_medsos",
        "source": "bawaslu",
        "reported_person": {"name": "Budi Santoso", "nip": NIP, "position": "Analis Kepegawaian"},
        "summary": "Mengunggah dukungan kepada bakal calon di media sosial.",
        "occurred_on": "2026-09-14",
        "reporter": dict(REPORTER),
    }
    payload.update(kw)
    return payload


SAMPLE_PAYLOADS: dict[CaseEvent, dict[str, Any]] = {
    E.START_REVIEW: {},
    E.DISMISS: {"reason": "Tidak terbukti setelah klarifikasi."},
    E.DRAFT_RECOMMENDATION: {
        "sanction": "disiplin_sedang",
        "sanction_form": "potong_tpp_25_6",
        "legal_basis": "PP 94/2021 Pasal 5 huruf n; SKB 2/2022",
        "text": "Menjatuhkan hukuman disiplin sedang berupa pemotongan tunjangan kinerja.",
    },
    E.ISSUE_RECOMMENDATION: {},  # the system numbers the letter (app/letters/numbering.py)
    E.ACKNOWLEDGE: {},
    E.RECORD_RECEIPT: {"received_on": None},  # filled with the issue day by payload_for
    E.EXTEND_DEADLINE: {"working_days": 5, "reason": "Permohonan PPK", "letter_number": "B-77/KASN/2026"},
    E.REQUEST_CLARIFICATION: {"letter_number": "800/123/BKD", "reason": "Fakta berbeda"},
    E.ANSWER_CLARIFICATION: {"outcome": "upheld", "letter_number": "B-1895/JP.01/05/2026"},
    E.REPORT_FOLLOW_UP: {
        "decision_number": "SK 862/45/2026",
        "decision_date": "2026-11-02",  # replaced with today by payload_for
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


def payload_for(case: Case, event: CaseEvent) -> dict[str, Any]:
    """SAMPLE_PAYLOADS[event], with the dates that depend on the case (receipt on the day of issue) or on today."""
    payload = dict(SAMPLE_PAYLOADS[event])
    if event in (E.RECORD_RECEIPT, E.REPORT_FOLLOW_UP):
        # The day of issue in the agency's zone (the case's own dates, never the clock): a receipt on that day, an
        # SK dated that day (neither may come before it).
        rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
        agency = db.session.get(Agency, case.agency_id)
        issued = rec.issued_at if rec is not None and rec.issued_at is not None else case.created_at
        day = local_today(agency, issued).isoformat()
        payload["received_on" if event == E.RECORD_RECEIPT else "decision_date"] = day
    return payload


def advance(case: Case, cast: Cast, status: CaseStatus) -> Case:
    """`case` moved on from its state to `status` along PATHS, each event fired by `cast.actor_for` with
    `payload_for` and committed."""
    done, path = PATHS[S(case.status)], PATHS[status]
    assert path[: len(done)] == done, f"{status.value} is not reached from {case.status}"
    for event in path[len(done) :]:
        fire(case, event, cast.actor_for(event), payload_for(case, event), expected_version=case.version)
        db.session.commit()
    assert case.status == status.value
    return case


def case_in(
    cast: Cast, status: CaseStatus, *, agency: Agency | None = None, at: datetime | None = None, **case_kw: Any
) -> Case:
    """A committed case of `agency` (the cast's by default) in `status`, reached through the workflow: logged by
    the investigator, then `advance`d. This is how the tests build a case awaiting follow-up
    (`case_in(cast, S.AWAITING_FOLLOW_UP)`), whose recommendation the cast's second commissioner issues.

    `at`: everything happens at that moment, the clock standing still (so a recommendation is issued then);
    `case_kw` replaces fields of `new_case_payload`."""
    if at is not None:
        with time_machine.travel(at, tick=False):
            return case_in(cast, status, agency=agency, **case_kw)
    case = create_case(new_case_payload((agency or cast.agency).id, **case_kw), cast.investigator)
    db.session.commit()
    return advance(case, cast, status)


# -- files and pages ----------------------------------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(
    case: Case, actor: User, purpose: str = "follow_up", name: str = "sk.pdf", content: bytes = PDF_BYTES
) -> Attachment:
    attachment = add_attachment(case, FileStorage(io.BytesIO(content), filename=name), actor, purpose)
    db.session.commit()
    return attachment


_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    """The CSRF token of the (first) form on the page."""
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)
