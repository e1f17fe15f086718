"""Faults: the scheduler killed at random points of a sweep; SMTP down for a whole run, then back.

1. A real scheduler process (`flask scheduler run`, which sweeps at start) is killed with SIGKILL at a random
   point of its sweep — after a random number of escalation steps has been committed, or before the first
   commit — then the sweep runs again, as the next scheduler start would. Every case must end at the level
   the ladder gives for today, with each level recorded once, one history row per level, and the email of
   the highest level queued once per recipient; after the kill, every batch is whole or absent. Two rounds
   (one kill between batches, one before the first commit) in the default suite, 20 with
   TINDAK_LONG_TESTS=1; the random seed is printed (TINDAK_FAULT_SEED replays it).
2. SMTP is down while users act (recommendations issued through the workflow) and the sweep queues
   escalations: every action succeeds, the dispatcher job keeps running and retrying with backoff, nothing is
   lost or given up, and /api/v1/health shows the backlog. SMTP comes back: every email is delivered exactly
   once, and running the dispatcher again sends nothing more.

PostgreSQL restarted under load: test_pg_restart (a private cluster, restarted fast and immediate while
gunicorn serves writes); test_load also terminates the test database's own connections under load.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import tempfile
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.calendar.working_days import Calendar, local_today
from app.core.clock import utcnow
from app.db import db
from app.escalations.ladder import load_ladder
from app.escalations.sweep import HISTORY_EVENT, run_sweep
from app.models.cases import CaseCounter, CaseHistory, Recommendation
from app.models.core import JobHeartbeat
from app.models.escalations import EscalationStep
from app.models.outbox import OutboxMessage
from app.scheduling import dispatch_job, run_job
from notifications.dispatcher import dispatch_all, dispatch_pending
from tests.factories import S, case_in, make_cast
from tests.quality.servers import ROOT, app_env, flask_command, open_overdue_recommendations

LONG = os.environ.get("TINDAK_LONG_TESTS") == "1"
ROUNDS = 20 if LONG else 2


# The scheduler's sweep commits per batch of this many recommendations (ESCALATION_SWEEP_BATCH_SIZE): with
# several batches per round, a kill can land between two commits.
SWEEP_BATCH = 40


def cases_per_round() -> int:
    return 3 * SWEEP_BATCH + 10


SEED = int(os.environ.get("TINDAK_FAULT_SEED", random.SystemRandom().randrange(1_000_000)))


def scheduler_env(database_url: str, overrides: dict) -> dict[str, str]:
    # No SMTP server listens (app_env), and the dispatcher's first run is an hour away.
    return app_env(
        database_url,
        overrides,
        SCHEDULER_ENABLED="1",
        SCHEDULER_OUTBOX_SECONDS="3600",
        ESCALATION_SWEEP_BATCH_SIZE=str(SWEEP_BATCH),
        ESCALATION_RECIPIENTS_MENPANRB=",".join(overrides["ESCALATION_RECIPIENTS_MENPANRB"]),
        ESCALATION_RECIPIENTS_KEMENDAGRI=",".join(overrides["ESCALATION_RECIPIENTS_KEMENDAGRI"]),
        ESCALATION_RECIPIENTS_KASN=",".join(overrides["ESCALATION_RECIPIENTS_KASN"]),
        ESCALATION_RECIPIENTS_BKN=",".join(overrides["ESCALATION_RECIPIENTS_BKN"]),
    )


def expected_level(agency, due_at, now) -> int:
    """The ladder level a sweep at `now` gives a recommendation due at `due_at` (the sweep's own rule)."""
    cal = Calendar.load(agency.id)
    due_day = local_today(agency, due_at)
    today = local_today(agency, now)
    level = -1
    for rung in load_ladder():
        if cal.add_working_days(due_day, rung.days_from_due, agency.id) >= today:
            break
        level = rung.level
    return level


def overdue_round(make_agency, make_user, n: int):
    """`n` open recommendations of a new agency, due ten working days ago: level 2 today, not level 3."""
    agency = make_agency(kind="kabupaten", ppk_email=f"ppk{random.randrange(10**9)}@kab.go.id")
    due_at, rec_ids = open_overdue_recommendations(agency, make_user("investigator"), n)
    level = expected_level(agency, due_at, utcnow())
    assert level >= 1, "the round needs cases past their due day"
    db.session.commit()
    return agency, rec_ids, level


def _raw_count(sql: str, params: tuple) -> int:
    """Count through the driver, outside any ORM transaction (no write lock taken on SQLite)."""
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(sql, params)
        value = cursor.fetchone()[0]
        connection.rollback()
        return int(value)
    finally:
        connection.close()


def committed_steps(rec_ids: list[int]) -> int:
    marker = "%s" if db.engine.dialect.name == "postgresql" else "?"
    low, high = min(rec_ids), max(rec_ids)
    sql = f"SELECT count(*) FROM escalation_steps WHERE recommendation_id BETWEEN {marker} AND {marker}"  # noqa: S608
    return _raw_count(sql, (low, high))


def per_recommendation(rec_ids: list[int]) -> dict[int, dict]:
    """For each recommendation: its level, its steps, its history rows, its email recipients."""
    recs = dict(
        db.session.execute(
            select(Recommendation.id, Recommendation.escalation_level).where(Recommendation.id.in_(rec_ids))
        ).all()
    )
    case_of = dict(
        db.session.execute(
            select(Recommendation.id, Recommendation.case_id).where(Recommendation.id.in_(rec_ids))
        ).all()
    )
    steps: dict[int, list[int]] = {r: [] for r in rec_ids}
    for rec_id, level in db.session.execute(
        select(EscalationStep.recommendation_id, EscalationStep.level).where(
            EscalationStep.recommendation_id.in_(rec_ids)
        )
    ):
        steps[rec_id].append(level)
    history = Counter(
        dict(
            db.session.execute(
                select(CaseHistory.case_id, func.count())
                .where(CaseHistory.case_id.in_(case_of.values()), CaseHistory.event == HISTORY_EVENT)
                .group_by(CaseHistory.case_id)
            ).all()
        )
    )
    emails: dict[int, list[tuple[str, str]]] = {c: [] for c in case_of.values()}
    for case_id, kind, recipient in db.session.execute(
        select(OutboxMessage.case_id, OutboxMessage.kind, OutboxMessage.recipient).where(
            OutboxMessage.case_id.in_(case_of.values())
        )
    ):
        emails[case_id].append((kind, recipient))
    return {
        rec_id: {
            "level": recs[rec_id],
            "steps": sorted(steps[rec_id]),
            "history": history.get(case_of[rec_id], 0),
            "emails": sorted(emails[case_of[rec_id]]),
        }
        for rec_id in rec_ids
    }


def assert_whole_or_absent(state: dict[int, dict], level: int) -> int:
    done = 0
    for rec_id, s in state.items():
        if s["level"] is None:
            assert s["steps"] == [] and s["history"] == 0 and s["emails"] == [], (rec_id, s)
        else:
            assert s["level"] == level, (rec_id, s)
            assert s["steps"] == list(range(level + 1)), (rec_id, s)
            assert s["history"] == level + 1, (rec_id, s)
            assert s["emails"], (rec_id, s)
            done += 1
    return done


def assert_each_escalated_once(state: dict[int, dict], level: int) -> None:
    email_sets = set()
    for rec_id, s in state.items():
        assert s["level"] == level, (rec_id, s)
        assert s["steps"] == list(range(level + 1)), (rec_id, s)  # each level once
        assert s["history"] == level + 1, (rec_id, s)
        assert len(s["emails"]) == len(set(s["emails"])), (rec_id, s)  # no email twice
        email_sets.add(tuple(sorted({kind for kind, _ in s["emails"]})))
        assert s["emails"], (rec_id, s)
    # The passed-over levels send nothing: only the highest level's email, the same kind for every case.
    assert len(email_sets) == 1, email_sets


def kill_round(make_agency, make_user, database_url, app_overrides, rng, n: int, between_batches: bool):
    """One round: a scheduler killed mid-sweep (between_batches: after a random number of committed steps,
    with at least one whole batch still to come; else before anything is committed), the state after the kill
    checked, the sweep run again as the next start would, the end state checked. Returns (target, done)."""
    agency, rec_ids, level = overdue_round(make_agency, make_user, n)
    total_steps = n * (level + 1)
    last_batch_steps = (n - (n // SWEEP_BATCH) * SWEEP_BATCH or SWEEP_BATCH) * (level + 1)
    # Aimed so that, once the target is seen committed, a whole batch and the last one are still to come: a kill
    # aimed into the batch before the (short) last one lands after the sweep has finished, on a fast machine.
    target = rng.randint(1, total_steps - last_batch_steps - SWEEP_BATCH * (level + 1)) if between_batches else 0
    db.session.remove()  # SQLite: hold no lock while the scheduler runs
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            flask_command("scheduler", "run"),
            cwd=ROOT,
            env=scheduler_env(database_url, app_overrides),
            stdout=log,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 300
            if target == 0:
                time.sleep(rng.uniform(0.5, 4.0))
            else:
                while committed_steps(rec_ids) < target:
                    if process.poll() is not None:
                        log.seek(0)
                        pytest.fail(f"the scheduler exited: {log.read().decode()[-3000:]}")
                    assert time.monotonic() < deadline, "the scheduler's sweep committed too little in time"
                    time.sleep(0.005)
                # A batch commits within tens of milliseconds: an extra delay longer than that would let
                # the sweep finish before the kill.
                time.sleep(rng.uniform(0, 0.01))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    db.session.remove()
    done = assert_whole_or_absent(per_recommendation(rec_ids), level)
    # The next scheduler start sweeps again: it finishes the work, once.
    report = run_sweep(utcnow())
    assert len(report.cases) == n - done, (target, done, report.as_dict())
    db.session.remove()
    assert_each_escalated_once(per_recommendation(rec_ids), level)
    assert run_sweep(utcnow()).steps == 0
    return target, done


def test_the_scheduler_killed_at_random_points_of_a_sweep_loses_and_duplicates_nothing(
    make_agency, make_user, database_url, app_overrides
):
    rng = random.Random(SEED)
    n = cases_per_round()
    print(f"fault seed {SEED} (TINDAK_FAULT_SEED to replay), {ROUNDS} rounds of {n} cases")
    args = (make_agency, make_user, database_url, app_overrides, rng, n)
    # Even rounds kill between batches, odd rounds before anything is committed (start-up or the first batch).
    kill_points = [kill_round(*args, between_batches=round_no % 2 == 0) for round_no in range(ROUNDS)]
    # A kill aimed between batches can still land after the sweep's end when the machine stalls the test: up
    # to three more such rounds (each checked like the others) so that the case is exercised at least once.
    for _ in range(3):
        if any(0 < done < n for _, done in kill_points):
            break
        kill_points.append(kill_round(*args, between_batches=True))
    print("kill points (steps committed when killed -> recommendations done):", kill_points)
    # At least one kill landed between two committed batches of the sweep (not before, not after it).
    assert any(0 < done < n for _, done in kill_points), kill_points


def test_smtp_down_for_a_whole_run_then_up_delivers_every_email_exactly_once(
    smtp_server, app, client, make_agency, make_user
):
    smtp_server.stop()  # refused from the start
    # The workflow numbers cases from a per-year counter; keep them clear of the bulk-inserted numbers.
    db.session.add(CaseCounter(year=utcnow().year, last_value=900_000))
    db.session.commit()
    cast = make_cast()
    # Users act while SMTP is down: every action succeeds (the email waits in the outbox).
    started = time.monotonic()
    issued = [case_in(cast, S.AWAITING_FOLLOW_UP) for _ in range(4)]
    assert time.monotonic() - started < 60
    assert all(case.status == "awaiting_follow_up" for case in issued)
    agency, rec_ids, level = overdue_round(make_agency, make_user, 30)
    run_sweep(utcnow())
    rows = db.session.scalars(select(OutboxMessage)).all()
    queued = {r.id: r.message_id for r in rows}
    assert len(queued) >= 4 + 30
    # The dispatcher job runs on schedule all through the outage: it fails to connect, backs off, gives up nothing.
    now = utcnow() + timedelta(days=15)  # every row due, whatever working hours and holidays delayed it
    for hop in range(6):
        counts = dispatch_pending(now=now, batch_size=1000)
        if counts != {"sent": 0, "retried": len(queued), "dead": 0, "reclaimed": 0}:
            db.session.expire_all()
            rows = db.session.scalars(select(OutboxMessage))
            seen = Counter((r.status, r.attempts, r.next_attempt_at <= now) for r in rows)
            pytest.fail(f"hop {hop}: {counts}; rows {seen}")
        now += timedelta(hours=15)  # past the longest backoff step (12 h) and its jitter (up to 20 %)
    db.session.commit()
    assert run_job(app, "outbox_dispatch", dispatch_job)  # the scheduler's wrapper: the job itself never fails
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {r.status for r in rows} == {"pending"}
    assert min(r.attempts for r in rows) >= 6
    health = client.get("/api/v1/health").get_json()
    assert health["outbox"]["pending"] == len(queued) and health["outbox"]["dead"] == 0
    assert db.session.get(JobHeartbeat, "outbox_dispatch").last_ok is True

    smtp_server.start()
    totals = dispatch_all(now=now, batch_size=50)
    assert totals["sent"] == len(queued) and totals["dead"] == 0, totals
    assert dispatch_all(now=now + timedelta(days=1)) == {"sent": 0, "retried": 0, "dead": 0, "reclaimed": 0}
    delivered: dict[str, list[tuple[str, ...]]] = {}
    for delivery in smtp_server.deliveries:
        delivered.setdefault(delivery.message_id, []).append(delivery.rcpt_tos)
    assert set(delivered) == set(queued.values())
    twice = [message_id for message_id, envelopes in delivered.items() if len(envelopes) > 1]
    assert not twice, twice[:5]
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {r.status for r in rows} == {"sent"}
    for row in rows:
        assert delivered[row.message_id] == [(row.recipient,)]
    assert client.get("/api/v1/health").get_json()["outbox"]["pending"] == 0
