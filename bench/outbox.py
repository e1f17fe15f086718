"""Outbox dispatcher throughput against a bare smtplib loop, on one local SMTP server, in one run.

    .venv/bin/python -m bench.outbox [--messages 10000] [--batch-size 200]

Starts an aiosmtpd server on 127.0.0.1 in a process of its own, queues the emails in a fresh database (an SQLite
file, or BENCH_DATABASE_URL, emptied; rendering happens there, as in production), then times
(1) a bare smtplib loop sending the same emails over one connection: for each stored row, the standard
    library's `EmailMessage` with the row's subject, text and HTML, Message-ID and Date, sent with
    `send_message` — the least code that sends these emails; and
(2) `dispatch_pending` called until the outbox is empty (claim with its lease, build each row's MIME
    message, send over one connection per batch, record the outcomes).
Prints both throughputs and their ratio (target: ratio >= 0.8), the rate of the bare loop when it only
sends prebuilt bytes (to show what building a message costs), and the time queuing took per email.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import smtplib
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

TARGET_RATIO = 0.8


class CountingHandler:
    """Accepts everything and counts it (no parsing: the server costs the same for both loops)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            self.count += 1
        return "250 OK"


def _sink(port: int, ready: Any, stop: Any) -> None:
    """The SMTP server, in a process of its own: its work is not charged to the loops it serves (a thread of the
    measuring process would share its interpreter lock with them)."""
    controller = Controller(CountingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def start_sink(port: int) -> tuple[Any, Any]:
    """The SMTP sink's process, started and listening, and the event that stops it."""
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    process = context.Process(target=_sink, args=(port, ready, stop), daemon=True)
    process.start()
    if not ready.wait(timeout=60):
        process.kill()
        raise SystemExit("the SMTP sink did not start")
    return process, stop


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _make_app(database_url: str, port: int, batch_size: int) -> Any:
    from app import create_app

    return create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-secret-key-0123456789-0123456789",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_DEFAULT_SENDER": "Tindak <noreply@tindak.bench>",
            "BASE_URL": "http://tindak.bench",
            "OUTBOX_BATCH_SIZE": batch_size,
            "SCHEDULER_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )


def _queue(messages: int, rounds: int, start: datetime) -> list[datetime]:
    """One case and `messages` outbox rows (100 recipients per event, as a sweep over many cases would),
    split into `rounds` chunks that fall due one minute apart; returns the instant each chunk is due."""
    from app.db import db, unit_of_work
    from app.letters.mail import enqueue
    from app.models.agencies import Agency
    from app.models.cases import Case, Recommendation

    due = datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)
    with unit_of_work():
        agency = Agency(code="BENCH", name="Instansi Uji Kinerja", kind="kementerian", ppk_title="Menteri")
        db.session.add(agency)
        db.session.flush()
        case = Case(
            number="NKK-2026-000001",
            agency_id=agency.id,
            category="netralitas",
            source="public",
            reported_name="Budi Santoso",
            reported_nip="198609262015051001",
            summary="Uji kinerja.",
            occurred_on=date(2026, 9, 14),
            _status="awaiting_follow_up",
        )
        db.session.add(case)
        db.session.flush()
        db.session.add(
            Recommendation(
                case_id=case.id,
                agency_id=case.agency_id,
                sanction="disiplin_sedang",
                legal_basis="PP 94/2021",
                text="Uji kinerja.",
                letter_number="R-1/KASN/11/2026",
                issued_at=due - timedelta(days=20),
                due_at=due,
                is_open=True,
            )
        )
    per_round = -(-messages // rounds)
    per_event = 100
    due_times = [start + timedelta(minutes=k) for k in range(rounds)]
    for k, due_at in enumerate(due_times):
        low, high = k * per_round, min((k + 1) * per_round, messages)
        for first in range(low, high, per_event):
            with unit_of_work():
                enqueue(
                    "overdue",
                    case=case,
                    recipients=[f"ppk{n:05d}@instansi.go.id" for n in range(first, min(first + per_event, high))],
                    key=f"overdue:bench:{first}",
                    extra={"days_late": 3},
                    send_after=due_at,
                )
    return due_times


Stored = tuple[str, str, str, str | None, str]


def _stored_messages(due: datetime) -> list[Stored]:
    """The emails of one chunk as queued: recipient, subject, text, HTML and Message-ID."""
    from sqlalchemy import select

    from app.db import db
    from app.models.outbox import OutboxMessage

    rows = db.session.execute(
        select(
            OutboxMessage.recipient,
            OutboxMessage.subject,
            OutboxMessage.body_text,
            OutboxMessage.body_html,
            OutboxMessage.message_id,
        )
        .where(OutboxMessage.next_attempt_at == due)
        .order_by(OutboxMessage.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _build(row: Stored) -> EmailMessage:
    recipient, subject, text, html, message_id = row
    message = EmailMessage()
    message["From"] = "Tindak <noreply@tindak.bench>"
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = formatdate(localtime=False)
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def _bare_loop(port: int, messages: list[Stored]) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for row in messages:
            smtp.send_message(_build(row))
    return time.perf_counter() - started


def _bytes_loop(port: int, messages: list[tuple[str, bytes]]) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for recipient, raw in messages:
            smtp.sendmail("noreply@tindak.bench", [recipient], raw)
    return time.perf_counter() - started


def _dispatch_until_empty(now: datetime) -> tuple[float, int]:
    from notifications.dispatcher import dispatch_pending

    sent = 0
    started = time.perf_counter()
    while True:
        result = dispatch_pending(now=now)
        sent += result["sent"]
        if not any(result.values()):
            break
    return time.perf_counter() - started, sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds of both loops")
    args = parser.parse_args(argv)

    from bench.datagen import reset_database

    port = _free_port()
    database = "?"
    sink, stop_sink = start_sink(port)
    bare_seconds = dispatch_seconds = bytes_seconds = 0.0
    bare_count = sent = 0
    prebuilt: list[tuple[str, bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.db'}"
            app = _make_app(url, port, args.batch_size)
            reset_database(app)
            with app.app_context():
                from app.db import db

                database = db.engine.dialect.name
                start = datetime.now(UTC) - timedelta(days=1)
                queue_started = time.perf_counter()
                due_times = _queue(args.messages, args.rounds, start)
                queue_seconds = time.perf_counter() - queue_started
                chunks = [_stored_messages(due) for due in due_times]
                db.session.remove()

                _bare_loop(port, chunks[0][:100])  # warm-up: connection set-up, server start
                # The loops alternate (and swap order each round), so both see the same machine load.
                for k, (due, chunk) in enumerate(zip(due_times, chunks, strict=True)):
                    for step in ("bare", "outbox") if k % 2 == 0 else ("outbox", "bare"):
                        if step == "bare":
                            bare_seconds += _bare_loop(port, chunk)
                            bare_count += len(chunk)
                        else:
                            seconds, count = _dispatch_until_empty(due + timedelta(seconds=1))
                            dispatch_seconds += seconds
                            sent += count
                    db.session.remove()
                # For scale: the same emails prebuilt, the loop only moving bytes.
                prebuilt = [(row[0], _build(row).as_bytes(policy=SMTP)) for chunk in chunks for row in chunk]
                bytes_seconds = _bytes_loop(port, prebuilt)
    finally:
        stop_sink.set()
        sink.join(timeout=30)

    if sent != args.messages or bare_count != args.messages:
        print(f"outbox: expected {args.messages} sent, got {sent} (bare {bare_count})", file=sys.stderr)
        return 1
    bare_rate = bare_count / bare_seconds
    outbox_rate = sent / dispatch_seconds
    ratio = outbox_rate / bare_rate
    verdict = "ok" if ratio >= TARGET_RATIO else "below target"
    print(
        f"outbox ({database}): {sent} emails, dispatcher {outbox_rate:,.0f}/s ({dispatch_seconds:.2f} s), "
        f"bare smtplib {bare_rate:,.0f}/s ({bare_seconds:.2f} s), ratio {ratio:.2f} "
        f"(target >= {TARGET_RATIO}, {verdict}; batch {args.batch_size}, {args.rounds} interleaved rounds; "
        f"queuing incl. rendering took {queue_seconds / args.messages * 1000:.1f} ms per email; "
        f"prebuilt bytes only: {len(prebuilt) / bytes_seconds:,.0f}/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
