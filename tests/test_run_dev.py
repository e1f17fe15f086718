"""Issue 20, `make run`: links in emails follow HOST and PORT, migrations run and the logins print once, the mail
sink listens on a free port and keeps a Maildir per instance, the URL is printed once the app answers, and
Ctrl-C stops every program it started and exits cleanly (scripts/run_dev.py, the Makefile's `run`)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from app.core.clock import utcnow
from app.db import db
from config import load_config
from scripts import run_dev
from tests.clocked import on_suite_clock
from tests.escalations.helpers import open_case
from tests.escalations.test_reliability import _env

ROOT = Path(__file__).resolve().parents[1]


# -- links in emails follow HOST and PORT --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "base_url"),
    [
        ({}, "http://127.0.0.1:5000"),
        ({"PORT": "5055"}, "http://127.0.0.1:5055"),
        ({"HOST": "tindak.lan", "PORT": "8080"}, "http://tindak.lan:8080"),
        ({"HOST": "0.0.0.0", "PORT": "8000"}, "http://127.0.0.1:8000"),  # noqa: S104 - a host read, not bound
        ({"HOST": "::1"}, "http://[::1]:5000"),
        ({"PORT": "5055", "BASE_URL": "https://tindak.example.go.id/"}, "https://tindak.example.go.id"),
    ],
)
def test_base_url_follows_host_and_port_unless_set(environ, base_url):
    assert load_config(environ)["BASE_URL"] == base_url


# -- the Makefile's run ------------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_migrates_once_and_prints_the_logins_once():
    env = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "MAKEFLAGS", "MFLAGS")}
    plan = subprocess.run(  # noqa: S603 - make -n only prints the commands
        ["make", "-n", "--no-print-directory", "run", "PORT=5055"],  # noqa: S607
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert plan.count("db upgrade") == 1, plan
    assert "demo logins" not in plan and "trap" not in plan and "aiosmtpd" not in plan
    last = plan.strip().splitlines()[-1]
    assert last.startswith('exec .venv/bin/python scripts/run_dev.py --host "127.0.0.1" --port "5055"'), last
    if (ROOT / "instance" / ".demo-loaded").exists():
        assert "demo load" not in plan and "--no-logins" not in last  # the script prints them
    else:
        assert plan.count("demo load") == 1 and last.endswith("--no-logins")  # `demo load` prints them


# -- the pieces of scripts/run_dev.py ----------------------------------------------------------------------------


def test_each_instance_has_its_own_maildir_and_a_free_mail_port(tmp_path):
    assert run_dev.maildir_for(tmp_path, 5000) == tmp_path / "mail" / "5000"
    assert run_dev.maildir_for(tmp_path, 5055) != run_dev.maildir_for(tmp_path, 5000)
    port = run_dev.free_port()
    assert 0 < port < 65536 and not run_dev.listening("127.0.0.1", port)
    env = run_dev.child_environment(
        {"MAIL_USE_TLS": "1", "MAIL_USERNAME": "x", "BASE_URL": "https://tindak.example"}, "0.0.0.0", 5055, port
    )
    assert (env["HOST"], env["PORT"]) == ("0.0.0.0", "5055")  # noqa: S104 - a host read, not bound
    assert (env["MAIL_SERVER"], env["MAIL_PORT"]) == ("127.0.0.1", str(port))
    assert "MAIL_USE_TLS" not in env and "MAIL_USERNAME" not in env
    assert env["BASE_URL"] == "https://tindak.example"  # set: kept
    without_sink = run_dev.child_environment({"MAIL_SERVER": "smtp.example.go.id"}, "127.0.0.1", 5000)
    assert without_sink["MAIL_SERVER"] == "smtp.example.go.id" and "MAIL_PORT" not in without_sink


def test_the_url_opens_on_this_machine():
    assert run_dev.local_url("127.0.0.1", 5055) == "http://127.0.0.1:5055/"
    assert run_dev.local_url("0.0.0.0", 5055) == "http://127.0.0.1:5055/"  # noqa: S104 - a host read, not bound
    assert run_dev.local_url("::1", 5055) == "http://[::1]:5055/"


# -- the whole run, then Ctrl-C ------------------------------------------------------------------------------------


def _children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class _Output:
    """The lines a process writes, read in a thread; `wait_for` a line matching a pattern."""

    def __init__(self, process: subprocess.Popen[str]):
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, seconds: float) -> re.Match[str] | None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            time.sleep(0.1)
        return None

    def text(self) -> str:
        self._thread.join(timeout=30)
        return "\n".join(self.lines)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_run_dev_says_where_when_it_answers_sends_mail_to_its_own_maildir_and_stops_on_ctrl_c(
    tmp_path, make_agency, make_user, database_url
):
    agency = make_agency(ppk_email="ppk@x.go.id")
    _, rec = open_case(agency, received_on=(utcnow() - timedelta(days=60)).date(), drafter=make_user("investigator"))
    case_id = rec.case_id
    db.session.remove()
    port = run_dev.free_port()
    env = {k: v for k, v in _env(database_url).items() if k not in ("BASE_URL", "MAIL_SERVER", "MAIL_PORT")}
    env.update(
        {
            "SCHEDULER_ENABLED": "1",
            "SCHEDULER_OUTBOX_SECONDS": "1",
            "ATTACHMENT_DIR": str(tmp_path / "attachments"),
        }
    )
    launcher = shlex.join(on_suite_clock([sys.executable, "-m"]))  # every child on the test's clock
    arguments = ["--port", str(port), "--instance", str(tmp_path), "--launcher", launcher]
    command = on_suite_clock([sys.executable, "-m", "scripts.run_dev", *arguments])
    process = subprocess.Popen(  # noqa: S603 - our own script
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as `make run` has in a terminal
    )
    output = _Output(process)
    children: list[int] = []
    try:
        ready = output.wait_for(r"^Tindak siap: (\S+)", 180)
        assert ready is not None, "\n".join(output.lines)
        url = ready.group(1)
        assert url == f"http://127.0.0.1:{port}/"
        with urllib.request.urlopen(url + "login", timeout=10) as page:  # noqa: S310 - it answers once said
            assert page.status == 200
        mail = output.wait_for(r"^Email: ke penampung lokal 127\.0\.0\.1:(\d+), tersimpan di (.+) \(Maildir\)\.$", 5)
        assert mail is not None
        maildir = tmp_path / "mail" / str(port)
        assert Path(mail.group(2)) == maildir
        assert int(mail.group(1)) != port
        children = _children_of(process.pid)
        assert len(children) == 3, children  # mail sink, scheduler, web app

        # The sweep at start queues the overdue case's email, the dispatcher sends it to this instance's sink,
        # and its link names the port the app serves on.
        link = f"http://127.0.0.1:{port}/cases/{case_id}"
        deadline = time.monotonic() + 90
        received = ""
        while link not in received and time.monotonic() < deadline:
            received = "".join(p.read_text(errors="replace") for p in (maildir / "new").glob("*"))
            time.sleep(0.3)
        assert link in received, received[:2000]

        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the foreground process group
        process.wait(timeout=90)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pid in children:
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGKILL)
    text = output.text()
    assert process.returncode == 0, text
    assert "Tindak berhenti." in text and "Penjadwal berhenti." in text
    assert "Segmentation fault" not in text and "Traceback" not in text, text
    assert text.count("Akun demo") == 1 and text.index("Akun demo") < text.index("Tindak siap")
    assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == []
