"""The scheduler process: `flask scheduler run` runs the escalation sweep, the outbox dispatcher, the
ministries' weekly digest, the daily email of the bell's notices, the audit checkpoint and, when configured, the
pseudonymisation of personal data past its retention period.

Web workers never start a scheduler (`create_app` only wires). This process runs APScheduler 3's
BlockingScheduler with the in-memory job store: jobs are code, with explicit ids, `replace_existing`,
`coalesce`, `max_instances=1` and no misfire limit (a late run still runs, once). Several scheduler
processes may run at once (a second host, a deploy overlap): the jobs are safe because the sweep and the
outbox are (unique keys, row locks), not because only one scheduler runs (RELIABILITY §1).

The interval jobs are `JOBS` (the health check watches their heartbeats against their intervals). The weekly
digest (`DIGEST_JOB_ID`) is a cron job beside them, with the same settings, registered unless
`DIGEST_ENABLED` is false: `DIGEST_WEEKDAY` at `DIGEST_HOUR`:00 WIB, and once at start when this week's
moment has passed without a successful run (its heartbeat): a scheduler down on Monday morning still sends the
week's digest. The outbox key holds the ISO week, so a digest already queued is never queued again.

The audit checkpoint (`CHECKPOINT_JOB_ID`, docs/audit.md) is an interval job beside them, registered when a
checkpoint directory is configured: at start and every AUDIT_CHECKPOINT_SECONDS. Its heartbeat shows on the
health endpoint (a refused checkpoint, i.e. a history cut since the last one, degrades it).
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
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from flask.cli import with_appcontext
from jinja2 import TemplateNotFound, TemplateSyntaxError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from app.audit.checkpoints import checkpoint_dir, run_checkpoint_job
from app.core.clock import utcnow
from app.db import db, on_postgresql, unit_of_work
from app.escalations.cli import check_recipients_at_start
from app.escalations.digest import digest_schedule, run_digest
from app.escalations.ladder import load_ladder, working_hours
from app.escalations.sweep import run_sweep
from app.inbox.digest import digest_time, run_notice_digest
from app.intake.deadlines import escalate_late_verifications
from app.models.core import JobHeartbeat
from app.people.register import configured_register, register_job
from app.people.retention import retention_job
from app.public.cli import refresh_job as public_refresh_job
from config import ConfigError
from notifications.dispatcher import dispatch_pending
from notifications.rendering import compile_templates

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


def sweep_job() -> Any:
    """Bring every open recommendation to its ladder level (commits per batch).

    On SQLite a batch holds the database's write lock while it runs, so batches are smaller there: the web
    app beside the scheduler waits for one short batch at most.
    """
    size = current_app.config.get("ESCALATION_SWEEP_BATCH_SIZE")
    if not size:
        size = 500 if on_postgresql() else 100
    return run_sweep(utcnow(), batch_size=int(size))


def dispatch_job() -> Any:
    """Send the outbox rows that are due."""
    return dispatch_pending()


def digest_job() -> Any:
    """Queue this week's digest of escalated cases for each ministry (flushes; `run_job` commits)."""
    return run_digest(utcnow())


def notice_digest_job() -> Any:
    """Queue the day's email of the bell's unread notices for each person whose moment (NOTIFY_DIGEST_TIME in
    their zone, on a working day) has passed; once per person and day (app/inbox/digest.py)."""
    return run_notice_digest(utcnow())


def intake_verification_job() -> Any:
    """Tell the signing officials of the reports whose verification deadline passed (app/intake/deadlines.py)."""
    return escalate_late_verifications(utcnow())


def checkpoint_job() -> Any:
    """Sign every case's history head into a checkpoint file outside the database (app/audit/checkpoints.py).
    A history that went backwards since the last checkpoint makes it fail, which the heartbeat records."""
    return run_checkpoint_job(utcnow())


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
    JobSpec(
        "notice_digest",
        "Email harian notifikasi",
        notice_digest_job,
        "SCHEDULER_NOTICE_DIGEST_SECONDS",
        900,
        True,
    ),
    # The public figures (issue 24): this year, the last and one older year in turn; a new release when they changed.
    JobSpec("public_refresh", "Angka publik", public_refresh_job, "SCHEDULER_PUBLIC_SECONDS", 1800, True),
    # Issue 22: the verification deadline of reports received during an election period.
    JobSpec(
        "intake_verification",
        "Batas verifikasi laporan",
        intake_verification_job,
        "SCHEDULER_INTAKE_SECONDS",
        900,
        True,
    ),
)

DIGEST_JOB_ID = "escalation_digest"
DIGEST_JOB_NAME = "Ringkasan mingguan eskalasi"

# The audit checkpoint runs beside JOBS, at start and every AUDIT_CHECKPOINT_SECONDS (default daily), when a
# checkpoint directory is configured (none under TESTING without AUDIT_CHECKPOINT_DIR) and the interval is > 0.
CHECKPOINT_JOB_ID = "audit_checkpoint"
CHECKPOINT_JOB_NAME = "Checkpoint riwayat perkara"

# The national register's refresh (app/people/register.py) runs beside them every REGISTER_REFRESH_SECONDS when a
# register is configured (REGISTER_ADAPTER) and the interval is > 0: the case workflow never asks the register.
REGISTER_JOB_ID = "register_refresh"
REGISTER_JOB_NAME = "Penyegaran data register ASN"

# Personal data past its retention period (app/people/retention.py) is pseudonymised every RETENTION_SECONDS
# (default daily) when RETENTION_PSEUDONYMISE is on; never otherwise.
RETENTION_JOB_ID = "retention"
RETENTION_JOB_NAME = "Pseudonimisasi data pribadi lewat masa simpan"


def _host() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def record_heartbeat(job_id: str, ok: bool, error: str | None) -> None:
    """Upsert the job's last run (one row per job, shared by every scheduler process). Flushes only."""
    values = {"job_id": job_id, "host": _host(), "last_run_at": utcnow(), "last_ok": ok, "last_error": error}
    table = JobHeartbeat.__table__
    insert = postgresql.insert if on_postgresql() else sqlite.insert
    stmt = insert(table).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["job_id"], set_={k: stmt.excluded[k] for k in ("host", "last_run_at", "last_ok", "last_error")}
    )
    db.session.execute(stmt)


def run_job(app: Flask, job_id: str, func: Callable[[], Any]) -> bool:
    """Run one job in its own app context: commit its work, then its heartbeat; never raise to the scheduler.

    A job whose first statements meet a connection the database dropped (a restart, a failover: the pool does
    not ping, see config.py) runs once more at once: the failure invalidated the pool's old connections, and
    every job is idempotent (the sweep's compare-and-set levels, the outbox's claimed rows)."""
    with app.app_context():
        ok, error = True, None
        try:
            try:
                with unit_of_work():
                    func()
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                log.warning("scheduler job %s met a lost database connection; running it again", job_id)
                db.session.remove()
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
    """The scheduler with every job of JOBS and the weekly digest; the sweep's first run is at start (`now`)."""
    digest = _digest_schedule(app)
    checkpoint_seconds = _checkpoint_seconds(app)
    register_seconds = _register_seconds(app)
    retention_seconds = _retention_seconds(app)
    scheduler = scheduler_class(
        jobstores={"default": MemoryJobStore()},
        executors={
            "default": ThreadPoolExecutor(
                max_workers=len(JOBS)
                + (1 if digest else 0)
                + (1 if checkpoint_seconds else 0)
                + (1 if register_seconds else 0)
                + (1 if retention_seconds else 0)
            )
        },
        job_defaults=JOB_DEFAULTS,
        timezone=UTC,
    )
    start = now or utcnow()
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
    if digest is not None:
        scheduler.add_job(
            run_job,
            trigger=CronTrigger(day_of_week=digest.cron_day, hour=digest.hour, minute=0, timezone=digest.tz_name),
            args=(app, DIGEST_JOB_ID, digest_job),
            id=DIGEST_JOB_ID,
            name=DIGEST_JOB_NAME,
            replace_existing=True,
            **JOB_DEFAULTS,
            **({"next_run_time": start} if _digest_missed(app, digest, start) else {}),
        )
    # The jobs beside JOBS that run only when configured: (interval, id, function, name, run at start).
    optional = (
        (checkpoint_seconds, CHECKPOINT_JOB_ID, checkpoint_job, CHECKPOINT_JOB_NAME, True),
        (register_seconds, REGISTER_JOB_ID, register_job, REGISTER_JOB_NAME, False),
        (retention_seconds, RETENTION_JOB_ID, retention_job, RETENTION_JOB_NAME, True),
    )
    for seconds, job_id, func, name, at_start in optional:
        if not seconds:
            continue
        scheduler.add_job(
            run_job,
            trigger=IntervalTrigger(seconds=seconds, timezone=UTC),
            args=(app, job_id, func),
            id=job_id,
            name=name,
            replace_existing=True,
            **JOB_DEFAULTS,
            **({"next_run_time": start} if at_start else {}),
        )
    return scheduler


def _retention_seconds(app: Flask) -> int:
    """The pseudonymisation's interval, 0 unless RETENTION_PSEUDONYMISE is on (and the interval > 0)."""
    if not app.config.get("RETENTION_PSEUDONYMISE"):
        return 0
    return max(0, int(app.config.get("RETENTION_SECONDS") or 0))


def _register_seconds(app: Flask) -> int:
    """The register refresh's interval, 0 when no register is configured (or the interval is 0)."""
    seconds = int(app.config.get("REGISTER_REFRESH_SECONDS") or 0)
    if seconds <= 0:
        return 0
    with app.app_context():
        return seconds if configured_register() is not None else 0


def _checkpoint_seconds(app: Flask) -> int:
    """The audit checkpoint's interval, 0 when it does not run (no checkpoint directory, or an interval ≤ 0)."""
    seconds = int(app.config.get("AUDIT_CHECKPOINT_SECONDS") or 0)
    if seconds <= 0:
        return 0
    with app.app_context():
        return seconds if checkpoint_dir() is not None else 0


def _digest_schedule(app: Flask) -> Any:
    """The digest's DigestSchedule, or None when `DIGEST_ENABLED` is false (ConfigError when invalid)."""
    if not app.config.get("DIGEST_ENABLED", True):
        return None
    return digest_schedule(app.config)


def _digest_missed(app: Flask, digest: Any, now: datetime) -> bool:
    """This week's digest moment has passed and no run succeeded since (unknown: assume missed, it is safe)."""
    if not digest.missed(now):
        return False
    with app.app_context():
        try:
            beat = db.session.get(JobHeartbeat, DIGEST_JOB_ID)
            return beat is None or not beat.last_ok or beat.last_run_at < digest.slot_of_week(now)
        except Exception:  # noqa: BLE001 - the database may be down at start; the run at start is idempotent
            log.warning("digest heartbeat could not be read at start", exc_info=True)
            return True
        finally:
            db.session.remove()


@click.group(
    "scheduler",
    help="Penjadwal: sapuan eskalasi, pengiriman email dan ringkasan mingguan, dalam prosesnya sendiri.",
)
def scheduler_group() -> None:
    pass


@scheduler_group.command("run", help="Jalankan penjadwal (sapuan eskalasi dan outbox) sampai dihentikan.")
@with_appcontext
def run_command() -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("SCHEDULER_ENABLED", True):
        click.echo("Penjadwal dinonaktifkan (SCHEDULER_ENABLED=false): tidak ada yang dijalankan.")
        return
    try:  # a wrong ladder, working hours or digest schedule stops the scheduler at start, not at every run
        load_ladder()
        working_hours()
        digest = _digest_schedule(app)
        digest_time(app.config)
    except ConfigError as exc:
        raise click.ClickException(f"Konfigurasi eskalasi tidak sah: {exc}") from exc
    try:  # so does an email template that is missing or does not compile
        compile_templates()
    except TemplateNotFound as exc:
        raise click.ClickException(f"Templat email tidak ditemukan: {exc.name}") from exc
    except TemplateSyntaxError as exc:
        raise click.ClickException(f"Templat email tidak sah ({exc.name}, baris {exc.lineno}): {exc.message}") from exc
    check_recipients_at_start(app)  # names every target without a mailbox; production refuses the level-2 ones
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    scheduler = build_scheduler(app)

    def _stop(signum: int, frame: Any) -> None:
        click.echo("Penjadwal berhenti (sinyal diterima); menunggu tugas yang sedang berjalan.")
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, _stop)
    for spec in JOBS:
        seconds = int(app.config.get(spec.interval_key, spec.default_seconds))
        click.echo(f"Penjadwal: {spec.name} ({spec.id}) tiap {seconds} detik.")
    if digest is not None:
        click.echo(f"Penjadwal: {DIGEST_JOB_NAME} ({DIGEST_JOB_ID}) {digest.label}.")
    else:
        click.echo(f"Penjadwal: {DIGEST_JOB_NAME} dinonaktifkan (DIGEST_ENABLED=false).")
    checkpoint_seconds = _checkpoint_seconds(app)
    if checkpoint_seconds:
        click.echo(
            f"Penjadwal: {CHECKPOINT_JOB_NAME} ({CHECKPOINT_JOB_ID}) saat mulai dan tiap {checkpoint_seconds} detik."
        )
    else:
        click.echo(f"Penjadwal: {CHECKPOINT_JOB_NAME} tidak berjalan (AUDIT_CHECKPOINT_DIR/AUDIT_CHECKPOINT_SECONDS).")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        if scheduler.running:
            scheduler.shutdown(wait=True)
    click.echo("Penjadwal berhenti.")


commands = [scheduler_group]
