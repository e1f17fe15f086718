"""The outbox as the administrators read it: each row with the number of its case (the outbox itself knows no
case)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.db import db
from app.models.cases import Case
from app.models.outbox import OutboxMessage
from notifications.services import message_dump


def case_numbers(messages: list[OutboxMessage]) -> dict[int, str]:
    """Case numbers of the rows' cases, in one query."""
    ids = {m.case_id for m in messages if m.case_id is not None}
    if not ids:
        return {}
    return {row.id: row.number for row in db.session.execute(select(Case.id, Case.number).where(Case.id.in_(ids)))}


def dump_page(messages: list[OutboxMessage]) -> list[dict[str, Any]]:
    numbers = case_numbers(messages)
    return [message_dump(m, numbers.get(m.case_id) if m.case_id else None) for m in messages]
