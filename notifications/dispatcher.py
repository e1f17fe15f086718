"""Send due outbox rows over SMTP: claim, send over one connection, then record sent / retry / dead.

The dispatcher is a boundary (a scheduler job and `flask outbox send`): it commits its own transactions.

1. Claim: in one short transaction, select due rows — `pending` with `next_attempt_at <= now`, and
   `sending` rows whose `locked_until` has passed (a dispatcher died mid-batch) — with
   `FOR UPDATE SKIP LOCKED` on PostgreSQL (several dispatchers never claim the same row; SQLite takes the
   write lock with `BEGIN IMMEDIATE` and runs one dispatcher), mark them `sending` with a lease
   (`locked_until`) and one more attempt, and commit.
2. Send: one SMTP connection for the batch, with a timeout (`MAIL_TIMEOUT`), STARTTLS / SSL and login
   per configuration. Each row becomes the Flask-Mail `Message` (text + HTML as rendered when the row was
   queued, the row's deterministic Message-ID, the Date of sending), built here rather than at queueing
   time so that the event's transaction (a user's action, a sweep batch) carries only the rendering. A
   retried email is the same email. The server's answer for the recipient is checked (smtplib returns
   partial refusals instead of raising).
3. Record: accepted → `sent`; a 4xx answer or a broken connection → `pending` again with exponential
   backoff and jitter (1 min, 5 min, 30 min, 2 h, 12 h, …); a 5xx answer or the last allowed attempt →
   `dead` (visible to admins, retried by hand). Outcomes are written in small groups as the batch goes,
   so a crash re-sends at most a few emails (delivery is at least once; the Message-ID stays the same).

Nothing here runs inside a user's request: a slow or absent SMTP server delays email, never an action.
"""

from __future__ import annotations

import logging
import random
import secrets
import smtplib
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app
from flask_mail import Message, email_dispatched, sanitize_address
from sqlalchemy import and_, or_, select, update

from app.core.clock import utcnow
from app.db import unit_of_work
from app.models.outbox import OutboxAttachment, OutboxMessage
from notifications.messages import build_message
from notifications.outbox import DEFAULT_SENDER, message_id_for
from notifications.rendering import render

log = logging.getLogger(__name__)

# Delay before attempt n+1 after the n-th failed attempt; the last value repeats.
BACKOFF_SECONDS = (60, 5 * 60, 30 * 60, 2 * 3600, 12 * 3600)
# Random extra delay, as a fraction of the delay: dispatchers that failed together do not retry together.
JITTER_FRACTION = 0.2
# A claimed row is leased for this long; a row still `sending` after that is reclaimed by any dispatcher.
LEASE_SECONDS = 5 * 60
# Outcomes are written to the database in groups of this size while the batch is being sent.
RECORD_EVERY = 50
ERROR_MAX_LENGTH = 2000


class TemporaryFailure(Exception):
    """The server answered 4xx or the connection failed: try again later."""


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): the row goes dead."""


class ConnectionBroken(TemporaryFailure):
    """The SMTP connection is unusable; the rest of the batch needs a new one."""


@dataclass(frozen=True)
class _Claimed:
    id: int
    recipient: str
    message_id: str
    subject: str
    body_text: str
    body_html: str | None
    attempts: int
    kind: str
    reclaimed: bool
    attachment_id: int | None = None


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Backoff after `attempts` failed attempts (1 → about 1 min, 2 → 5 min, …), never shorter than the step."""
    step = BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1]
    jitter = (rng or random).uniform(0, JITTER_FRACTION) * step
    return timedelta(seconds=step + jitter)


def dispatch_pending(now: datetime | None = None, batch_size: int | None = None) -> dict[str, int]:
    """Send one batch of due rows; returns the counts `sent`, `retried`, `dead` and `reclaimed`.

    `now` (aware UTC) is the instant the dispatcher acts at (tests pass it to move time on); `batch_size`
    defaults to `OUTBOX_BATCH_SIZE`. Call it again for the next batch (see `dispatch_all`).
    """
    config = current_app.config
    now = now or utcnow()
    batch_size = batch_size or int(config.get("OUTBOX_BATCH_SIZE", 200))
    max_attempts = max(1, int(config.get("OUTBOX_MAX_ATTEMPTS", 8)))
    counts = {"sent": 0, "retried": 0, "dead": 0, "reclaimed": 0}

    rows, exhausted = _claim(now, batch_size, max_attempts)
    counts["reclaimed"] = sum(1 for row in rows if row.reclaimed) + len(exhausted)
    counts["dead"] += len(exhausted)
    if not rows:
        return counts

    recorder = _Recorder(now, max_attempts)
    deadline = time.monotonic() + LEASE_SECONDS - (int(config.get("MAIL_TIMEOUT", 30)) + 5)
    try:
        _send_batch(rows, recorder, deadline)
    finally:
        recorder.flush()
    for key in ("sent", "retried", "dead"):
        counts[key] += recorder.counts[key]
    if counts["retried"] or counts["dead"]:
        log.warning("outbox: %s", counts)
    return counts


def dispatch_all(now: datetime | None = None, batch_size: int | None = None) -> dict[str, int]:
    """Run `dispatch_pending` until a batch is not full (everything due has been tried once)."""
    totals = {"sent": 0, "retried": 0, "dead": 0, "reclaimed": 0}
    size = batch_size or int(current_app.config.get("OUTBOX_BATCH_SIZE", 200))
    while True:
        result = dispatch_pending(now=now, batch_size=size)
        for key, value in result.items():
            totals[key] += value
        if result["sent"] + result["retried"] + result["dead"] < size:
            return totals


def _claim(now: datetime, batch_size: int, max_attempts: int) -> tuple[list[_Claimed], list[int]]:
    """Lease due rows to this dispatcher (committed); rows stuck in `sending` with no attempt left go dead."""
    due = or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.locked_until < now),
    )
    stmt = (
        select(
            OutboxMessage.id,
            OutboxMessage.recipient,
            OutboxMessage.message_id,
            OutboxMessage.attempts,
            OutboxMessage.kind,
            OutboxMessage.status,
            OutboxMessage.subject,
            OutboxMessage.body_text,
            OutboxMessage.body_html,
            OutboxMessage.attachment_id,
        )
        .where(due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(batch_size)
        .with_for_update(of=OutboxMessage, skip_locked=True)
    )
    claimed: list[_Claimed] = []
    exhausted: list[int] = []
    with unit_of_work() as session:
        for row in session.execute(stmt):
            reclaimed = row.status == "sending"
            if reclaimed and row.attempts >= max_attempts:
                exhausted.append(row.id)
                continue
            claimed.append(
                _Claimed(
                    id=row.id,
                    recipient=row.recipient,
                    message_id=row.message_id,
                    subject=row.subject,
                    body_text=row.body_text,
                    body_html=row.body_html,
                    attempts=row.attempts + 1,
                    kind=row.kind,
                    reclaimed=reclaimed,
                    attachment_id=row.attachment_id,
                )
            )
        if claimed:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([c.id for c in claimed]))
                .values(
                    status="sending",
                    attempts=OutboxMessage.attempts + 1,
                    locked_until=now + timedelta(seconds=LEASE_SECONDS),
                ),
                execution_options={"synchronize_session": False},
            )
        if exhausted:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(exhausted))
                .values(
                    status="dead",
                    locked_until=None,
                    last_error="Pengiriman terhenti di tengah jalan dan batas percobaan telah habis.",
                ),
                execution_options={"synchronize_session": False},
            )
    claimed.sort(key=lambda c: c.id)
    return claimed, exhausted


class _Recorder:
    """Collects outcomes and writes them in groups (one short transaction each)."""

    def __init__(self, now: datetime, max_attempts: int):
        self.now = now
        self.max_attempts = max_attempts
        self.counts = {"sent": 0, "retried": 0, "dead": 0}
        self._sent: list[int] = []
        self._other: list[dict[str, Any]] = []

    def sent(self, row: _Claimed) -> None:
        self._sent.append(row.id)
        self.counts["sent"] += 1
        if len(self._sent) >= RECORD_EVERY:
            self.flush()

    def failed(self, row: _Claimed, error: str, *, permanent: bool) -> None:
        error = error[:ERROR_MAX_LENGTH]
        if permanent or row.attempts >= self.max_attempts:
            self.counts["dead"] += 1
            values = {"status": "dead", "next_attempt_at": self.now}
            log.error("outbox %s dead after %s attempt(s): %s", row.id, row.attempts, error)
        else:
            self.counts["retried"] += 1
            values = {"status": "pending", "next_attempt_at": self.now + retry_delay(row.attempts)}
        self._other.append({"id": row.id, "locked_until": None, "last_error": error, **values})

    def released(self, row: _Claimed) -> None:
        """Not attempted (the lease ran short): back to pending at once, the attempt not counted."""
        self.counts["retried"] += 1
        self._other.append(
            {
                "id": row.id,
                "status": "pending",
                "attempts": row.attempts - 1,
                "next_attempt_at": self.now,
                "locked_until": None,
            }
        )

    def flush(self) -> None:
        if not self._sent and not self._other:
            return
        with unit_of_work() as session:
            if self._sent:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(self._sent), OutboxMessage.status == "sending")
                    .values(status="sent", sent_at=self.now, locked_until=None, last_error=None),
                    execution_options={"synchronize_session": False},
                )
            by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for values in self._other:
                by_keys.setdefault(tuple(sorted(values)), []).append(values)
            for group in by_keys.values():
                session.execute(update(OutboxMessage), group)
        self._sent = []
        self._other = []


def _send_batch(rows: list[_Claimed], recorder: _Recorder, deadline: float) -> None:
    config = current_app.config
    now = utcnow()
    suppress = bool(config.get("MAIL_SUPPRESS_SEND"))
    sender = config.get("MAIL_DEFAULT_SENDER") or DEFAULT_SENDER
    files = _attachments(rows)
    pending = list(rows)
    while pending:
        try:
            with smtp_connection(suppress=suppress) as smtp:
                while pending:
                    if time.monotonic() > deadline:
                        for row in pending:
                            recorder.released(row)
                        return
                    row = pending[0]
                    try:
                        file = files.get(row.attachment_id) if row.attachment_id is not None else None
                        raw = row_bytes(row, sender, now, file)
                        send_message(smtp, raw, sender=sender, recipient=row.recipient)
                    except PermanentFailure as exc:
                        recorder.failed(row, str(exc), permanent=True)
                    except ConnectionBroken:
                        raise
                    except TemporaryFailure as exc:
                        recorder.failed(row, str(exc), permanent=False)
                    else:
                        recorder.sent(row)
                    pending.pop(0)
        except (ConnectionBroken, OSError, smtplib.SMTPException) as exc:
            # The connection could not be opened or broke: the row in flight failed, and the others
            # of the batch wait for the next run rather than for another connection that may hang.
            error = describe_error(exc)
            for row in pending:
                recorder.failed(row, error, permanent=False)
            return


@contextmanager
def smtp_connection(*, suppress: bool = False) -> Iterator[smtplib.SMTP | None]:
    """One SMTP session from the current configuration, with a timeout; `None` when sending is suppressed."""
    if suppress:
        yield None
        return
    config = current_app.config
    host = config.get("MAIL_SERVER") or "localhost"
    port = int(config.get("MAIL_PORT") or 25)
    timeout = float(config.get("MAIL_TIMEOUT") or 30)
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    smtp = smtp_class(host, port, timeout=timeout)
    try:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls()
            smtp.ehlo()
        if config.get("MAIL_USERNAME") and config.get("MAIL_PASSWORD"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except smtplib.SMTPResponseException as exc:
        smtp.close()
        if 500 <= exc.smtp_code < 600:
            # A refused login or TLS: every message would fail the same way, but it is the
            # configuration (or the server) that must change, so the rows wait rather than die.
            raise ConnectionBroken(describe_error(exc)) from exc
        raise
    except BaseException:
        smtp.close()
        raise
    try:
        yield smtp
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _attachments(rows: list[_Claimed]) -> dict[int, OutboxAttachment]:
    """The files the batch's rows name, read once (the recipients of one email share theirs)."""
    ids = sorted({row.attachment_id for row in rows if row.attachment_id is not None})
    if not ids:
        return {}
    with unit_of_work() as session:
        found = {a.id: a for a in session.scalars(select(OutboxAttachment).where(OutboxAttachment.id.in_(ids)))}
        for attachment in found.values():
            session.expunge(attachment)  # read after the transaction: the bytes are loaded, nothing lazy
    return found


def row_bytes(row: _Claimed, sender: str, now: datetime, attachment: OutboxAttachment | None = None) -> bytes:
    """What goes on the wire for a row: its rendered text and HTML as a MIME message dated `now`, with the file
    the row names."""
    message = build_message(
        subject=row.subject,
        recipient=row.recipient,
        body_text=row.body_text,
        body_html=row.body_html,
        message_id=row.message_id,
        sender=sender,
        kind=row.kind,
        when=now,
    )
    if attachment is not None:
        message.attach(filename=attachment.filename, content_type=attachment.content_type, data=attachment.data)
    return message.as_bytes()


def send_message(
    smtp: smtplib.SMTP | None, raw: bytes, *, sender: str, recipient: str, message: Message | None = None
) -> None:
    """Send one message's bytes on an open connection; classify a failure as temporary or permanent.

    smtplib reports a refusal of some recipients only in `sendmail`'s return value (Flask-Mail drops
    it); with one recipient per row a refusal raises, but the dict is still checked. Flask-Mail's
    `email_dispatched` signal is sent after the server accepted the message (`mail.record_messages`).
    """
    if "\n" in recipient or "\r" in recipient:
        raise PermanentFailure("Alamat penerima tidak sah (mengandung baris baru).")
    if smtp is not None:
        try:
            refused = smtp.sendmail(_envelope_address(sender), [_envelope_address(recipient)], raw)
        except smtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients
        except smtplib.SMTPResponseException as exc:
            _raise_for_code(exc.smtp_code, exc.smtp_error, exc)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise ConnectionBroken(describe_error(exc)) from exc
        if refused:
            code, error = next(iter(refused.values()))
            _raise_for_code(code, error, None)
    if email_dispatched.receivers:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        email_dispatched.send(app, message=message or Message(recipients=[recipient], sender=sender))


@lru_cache(maxsize=256)
def _envelope_address(address: str) -> str:
    """The address for MAIL FROM / RCPT TO (non-ASCII names and domains encoded as Flask-Mail does)."""
    return sanitize_address(address)


def _raise_for_code(code: int, error: bytes | str, cause: BaseException | None) -> None:
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    description = f"{code} {text}".strip()
    if 500 <= code < 600:
        raise PermanentFailure(description) from cause
    if code == 421:
        # "Service not available, closing transmission channel": the connection is gone.
        raise ConnectionBroken(description) from cause
    raise TemporaryFailure(description) from cause


def describe_error(exc: BaseException) -> str:
    """A failure as admins read it: the server's reply, or what happened to the connection (in Indonesian)."""
    if isinstance(exc, TemporaryFailure | PermanentFailure):
        return str(exc)
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
        return f"{exc.smtp_code} {text}".strip()
    if isinstance(exc, socket.timeout | TimeoutError) or "timed out" in str(exc):
        return f"Batas waktu koneksi SMTP terlampaui ({type(exc).__name__}: {exc})"
    if isinstance(exc, ConnectionRefusedError):
        return f"Server SMTP menolak koneksi: {exc}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"Koneksi SMTP terputus: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def send_test_message(recipient: str, context: Mapping[str, Any]) -> str:
    """Send the test email, rendered from `context`, directly (not through the outbox); returns its Message-ID.
    Raises on failure."""
    address = recipient.strip()
    subject, text, html = render("mail_test", context, address)
    message_id = message_id_for(f"mail_test:{address}:{secrets.token_hex(8)}")
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or DEFAULT_SENDER
    message = build_message(
        subject=subject,
        recipient=address,
        body_text=text,
        body_html=html,
        message_id=message_id,
        sender=sender,
        kind="mail_test",
        when=utcnow(),
    )
    with smtp_connection(suppress=bool(current_app.config.get("MAIL_SUPPRESS_SEND"))) as smtp:
        send_message(smtp, message.as_bytes(), sender=sender, recipient=address, message=message)
    return message_id
