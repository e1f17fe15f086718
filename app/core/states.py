"""Case states and events, with their Indonesian labels."""

from __future__ import annotations

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
