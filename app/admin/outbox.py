"""The outbox as the administrators read it: each row with the number of its case (the outbox itself knows no
case)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.auth import activity
from app.db import db
from app.models.auth import User
from app.models.cases import Case
from app.models.outbox import OutboxMessage
from notifications.services import message_dump, retry_message


def case_numbers(messages: list[OutboxMessage]) -> dict[int, str]:
    """Case numbers of the rows' cases, in one query."""
    ids = {m.case_id for m in messages if m.case_id is not None}
    if not ids:
        return {}
    return {row.id: row.number for row in db.session.execute(select(Case.id, Case.number).where(Case.id.in_(ids)))}


def dump_page(messages: list[OutboxMessage]) -> list[dict[str, Any]]:
    numbers = case_numbers(messages)
    return [message_dump(m, numbers.get(m.case_id) if m.case_id else None) for m in messages]


def resend_dead(message_id: int, actor: User) -> OutboxMessage:
    """Put the row back in the queue (`notifications.services.retry_message`: NotFound, Conflict when sent or
    being sent) and record who did it in the sign-in and actions log (the audit page). Flushes only."""
    message = retry_message(message_id)
    number = case_numbers([message]).get(message.case_id) if message.case_id else None
    activity.record(
        activity.OUTBOX_RESEND,
        user=actor,
        data={
            "message_id": message.id,
            "recipient": message.recipient,
            "kind": message.kind,
            "case_id": message.case_id,
            "case_number": number,
        },
    )
    return message
