"""Health endpoint for load balancers and monitoring: `GET /api/v1/health` (no authentication).

It reports, in a few cheap statements:
- the database: reachable or not, and the round-trip latency of `SELECT 1`;
- the outbox: pending rows, how many are due now, the age of the oldest pending and of the oldest due row,
  rows being sent, and dead rows (emails that need an administrator);
- the scheduler: each job's last run from `job_heartbeats`, whether it succeeded, and whether it is stale
  (no run for three intervals plus a margin, or never);
- the working-day calendar: the years from today to the end of a deadline issued today whose cuti bersama are
  not known (neither in the `holidays` package nor entered by an administrator with their decree), so that
  deadlines there would count only weekends and national holidays;
- the escalation targets the ladder writes to that have no mailbox (their emails wait, still due, until an
  administrator gives them one).

HTTP 200 whenever the database answers (`status` is `ok`, or `degraded` when the scheduler is stale, a job
failed, an email is dead, the backlog is old, a calendar year is incomplete or an escalation target has no
mailbox): the web host itself can serve, so a load balancer keeps it.
HTTP 503 when the database does not answer. Nothing secret is reported: no connection string, host name,
process id or error text (those go to the log).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import case, func, select, text

from app.calendar.working_days import calendar_gaps
from app.core.clock import utcnow
from app.core.vocab import ESCALATION_TARGET_LABELS
from app.db import db
from app.escalations.routing import targets_without_mailbox
from app.models.core import JobHeartbeat
from app.models.outbox import OutboxMessage
from app.scheduling import JOBS

log = logging.getLogger(__name__)

blp = Blueprint("health", __name__, description="Kesehatan layanan (basis data, outbox, penjadwal, kalender)")

# A job is stale when it has not run for STALE_INTERVALS of its interval plus STALE_MARGIN_SECONDS.
STALE_INTERVALS = 3
STALE_MARGIN_SECONDS = 60
# Due emails waiting longer than this make the service `degraded` (the dispatcher runs every 30 s).
BACKLOG_WARN_SECONDS = 15 * 60


class DatabaseHealthSchema(Schema):
    ok = fields.Bool(required=True)
    dialect = fields.Str(allow_none=True)
    latency_ms = fields.Float(allow_none=True)
    error = fields.Str(allow_none=True, metadata={"description": "Jenis galat saja (tanpa rincian koneksi)"})


class OutboxHealthSchema(Schema):
    pending = fields.Int(required=True)
    due = fields.Int(required=True, metadata={"description": "Baris pending yang sudah waktunya dikirim"})
    sending = fields.Int(required=True)
    dead = fields.Int(required=True)
    oldest_pending_age_seconds = fields.Float(allow_none=True)
    oldest_due_age_seconds = fields.Float(allow_none=True)


class JobHealthSchema(Schema):
    job_id = fields.Str(required=True)
    name = fields.Str(allow_none=True)
    interval_seconds = fields.Int(allow_none=True)
    last_run_at = fields.DateTime(allow_none=True)
    age_seconds = fields.Float(allow_none=True)
    last_ok = fields.Bool(allow_none=True)
    stale = fields.Bool(required=True)


class SchedulerHealthSchema(Schema):
    ok = fields.Bool(required=True)
    jobs = fields.List(fields.Nested(JobHealthSchema), required=True)


class CalendarYearSchema(Schema):
    year = fields.Int(required=True)
    cuti_bersama_known = fields.Bool(required=True)
    estimated_holidays = fields.Int(required=True, metadata={"description": "Hari libur yang tanggalnya perkiraan"})
    maintained_by_admin = fields.Bool(required=True)
    message = fields.Str(allow_none=True)


class CalendarHealthSchema(Schema):
    ok = fields.Bool(required=True)
    incomplete_years = fields.List(fields.Nested(CalendarYearSchema), required=True)


class EscalationTargetSchema(Schema):
    target = fields.Str(required=True, metadata={"enum": ["menpanrb", "kemendagri", "kasn", "bkn"]})
    label = fields.Str(required=True)


class EscalationHealthSchema(Schema):
    ok = fields.Bool(required=True)
    targets_without_mailbox = fields.List(
        fields.Nested(EscalationTargetSchema),
        required=True,
        metadata={"description": "Tujuan eskalasi tanpa alamat email: emailnya menunggu sampai alamat diisi"},
    )


class HealthSchema(Schema):
    status = fields.Str(required=True, metadata={"enum": ["ok", "degraded", "down"]})
    checked_at = fields.DateTime(required=True)
    database = fields.Nested(DatabaseHealthSchema, required=True)
    outbox = fields.Nested(OutboxHealthSchema, allow_none=True)
    scheduler = fields.Nested(SchedulerHealthSchema, allow_none=True)
    calendar = fields.Nested(CalendarHealthSchema, allow_none=True)
    escalation = fields.Nested(EscalationHealthSchema, allow_none=True)
    problems = fields.List(fields.Str(), required=True)


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else round(max((now - then).total_seconds(), 0.0), 3)


def check_database() -> dict[str, Any]:
    dialect = None
    try:
        dialect = db.engine.dialect.name
        started = time.perf_counter()
        db.session.execute(text("SELECT 1")).scalar_one()
        latency = (time.perf_counter() - started) * 1000
    except Exception as exc:  # noqa: BLE001 - any failure means "down"; the details go to the log only
        log.warning("health: database check failed: %s", exc)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001,S110 - the connection may be gone
            pass
        return {"ok": False, "dialect": dialect, "latency_ms": None, "error": type(exc).__name__}
    return {"ok": True, "dialect": dialect, "latency_ms": round(latency, 3), "error": None}


def check_outbox(now: datetime) -> dict[str, Any]:
    """One aggregate over the rows that are not sent (the (status, next_attempt_at) index covers it)."""
    M = OutboxMessage  # a short name for the aggregate below
    pending = M.status == "pending"
    due = (M.status == "pending") & (M.next_attempt_at <= now)
    row = db.session.execute(
        select(
            func.coalesce(func.sum(case((pending, 1), else_=0)), 0),
            func.coalesce(func.sum(case((due, 1), else_=0)), 0),
            func.coalesce(func.sum(case((M.status == "sending", 1), else_=0)), 0),
            func.coalesce(func.sum(case((M.status == "dead", 1), else_=0)), 0),
            func.min(case((pending, M.created_at), else_=None)),
            func.min(case((due, M.next_attempt_at), else_=None)),
        ).where(M.status.in_(("pending", "sending", "dead")))
    ).one()
    n_pending, n_due, n_sending, n_dead, oldest_pending, oldest_due = row
    return {
        "pending": int(n_pending),
        "due": int(n_due),
        "sending": int(n_sending),
        "dead": int(n_dead),
        "oldest_pending_age_seconds": _age(now, oldest_pending),
        "oldest_due_age_seconds": _age(now, oldest_due),
    }


def check_scheduler(now: datetime) -> dict[str, Any]:
    """Every job of the scheduler process with its last heartbeat; unknown jobs that wrote one too."""
    beats = {row.job_id: row for row in db.session.scalars(select(JobHeartbeat))}
    config = current_app.config
    jobs: list[dict[str, Any]] = []
    for spec in JOBS:
        interval = int(config.get(spec.interval_key, spec.default_seconds))
        beat = beats.pop(spec.id, None)
        age = _age(now, beat.last_run_at) if beat is not None else None
        stale = age is None or age > STALE_INTERVALS * interval + STALE_MARGIN_SECONDS
        jobs.append(
            {
                "job_id": spec.id,
                "name": spec.name,
                "interval_seconds": interval,
                "last_run_at": beat.last_run_at if beat is not None else None,
                "age_seconds": age,
                "last_ok": beat.last_ok if beat is not None else None,
                "stale": stale,
            }
        )
    for job_id, beat in sorted(beats.items()):
        jobs.append(
            {
                "job_id": job_id,
                "name": None,
                "interval_seconds": None,
                "last_run_at": beat.last_run_at,
                "age_seconds": _age(now, beat.last_run_at),
                "last_ok": beat.last_ok,
                "stale": False,
            }
        )
    ok = all(not job["stale"] and job["last_ok"] is not False for job in jobs)
    return {"ok": ok, "jobs": jobs}


def check_calendar(now: datetime) -> dict[str, Any]:
    """Years ahead whose cuti bersama the calendar does not know (a deadline there would skip them silently)."""
    gaps = calendar_gaps(now)
    years = [
        {
            "year": gap.year,
            "cuti_bersama_known": gap.cuti_bersama_known,
            "estimated_holidays": gap.estimated_holidays,
            "maintained_by_admin": gap.maintained_by_admin,
            "message": gap.message,
        }
        for gap in gaps
    ]
    return {"ok": not years, "incomplete_years": years}


def check_escalation() -> dict[str, Any]:
    """The escalation targets the ladder writes to that have no mailbox (admin rows, else configuration)."""
    missing = targets_without_mailbox()
    return {
        "ok": not missing,
        "targets_without_mailbox": [{"target": t, "label": ESCALATION_TARGET_LABELS[t]} for t in missing],
    }


def health_report(now: datetime | None = None) -> tuple[dict[str, Any], int]:
    """The report and its HTTP status (200 while the database answers, else 503)."""
    now = now or utcnow()
    database = check_database()
    report: dict[str, Any] = {
        "status": "down",
        "checked_at": now,
        "database": database,
        "outbox": None,
        "scheduler": None,
        "calendar": None,
        "escalation": None,
        "problems": [],
    }
    if not database["ok"]:
        report["problems"].append("Basis data tidak dapat dihubungi.")
        return report, 503
    problems = report["problems"]
    try:
        outbox = report["outbox"] = check_outbox(now)
        scheduler = report["scheduler"] = check_scheduler(now)
        calendar = report["calendar"] = check_calendar(now)
        escalation = report["escalation"] = check_escalation()
    except Exception as exc:  # noqa: BLE001 - a half-migrated or locked database still gets an answer
        log.warning("health: check failed: %s", exc)
        db.session.rollback()
        problems.append("Pemeriksaan outbox, penjadwal, kalender atau penerima eskalasi gagal.")
        report["status"] = "degraded"
        return report, 200
    for job in scheduler["jobs"]:
        if job["stale"]:
            problems.append(f"Tugas penjadwal {job['job_id']} tidak berjalan tepat waktu.")
        elif job["last_ok"] is False:
            problems.append(f"Tugas penjadwal {job['job_id']} gagal pada jalannya yang terakhir.")
    if outbox["dead"]:
        problems.append(f"{outbox['dead']} email gagal terkirim permanen (perlu tindakan administrator).")
    if (outbox["oldest_due_age_seconds"] or 0) > BACKLOG_WARN_SECONDS:
        problems.append("Antrean email tertunda lebih lama dari batas wajar.")
    problems.extend(year["message"] for year in calendar["incomplete_years"])
    if not escalation["ok"]:
        names = ", ".join(t["label"] for t in escalation["targets_without_mailbox"])
        problems.append(
            f"Tujuan eskalasi tanpa alamat email: {names}. Email eskalasi kepadanya tertunda sampai "
            "administrator mengisi alamatnya."
        )
    report["status"] = "degraded" if problems else "ok"
    return report, 200


@blp.route("/health")
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="Basis data tidak dapat dihubungi")
def health() -> Any:
    """Service health: database, outbox backlog and dead emails, scheduler heartbeat, the working-day calendar's
    coverage of the days ahead, escalation targets without a mailbox. No authentication."""
    report, status = health_report()
    return report, status, {"Cache-Control": "no-store"}
