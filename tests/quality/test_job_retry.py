"""A scheduler job that meets a connection the database dropped runs once more (the pool does not ping: see
config.py); any other failure is recorded and not retried."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.db import db
from app.models.core import JobHeartbeat
from app.scheduling import run_job


def _lost_connection() -> OperationalError:
    return OperationalError(
        "SELECT 1", {}, Exception("terminating connection due to administrator command"), connection_invalidated=True
    )


def _heartbeat(job_id: str) -> JobHeartbeat:
    row = db.session.scalar(select(JobHeartbeat).where(JobHeartbeat.job_id == job_id))
    assert row is not None
    return row


def test_a_job_that_meets_a_lost_connection_runs_once_more(app):
    runs: list[int] = []

    def job() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise _lost_connection()

    assert run_job(app, "escalation_sweep", job) is True
    assert len(runs) == 2
    with app.app_context():
        assert _heartbeat("escalation_sweep").last_ok is True


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("SELECT 1", {}, Exception("deadlock detected"), connection_invalidated=False),
        RuntimeError("a bug"),
    ],
    ids=["database error on a live connection", "any other error"],
)
def test_other_failures_are_recorded_not_retried(app, error):
    runs: list[int] = []

    def job() -> None:
        runs.append(1)
        raise error

    assert run_job(app, "outbox_dispatch", job) is False
    assert len(runs) == 1
    with app.app_context():
        beat = _heartbeat("outbox_dispatch")
        assert beat.last_ok is False and type(error).__name__ in (beat.last_error or "")


def test_a_connection_lost_twice_fails_the_run(app):
    runs: list[int] = []

    def job() -> None:
        runs.append(1)
        raise _lost_connection()

    assert run_job(app, "escalation_sweep", job) is False
    assert len(runs) == 2
