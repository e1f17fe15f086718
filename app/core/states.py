"""Case states and events, with their Indonesian labels, and what a case in each status holds (`STATUS_RULES`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CaseStatus(StrEnum):
    REPORTED = "reported"
    UNDER_REVIEW = "under_review"
    DISMISSED = "dismissed"
    RECOMMENDATION_DRAFTED = "recommendation_drafted"
    AWAITING_FOLLOW_UP = "awaiting_follow_up"
    CLARIFICATION_REQUESTED = "clarification_requested"
    FOLLOW_UP_REPORTED = "follow_up_reported"
    COMPLETED = "completed"
    CLOSED = "closed"


class CaseEvent(StrEnum):
    START_REVIEW = "start_review"
    DISMISS = "dismiss"
    DRAFT_RECOMMENDATION = "draft_recommendation"
    ISSUE_RECOMMENDATION = "issue_recommendation"
    ACKNOWLEDGE = "acknowledge"
    RECORD_RECEIPT = "record_receipt"
    EXTEND_DEADLINE = "extend_deadline"
    REQUEST_CLARIFICATION = "request_clarification"
    ANSWER_CLARIFICATION = "answer_clarification"
    REPORT_FOLLOW_UP = "report_follow_up"
    ACCEPT_FOLLOW_UP = "accept_follow_up"
    REJECT_FOLLOW_UP = "reject_follow_up"
    CLOSE = "close"


STATUS_LABELS: dict[CaseStatus, str] = {
    CaseStatus.REPORTED: "Laporan diterima",
    CaseStatus.UNDER_REVIEW: "Penelaahan / klarifikasi",
    CaseStatus.DISMISSED: "Dihentikan",
    CaseStatus.RECOMMENDATION_DRAFTED: "Draf rekomendasi",
    CaseStatus.AWAITING_FOLLOW_UP: "Menunggu tindak lanjut PPK",
    CaseStatus.CLARIFICATION_REQUESTED: "Sanggahan / klarifikasi PPK",
    CaseStatus.FOLLOW_UP_REPORTED: "Tindak lanjut dilaporkan",
    CaseStatus.COMPLETED: "Selesai",
    CaseStatus.CLOSED: "Ditutup",
}

EVENT_LABELS: dict[CaseEvent, str] = {
    CaseEvent.START_REVIEW: "Mulai penelaahan",
    CaseEvent.DISMISS: "Hentikan perkara",
    CaseEvent.DRAFT_RECOMMENDATION: "Susun draf rekomendasi",
    CaseEvent.ISSUE_RECOMMENDATION: "Terbitkan rekomendasi",
    CaseEvent.ACKNOWLEDGE: "Konfirmasi penerimaan",
    CaseEvent.RECORD_RECEIPT: "Catat tanda terima",
    CaseEvent.EXTEND_DEADLINE: "Perpanjang tenggat",
    CaseEvent.REQUEST_CLARIFICATION: "Ajukan sanggahan / klarifikasi",
    CaseEvent.ANSWER_CLARIFICATION: "Jawab sanggahan",
    CaseEvent.REPORT_FOLLOW_UP: "Laporkan tindak lanjut",
    CaseEvent.ACCEPT_FOLLOW_UP: "Terima tindak lanjut",
    CaseEvent.REJECT_FOLLOW_UP: "Tolak tindak lanjut",
    CaseEvent.CLOSE: "Tutup perkara",
}

TERMINAL_STATUSES = frozenset({CaseStatus.DISMISSED, CaseStatus.COMPLETED, CaseStatus.CLOSED})


# -- what each status requires -----------------------------------------------------------------------------------


class RecommendationStage(StrEnum):
    """How far a case's recommendation has gone."""

    ABSENT = "absent"  # none drafted
    DRAFTED = "drafted"  # drafted, not issued: no letter number, no day of issue, no deadline
    ISSUED = "issued"  # issued: letter number, day of issue and deadline set


class Need(StrEnum):
    """Whether a status forbids, allows or requires a record."""

    FORBIDDEN = "forbidden"
    OPTIONAL = "optional"
    REQUIRED = "required"


@dataclass(frozen=True)
class StatusRules:
    """What a case in one status holds besides its status.

    `follow_up` is about the follow-ups (SK) not rejected: the one awaiting a verdict, or the accepted one (a
    rejected follow-up stays on record while the case waits again). `clarification` is about the objections not
    yet answered (an answered one stays on record likewise).
    """

    reason_column: str | None  # the case column holding the reason the status requires (set iff in the status)
    recommendation: frozenset[RecommendationStage]  # the stages its recommendation may be at
    follow_up: Need
    follow_up_verdict: str | None  # the verdict that follow-up carries (None: awaiting one)
    clarification: Need
    deadline_running: bool  # an issued recommendation's clock runs (`Recommendation.is_open`)
    closed: bool  # `Case.closed_at` is set


_R = RecommendationStage
_NONE = frozenset({_R.ABSENT})
_DRAFT = frozenset({_R.DRAFTED})
_ISSUED = frozenset({_R.ISSUED})
_ANY = frozenset(_R)
_F, _O, _Q = Need.FORBIDDEN, Need.OPTIONAL, Need.REQUIRED

# The one statement of what each status requires. The workflow's effects produce it (the test
# tests/importing/test_status_rules.py fires every transition and checks the case against it), the importer
# validates rows by it, and the database's reason checks (app/models/cases.py) are generated from it. A case is
# closed administratively from any live status and keeps what it held then (a drafted or issued recommendation,
# an SK awaiting its verdict, an objection never answered); its clock stops.
# Columns, in the order of `StatusRules`: reason column, recommendation stages, follow-up (SK) not rejected, its
# verdict, objection not answered, the deadline clock runs, closed_at set.
_S = CaseStatus
STATUS_RULES: dict[CaseStatus, StatusRules] = {
    #                                       reason            rec.     SK   verdict     obj. clock  closed
    _S.REPORTED:                StatusRules(None,             _NONE,   _F,  None,       _F,  False, False),
    _S.UNDER_REVIEW:            StatusRules(None,             _NONE,   _F,  None,       _F,  False, False),
    _S.DISMISSED:               StatusRules("dismiss_reason", _NONE,   _F,  None,       _F,  False, True),
    _S.RECOMMENDATION_DRAFTED:  StatusRules(None,             _DRAFT,  _F,  None,       _F,  False, False),
    _S.AWAITING_FOLLOW_UP:      StatusRules(None,             _ISSUED, _F,  None,       _F,  True,  False),
    _S.CLARIFICATION_REQUESTED: StatusRules(None,             _ISSUED, _F,  None,       _Q,  False, False),
    _S.FOLLOW_UP_REPORTED:      StatusRules(None,             _ISSUED, _Q,  None,       _F,  False, False),
    _S.COMPLETED:               StatusRules(None,             _ISSUED, _Q,  "accepted", _F,  False, True),
    _S.CLOSED:                  StatusRules("close_reason",   _ANY,    _O,  None,       _O,  False, True),
}  # fmt: skip
