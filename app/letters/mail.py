"""A case's emails: the case domain's way into the outbox. Each email's context is built here from the case
(app.letters.context) and handed to `notifications.outbox`, which knows only rows, templates and sending."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.letters.context import build_context
from app.models.outbox import OutboxMessage
from notifications import outbox


@dataclass(frozen=True)
class CaseEmail:
    """One email to queue: `kind` about `case` (None for an email about no case) for `recipients`,
    idempotent under `key`, with the event's values in `extra`."""

    kind: str
    case: Any | None
    recipients: list[str]
    key: str
    extra: Mapping[str, Any] = field(default_factory=dict)
    send_after: datetime | None = None
    attachment: outbox.MailAttachment | None = None


def enqueue(
    kind: str,
    *,
    case: Any | None,
    recipients: list[str],
    key: str,
    extra: Mapping[str, Any] | None = None,
    send_after: datetime | None = None,
    attachment: outbox.MailAttachment | None = None,
) -> list[OutboxMessage]:
    """Queue `kind` about `case` for each recipient (rendered now, in the caller's transaction), with
    `attachment` if given; returns the rows added. Flushes, never commits."""
    email = CaseEmail(kind, case, recipients, key, extra or {}, send_after, attachment)
    return outbox.enqueue(_outbox_email(email, build_context(kind, case=case, extra=email.extra)))


def enqueue_many(emails: list[CaseEmail]) -> int:
    """Queue several emails at once (the sweep's batches); returns the rows added. The emails of one event
    (the same kind, case and `extra` object) share one context, so the outbox renders it once."""
    contexts: dict[tuple[str, int, int], dict[str, Any]] = {}
    planned = []
    for email in emails:
        event = (email.kind, id(email.case), id(email.extra))
        if event not in contexts:
            contexts[event] = build_context(email.kind, case=email.case, extra=email.extra)
        planned.append(_outbox_email(email, contexts[event]))
    return outbox.enqueue_many(planned)


def _outbox_email(email: CaseEmail, context: Mapping[str, Any]) -> outbox.Email:
    case_id = getattr(email.case, "id", None)
    return outbox.Email(email.kind, case_id, email.recipients, email.key, context, email.send_after, email.attachment)
