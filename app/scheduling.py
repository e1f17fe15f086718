"""The scheduler process: `flask scheduler run` runs the escalation sweep and the outbox dispatcher.

Web workers never start a scheduler (`create_app` only wires). This process runs APScheduler 3's
BlockingScheduler with the in-memory job store: jobs are code, with explicit ids, `replace_existing`,
`coalesce`, `max_instances=1` and no misfire limit (a late run still runs, once). Several scheduler
processes may run at once (a second host, a deploy overlap): the jobs are safe because the sweep and the
outbox are (unique keys, row locks), not because only one scheduler runs (RELIABILITY §1).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.dialects import postgresql, sqlite

from app.core.models import JobHeartbeat
from app.db import unit_of_work, utcnow
from app.extensions import db

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


def sweep_job() -> Any:
    """Bring every open recommendation to its ladder level (commits per batch).

    On SQLite a batch holds the database's write lock while it runs, so batches are smaller there: the web
    app beside the scheduler waits for one short batch at most.
    """
    from app.escalations.sweep import run_sweep

    size = current_app.config.get("ESCALATION_SWEEP_BATCH_SIZE")
    if not size:
        size = 100 if db.session.get_bind().dialect.name == "sqlite" else 500
    return run_sweep(utcnow(), batch_size=int(size))


def dispatch_job() -> Any:
    """Send the outbox rows that are due."""
    from notifications.dispatcher import dispatch_pending

    return dispatch_pending()


@dataclass(frozen=True)
class JobSpec:
    id: str
    name: str
    func: Callable[[], Any]
    interval_key: str
    default_seconds: int
    run_at_start: bool


JOBS: tuple[JobSpec, ...] = (
    JobSpec("escalation_sweep", "Sapuan eskalasi", sweep_job, "SCHEDULER_SWEEP_SECONDS", 300, True),
    JobSpec("outbox_dispatch", "Pengiriman email (outbox)", dispatch_job, "SCHEDULER_OUTBOX_SECONDS", 30, False),
)


def _host() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def record_heartbeat(job_id: str, ok: bool, error: str | None) -> None:
    """Upsert the job's last run (one row per job, shared by every scheduler process). Flushes only."""
    values = {"job_id": job_id, "host": _host(), "last_run_at": utcnow(), "last_ok": ok, "last_error": error}
    table = JobHeartbeat.__table__
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["job_id"], set_={k: stmt.excluded[k] for k in ("host", "last_run_at", "last_ok", "last_error")}
    )
    db.session.execute(stmt)


def run_job(app: Flask, job_id: str, func: Callable[[], Any]) -> bool:
    """Run one job in its own app context: commit its work, then its heartbeat; never raise to the scheduler."""
    with app.app_context():
        ok, error = True, None
        try:
            with unit_of_work():
                func()
        except Exception as exc:  # noqa: BLE001 - a failing job must not stop the scheduler
            log.exception("scheduler job %s failed", job_id)
            ok, error = False, f"{type(exc).__name__}: {exc}"[:2000]
        try:
            with unit_of_work():
                record_heartbeat(job_id, ok, error)
        except Exception:  # noqa: BLE001
            log.exception("heartbeat of %s could not be written", job_id)
        finally:
            db.session.remove()
        return ok


def build_scheduler(
    app: Flask, scheduler_class: type[BaseScheduler] = BlockingScheduler, *, now: datetime | None = None
) -> BaseScheduler:
    """The scheduler with every job of JOBS; the sweep's first run is at start (`now`)."""
    scheduler = scheduler_class(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=len(JOBS))},
        job_defaults=JOB_DEFAULTS,
        timezone=UTC,
    )
    start = now or datetime.now(UTC)
    for spec in JOBS:
        seconds = int(app.config.get(spec.interval_key, spec.default_seconds))
        extra: dict[str, Any] = {"next_run_time": start} if spec.run_at_start else {}
        scheduler.add_job(
            run_job,
            trigger=IntervalTrigger(seconds=seconds, timezone=UTC),
            args=(app, spec.id, spec.func),
            id=spec.id,
            name=spec.name,
            replace_existing=True,
            **JOB_DEFAULTS,
            **extra,
        )
    return scheduler


@click.group("scheduler", help="Penjadwal: sapuan eskalasi dan pengiriman email, dalam prosesnya sendiri.")
def scheduler_group() -> None:
    pass


@scheduler_group.command("run", help="Jalankan penjadwal (sapuan eskalasi dan outbox) sampai dihentikan.")
@with_appcontext
def run_command() -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("SCHEDULER_ENABLED", True):
        click.echo("Penjadwal dinonaktifkan (SCHEDULER_ENABLED=false): tidak ada yang dijalankan.")
        return
    from app.escalations.ladder import load_ladder, working_hours
    from config import ConfigError

    try:  # a wrong ladder or working hours stops the scheduler at start, not at every sweep
        load_ladder()
        working_hours()
    except ConfigError as exc:
        raise click.ClickException(f"Konfigurasi eskalasi tidak sah: {exc}") from exc
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    scheduler = build_scheduler(app)

    def _stop(signum: int, frame: Any) -> None:
        click.echo("Penjadwal berhenti (sinyal diterima); menunggu tugas yang sedang berjalan.")
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, _stop)
    for spec in JOBS:
        seconds = int(app.config.get(spec.interval_key, spec.default_seconds))
        click.echo(f"Penjadwal: {spec.name} ({spec.id}) tiap {seconds} detik.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        if scheduler.running:
            scheduler.shutdown(wait=True)
    click.echo("Penjadwal berhenti.")


commands = [scheduler_group]
