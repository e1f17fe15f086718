"""What the quality tests that run the app in processes of its own share (test_load, test_pg_restart,
test_faults): the environment of those processes, gunicorn started and stopped, a client of the API acting as
a role, the pieces of a workflow load (client threads, their random actions, the next event of each state) and
the checks that every acknowledged write is in the database.
"""

from __future__ import annotations

import http.client
import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.audit.history import dev_chain_keys
from app.calendar.working_days import Calendar, due_at_for, local_today
from app.core.clock import utcnow
from app.core.states import CaseEvent
from app.db import db
from app.models.cases import Case, CaseHistory, Recommendation
from app.models.outbox import OutboxMessage
from tests.clocked import environ_without_faketime, on_suite_clock
from tests.escalations.helpers import bulk_open_cases
from tests.factories import NIPS, SAMPLE_PAYLOADS, Cast

ROOT = Path(__file__).resolve().parents[2]

# -- processes of the app ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(database_url: str, overrides: dict[str, Any], **extra: str) -> dict[str, str]:
    """This process's environment, configured for `database_url` and the test app's secrets and directories;
    no scheduler and no reachable SMTP server unless `extra` says otherwise."""
    env = environ_without_faketime()
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": overrides["SECRET_KEY"],
            "ATTACHMENT_DIR": overrides["ATTACHMENT_DIR"],
            "BASE_URL": overrides["BASE_URL"],
            "SCHEDULER_ENABLED": "0",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": "1",  # nothing listens there
            "AUDIT_CHAIN_KEYS": dev_chain_keys(overrides["SECRET_KEY"]),  # the test app's own (production needs one)
            "AUDIT_CHECKPOINT_SECONDS": "0",  # a scheduler writes no checkpoint into the instance folder
            **extra,
        }
    )
    return env


def flask_command(*args: str) -> list[str]:
    """The application's own CLI (`flask --app wsgi …`), to run with cwd=ROOT."""
    return on_suite_clock([sys.executable, "-m", "flask", "--app", "wsgi", *args])


def start_gunicorn(
    env: dict[str, str], port: int, log: Path, *, workers: int, timeout: int, wait_for_workers: bool = False
) -> subprocess.Popen:
    """gunicorn serving the app on 127.0.0.1:`port` with `workers` sync workers (each request at most `timeout`
    seconds), its output in `log`; returned once /api/v1/health answers with any HTTP status (503 while no
    scheduler has run is fine) and, with `wait_for_workers`, all the workers are up."""
    command = on_suite_clock(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            str(timeout),
            "--graceful-timeout",
            "20",
            "--log-level",
            "warning",
            "wsgi:app",
        ]
    )
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)  # noqa: S603
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {log.read_text()[-3000:]}")
        if health_answers(port) and (not wait_for_workers or len(worker_pids(process.pid)) == workers):
            return process
        time.sleep(0.3)
    stop(process)
    pytest.fail("gunicorn did not answer in time")


def health_answers(port: int) -> bool:
    """Whether /api/v1/health gives an HTTP answer, whatever its status."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5):  # noqa: S310
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def worker_pids(master: int) -> set[int]:
    """The processes whose parent is the gunicorn master (its workers)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:"):
                if int(line.split()[1]) == master:
                    pids.add(int(entry.name))
                break
    return pids


def gunicorn_log(log: Path) -> str:
    """The server's log, asserting that no worker timed out."""
    server_log = log.read_text(errors="replace")
    assert "WORKER TIMEOUT" not in server_log, server_log[-3000:]
    return server_log


# -- a client of the API ----------------------------------------------------------------------------------------


class Client:
    """Requests to the API on 127.0.0.1:`port`, each on a new connection, with the bearer token of a role."""

    def __init__(self, port: int, tokens: dict[str, str], timeout: float):
        self.port = port
        self.tokens = tokens
        self.timeout = timeout

    def call(
        self,
        method: str,
        path: str,
        role: str,
        payload: dict | None = None,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> tuple[int, Any]:
        """(status, the JSON body, or the start of a body that is not JSON); `payload` is sent as JSON."""
        if payload is not None:
            body, content_type = json.dumps(payload).encode(), "application/json"
        headers = {"Authorization": f"Bearer {self.tokens[role]}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data[:200]
        return response.status, parsed

    def upload(self, case_id: int, content: bytes, name: str) -> tuple[int, Any]:
        """`content` (a PDF) attached to the case as evidence, by the investigator."""
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nevidence\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/pdf\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.call(
            "POST",
            f"/api/v1/cases/{case_id}/attachments",
            "investigator",
            body=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )


def role_tokens(cast: Cast) -> dict[str, str]:
    """A bearer token for each role the load acts as (the commissioner is not the drafter)."""
    return cast.issue_tokens(investigator=cast.investigator, commissioner=cast.commissioner2, ppk=cast.ppk)


# -- the workflow load ------------------------------------------------------------------------------------------

# The next event of each state on the way to `completed`, and the role that fires it (the drafter may not issue).
PLAN = {
    "reported": ("start_review", "investigator"),
    "under_review": ("draft_recommendation", "investigator"),
    "recommendation_drafted": ("issue_recommendation", "commissioner"),
    "awaiting_follow_up": ("report_follow_up", "ppk"),
    "follow_up_reported": ("accept_follow_up", "investigator"),
}
PLAN_EVENTS = {event for event, _ in PLAN.values()}


def random_actions(
    ledger: Any, actions: list[tuple[str, int]], stop_at: float, seed: int
) -> Iterator[tuple[str, int, random.Random]]:
    """Until `stop_at`: an action drawn by weight, a case drawn from `ledger.cases` (under `ledger.lock`), and
    the random generator (seeded with `seed`) for the action's own draws."""
    rng = random.Random(seed)
    names, weights = zip(*actions, strict=True)
    while time.monotonic() < stop_at:
        action = rng.choices(names, weights)[0]
        with ledger.lock:
            case_id = rng.choice(ledger.cases)
        yield action, case_id, rng


def start_clients(worker: Callable[..., None], client: Client, ledger: Any, count: int, stop_at: float) -> list:
    """`count` daemon threads running worker(client, ledger, stop_at, seed), seeds 0 … count-1."""
    threads = [
        threading.Thread(target=worker, args=(client, ledger, stop_at, seed), daemon=True) for seed in range(count)
    ]
    for thread in threads:
        thread.start()
    return threads


def join_clients(threads: list[threading.Thread], timeout: float) -> None:
    for thread in threads:
        thread.join(timeout=timeout)
        assert not thread.is_alive(), "a client thread hung"


def sleep_until(moment: float) -> None:
    """Sleep until time.monotonic() reaches `moment` (not at all if it has)."""
    time.sleep(max(0.0, moment - time.monotonic()))


def list_path(rng: random.Random) -> str:
    """A page of the case list, with a random status filter or none."""
    query = rng.choice(["", "&status=reported", "&status=awaiting_follow_up,follow_up_reported"])
    return f"/api/v1/cases?limit=20{query}"


def reported_person(rng: random.Random) -> dict[str, str]:
    return {"name": f"Terlapor Uji {rng.randrange(10**6)}", "nip": rng.choice(NIPS)}


def payload_for(event: str) -> dict[str, Any]:
    """The fields a transition firing `event` sends besides the event and the version."""
    payload = dict(SAMPLE_PAYLOADS[CaseEvent(event)])
    if event == "report_follow_up":
        payload["decision_date"] = date.today().isoformat()
    return payload


def lost_race(status: int, body: Any) -> bool:
    """A transition refused because another client changed the case first."""
    return status == 409 and body["error"]["code"] in ("version_conflict", "invalid_transition")


# -- what the database holds ------------------------------------------------------------------------------------


def history_events() -> Counter:
    """How many history rows there are of each (case, event)."""
    return Counter(
        (case_id, event) for case_id, event in db.session.execute(select(CaseHistory.case_id, CaseHistory.event)).all()
    )


def check_transition_history(
    transitions: list[tuple[Any, ...]], before: Counter, uncertain: Counter
) -> tuple[Counter, Counter]:
    """Asserts that each acknowledged transition (case, event, …) added its history row to those counted in
    `before`, and that none was added for an unacknowledged one unless it is `uncertain` (its answer was a
    failure: it may have committed); returns the new rows of the plan's events and the acknowledged ones."""
    history = Counter({k: v for k, v in history_events().items() if k[1] in PLAN_EVENTS})
    new_rows = history - Counter({k: v for k, v in before.items() if k[1] in PLAN_EVENTS})
    acknowledged = Counter((case_id, event) for case_id, event, *_ in transitions)
    missing = acknowledged - new_rows
    assert not missing, f"acknowledged but not in the database: {list(missing)[:10]}"
    phantom = new_rows - acknowledged - uncertain
    assert not phantom, f"in the database but never acknowledged: {list(phantom)[:10]}"
    return new_rows, acknowledged


def last_versions(transitions: list[tuple[Any, ...]]) -> tuple[dict[int, int], dict[int, int]]:
    """Each transitioned case's last acknowledged version, and its version in the database."""
    last_version: dict[int, int] = {}
    for case_id, _, version, *_ in transitions:
        last_version[case_id] = max(version, last_version.get(case_id, 0))
    versions = dict(db.session.execute(select(Case.id, Case.version).where(Case.id.in_(last_version))).all())
    return last_version, versions


def assert_issues_queued_email(transitions: list[tuple[Any, ...]]) -> None:
    """Each acknowledged issue_recommendation queued its email (in the same transaction)."""
    issued = {case_id for case_id, event, *_ in transitions if event == "issue_recommendation"}
    with_email = set(
        db.session.scalars(
            select(OutboxMessage.case_id).where(
                OutboxMessage.case_id.in_(issued), OutboxMessage.kind == "recommendation_issued"
            )
        )
    )
    assert with_email == issued


def open_overdue_recommendations(agency: Any, drafter: Any, n: int) -> tuple[datetime, list[int]]:
    """`n` open recommendations of `agency` (which has no other cases), drafted by `drafter`, received 24
    working days ago and due in 14, so ten working days ago; returns the due moment and their ids."""
    today = local_today(agency, utcnow())
    received = Calendar.load(agency.id).add_working_days(today, -24, agency.id)
    due_at, _ = due_at_for(agency, received, 14)
    bulk_open_cases(agency.id, n, due_at=due_at, received_on=received, drafted_by_id=drafter.id, with_history=True)
    rec_ids = list(
        db.session.scalars(
            select(Recommendation.id).join(Case, Case.id == Recommendation.case_id).where(Case.agency_id == agency.id)
        )
    )
    assert len(rec_ids) == n
    return due_at, rec_ids
