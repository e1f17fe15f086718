"""GET /api/v1/health: database, outbox backlog and dead emails, scheduler heartbeat; 503 when the database is down."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from sqlalchemy import insert

from app import create_app
from app.core.clock import utcnow
from app.db import db
from app.models.core import JobHeartbeat
from app.models.outbox import OutboxMessage
from app.scheduling import JOBS, record_heartbeat


def beat_all(age: timedelta = timedelta(0), ok: bool = True, error: str | None = None) -> None:
    for spec in JOBS:
        record_heartbeat(spec.id, ok, error)
    db.session.flush()
    if age:
        db.session.execute(JobHeartbeat.__table__.update().values(last_run_at=utcnow() - age))
    db.session.commit()


def outbox_row(key: str, status: str, *, created_ago: timedelta, next_in: timedelta) -> dict:
    now = utcnow()
    return {
        "idempotency_key": key,
        "kind": "overdue",
        "recipient": "ppk@instansi.go.id",
        "subject": "[Tindak] NKK-2026-000001",
        "body_text": "Isi",
        "message_id": f"<{key}@tindak.test>",
        "status": status,
        "attempts": 0,
        "created_at": now - created_ago,
        "next_attempt_at": now + next_in,
    }


def test_healthy_service_answers_200_ok_without_authentication(client):
    beat_all()
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "ok", body["problems"]
    assert body["problems"] == []
    assert body["database"]["ok"] is True
    assert body["database"]["dialect"] in ("sqlite", "postgresql")
    assert 0 <= body["database"]["latency_ms"] < 5000
    assert body["outbox"] == {
        "pending": 0,
        "due": 0,
        "sending": 0,
        "dead": 0,
        "oldest_pending_age_seconds": None,
        "oldest_due_age_seconds": None,
    }
    jobs = {job["job_id"]: job for job in body["scheduler"]["jobs"]}
    assert set(jobs) == {spec.id for spec in JOBS}
    assert body["scheduler"]["ok"] is True
    for job in jobs.values():
        assert job["stale"] is False and job["last_ok"] is True
        assert 0 <= job["age_seconds"] < 60


def test_a_scheduler_that_never_ran_or_stopped_is_stale(client):
    response = client.get("/api/v1/health")
    body = response.get_json()
    assert response.status_code == 200  # the web host itself can serve
    assert body["status"] == "degraded"
    assert all(job["stale"] and job["last_run_at"] is None for job in body["scheduler"]["jobs"])
    beat_all(age=timedelta(hours=2))
    body = client.get("/api/v1/health").get_json()
    assert body["scheduler"]["ok"] is False
    assert all(job["stale"] for job in body["scheduler"]["jobs"])
    assert all(7000 < job["age_seconds"] < 7400 for job in body["scheduler"]["jobs"])
    assert any("escalation_sweep" in problem for problem in body["problems"])


def test_stale_means_three_intervals_and_a_margin(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULER_OUTBOX_SECONDS", 30)
    monkeypatch.setitem(app.config, "SCHEDULER_SWEEP_SECONDS", 300)
    beat_all(age=timedelta(seconds=200))  # outbox: > 3 x 30 + 60; sweep: < 3 x 300 + 60
    jobs = {j["job_id"]: j for j in client.get("/api/v1/health").get_json()["scheduler"]["jobs"]}
    assert jobs["outbox_dispatch"]["stale"] is True
    assert jobs["escalation_sweep"]["stale"] is False


def test_a_failed_job_run_degrades_without_leaking_its_error(client):
    beat_all(ok=False, error="SMTPAuthenticationError: kata sandi rahasia-smtp-xyz ditolak oleh mail.internal")
    response = client.get("/api/v1/health")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert all(job["last_ok"] is False for job in body["scheduler"]["jobs"])
    text = response.get_data(as_text=True)
    assert "rahasia-smtp-xyz" not in text and "mail.internal" not in text
    assert socket.gethostname() not in text


def test_outbox_backlog_and_dead_messages_are_counted(client):
    beat_all()
    rows = [
        outbox_row("due-old", "pending", created_ago=timedelta(hours=2), next_in=-timedelta(hours=1)),
        outbox_row("due-new", "pending", created_ago=timedelta(minutes=1), next_in=-timedelta(seconds=30)),
        outbox_row("later", "pending", created_ago=timedelta(hours=3), next_in=timedelta(hours=5)),
        outbox_row("busy", "sending", created_ago=timedelta(minutes=1), next_in=timedelta(0)),
        outbox_row("dead-1", "dead", created_ago=timedelta(days=1), next_in=timedelta(0)),
        outbox_row("dead-2", "dead", created_ago=timedelta(days=1), next_in=timedelta(0)),
        outbox_row("done", "sent", created_ago=timedelta(days=2), next_in=timedelta(0)),
    ]
    db.session.execute(insert(OutboxMessage), rows)
    db.session.commit()
    body = client.get("/api/v1/health").get_json()
    outbox = body["outbox"]
    assert (outbox["pending"], outbox["due"], outbox["sending"], outbox["dead"]) == (3, 2, 1, 2)
    assert 3 * 3600 - 60 < outbox["oldest_pending_age_seconds"] < 3 * 3600 + 60
    assert 3600 - 60 < outbox["oldest_due_age_seconds"] < 3600 + 60
    assert body["status"] == "degraded"
    assert any("2 email" in p for p in body["problems"])
    assert any("Antrean email" in p for p in body["problems"])


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////tidak/ada/direktori/rahasia/tindak.db",
        "postgresql://pengguna:sandi-rahasia@127.0.0.1:1/basis_rahasia?connect_timeout=3",
    ],
)
def test_database_down_is_503_and_names_no_connection_detail(app_overrides, url):
    overrides = dict(app_overrides, DATABASE_URL=url)
    overrides.pop("SQLALCHEMY_DATABASE_URI", None)
    down = create_app(overrides)
    response = down.test_client().get("/api/v1/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["database"]["ok"] is False
    assert body["database"]["error"] and " " not in body["database"]["error"]  # an exception class name only
    assert body["outbox"] is None and body["scheduler"] is None
    text = json.dumps(body)
    for secret in ("rahasia", "sandi", "pengguna", "127.0.0.1", "/tidak/ada", overrides["SECRET_KEY"]):
        assert secret not in text
    with down.app_context():
        db.engine.dispose()


def test_the_health_answer_never_contains_configuration_secrets(client, app):
    beat_all()
    text = client.get("/api/v1/health").get_data(as_text=True)
    for key in ("SECRET_KEY", "DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "MAIL_PASSWORD", "ATTACHMENT_DIR"):
        value = app.config.get(key)
        if value:
            assert str(value) not in text, key
