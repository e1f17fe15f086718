"""Enqueue emails as outbox rows inside the caller's transaction; never sends.

One row per recipient; the idempotency key `<key>:<recipient>` is unique, so queuing the same email
twice (a re-run sweep, a retried request) adds nothing. Two transactions queuing the same key at the
same moment are settled by the database: `INSERT … ON CONFLICT DO NOTHING` (PostgreSQL and SQLite), so
neither fails and exactly one row exists afterwards.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.db import utcnow
from app.extensions import db
from notifications.models import OutboxMessage

DEFAULT_SENDER = "Tindak <noreply@tindak.local>"

_KEY_LENGTH = OutboxMessage.__table__.c.idempotency_key.type.length or 255


def message_id_for(key: str) -> str:
    """A Message-ID derived from the idempotency key: the same email keeps it across retries and re-queues."""
    host = urlsplit(current_app.config.get("BASE_URL", "")).hostname or "tindak.local"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<tindak.{digest}@{host}>"


def row_key(key: str, recipient: str) -> str:
    """The stored idempotency key of one recipient's row (hashed when it would not fit the column)."""
    value = f"{key}:{recipient}"
    if len(value) <= _KEY_LENGTH:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()
    return f"{value[: _KEY_LENGTH - 65]}#{digest}"


def normalize_recipients(recipients: list[str]) -> list[str]:
    """Lower-cased, stripped, de-duplicated and sorted addresses (one row per distinct mailbox)."""
    return sorted({r.strip().lower() for r in recipients if r and r.strip()})


def enqueue(
    kind: str,
    *,
    case: Any | None,
    recipients: list[str],
    key: str,
    extra: dict[str, Any] | None = None,
    send_after: datetime | None = None,
) -> list[OutboxMessage]:
    """Queue `kind` for each recipient; returns the rows actually added (existing keys are skipped).

    Rendering happens now, from the case as it is in this transaction, so the email says what was
    true when the event happened; the dispatcher turns the stored text and HTML into the MIME message
    when it sends. Raises `UnknownNotificationKind` for a kind without templates.
    Flushes, never commits, never opens an SMTP connection.
    """
    from notifications.rendering import render, uses_recipient

    unique = normalize_recipients(recipients)
    if not unique:
        return []
    keys = {row_key(key, r): r for r in unique}
    db.session.flush()
    existing = set(
        db.session.scalars(select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(keys)))
    )
    now = utcnow()
    values: list[dict[str, Any]] = []
    rendered: tuple[str, str, str | None] | None = None
    for idempotency_key, recipient in keys.items():
        if idempotency_key in existing:
            continue
        if rendered is None or uses_recipient(kind):
            rendered = render(kind, case=case, recipient=recipient, extra=extra or {})
        subject, text, html = rendered
        message_id = message_id_for(idempotency_key)
        values.append(
            {
                "idempotency_key": idempotency_key,
                "kind": kind,
                "case_id": getattr(case, "id", None),
                "recipient": recipient,
                "subject": subject,
                "body_text": text,
                "body_html": html,
                "message_id": message_id,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": send_after or now,
                "created_at": now,
            }
        )
    if not values:
        return []
    inserted = _insert_ignoring_duplicates(values)
    if not inserted:
        return []
    ids = [row_id for row_id, _ in inserted]
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)))


def _insert_ignoring_duplicates(values: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, key: the rows really added."""
    dialect = db.session.get_bind().dialect.name
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = OutboxMessage.__table__
    # One statement with the rows as parameters (SQLAlchemy's "insertmanyvalues"): compiled once per
    # process and cached, where `.values(rows)` would compile a new statement for every call.
    stmt = (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.idempotency_key])
        .returning(table.c.id, table.c.idempotency_key)
    )
    return [(row[0], row[1]) for row in db.session.execute(stmt, values)]
