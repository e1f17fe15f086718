"""`make run`'s last step: the development mail sink, the scheduler and the web app, as one program in the
foreground that Ctrl-C ends cleanly.

- The mail sink (aiosmtpd) listens on a free port of 127.0.0.1 and keeps what it receives in a Maildir of this
  instance, `instance/mail/<PORT>`, unless MAIL_SERVER is set; the scheduler and the web app get it as
  MAIL_SERVER/MAIL_PORT. So a second `make run PORT=…` neither fails to start its sink nor sends its mail to
  the first one's folder.
- Every child gets HOST and PORT: links in emails (BASE_URL, config.py) follow them unless BASE_URL is set.
- The URL is printed once the web app answers, the demo logins just before it (`--no-logins` when `make` has
  just loaded the demo data, which prints them).
- Each child runs in a process group of its own, so the terminal's Ctrl-C reaches only `make` and this program;
  on SIGINT, SIGTERM or SIGHUP it stops the web app, then the scheduler (which finishes the job it runs), then
  the mail sink, and exits 0. A child that stops by itself stops the others; its exit code is this program's.
  (The recipe this replaces trapped `kill 0` on INT, TERM and EXIT: the shell's own SIGTERM ran the trap again,
  without end, until dash overflowed its stack: "Segmentation fault".)

Run from the repository root: `python scripts/run_dev.py --host 127.0.0.1 --port 5000`.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
WILDCARD_HOSTS = ("0.0.0.0", "::", "[::]")  # noqa: S104 - hosts read, not bound here
STOP_SECONDS = 20  # how long each child may take to stop before it is killed
PR_SET_PDEATHSIG = 1


# -- pieces (tests/test_run_dev.py) -------------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on at `host` now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def maildir_for(instance: Path, port: int) -> Path:
    """The Maildir of the instance serving on `port`."""
    return instance / "mail" / str(port)


def local_url(host: str, port: int) -> str:
    """The URL that opens the app on this machine (a wildcard host is reached through the loopback)."""
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def child_environment(base: Mapping[str, str], host: str, port: int, mail_port: int | None = None) -> dict[str, str]:
    """The children's environment: HOST and PORT (so BASE_URL follows them unless set) and, with our own mail
    sink, MAIL_SERVER/MAIL_PORT pointing at it (no TLS, no login)."""
    env = dict(base)
    env["HOST"], env["PORT"] = host, str(port)
    if mail_port is not None:
        env.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(mail_port)})
        for key in ("MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME", "MAIL_PASSWORD"):
            env.pop(key, None)
    env.setdefault("PYTHONUNBUFFERED", "1")  # children's lines reach the terminal as they are written
    return env


def listening(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on host:port."""
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    try:
        with socket.create_connection((host.strip("[]"), port), timeout=timeout):
            return True
    except OSError:
        return False


def answers(url: str, timeout: float = 2.0) -> bool:
    """Whether an HTTP server answers at `url`, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310 - our own http:// URL
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


# -- the children -----------------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child, before exec: Linux sends it SIGTERM if this program dies without stopping it (SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]


@dataclass
class Supervisor:
    """The children, started in order and stopped in the reverse order; the first stop request is kept."""

    launcher: list[str]
    env: dict[str, str]
    children: list[Child] = field(default_factory=list)
    stop_signal: int | None = None
    requests: int = 0

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.requests += 1
        if self.stop_signal is None:
            self.stop_signal = signum
        if self.requests > 1:  # asked again while stopping: do not wait any longer
            for child in self.children:
                with contextlib.suppress(ProcessLookupError):
                    child.process.kill()

    def start(self, name: str, *args: str) -> Child:
        command = [*self.launcher, *args]
        process = subprocess.Popen(  # noqa: S603 - our own programs
            command,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            process_group=0,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        child = Child(name, process)
        self.children.append(child)
        return child

    def exited(self) -> Child | None:
        return next((c for c in self.children if c.process.poll() is not None), None)

    def wait_for(self, ready: Callable[[], bool], seconds: float) -> bool:
        """Poll `ready` until it holds; False when time runs out, a stop is asked or a child ends first."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.stop_signal is not None or self.exited() is not None:
                return False
            if ready():
                return True
            time.sleep(0.2)
        return False

    def stop_all(self) -> None:
        for child in reversed(self.children):  # web app, scheduler, mail sink
            if child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(signal.SIGTERM)
            try:
                child.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                say(f"{child.name} tidak berhenti dalam {STOP_SECONDS} detik; dihentikan paksa.")
                child.process.kill()
                child.process.wait()


def say(line: str) -> None:
    print(line, flush=True)


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Jalankan Tindak untuk pengembangan (dipanggil oleh make run).")
    parser.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 5000))
    parser.add_argument("--instance", type=Path, default=ROOT / "instance", help="folder of the Maildir")
    parser.add_argument("--no-logins", action="store_true", help="do not print the demo logins")
    parser.add_argument("--ready-seconds", type=float, default=120.0)
    parser.add_argument(
        "--launcher",
        default=shlex.join([sys.executable, "-m"]),
        help="the command that runs a Python module, e.g. 'python -m' (the suite: 'python -m tests.clocked ISO')",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if listening(args.host, args.port):
        say(f"Port {args.port} sudah dipakai program lain. Pilih port lain, misalnya: make run PORT={args.port + 1}")
        return 1
    mail_port = None if os.environ.get("MAIL_SERVER") else free_port()
    supervisor = Supervisor(shlex.split(args.launcher), child_environment(os.environ, args.host, args.port, mail_port))
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, supervisor.on_signal)
    try:
        code = _serve(supervisor, args, mail_port)
    finally:
        supervisor.stop_all()
    say("Tindak berhenti.")
    return code


def _serve(supervisor: Supervisor, args: argparse.Namespace, mail_port: int | None) -> int:
    """Start the children, say where the app is once it answers, and wait for a stop request (0) or for a child
    that ends by itself (its exit code)."""
    url = local_url(args.host, args.port)
    flask = ("flask", "--app", "wsgi")
    if mail_port is not None:
        maildir = maildir_for(args.instance.resolve(), args.port)
        maildir.parent.mkdir(parents=True, exist_ok=True)
        supervisor.start(
            "Penampung email",
            *("aiosmtpd", "-n", "-l", f"127.0.0.1:{mail_port}", "-c", "aiosmtpd.handlers.Mailbox", str(maildir)),
        )
        if not supervisor.wait_for(lambda: listening("127.0.0.1", mail_port), 30):
            return _failed(supervisor, "penampung email tidak siap")
        mail_line = f"Email: ke penampung lokal 127.0.0.1:{mail_port}, tersimpan di {_shown(maildir)} (Maildir)."
    else:
        mail_line = f"Email: ke {supervisor.env['MAIL_SERVER']} (MAIL_SERVER)."
    supervisor.start("Penjadwal", *flask, "scheduler", "run")
    supervisor.start("Aplikasi web", *flask, "run", "--host", args.host, "--port", str(args.port), "--no-reload")
    logins = b""
    if not args.no_logins:
        logins = subprocess.run(  # noqa: S603 - our own CLI
            [*supervisor.launcher, *flask, "demo", "logins"],
            cwd=ROOT,
            env=supervisor.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            process_group=0,
            check=False,
        ).stdout
    if not supervisor.wait_for(lambda: answers(url + "api/v1/health"), args.ready_seconds):
        return _failed(supervisor, f"aplikasi web tidak menjawab di {url}")
    if logins:
        sys.stdout.buffer.write(logins)
    say(mail_line)
    say(f"Tindak siap: {url}  (Ctrl-C untuk berhenti)")
    while supervisor.stop_signal is None:
        ended = supervisor.exited()
        if ended is not None:
            returncode = ended.process.returncode
            say(f"{ended.name} berhenti sendiri (kode {returncode}); yang lain dihentikan.")
            return returncode if returncode > 0 else 1
        time.sleep(0.2)
    return 0


def _failed(supervisor: Supervisor, what: str) -> int:
    if supervisor.stop_signal is not None:
        return 0  # asked to stop while starting: not a failure
    ended = supervisor.exited()
    detail = f": {ended.name} berhenti (kode {ended.process.returncode})" if ended is not None else ""
    say(f"Tindak tidak dapat dijalankan, {what}{detail}.")
    return 1


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(ROOT))
    return str(path)


if __name__ == "__main__":
    sys.exit(main())
