"""The scheduler: its jobs and their settings, heartbeats, one sweep at start, its own process only."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from app import create_app
from app.db import db
from app.models.core import JobHeartbeat
from app.models.escalations import EscalationStep
from app.scheduling import JOBS, build_scheduler, dispatch_job, run_job
from tests.clocked import on_suite_clock
from tests.escalations.helpers import count, open_case
from tests.escalations.test_reliability import ROOT, _env


def test_jobs_have_explicit_ids_and_safe_settings(app):
    start = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    scheduler = build_scheduler(app, BackgroundScheduler, now=start)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    # The national register's refresh (app/people/register.py) too: the file register is the default adapter.
    assert set(jobs) == {
        "escalation_sweep",
        "outbox_dispatch",
        "notice_digest",
        "public_refresh",
        "escalation_digest",
        "register_refresh",
        "intake_verification",
    }
    assert jobs["intake_verification"].trigger.interval == timedelta(minutes=15)
    assert jobs["intake_verification"].next_run_time == start  # late verifications told at start
    assert jobs["register_refresh"].trigger.interval == timedelta(hours=1)
    assert jobs["escalation_sweep"].trigger.interval == timedelta(minutes=5)
    assert jobs["outbox_dispatch"].trigger.interval == timedelta(seconds=30)
    assert jobs["notice_digest"].trigger.interval == timedelta(minutes=15)
    for job in jobs.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)
    assert jobs["escalation_sweep"].next_run_time == start  # one sweep at start
    assert jobs["notice_digest"].next_run_time == start  # a scheduler started after the moment sends the day's
    assert jobs["public_refresh"].trigger.interval == timedelta(minutes=30)
    assert jobs["public_refresh"].next_run_time == start  # the public figures once at start
    assert [spec.id for spec in JOBS] == [
        "escalation_sweep",
        "outbox_dispatch",
        "notice_digest",
        "public_refresh",
        "intake_verification",
    ]


def test_a_job_writes_its_heartbeat_and_a_failure_does_not_escape(app):
    assert run_job(app, "outbox_dispatch", dispatch_job) is True

    def broken():
        raise RuntimeError("basis data tidak terjangkau")

    assert run_job(app, "escalation_sweep", broken) is False
    assert run_job(app, "escalation_sweep", broken) is False
    beats = {b.job_id: b for b in db.session.scalars(select(JobHeartbeat))}
    assert beats["outbox_dispatch"].last_ok is True and beats["outbox_dispatch"].last_error is None
    assert beats["escalation_sweep"].last_ok is False
    assert "basis data tidak terjangkau" in beats["escalation_sweep"].last_error
    assert count(JobHeartbeat) == 2


def _overdue_now(make_agency, make_user):
    """A case already a month late by the real clock (the scheduler sweeps at the real now)."""
    agency = make_agency(ppk_email="ppk@x.go.id")
    received = (datetime.now(UTC) - timedelta(days=60)).date()
    return open_case(agency, received_on=received, drafter=make_user("investigator"))


def _wait_for(predicate, seconds: float) -> bool:
    """Poll in short transactions: on SQLite an open one would hold the write lock the scheduler needs."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        finally:
            db.session.remove()
        time.sleep(0.1)
    return False


def test_the_scheduler_sweeps_once_at_start(app, make_agency, make_user):
    rec_id = _overdue_now(make_agency, make_user)[1].id
    db.session.remove()
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start()
    try:
        assert _wait_for(lambda: count(EscalationStep, EscalationStep.recommendation_id == rec_id) > 0, 60)
        assert _wait_for(lambda: db.session.get(JobHeartbeat, "escalation_sweep") is not None, 30)
    finally:
        scheduler.shutdown(wait=True)
        db.session.remove()
    assert db.session.get(JobHeartbeat, "escalation_sweep").last_ok is True


def test_scheduler_run_refuses_when_disabled(runner):
    result = runner.invoke(args=["scheduler", "run"])
    assert result.exit_code == 0
    assert "SCHEDULER_ENABLED=false" in result.output


def test_scheduler_run_is_its_own_process_and_stops_on_sigterm(make_agency, make_user, database_url):
    rec_id = _overdue_now(make_agency, make_user)[1].id
    db.session.remove()
    env = {**_env(database_url), "SCHEDULER_ENABLED": "1"}
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        on_suite_clock([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"]),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        swept = _wait_for(lambda: count(EscalationStep, EscalationStep.recommendation_id == rec_id) > 0, 90)
        beat = _wait_for(lambda: db.session.get(JobHeartbeat, "escalation_sweep") is not None, 30)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert swept and beat, err
    assert process.returncode == 0, err
    assert "escalation_sweep" in out and "Penjadwal berhenti" in out


def test_the_web_app_never_starts_a_scheduler(app_overrides):
    before = {t.name for t in threading.enumerate()}
    web = create_app(app_overrides)
    with web.test_client() as client:
        client.get("/")
    started = {t.name for t in threading.enumerate()} - before
    assert not any("APScheduler" in name for name in started)
    assert not any(isinstance(v, BackgroundScheduler) for v in web.extensions.values())


def test_scheduler_run_refuses_a_wrong_ladder(app_overrides):
    broken = create_app({**app_overrides, "SCHEDULER_ENABLED": True, "ESCALATION_LADDER": '[{"level": 1}]'})
    with broken.app_context():  # the command runs in the current app context
        result = broken.test_cli_runner().invoke(args=["scheduler", "run"])
    assert result.exit_code != 0
    assert "Konfigurasi eskalasi tidak sah" in result.output


def test_every_email_template_compiles():
    from notifications.rendering import KINDS, compile_templates

    assert compile_templates() == 2 * len(KINDS)


def _scheduler_run_with_templates(app_overrides, monkeypatch, change):
    """`flask scheduler run` with the email templates as they are, except for `change(sources)`; the scheduler
    itself must never be built (a regression fails here instead of blocking the test)."""
    from jinja2 import DictLoader, Environment

    import app.scheduling
    from notifications import rendering

    good = rendering._environment()
    sources = {name: good.loader.get_source(good, name)[0] for name in good.list_templates()}
    change(sources)
    broken_env = Environment(loader=DictLoader(sources))
    monkeypatch.setattr(rendering, "_environment", lambda: broken_env)

    def _never(*_args, **_kwargs):
        raise AssertionError("the scheduler was built despite a broken template")

    monkeypatch.setattr(app.scheduling, "build_scheduler", _never)
    broken = create_app({**app_overrides, "SCHEDULER_ENABLED": True})
    with broken.app_context():
        return broken.test_cli_runner().invoke(args=["scheduler", "run"])


def test_scheduler_run_refuses_a_template_that_does_not_compile(app_overrides, monkeypatch):
    def unclose(sources):
        sources["notifications/reminder.txt"] = "{% extends 'notifications/_layout.txt' %}\n{% block body %}{{ x\n"

    result = _scheduler_run_with_templates(app_overrides, monkeypatch, unclose)
    assert result.exit_code != 0
    assert "Templat email tidak sah (notifications/reminder.txt, baris" in result.output


def test_scheduler_run_refuses_a_missing_template(app_overrides, monkeypatch):
    result = _scheduler_run_with_templates(
        app_overrides, monkeypatch, lambda sources: sources.pop("notifications/reminder.html")
    )
    assert result.exit_code != 0
    assert "Templat email tidak ditemukan: notifications/reminder.html" in result.output
