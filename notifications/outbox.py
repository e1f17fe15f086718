"""Enqueue emails as outbox rows inside the caller's transaction; never sends.

One row per recipient; the idempotency key `<key>:<recipient>` is unique, so queuing the same email
twice (a re-run sweep, a retried request) adds nothing. Two transactions queuing the same key at the
same moment are settled by the database: `INSERT … ON CONFLICT DO NOTHING` (PostgreSQL and SQLite), so
neither fails and exactly one row exists afterwards.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core.addresses import is_email_address
from app.core.clock import utcnow
from app.db import db, in_chunks
from app.models.outbox import OutboxAttachment, OutboxMessage
from notifications import rendering

log = logging.getLogger(__name__)

DEFAULT_SENDER = "Tindak <noreply@tindak.local>"

_KEY_LENGTH = getattr(OutboxMessage.__table__.c.idempotency_key.type, "length", None) or 255


def message_id_for(key: str) -> str:
    """A Message-ID derived from the idempotency key: the same email keeps it across retries and re-queues."""
    host = _message_host(current_app.config.get("BASE_URL", ""))
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<tindak.{digest}@{host}>"


@lru_cache(maxsize=8)
def _message_host(base_url: str) -> str:
    return urlsplit(base_url).hostname or "tindak.local"


def row_key(key: str, recipient: str) -> str:
    """The stored idempotency key of one recipient's row (hashed when it would not fit the column)."""
    value = f"{key}:{recipient}"
    if len(value) <= _KEY_LENGTH:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()
    return f"{value[: _KEY_LENGTH - 65]}#{digest}"


def normalize_recipients(recipients: list[str]) -> list[str]:
    """Lower-cased, stripped, de-duplicated and sorted addresses (one row per distinct mailbox).

    A value that is not an email address (`app.core.addresses`) is refused: no row is queued for it and the
    refusal is logged, so that a bad mailbox cannot stop the event that sends the email (the others still
    get it). A string instead of a list is a programming error (it would be read one character at a time)."""
    if isinstance(recipients, str):
        raise TypeError("recipients must be a list of addresses, not a string")
    found: set[str] = set()
    for raw in recipients:
        address = raw.strip().lower() if isinstance(raw, str) else ""
        if is_email_address(address):
            found.add(address)
        elif raw and (not isinstance(raw, str) or raw.strip()):
            log.warning("outbox: recipient %r refused: not an email address", raw)
    return sorted(found)


@dataclass(frozen=True)
class MailAttachment:
    """A file sent with an email: stored once (`outbox_attachments`) for all the rows of its recipients."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Email:
    """One email to queue: `kind` for `recipients`, rendered from `context` (which its sender built: a case's
    emails take theirs from app.letters), idempotent under `key`; `case_id` files it under its case; with
    `attachment`, a file each recipient receives with it."""

    kind: str
    case_id: int | None
    recipients: list[str]
    key: str
    context: Mapping[str, Any] = field(default_factory=dict)
    send_after: datetime | None = None
    attachment: MailAttachment | None = None


def enqueue(email: Email) -> list[OutboxMessage]:
    """Queue `email` for each recipient; returns the rows actually added (existing keys are skipped).

    Rendering happens now, from the context built in this transaction, so the email says what was true when
    the event happened; the dispatcher turns the stored text and HTML into the MIME message when it sends.
    Raises `UnknownNotificationKind` for a kind without templates. Flushes, never commits, never opens an SMTP
    connection.
    """
    inserted = _insert_ignoring_duplicates(_prepare([email]))
    if not inserted:
        return []
    ids = [row_id for row_id, _ in inserted]
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)))


def enqueue_many(emails: list[Email]) -> int:
    """Queue several emails with one lookup of existing keys and one INSERT; returns the rows added.

    The same guarantees as `enqueue` (rendered now, one row per recipient, a key never queued twice), for
    callers that queue many at once (the escalation sweep's batches)."""
    inserted = _insert_ignoring_duplicates(_prepare(emails))
    return len(inserted)


def _prepare(emails: list[Email]) -> list[dict[str, Any]]:
    """The rows to insert for `emails`: rendered, minus the keys already queued."""
    planned = [(email, {row_key(email.key, r): r for r in normalize_recipients(email.recipients)}) for email in emails]
    all_keys = [k for _, keys in planned for k in keys]
    if not all_keys:
        return []
    db.session.flush()
    existing: set[str] = set()
    for chunk in in_chunks(all_keys):
        existing.update(
            db.session.scalars(select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(chunk)))
        )
    now = utcnow()
    values: list[dict[str, Any]] = []
    # An email that does not name its recipient is rendered once for all of them, also across the Email
    # objects of one event that share a context (the sweep splits an event's recipients by the moment their
    # working hours start).
    shared: dict[tuple[str, int], tuple[str, str, str | None]] = {}
    for email, keys in planned:
        rendered: tuple[str, str, str | None] | None = None
        personal = rendering.uses_recipient(email.kind)
        attachment_id: int | None = None
        for idempotency_key, recipient in keys.items():
            if idempotency_key in existing:
                continue
            if email.attachment is not None and attachment_id is None:  # stored once, only if a row names it
                attachment_id = _store_attachment(email.attachment, now)
            if personal:
                rendered = rendering.render(email.kind, email.context, recipient)
            elif rendered is None:
                event = (email.kind, id(email.context))
                if event not in shared:
                    shared[event] = rendering.render(email.kind, email.context, recipient)
                rendered = shared[event]
            subject, text, html = rendered
            values.append(
                {
                    "idempotency_key": idempotency_key,
                    "kind": email.kind,
                    "case_id": email.case_id,
                    "recipient": recipient,
                    "subject": subject,
                    "body_text": text,
                    "body_html": html,
                    "message_id": message_id_for(idempotency_key),
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": email.send_after or now,
                    "created_at": now,
                    "attachment_id": attachment_id,
                }
            )
    return values


def _store_attachment(attachment: MailAttachment, now: datetime) -> int:
    row = OutboxAttachment(
        filename=attachment.filename, content_type=attachment.content_type, data=attachment.data, created_at=now
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def _insert_ignoring_duplicates(values: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, key: the rows really added."""
    if not values:
        return []
    dialect = db.session.get_bind().dialect.name
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = OutboxMessage.__table__
    assert isinstance(table, Table)
    # One statement with the rows as parameters (SQLAlchemy's "insertmanyvalues"): compiled once per
    # process and cached, where `.values(rows)` would compile a new statement for every call.
    stmt = (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.idempotency_key])
        .returning(table.c.id, table.c.idempotency_key)
    )
    return [(row[0], row[1]) for row in db.session.execute(stmt, values)]
