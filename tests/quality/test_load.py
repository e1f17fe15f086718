"""Load: gunicorn on 127.0.0.1 with the test database, a bounded mix of reads, transitions, uploads, new cases.

Six client threads for 20 s (5 minutes with TINDAK_LONG_TESTS=1) against three sync workers in the
production configuration: case lists and details, history, transitions along the workflow (read the case,
fire the next event with its version, as the actor the workflow wants: concurrent threads race for the same
case and the loser gets 409), evidence uploads, new cases. Then, with the server stopped:
- no 5xx and no broken connection;
- every acknowledged write is in the database: each acknowledged transition has its history row (and no
  transition left a row without being acknowledged), the case's version is the last one acknowledged, each
  uploaded file is recorded and on disk with its SHA-256, each created case exists; every history chain
  verifies; each issued recommendation queued its email in the same transaction.

On PostgreSQL the run also terminates every connection to the test database twice (what the application
sees of a server restart, without restarting the server other databases share): only requests in flight at
that moment may fail, the pool reconnects, and nothing acknowledged is lost.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import random
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from app.audit import verify_all
from app.db import db
from app.models.cases import Attachment, Case, CaseHistory
from tests.conftest import ON_POSTGRES
from tests.factories import PDF_BYTES, S, case_in, make_cast, new_case_payload
from tests.quality.servers import (
    PLAN,
    Client,
    app_env,
    assert_issues_queued_email,
    check_transition_history,
    free_port,
    gunicorn_log,
    history_events,
    join_clients,
    last_versions,
    list_path,
    lost_race,
    payload_for,
    random_actions,
    reported_person,
    role_tokens,
    sleep_until,
    start_clients,
    start_gunicorn,
    stop,
)

LONG = os.environ.get("TINDAK_LONG_TESTS") == "1"
DURATION = 300.0 if LONG else 20.0
THREADS = 6
WORKERS = 3

ACTIONS = [("list", 28), ("detail", 18), ("history", 6), ("transition", 28), ("upload", 12), ("create", 8)]


@dataclass
class Ledger:
    """What the clients saw, shared by the threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)
    by_action: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    server_errors: list[tuple[float, str, int]] = field(default_factory=list)
    transitions: list[tuple[int, str, int]] = field(default_factory=list)  # (case, event, version) acknowledged
    uncertain: Counter = field(default_factory=Counter)  # (case, event) whose answer was lost or 5xx
    uploads: list[tuple[int, int, str, int]] = field(default_factory=list)  # (case, attachment, sha256, size)
    created: list[tuple[int, str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    cases: list[int] = field(default_factory=list)
    agency_id: int = 0

    def record(self, action: str, status: int, seconds: float, started: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.by_action.setdefault(action, []).append(seconds)
            if status >= 500:
                self.server_errors.append((started, action, status))


def worker(client: Client, ledger: Ledger, stop_at: float, seed: int) -> None:
    for action, case_id, rng in random_actions(ledger, ACTIONS, stop_at, seed):
        started = time.monotonic()
        try:
            status = run_action(client, ledger, action, case_id, rng)
        except (OSError, http.client.HTTPException) as exc:
            with ledger.lock:
                ledger.errors.append(f"{action} case {case_id}: {type(exc).__name__}: {exc}")
            continue
        ledger.record(action, status, time.monotonic() - started, started)


def run_action(client: Client, ledger: Ledger, action: str, case_id: int, rng: random.Random) -> int:
    if action == "list":
        return client.call("GET", list_path(rng), "investigator")[0]
    if action == "detail":
        return client.call("GET", f"/api/v1/cases/{case_id}", "investigator")[0]
    if action == "history":
        return client.call("GET", f"/api/v1/cases/{case_id}/history", "investigator")[0]
    if action == "create":
        payload = new_case_payload(ledger.agency_id, reported_person=reported_person(rng))
        status, body = client.call("POST", "/api/v1/cases", "investigator", payload)
        if status == 201:
            with ledger.lock:
                ledger.created.append((body["id"], body["number"]))
                ledger.cases.append(body["id"])
        elif status < 500:
            ledger.unexpected.append(f"create: {status} {body}")
        return status
    if action == "upload":
        content = PDF_BYTES + os.urandom(rng.randint(10, 4000))
        status, body = client.upload(case_id, content, f"bukti-{rng.randrange(10**6)}.pdf")
        if status == 201:
            with ledger.lock:
                ledger.uploads.append((case_id, body["id"], body["sha256"], len(content)))
                if body["sha256"] != hashlib.sha256(content).hexdigest():
                    ledger.unexpected.append(f"upload {body['id']}: the server's digest differs from the file's")
        elif status != 403 and status < 500:  # a terminal case takes no more evidence; 5xx are counted apart
            ledger.unexpected.append(f"upload case {case_id}: {status} {body}")
        return status
    # transition: read the case, fire its next event with the version read
    status, case = client.call("GET", f"/api/v1/cases/{case_id}", "investigator")
    if status != 200 or case["status"] not in PLAN:
        return status
    event, role = PLAN[case["status"]]
    try:
        status, body = client.call(
            "POST",
            f"/api/v1/cases/{case_id}/transitions",
            role,
            {"event": event, "version": case["version"], **payload_for(event)},
        )
    except (OSError, http.client.HTTPException):
        with ledger.lock:
            ledger.uncertain[(case_id, event)] += 1
        raise
    with ledger.lock:
        if status == 200:
            ledger.transitions.append((case_id, event, body["version"]))
        elif status >= 500:
            ledger.uncertain[(case_id, event)] += 1
        elif not lost_race(status, body):
            ledger.unexpected.append(f"{event} case {case_id}: {status} {body}")
    return status


def terminate_connections() -> int:
    """Every other connection to this database is cut, as a PostgreSQL restart would. The test's own pool held
    connections the previous cut killed (the app's pool does not ping them): it starts from a fresh one. The app
    under test is the gunicorn server, whose workers meet their dead connections themselves."""
    db.engine.dispose()
    with db.engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
        conn.commit()
    return int(killed)


def test_mixed_load_under_gunicorn_answers_without_5xx_and_loses_no_write(database_url, app_overrides, tmp_path):
    cast = make_cast()
    seeded = [case_in(cast, S.REPORTED) for _ in range(20)] + [case_in(cast, S.AWAITING_FOLLOW_UP) for _ in range(6)]
    tokens = role_tokens(cast)
    db.session.commit()
    before = {
        "attachment": db.session.scalar(select(func.coalesce(func.max(Attachment.id), 0))),
        "case": db.session.scalar(select(func.coalesce(func.max(Case.id), 0))),
        "history": history_events(),
    }
    ledger = Ledger(cases=[c.id for c in seeded], agency_id=cast.agency.id)
    db.session.remove()  # SQLite: the test holds no lock while the server runs

    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = app_env(database_url, app_overrides, TINDAK_ENV="production")
    server = start_gunicorn(env, port, log, workers=WORKERS, timeout=120)
    client = Client(port, tokens, timeout=120)
    cuts: list[float] = []
    try:
        started = time.monotonic()
        stop_at = started + DURATION
        threads = start_clients(worker, client, ledger, THREADS, stop_at)
        if ON_POSTGRES:
            for fraction in (1 / 3, 2 / 3):
                sleep_until(started + DURATION * fraction)
                cuts.append(time.monotonic())
                assert terminate_connections() > 0
        join_clients(threads, DURATION + 300)
    finally:
        stop(server)
    elapsed = time.monotonic() - started

    total = sum(ledger.statuses.values())
    summary = ", ".join(
        f"{name} {len(times)} (p50 {statistics.median(times) * 1000:.0f} ms)"
        for name, times in sorted(ledger.by_action.items())
    )
    print(
        f"load: {total} requests in {elapsed:.0f} s ({total / elapsed:.1f}/s) on {db.engine.dialect.name}; "
        f"statuses {dict(sorted(ledger.statuses.items()))}; {summary}; {len(ledger.transitions)} transitions, "
        f"{len(ledger.uploads)} uploads, {len(ledger.created)} new cases acknowledged; {len(cuts)} connection cuts"
    )
    assert total > 50, "the load hardly ran"
    assert len(ledger.transitions) > 5 and ledger.uploads and ledger.created
    gunicorn_log(log)
    if cuts:
        # Only requests in flight when the connections were cut may fail; afterwards the pool reconnects.
        late = [e for e in ledger.server_errors if not any(cut - 60 <= e[0] <= cut + 5 for cut in cuts)]
        assert not late, late[:5]
        assert len(ledger.server_errors) <= WORKERS * len(cuts), ledger.server_errors
        assert len(ledger.errors) <= WORKERS * len(cuts), ledger.errors[:5]
    else:
        assert not ledger.server_errors, ledger.server_errors[:10]
        assert not ledger.errors, ledger.errors[:10]
    assert not ledger.unexpected, ledger.unexpected[:10]

    verify_acknowledged_writes(ledger, before, app_overrides)


def verify_acknowledged_writes(ledger: Ledger, before: dict[str, Any], overrides: dict[str, Any]) -> None:
    db.session.remove()
    # Transitions: a history row for each acknowledged one, and none for an unacknowledged one (unless its
    # answer was lost to a cut connection).
    check_transition_history(ledger.transitions, before["history"], ledger.uncertain)
    last_version, versions = last_versions(ledger.transitions)
    if not ledger.uncertain:
        assert versions == last_version
    else:
        assert all(versions[c] >= v for c, v in last_version.items())
    # Uploads: every acknowledged file recorded with its digest, and on disk.
    rows = {a.id: a for a in db.session.scalars(select(Attachment).where(Attachment.id > before["attachment"]))}
    for case_id, attachment_id, sha256, size in ledger.uploads:
        row = rows.get(attachment_id)
        assert row is not None, f"upload {attachment_id} acknowledged but not recorded"
        assert (row.case_id, row.sha256, row.size) == (case_id, sha256, size)
        path = Path(overrides["ATTACHMENT_DIR"]) / row.storage_key[:2] / row.storage_key
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    if not ledger.errors and not ledger.server_errors:
        assert len(rows) == len(ledger.uploads)
    # New cases.
    created = dict(db.session.execute(select(Case.id, Case.number).where(Case.id > before["case"])).all())
    for case_id, number in ledger.created:
        assert created.get(case_id) == number
    # Every history chain still verifies, and each issued recommendation queued its email with it.
    _cases, _rows, broken = verify_all()
    assert broken is None, broken
    assert_issues_queued_email(ledger.transitions)


@pytest.mark.postgres
def test_an_upload_and_a_transition_at_once_on_one_case_both_land_in_the_history(app, world, monkeypatch):
    """Two writers append to one case's history at the same moment (found by the load run): both read the
    last row before either commits. Neither may fail with a duplicate history number; both rows must land,
    in sequence, and the chain must verify."""
    import io

    import app.audit.history as history

    case = world.cases["reported"]
    real_digest = history.row_digest
    barrier = threading.Barrier(2)

    def meeting_digest(**row: Any) -> str:
        # Called by append_history between reading the last row and inserting the next one.
        try:
            barrier.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass  # the other writer is waiting for this one (a lock): go on alone
        return real_digest(**row)

    monkeypatch.setattr(history, "row_digest", meeting_digest)
    case_id, version = case.id, case.version
    investigator, commissioner = world.headers("investigator"), world.headers("commissioner")
    db.session.commit()
    results: dict[str, int] = {}

    def transition() -> None:
        with app.app_context():
            response = app.test_client().post(
                f"/api/v1/cases/{case_id}/transitions",
                json={"event": "start_review", "version": version},
                headers=investigator,
            )
            results["transition"] = response.status_code

    def upload_file() -> None:
        with app.app_context():
            response = app.test_client().post(
                f"/api/v1/cases/{case_id}/attachments",
                data={"file": (io.BytesIO(PDF_BYTES), "bukti.pdf"), "purpose": "evidence"},
                content_type="multipart/form-data",
                headers=commissioner,
            )
            results["upload"] = response.status_code

    threads = [threading.Thread(target=transition), threading.Thread(target=upload_file)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == {"transition": 200, "upload": 201}
    db.session.expire_all()
    events = [
        e for e in db.session.scalars(select(CaseHistory.event).where(CaseHistory.case_id == case_id)) if e != "create"
    ]
    assert sorted(events) == ["attachment_added", "start_review"]
    assert verify_all()[2] is None
