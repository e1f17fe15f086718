"""A throwaway PostgreSQL cluster for tests that must stop, restart or crash the server.

The machine's shared PostgreSQL is never touched: `PgCluster` runs `initdb` in a new temporary directory,
starts its own postmaster on 127.0.0.1 and a free port (its Unix socket in that directory, trust
authentication), can restart it (`fast`, or `immediate`: a crash followed by recovery) and stops it and removes
the directory at the end. initdb and the server refuse to run as root, so as root every server command runs as
the `postgres` system user (`runuser -u postgres -- …`) in a directory that user owns.

    with private_cluster() as cluster:     # raises PgClusterUnavailable (a reason) when it cannot
        url = cluster.create_database("tindak")
        cluster.restart("fast")
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.quality.servers import free_port

SERVER_USER = "postgres"
START_TIMEOUT = 60


class PgClusterUnavailable(RuntimeError):
    """No server binaries, or no non-root user to run them as: the caller skips."""


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path)) or (0,)


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres: `pg_config --bindir`, else the newest Debian one."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(  # noqa: S603
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=True
            ).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)]
    for name in ("initdb", "pg_ctl"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(os.path.realpath(found)).parent)
    for directory in candidates:
        if all(os.access(directory / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


class PgCluster:
    """One private cluster in `root` (data in root/data, server log root/server.log, socket in root)."""

    def __init__(self, bindir: Path, root: Path, run_as: pwd.struct_passwd | None):
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self.run_as = run_as  # None: run the server commands as the current (non-root) user
        self.port = free_port()
        self.host = "127.0.0.1"

    # -- commands -------------------------------------------------------------------------------------------
    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bindir / tool), *args]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as.pw_name, "--", *command]
        return command

    def run(self, tool: str, *args: str, timeout: float = 120) -> str:
        # cwd: a directory the server user may enter (pg_ctl and initdb resolve the current directory).
        env = dict(os.environ, LC_ALL="C", LANG="C")
        env.pop("PGDATA", None)
        result = subprocess.run(  # noqa: S603 - our own arguments
            self._command(tool, *args),
            cwd=self.root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{tool} {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                f"server log:\n{self.server_log()[-3000:]}"
            )
        return result.stdout

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    # -- life cycle -----------------------------------------------------------------------------------------
    def init(self) -> None:
        self.run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"
        )
        settings = {
            "listen_addresses": f"'{self.host}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": "100",
            "shared_buffers": "32MB",
            # Durability as in production: every commit is flushed before it is acknowledged.
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "logging_collector": "off",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# tests/quality/pgcluster.py\n")
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(START_TIMEOUT), *extra, action)

    def start(self) -> None:
        self._pg_ctl("start")

    def restart(self, mode: str = "fast") -> None:
        """Stop in `mode` (`fast`: sessions are terminated, a checkpoint is written; `immediate`: every server
        process is killed, as in a crash, and the start runs crash recovery), then start; returns once the
        server accepts connections again."""
        assert mode in {"smart", "fast", "immediate"}
        self._pg_ctl("restart", "-m", mode)

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-w", "-t", str(START_TIMEOUT), "-m", mode, "stop")

    def running(self) -> bool:
        if not (self.data / "postmaster.pid").exists():
            return False
        try:
            self.run("pg_ctl", "-D", str(self.data), "status", timeout=30)
            return True
        except RuntimeError:
            return False

    # -- SQL --------------------------------------------------------------------------------------------------
    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{dbname}?connect_timeout=5"

    def query(self, sql: str, dbname: str = "postgres") -> list[tuple[Any, ...]]:
        """Run one statement on a connection of its own (autocommit) and return its rows."""
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            cursor = conn.execute(sql)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def create_database(self, name: str) -> str:
        self.query(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def postmaster_started_at(self) -> Any:
        return self.query("SELECT pg_postmaster_start_time()")[0][0]


def _server_user() -> pwd.struct_passwd | None:
    """None when not root (the server runs as us); the `postgres` user as root; unavailable otherwise."""
    if os.geteuid() != 0:
        return None
    try:
        user = pwd.getpwnam(SERVER_USER)
    except KeyError as exc:
        raise PgClusterUnavailable(f"running as root and there is no {SERVER_USER!r} user to run initdb as") from exc
    if user.pw_uid == 0:
        raise PgClusterUnavailable(f"the {SERVER_USER!r} user is root")
    if shutil.which("runuser") is None:
        raise PgClusterUnavailable("running as root and runuser is missing (needed to run initdb as postgres)")
    return user


def require_prerequisites() -> tuple[Path, pwd.struct_passwd | None]:
    """The server binaries and the user to run them as; PgClusterUnavailable (with the reason) otherwise."""
    bindir = find_bindir()
    if bindir is None:
        raise PgClusterUnavailable("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found")
    return bindir, _server_user()


@contextmanager
def private_cluster() -> Iterator[PgCluster]:
    """A started private cluster; stopped (immediately: nothing in it is kept) and removed afterwards."""
    bindir, user = require_prerequisites()
    root = Path(tempfile.mkdtemp(prefix="tindak-pg-"))
    try:
        root.chmod(0o700)
        if user is not None:
            os.chown(root, user.pw_uid, user.pw_gid)
        cluster = PgCluster(bindir, root, user)
        cluster.init()
        cluster.start()
        try:
            yield cluster
        finally:
            if (cluster.data / "postmaster.pid").exists():
                try:
                    cluster.stop("immediate")
                except (RuntimeError, subprocess.SubprocessError):
                    _kill_postmaster(cluster)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _kill_postmaster(cluster: PgCluster) -> None:
    """Last resort when pg_ctl cannot stop it: SIGQUIT the postmaster named by its own pid file."""
    import signal

    try:
        pid = int((cluster.data / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        os.kill(pid, signal.SIGQUIT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
