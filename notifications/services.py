"""Outbox queries and admin operations for the API, the admin page, the CLI and the health check.

Flush only; the caller (API view, page, CLI command) commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.core.clock import utcnow
from app.core.pagination import cursor_id, encode_cursor
from app.db import MAX_ROW_ID, db, get_row
from app.errors import Conflict, NotFound, ValidationFailed
from app.models.outbox import OUTBOX_STATUSES, OutboxMessage

STATUS_LABELS = {
    "pending": "Menunggu dikirim",
    "sending": "Sedang dikirim",
    "sent": "Terkirim",
    "dead": "Gagal (perlu tindakan)",
}

# What each kind of email is, in words (the admin's outbox page; rendering.KINDS names its readers).
KIND_LABELS = {
    "recommendation_issued": "Rekomendasi diterbitkan",
    "receipt_recorded": "Tanda terima dicatat",
    "deadline_extended": "Tenggat diperpanjang",
    "reminder": "Pengingat tenggat",
    "overdue": "Tenggat terlewati",
    "escalation": "Eskalasi ke kementerian",
    "final_report": "Laporan akhir eskalasi",
    "escalation_resolved": "PPK telah menindaklanjuti perkara yang dieskalasi",
    "digest": "Ringkasan mingguan eskalasi",
    "follow_up_reported": "Tindak lanjut dilaporkan",
    "follow_up_accepted": "Tindak lanjut diterima",
    "follow_up_rejected": "Tindak lanjut ditolak",
    "clarification_requested": "Permintaan klarifikasi",
    "clarification_answered": "Jawaban klarifikasi",
    "mail_test": "Email uji",
    "audit_checkpoint": "Checkpoint riwayat perkara",
    "notice_digest": "Email harian notifikasi",
}


def list_messages(
    status: str | None = None, limit: int = 20, cursor: str | None = None
) -> tuple[list[OutboxMessage], str | None]:
    """Outbox rows, newest first, optionally of one status; keyset pagination on the id.

    Raises `ValidationFailed` for an unknown status or a malformed cursor.
    """
    stmt = select(OutboxMessage)
    if status:
        if status not in OUTBOX_STATUSES:
            raise ValidationFailed(
                "Status outbox tidak dikenal.",
                details={"fields": {"status": [f"harus salah satu dari: {', '.join(OUTBOX_STATUSES)}"]}},
            )
        stmt = stmt.where(OutboxMessage.status == status)
    after = cursor_id(cursor)
    if after is not None and after <= MAX_ROW_ID:  # a larger cursor is past every id: no bound
        stmt = stmt.where(OutboxMessage.id < after)
    limit = max(1, int(limit))
    rows = list(db.session.scalars(stmt.order_by(OutboxMessage.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def get_message(message_id: int) -> OutboxMessage:
    message = get_row(OutboxMessage, message_id)
    if message is None:
        raise NotFound("Pesan outbox tidak ditemukan.")
    return message


def retry_message(message_id: int, *, now: datetime | None = None) -> OutboxMessage:
    """Put a dead (or waiting) row back in the queue for immediate sending with a fresh set of attempts.

    Raises `NotFound`, or `Conflict` for a row already sent or being sent.
    """
    message = get_message(message_id)
    if message.status == "sent":
        raise Conflict("Pesan ini sudah terkirim; tidak perlu dikirim ulang.", code="already_sent")
    if message.status == "sending":
        raise Conflict("Pesan ini sedang dikirim; coba lagi sebentar lagi.", code="sending")
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = now or utcnow()
    message.locked_until = None
    db.session.flush()
    return message


def outbox_counts() -> dict[str, int]:
    """Number of rows in each status (every status present, zero included)."""
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    for status, count in rows:
        counts[status] = int(count)
    return counts


def message_dump(message: OutboxMessage, case_number: str | None = None) -> dict[str, Any]:
    """The row as the API and the admin page show it (no body: it is in the email)."""
    return {
        "id": message.id,
        "kind": message.kind,
        "case_id": message.case_id,
        "case_number": case_number,
        "recipient": message.recipient,
        "subject": message.subject,
        "status": message.status,
        "status_label": STATUS_LABELS.get(message.status, message.status),
        "kind_label": KIND_LABELS.get(message.kind, message.kind),
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at,
        "last_error": message.last_error,
        "message_id": message.message_id,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
    }
