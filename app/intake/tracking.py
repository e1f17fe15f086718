"""What a report's sender reads with its tracking code: the status in plain words (received, being verified,
recommendation issued, followed up, closed), when the report was received and, for a refused report, the reason
written for its sender. Nothing else: no case number, person, agency, recommendation, staff, internal note or
reporter — the public page, the API and a forwarder's list all read it here."""

from __future__ import annotations

import re
import secrets
from typing import Any

from app.core.states import CaseStatus
from app.models.intake import IntakeReport


def N_(text: str) -> str:
    """Marks a text for the message catalogue; the page translates it where it is shown."""
    return text


# The statuses a sender reads, in order, with their Indonesian words.
TRACKING_STATUSES = {
    "received": N_("Diterima"),
    "verifying": N_("Sedang diverifikasi"),
    "recommendation_issued": N_("Rekomendasi diterbitkan"),
    "followed_up": N_("Sudah ditindaklanjuti"),
    "closed": N_("Ditutup"),
}
TRACKING_EXPLANATIONS = {
    "received": N_("Laporan telah diterima dan menunggu diperiksa oleh petugas."),
    "verifying": N_("Petugas sedang memverifikasi laporan dan bukti-buktinya."),
    "recommendation_issued": N_(
        "Rekomendasi telah diterbitkan kepada Pejabat Pembina Kepegawaian (PPK) yang berwenang."
    ),
    "followed_up": N_("PPK telah melaporkan tindak lanjut atas rekomendasi; laporan tindak lanjut sedang diperiksa."),
}
CLOSED_EXPLANATIONS = {
    "refused": N_("Laporan tidak dapat diproses lebih lanjut."),
    CaseStatus.DISMISSED.value: N_("Laporan telah diperiksa dan pemeriksaannya dihentikan."),
    CaseStatus.COMPLETED.value: N_("Rekomendasi telah ditindaklanjuti dan pemeriksaan selesai."),
    CaseStatus.CLOSED.value: N_("Pemeriksaan telah ditutup."),
}
_CASE_TRACKING = {
    CaseStatus.REPORTED: "verifying",
    CaseStatus.UNDER_REVIEW: "verifying",
    CaseStatus.RECOMMENDATION_DRAFTED: "verifying",
    CaseStatus.AWAITING_FOLLOW_UP: "recommendation_issued",
    CaseStatus.CLARIFICATION_REQUESTED: "recommendation_issued",
    CaseStatus.FOLLOW_UP_REPORTED: "followed_up",
    CaseStatus.COMPLETED: "closed",
    CaseStatus.DISMISSED: "closed",
    CaseStatus.CLOSED: "closed",
}

# TDK-XXXX-XXXX-XXXX: 60 random bits in Crockford's base 32 (no I, L, O, U), so a code cannot be guessed.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE = re.compile(r"^TDK[0-9A-HJKMNP-TV-Z]{12}$")


def new_tracking_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"TDK-{body[:4]}-{body[4:8]}-{body[8:]}"


def normal_code(text: str | None) -> str | None:
    """The code as stored, from what a sender typed (any case, spaces or dashes, O for 0, I/L for 1), or None
    when it cannot be a code (answered like an unknown one)."""
    raw = re.sub(r"[\s\-]", "", (text or "").upper())[:40].replace("O", "0").replace("I", "1").replace("L", "1")
    if not raw.startswith("TDK"):
        raw = "TDK" + raw
    raw = "TDK" + raw[3:]
    if not _CODE.match(raw):
        return None
    return f"TDK-{raw[3:7]}-{raw[7:11]}-{raw[11:]}"


def tracking_status(report: IntakeReport, case_status: str | None) -> str:
    """The plain status of `report`, whose case (when it became or joined one) is in `case_status`."""
    if report.status == "refused":
        return "closed"
    if report.status in ("received", "verifying"):
        return report.status
    return _CASE_TRACKING.get(CaseStatus(case_status), "verifying") if case_status else "verifying"


def tracking_view(report: IntakeReport, case_status: str | None) -> dict[str, Any]:
    """The whole answer of the tracking page and API for `report`."""
    status = tracking_status(report, case_status)
    if status == "closed":
        explanation = CLOSED_EXPLANATIONS["refused" if report.status == "refused" else str(case_status)]
    else:
        explanation = TRACKING_EXPLANATIONS[status]
    return {
        "tracking_code": report.tracking_code,
        "status": status,
        "status_label": TRACKING_STATUSES[status],
        "explanation": explanation,
        "reason": report.refuse_reason if report.status == "refused" else None,
        "received_at": report.created_at,
        "steps": [
            {"status": key, "label": label, "reached": _reached(key, status)}
            for key, label in TRACKING_STATUSES.items()
        ],
    }


def _reached(step: str, status: str) -> bool:
    order = list(TRACKING_STATUSES)
    if status == "closed":
        return step in ("received", "closed") or step == "verifying"
    return order.index(step) <= order.index(status)
