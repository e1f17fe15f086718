"""Fault: PostgreSQL restarted under load — nothing lost.

The shared PostgreSQL of the machine is never restarted: the test starts a throwaway cluster of its own
(tests/quality/pgcluster.py: initdb in a temporary directory, as the `postgres` user when run as root, on
127.0.0.1 and a free port), builds the schema with `flask db upgrade`, loads a small world (an agency's cast,
cases in `reported` and `awaiting_follow_up`, overdue recommendations of a second agency, bearer tokens) and
serves the app with gunicorn (production configuration, three sync workers) against it. Four client threads
then create cases, fire transitions along the workflow and read lists and details for 18 s (3 minutes with
TINDAK_LONG_TESTS=1) while the cluster is restarted: once with `pg_ctl restart -m fast` and once with
`-m immediate` (every server process killed, as in a crash; the start runs crash recovery), more often in the
long run. Then:

- no answer is a 500 (nor any 5xx but 503): while the database is down the app may answer 503 or drop the
  connection, and only requests overlapping a restart (until RECOVERY_SECONDS after the server is back) may;
- after each restart an authenticated read answers 200 again within RECOVERY_SECONDS, with the same gunicorn
  workers (no pre-ping: a dead connection fails one request and the pool drops the older ones; no worker died
  or was replaced), and writes are
  acknowledged again before the next restart;
- every write acknowledged with 2xx is in the database: each created case (with its number), each
  transition's history row, each case's last acknowledged version; nothing is there that was never asked
  for; no case number is duplicated; `flask audit verify` passes;
- the scheduler's jobs, run in this process whose pool held connections from before the restarts, work
  through the restarted database (a job that meets a dead connection runs once more, app.scheduling.run_job):
  the escalation sweep escalates the overdue recommendations (each level
  once), and the outbox dispatcher delivers every queued email once.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.core.clock import utcnow
from app.db import db
from app.escalations.sweep import HISTORY_EVENT
from app.models.cases import Case, CaseCounter, CaseHistory, Recommendation
from app.models.core import JobHeartbeat
from app.models.escalations import EscalationStep
from app.models.outbox import OutboxMessage
from app.scheduling import dispatch_job, run_job, sweep_job
from notifications.dispatcher import dispatch_all
from tests.factories import S, case_in, make_agency, make_cast, make_user, new_case_payload
from tests.quality.pgcluster import PgCluster, PgClusterUnavailable, private_cluster, require_prerequisites
from tests.quality.servers import (
    PLAN,
    ROOT,
    Client,
    app_env,
    assert_issues_queued_email,
    check_transition_history,
    flask_command,
    free_port,
    gunicorn_log,
    history_events,
    join_clients,
    last_versions,
    list_path,
    lost_race,
    open_overdue_recommendations,
    payload_for,
    random_actions,
    reported_person,
    role_tokens,
    sleep_until,
    start_clients,
    start_gunicorn,
    stop,
    worker_pids,
)

LONG = os.environ.get("TINDAK_LONG_TESTS") == "1"
DURATION = 180.0 if LONG else 18.0
THREADS = 4
WORKERS = 3
# After pg_ctl says the server accepts connections again, the app must serve within this many seconds.
RECOVERY_SECONDS = 5.0
# (moment as a fraction of DURATION, pg_ctl shutdown mode)
RESTARTS = (
    [(i / 10, "fast" if i % 2 else "immediate") for i in range(1, 10)] if LONG else [(0.3, "fast"), (0.65, "immediate")]
)
SEEDED_REPORTED = 12
SEEDED_AWAITING = 4
OVERDUE = 8
TAG = "PGR"  # marks the summaries of the cases the load creates

ACTIONS = [("create", 25), ("transition", 35), ("list", 20), ("detail", 20)]


# -- the private cluster and the app on it ----------------------------------------------------------------------


@pytest.fixture
def pg_cluster() -> Iterator[PgCluster]:
    try:
        require_prerequisites()
    except PgClusterUnavailable as exc:
        pytest.skip(f"no private PostgreSQL cluster: {exc}")
    with private_cluster() as cluster:
        yield cluster


def flask_cli(database_url: str, overrides: dict[str, Any], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own CLI
        flask_command(*args),
        cwd=ROOT,
        env=app_env(database_url, overrides),  # the CLI used here sends no email
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def private_app(
    pg_cluster: PgCluster, app_overrides, smtp_server, tmp_path
) -> Iterator[tuple[Flask, str, dict[str, Any]]]:
    """The app configured for a database of the private cluster, its schema built by `flask db upgrade`, with
    its configuration (another app of the test's own, for its reads, is made from it)."""
    url = pg_cluster.create_database("tindak")
    overrides = {
        **app_overrides,
        "DATABASE_URL": url,
        "ATTACHMENT_DIR": str(tmp_path / "attachments"),
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": smtp_server.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_SUPPRESS_SEND": False,
    }
    upgrade = flask_cli(url, overrides, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    application = create_app(overrides)
    try:
        yield application, url, overrides
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


# -- the load -----------------------------------------------------------------------------------------------------


@dataclass
class Attempt:
    action: str
    started: float
    ended: float
    status: int | None  # None: no HTTP answer (connection refused or dropped)
    error: str | None = None  # for a failure: the exception, or the start of the body
    enveloped: bool = False  # the body is the API's JSON error envelope


@dataclass
class Ledger:
    lock: threading.Lock = field(default_factory=threading.Lock)
    attempts: list[Attempt] = field(default_factory=list)
    cases: list[int] = field(default_factory=list)
    agency_id: int = 0
    created: list[tuple[str, int, str, float]] = field(default_factory=list)  # (tag, id, number, started)
    create_uncertain: set[str] = field(default_factory=set)  # tags whose answer was a failure
    transitions: list[tuple[int, str, int, float]] = field(default_factory=list)  # (case, event, version, started)
    uncertain: Counter = field(default_factory=Counter)  # (case, event) whose answer was a failure
    unexpected: list[str] = field(default_factory=list)

    def record(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)


def failed(status: int | None) -> bool:
    return status is None or status >= 500


def timed(ledger: Ledger, action: str, func: Any) -> tuple[int | None, Any]:
    """Run one request, record it; (None, None) when no answer came."""
    started = time.monotonic()
    try:
        status, body = func()
    except (OSError, http.client.HTTPException) as exc:
        ledger.record(Attempt(action, started, time.monotonic(), None, f"{type(exc).__name__}: {exc}"))
        return None, None
    error = None if status < 500 else str(body)[:300]
    ledger.record(Attempt(action, started, time.monotonic(), status, error, is_error_envelope(body)))
    return status, body


def is_error_envelope(body: Any) -> bool:
    inner = body.get("error") if isinstance(body, dict) else None
    return isinstance(inner, dict) and {"code", "message", "details"} <= set(inner)


def do_create(client: Client, ledger: Ledger, rng: random.Random) -> None:
    tag = f"{TAG}-{uuid.uuid4().hex}"
    payload = new_case_payload(
        ledger.agency_id,
        summary=f"{tag}: mengunggah dukungan kepada bakal calon di media sosial.",
        reported_person=reported_person(rng),
        occurred_on=date.today().isoformat(),
    )
    started = time.monotonic()
    status, body = timed(ledger, "create", lambda: client.call("POST", "/api/v1/cases", "investigator", payload))
    with ledger.lock:
        if status == 201:
            ledger.created.append((tag, body["id"], body["number"], started))
            ledger.cases.append(body["id"])
        elif failed(status):
            ledger.create_uncertain.add(tag)
        else:
            ledger.unexpected.append(f"create: {status} {body}")


def do_transition(client: Client, ledger: Ledger, case_id: int) -> None:
    status, case = timed(ledger, "read", lambda: client.call("GET", f"/api/v1/cases/{case_id}", "investigator"))
    if status != 200:
        if status is not None and status < 500:
            with ledger.lock:
                ledger.unexpected.append(f"read case {case_id}: {status} {case}")
        return
    if case["status"] not in PLAN:
        return
    event, role = PLAN[case["status"]]
    payload = {"event": event, "version": case["version"], **payload_for(event)}
    started = time.monotonic()
    status, body = timed(
        ledger, "transition", lambda: client.call("POST", f"/api/v1/cases/{case_id}/transitions", role, payload)
    )
    with ledger.lock:
        if status == 200:
            ledger.transitions.append((case_id, event, body["version"], started))
        elif failed(status):
            ledger.uncertain[(case_id, event)] += 1
        elif not lost_race(status, body):
            ledger.unexpected.append(f"{event} case {case_id}: {status} {body}")


def do_read(client: Client, ledger: Ledger, action: str, case_id: int, rng: random.Random) -> None:
    path = list_path(rng) if action == "list" else f"/api/v1/cases/{case_id}"
    status, body = timed(ledger, action, lambda: client.call("GET", path, "investigator"))
    if status is not None and status < 500 and status != 200:
        with ledger.lock:
            ledger.unexpected.append(f"{action} {path}: {status} {body}")


def worker(client: Client, ledger: Ledger, stop_at: float, seed: int) -> None:
    for action, case_id, rng in random_actions(ledger, ACTIONS, stop_at, seed):
        if action == "create":
            do_create(client, ledger, rng)
        elif action == "transition":
            do_transition(client, ledger, case_id)
        else:
            do_read(client, ledger, action, case_id, rng)


@dataclass
class Restart:
    mode: str
    began: float
    ended: float = 0.0
    recovered_after: float | None = None  # seconds from `ended` to the first 200 of a probe
    probe_statuses: Counter = field(default_factory=Counter)


def restart_and_probe(cluster: PgCluster, client: Client, mode: str) -> Restart:
    before = cluster.postmaster_started_at()
    recoveries = cluster.server_log().count("automatic recovery in progress")
    restart = Restart(mode, time.monotonic())
    cluster.restart(mode)
    restart.ended = time.monotonic()
    assert cluster.postmaster_started_at() > before, "the server was not restarted"
    if mode == "immediate":
        assert cluster.server_log().count("automatic recovery in progress") > recoveries, "no crash recovery ran"
    # The app must serve an authenticated read again within RECOVERY_SECONDS, without being restarted.
    while time.monotonic() - restart.ended < RECOVERY_SECONDS + 30:
        try:
            status, _ = client.call("GET", "/api/v1/cases?limit=1", "investigator")
        except (OSError, http.client.HTTPException):
            status = None
        restart.probe_statuses[status] += 1
        if status == 200:
            restart.recovered_after = time.monotonic() - restart.ended
            break
        time.sleep(0.1)
    return restart


# -- the world ------------------------------------------------------------------------------------------------------


@dataclass
class Seeded:
    """What the test loaded, as plain values: the session goes before the restarts, its objects with it."""

    agency_id: int
    cases: list[int]
    tokens: dict[str, str]
    overdue_recs: list[int]


def load_world() -> Seeded:
    # Workflow numbers start far above the bulk-inserted overdue cases' numbers (NKK-2026-000001 …).
    db.session.add(CaseCounter(year=utcnow().year, last_value=900_000))
    db.session.commit()
    cast = make_cast()
    cases = [case_in(cast, S.REPORTED).id for _ in range(SEEDED_REPORTED)]
    cases += [case_in(cast, S.AWAITING_FOLLOW_UP).id for _ in range(SEEDED_AWAITING)]
    tokens = role_tokens(cast)
    # Recommendations of another agency due ten working days ago: the sweep after the restarts escalates them.
    regional = make_agency(kind="kabupaten")
    _due_at, overdue = open_overdue_recommendations(regional, make_user("investigator"), OVERDUE)
    db.session.commit()
    return Seeded(agency_id=cast.agency.id, cases=cases, tokens=tokens, overdue_recs=overdue)


# -- the test -------------------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_restarted_under_load_loses_nothing(pg_cluster, private_app, app_overrides, smtp_server, tmp_path):
    application, url, overrides_of_app = private_app
    with application.app_context():
        world = load_world()
        before_history = history_events()
        db.session.remove()  # the pool keeps its connections: they die with the restarts
    ledger = Ledger(cases=list(world.cases), agency_id=world.agency_id)

    port = free_port()
    log = tmp_path / "gunicorn.log"
    overrides = {**app_overrides, "ATTACHMENT_DIR": str(tmp_path / "attachments")}
    env = app_env(url, overrides, TINDAK_ENV="production")  # the web workers send no email
    server = start_gunicorn(env, port, log, workers=WORKERS, timeout=60, wait_for_workers=True)
    client = Client(port, world.tokens, timeout=60)
    restarts: list[Restart] = []
    try:
        workers_before = worker_pids(server.pid)
        started = time.monotonic()
        stop_at = started + DURATION
        threads = start_clients(worker, client, ledger, THREADS, stop_at)
        for fraction, mode in RESTARTS:
            sleep_until(started + DURATION * fraction)
            restarts.append(restart_and_probe(pg_cluster, client, mode))
        join_clients(threads, DURATION + 120)
        elapsed = time.monotonic() - started
        workers_after = worker_pids(server.pid)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=10) as response:  # noqa: S310
            health = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        pytest.fail(f"health check after the restarts: {exc.code} {exc.read()[:500]!r}")
    finally:
        stop(server)

    report(ledger, restarts, elapsed)
    server_log = gunicorn_log(log)

    attempts = ledger.attempts
    assert len(attempts) > 100, "the load hardly ran"
    assert not ledger.unexpected, ledger.unexpected[:10]

    # 1. The app served again soon after each restart, with the same workers, and took writes again.
    for r in restarts:
        assert r.recovered_after is not None and r.recovered_after <= RECOVERY_SECONDS, (r.mode, r)
    assert workers_after == workers_before, "gunicorn workers died or were replaced during the restarts"
    assert health["database"]["ok"] is True, health
    for i, r in enumerate(restarts):
        until = restarts[i + 1].began if i + 1 < len(restarts) else stop_at
        created = [c for c in ledger.created if r.ended < c[3] < until]
        fired = [t for t in ledger.transitions if r.ended < t[3] < until]
        assert created and fired, f"no write acknowledged after the {r.mode} restart"

    # 2. Every acknowledged write is in the database, nothing else is, no number twice; the chains verify. The
    #    test reads through an app of its own (a pool of its own): `application`'s pooled connections stay the
    #    dead ones of before the restarts, for step 3.
    reader = create_app(overrides_of_app)
    with reader.app_context():
        in_doubt = verify_writes(ledger, before_history)
        db.engine.dispose()
    print(
        f"  of the failed writes, committed anyway (answer lost with the connection): {in_doubt[0]} of "
        f"{len(ledger.create_uncertain)} creates, {in_doubt[1]} of {sum(ledger.uncertain.values())} transitions"
    )
    audit = flask_cli(url, app_overrides, "audit", "verify")
    assert audit.returncode == 0 and audit.stdout.startswith("OK:"), audit.stdout + audit.stderr

    # 3. The scheduler's jobs, in a process whose pooled connections died with the restarts, work again.
    with application.app_context():
        verify_scheduler_jobs(application, world, smtp_server)

    # 4. The answers: failures only while the database restarted; there, only 503 (the JSON error envelope)
    #    or a dropped connection; never a 500 nor another 5xx.
    windows = [(r.began, r.ended + RECOVERY_SECONDS) for r in restarts]
    stray = [
        a
        for a in attempts
        if failed(a.status) and not any(a.started <= end and a.ended >= begin for begin, end in windows)
    ]
    assert not stray, f"failures outside the restarts: {[(a.action, a.status, a.error) for a in stray[:5]]}"
    other_5xx = [a for a in attempts if a.status is not None and a.status >= 500 and a.status not in (500, 503)]
    assert not other_5xx, [(a.action, a.status, a.error) for a in other_5xx[:5]]
    probe_500 = {r.mode: r.probe_statuses[500] for r in restarts if r.probe_statuses[500]}
    five_hundreds = [a for a in attempts if a.status == 500]
    html = [a for a in five_hundreds if not a.enveloped]
    assert not five_hundreds and not probe_500, (
        f"{len(five_hundreds)} answers were 500 ({len(html)} of them not even the JSON error envelope) and the "
        f"recovery probe got {probe_500 or 'none'}: a database outage must answer 503 or drop the connection; "
        f"e.g. {[(a.action, a.error) for a in (html[:2] + five_hundreds[:3])]}\n"
        f"gunicorn log (tail):\n{server_log[-6000:]}"
    )
    not_enveloped = [a for a in attempts if a.status == 503 and not a.enveloped]
    assert not not_enveloped, [(a.action, a.error) for a in not_enveloped[:5]]


def verify_writes(ledger: Ledger, before_history: Counter) -> tuple[int, int]:
    """Asserts that nothing acknowledged is lost and nothing unasked is there; returns how many failed creates
    and transitions were committed all the same."""
    # Created cases: each acknowledged one with its id and number; a tagged row only for a create that was
    # acknowledged or answered a failure (it may have committed before the answer was lost); none twice.
    tagged: dict[str, list[tuple[int, str]]] = {}
    for case_id, number, summary in db.session.execute(
        select(Case.id, Case.number, Case.summary).where(Case.summary.like(f"{TAG}-%"))
    ):
        tagged.setdefault(summary.split(":", 1)[0], []).append((case_id, number))
    twice = {tag: rows for tag, rows in tagged.items() if len(rows) > 1}
    assert not twice, f"a create stored more than once: {twice}"
    for tag, case_id, number, _ in ledger.created:
        assert tagged.get(tag) == [(case_id, number)], f"acknowledged case {case_id} {number} is not stored as such"
    acknowledged_tags = {tag for tag, *_ in ledger.created}
    phantom = set(tagged) - acknowledged_tags - ledger.create_uncertain
    assert not phantom, f"cases stored that no request created: {phantom}"
    numbers = [number for _, _, number, _ in ledger.created]
    assert len(numbers) == len(set(numbers)), "an acknowledged case number was given twice"
    duplicated = db.session.execute(
        select(Case.number, func.count()).group_by(Case.number).having(func.count() > 1)
    ).all()
    assert not duplicated, duplicated

    # Transitions: a history row for each acknowledged one, none for an unacknowledged one (unless it failed
    # and may have committed), and each case at least at its last acknowledged version.
    new_rows, acknowledged = check_transition_history(ledger.transitions, before_history, ledger.uncertain)
    last_version, versions = last_versions(ledger.transitions)
    for case_id, version in last_version.items():
        assert versions[case_id] >= version, (case_id, versions[case_id], version)
        if not any(k[0] == case_id for k in ledger.uncertain):
            assert versions[case_id] == version, (case_id, versions[case_id], version)
    # Each acknowledged issue queued its email in the same transaction.
    assert_issues_queued_email(ledger.transitions)
    db.session.remove()
    committed_creates = len(set(tagged) & ledger.create_uncertain)
    committed_transitions = sum((new_rows - acknowledged).values())
    return committed_creates, committed_transitions


def verify_scheduler_jobs(application: Flask, world: Seeded, smtp_server: Any) -> None:
    # The sweep, as the scheduler runs it: every overdue recommendation escalated, each level recorded once.
    assert run_job(application, "escalation_sweep", sweep_job), "the sweep failed after the restarts"
    levels = dict(
        db.session.execute(
            select(Recommendation.id, Recommendation.escalation_level).where(Recommendation.id.in_(world.overdue_recs))
        ).all()
    )
    assert len(set(levels.values())) == 1 and next(iter(levels.values())) is not None, levels
    level = next(iter(levels.values()))
    assert level >= 1, levels
    steps = Counter(
        db.session.execute(
            select(EscalationStep.recommendation_id, EscalationStep.level).where(
                EscalationStep.recommendation_id.in_(world.overdue_recs)
            )
        ).all()
    )
    assert set(steps.values()) == {1} and len(steps) == OVERDUE * (level + 1), steps
    escalated_cases = set(
        db.session.scalars(select(Recommendation.case_id).where(Recommendation.id.in_(world.overdue_recs)))
    )
    history_rows = db.session.scalar(
        select(func.count())
        .select_from(CaseHistory)
        .where(CaseHistory.case_id.in_(escalated_cases), CaseHistory.event == HISTORY_EVENT)
    )
    assert history_rows == OVERDUE * (level + 1)
    db.session.remove()
    assert run_job(application, "escalation_sweep", sweep_job)
    assert db.session.scalar(select(func.count()).select_from(EscalationStep)) == OVERDUE * (level + 1)

    # The dispatcher job runs; then every queued email (issued recommendations, escalations) is delivered
    # once, at a moment inside everyone's working hours.
    assert run_job(application, "outbox_dispatch", dispatch_job), "the outbox dispatcher failed after the restarts"
    beats = {b.job_id: b.last_ok for b in db.session.scalars(select(JobHeartbeat))}
    assert beats == {"escalation_sweep": True, "outbox_dispatch": True}, beats
    totals = dispatch_all(now=utcnow() + timedelta(days=15), batch_size=50)
    db.session.commit()
    assert totals["retried"] == 0 and totals["dead"] == 0, totals
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert rows and {r.status for r in rows} == {"sent"}, Counter(r.status for r in rows)
    escalated_email = {r.case_id for r in rows if r.case_id in escalated_cases}
    assert escalated_email == escalated_cases
    delivered = Counter(d.message_id for d in smtp_server.deliveries)
    assert set(delivered) == {r.message_id for r in rows}
    assert set(delivered.values()) == {1}, [m for m, n in delivered.items() if n > 1][:5]
    print(
        f"after the restarts: sweep escalated {OVERDUE} recommendations to level {level}; "
        f"{len(rows)} emails delivered once each"
    )
    db.session.remove()


def report(ledger: Ledger, restarts: list[Restart], elapsed: float) -> None:
    attempts = ledger.attempts
    statuses = Counter(a.status if a.status is not None else "no answer" for a in attempts)
    by_action = Counter(a.action for a in attempts)
    print(
        f"\npg restart load: {len(attempts)} requests in {elapsed:.1f} s ({len(attempts) / elapsed:.1f}/s); "
        f"statuses {dict(sorted(statuses.items(), key=str))}; actions {dict(by_action)}; "
        f"{len(ledger.created)} cases created and {len(ledger.transitions)} transitions acknowledged; "
        f"{len(ledger.create_uncertain)} creates and {sum(ledger.uncertain.values())} transitions failed"
    )
    for r in restarts:
        during = [
            a for a in attempts if failed(a.status) and a.started <= r.ended + RECOVERY_SECONDS and a.ended >= r.began
        ]
        kinds = Counter(a.status if a.status is not None else "no answer" for a in during)
        recovered = "never" if r.recovered_after is None else f"{r.recovered_after:.2f} s"
        print(
            f"  restart -m {r.mode}: server down/up in {r.ended - r.began:.2f} s, app served again after "
            f"{recovered} (probe {dict(r.probe_statuses)}); failed requests {dict(kinds)}"
        )
        for a in during[:3]:
            print(f"    {a.action}: {a.status} {a.error}")
