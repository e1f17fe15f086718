"""A sweep killed mid-batch loses and duplicates nothing; several sweeping processes at once (PostgreSQL)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from app.db import db
from app.escalations.sweep import run_sweep
from app.models.cases import CaseHistory, Recommendation
from app.models.escalations import EscalationStep
from app.models.outbox import OutboxMessage
from notifications import rendering
from tests.clocked import environ_without_faketime, on_suite_clock
from tests.escalations.helpers import bulk_open_cases, count, open_case
from tests.escalations.test_sweep import RECEIVED, end_of_wib_day

ROOT = Path(__file__).resolve().parents[2]
# Due Friday 20 Nov 2026; on Tuesday 24 Nov every case is one working day late: level 0 is passed over
# (recorded, no email) and level 1 is notified to the PPK and the investigator.
DUE = end_of_wib_day(RECEIVED.replace(day=20))
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


@pytest.fixture
def overdue(make_agency, make_user):
    agency = make_agency(kind="kementerian", ppk_email="ppk@kemenx.go.id")
    drafter = make_user("investigator", email="analis@kasn.go.id")

    def _make(n: int, level: int | None = None) -> None:
        bulk_open_cases(agency.id, n, due_at=DUE, received_on=RECEIVED, drafted_by_id=drafter.id, level=level)

    return _make


def assert_each_case_escalated_once(n: int, steps: int = 2) -> None:
    """Every case: level 1, its new steps once (0 passed over and 1, or 1 alone), two emails (PPK,
    investigator), one history row per step."""
    assert count(Recommendation, Recommendation.escalation_level == 1) == n
    assert count(EscalationStep) == steps * n
    distinct = db.session.scalar(
        select(func.count()).select_from(
            select(EscalationStep.recommendation_id, EscalationStep.cycle, EscalationStep.level).distinct().subquery()
        )
    )
    assert distinct == steps * n
    assert count(EscalationStep, EscalationStep.notified.is_(True)) == n
    assert count(OutboxMessage) == 2 * n
    assert db.session.scalar(select(func.count(func.distinct(OutboxMessage.idempotency_key)))) == 2 * n
    assert count(OutboxMessage, OutboxMessage.kind == "overdue") == 2 * n
    assert count(CaseHistory, CaseHistory.event == "escalation_level_reached") == steps * n
    per_case = db.session.execute(
        select(CaseHistory.case_id, func.count()).group_by(CaseHistory.case_id).having(func.count() != steps)
    ).all()
    assert per_case == []


def assert_batches_whole(expected_max: int) -> int:
    """After a crash: every recommendation is either fully escalated or untouched; returns how many were."""
    done = count(Recommendation, Recommendation.escalation_level == 1)
    untouched = count(Recommendation, Recommendation.escalation_level.is_(None))
    assert done + untouched == expected_max
    assert count(EscalationStep) == 2 * done
    assert count(OutboxMessage) == 2 * done
    assert count(CaseHistory) == 2 * done
    return done


def test_an_exception_mid_batch_rolls_that_batch_back_and_a_rerun_completes(overdue, monkeypatch):
    overdue(35)
    real_render = rendering.render
    calls = {"n": 0}

    def failing_render(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 15:  # the 5th case of the second batch (one rendering per case)
            raise RuntimeError("process lost mid-batch")
        return real_render(*args, **kwargs)

    monkeypatch.setattr(rendering, "render", failing_render)
    with pytest.raises(RuntimeError, match="mid-batch"):
        run_sweep(NOW, batch_size=10)
    db.session.rollback()
    assert assert_batches_whole(35) == 10  # the first batch committed, the second not at all
    monkeypatch.setattr(rendering, "render", real_render)
    report = run_sweep(NOW, batch_size=10)
    assert report.levels[1] == 25
    assert_each_case_escalated_once(35)
    assert run_sweep(NOW, batch_size=10).steps == 0


def _env(database_url: str) -> dict[str, str]:
    env = environ_without_faketime()
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "BASE_URL": "http://tindak.test",
            "ESCALATION_RECIPIENTS_MENPANRB": "eskalasi@menpan.go.id",
            "ESCALATION_RECIPIENTS_KEMENDAGRI": "eskalasi@kemendagri.go.id",
            "ESCALATION_RECIPIENTS_KASN": "ketua@kasn.go.id",
            "ESCALATION_RECIPIENTS_BKN": "blokir@bkn.go.id",
            "SCHEDULER_ENABLED": "0",
            "AUDIT_CHECKPOINT_SECONDS": "0",  # a scheduler writes no checkpoint into the instance folder
        }
    )
    return env


def _sweep_process(database_url: str, *extra: str) -> subprocess.Popen:
    command = on_suite_clock(
        [sys.executable, "-m", "flask", "--app", "wsgi", "escalations", "run", "--now", NOW.isoformat(), *extra]
    )
    return subprocess.Popen(  # noqa: S603 - our own CLI
        command, cwd=ROOT, env=_env(database_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _committed_steps(engine) -> int:
    """Count what the other process committed without taking a lock it needs: on SQLite a plain read
    (WAL readers never block the writer), not a transaction of the app's engine (which begins IMMEDIATE)."""
    if engine.dialect.name == "sqlite":
        with closing(sqlite3.connect(engine.url.database, isolation_level=None)) as conn:
            return conn.execute("SELECT count(*) FROM escalation_steps").fetchone()[0]
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM escalation_steps")).scalar_one()


def test_a_killed_sweep_process_loses_and_duplicates_nothing(overdue, database_url):
    n = 600
    overdue(n)
    db.session.remove()
    process = _sweep_process(database_url, "--batch-size", "10")
    engine = create_engine(db.engine.url)
    try:
        deadline = time.monotonic() + 120
        while _committed_steps(engine) == 0:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the sweep committed nothing in time"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        engine.dispose()
    assert process.returncode == -signal.SIGKILL
    done = assert_batches_whole(n)
    assert 0 < done < n, f"killed after {done} of {n}: not mid-run"
    report = run_sweep(NOW, batch_size=200)
    assert report.levels[1] == n - done
    assert_each_case_escalated_once(n)


@pytest.mark.postgres
def test_three_sweeping_processes_at_once_produce_each_step_and_email_once(overdue, database_url):
    n = 5000
    overdue(n, level=0)  # reminded already: each case gets one step (overdue) and two emails
    db.session.remove()
    processes = [_sweep_process(database_url, "--batch-size", "100", "--json") for _ in range(3)]
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=1200)
        assert process.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert_each_case_escalated_once(n, steps=1)
    # The work was shared, not repeated: the processes' counts add up to exactly one climb per case.
    assert sum(r["levels"].get("1", 0) for r in reports) == n
    assert sum(r["levels"].get("0", 0) for r in reports) == 0
    assert sum(r["emails"] for r in reports) == 2 * n
    assert sum(len(r["cases"]) for r in reports) == n
    assert len({c for r in reports for c in r["cases"]}) == n


@pytest.mark.postgres
def test_a_case_locked_by_a_user_is_skipped_and_taken_by_the_next_sweep(make_agency, make_user):
    agency = make_agency(ppk_email="ppk@x.go.id")
    drafter = make_user("investigator")
    busy, busy_rec = open_case(agency, received_on=RECEIVED, drafter=drafter)
    free, free_rec = open_case(agency, received_on=RECEIVED, drafter=drafter)
    engine = create_engine(db.engine.url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": busy.id})
            started = time.monotonic()
            report = run_sweep(NOW)
            assert time.monotonic() - started < 30  # it did not wait for the lock
            assert report.cases == [free.number]
            conn.rollback()
    finally:
        engine.dispose()
    assert db.session.get(Recommendation, busy_rec.id).escalation_level is None
    assert run_sweep(NOW).cases == [busy.number]
    db.session.expire_all()
    assert db.session.get(Recommendation, busy_rec.id).escalation_level == 1
    assert db.session.get(Recommendation, free_rec.id).escalation_level == 1
