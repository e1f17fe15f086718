"""Benchmark: the case list endpoint under gunicorn against a bare constant JSON endpoint on the same server.

    .venv/bin/python -m bench.list_endpoint [--limit 50] [--repeat 12] [--seconds 3] [--connections 8]
    .venv/bin/python -m bench.list_endpoint --reuse --database-url postgresql://…/bench_1m
    BENCH_SCALE=small .venv/bin/python -m bench.list_endpoint     # 20,000 cases, shorter runs

The data set is bench.datagen's (1,000,000 cases, 650 agencies; a cached SQLite file, or BENCH_DATABASE_URL —
a throwaway PostgreSQL database, emptied). One gunicorn (sync workers, 2 × cores + 1, production
configuration) serves the application with one extra route, `/bench/bare`, a constant `jsonify` that goes
through the same Flask request pipeline (request id, security headers) but touches no database. The load
generator is wrk when installed (`make bench` installs Debian's package; `-t1 -cN`, p95 from a Lua `done` hook),
else a bounded Python client of the same shape (N concurrent connections over two processes). Both endpoints
are measured in the same run, alternating, `--repeat` times; the figure is the median ratio rps(list) /
rps(bare) of those pairs, printed with their range. Many short pairs rather than a few long ones: on a shared
machine the speed of both endpoints drifts by a fifth within a minute, and a ratio is only fair between runs
measured moments apart.

SQL statements per request are counted inside a server of their own (one worker; a `before_cursor_execute`
listener, reported in an `X-Bench-SQL` response header) for page sizes 1 to 100: keyset pagination keeps them
constant. The measured server carries no such listener: an engine with event listeners takes SQLAlchemy's
slower dispatch path on every statement, which would charge the harness's bookkeeping to the list.

What a request costs is also counted where it is spent, over the measured runs of each endpoint: the CPU time of
gunicorn's processes (the application), of every PostgreSQL process (the database) and of the load generator,
read from /proc and getrusage, divided by the requests served (target for the list on PostgreSQL: app + database
≤ 3 ms); and, on PostgreSQL, the transactions the server itself counted (`pg_stat_database`), which sees round
trips the application's counter cannot (a pool's ping); a read-only view runs each statement in autocommit
(app/api/reads.py), its own transaction, so for the list this counts the statements the server ran.
`--reuse --database-url URL` serves a data set as it is.

Prints one line: throughput, p50/p95 latency and statements per request of both endpoints, the ratio, and the
cost per request of both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1 / 3
SQL_HEADER = "X-Bench-SQL"


# -- the application gunicorn serves ------------------------------------------------------------------------------


def create_bench_app(count_sql: bool = False) -> Any:
    """The application from the environment, plus `/bench/bare` and (count_sql) the per-request statement
    counter."""
    from flask import g, has_app_context, jsonify
    from sqlalchemy import event

    from app import create_app
    from app.db import db

    app = create_app()

    @app.route("/bench/bare")
    def bare() -> Any:
        return jsonify({"status": "ok", "items": [], "next_cursor": None})

    if not count_sql:
        return app

    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_args: Any) -> None:
            if has_app_context():
                g.bench_sql = g.get("bench_sql", 0) + 1

    @app.after_request
    def _report(response: Any) -> Any:
        response.headers[SQL_HEADER] = str(g.get("bench_sql", 0))
        return response

    return app


# -- server --------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str) -> dict[str, str]:
    from app.audit.history import dev_chain_keys
    from bench.datagen import SECRET_KEY

    env = dict(os.environ)
    env.update(
        {
            "TINDAK_ENV": "production",
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY,
            "AUDIT_CHAIN_KEYS": dev_chain_keys(SECRET_KEY),  # the key datagen sealed the history with
            "SCHEDULER_ENABLED": "0",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    workers: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(database_url: str, workers: int, app_spec: str = "bench.list_endpoint:create_bench_app()") -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--backlog",
        "512",
        "--log-level",
        "warning",
        app_spec,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=server_env(database_url))  # noqa: S603 - our own server
    server = Server(process, port, workers)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{server.base}/bench/bare", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise SystemExit("gunicorn did not answer within 120 s")


# -- load generators -----------------------------------------------------------------------------------------------


@dataclass
class Run:
    path: str
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    non_2xx: int
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCHJSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"p50_us\\": %d, \\"p95_us\\": %d, "
    .. "\\"non_2xx\\": %d, \\"errors\\": %d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def run_wrk(base: str, path: str, headers: dict[str, str], seconds: float, connections: int) -> Run:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(int(seconds), 1)}s",
            "--timeout",
            "10s",
            "-s",
            script.name,
        ]
        for key, value in headers.items():
            command += ["-H", f"{key}: {value}"]
        out = subprocess.run(  # noqa: S603 - wrk against our loopback server
            [*command, base + path], capture_output=True, text=True, timeout=seconds + 60, check=True
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in out.splitlines() if line.startswith("BENCHJSON "))
    data = json.loads(line[len("BENCHJSON ") :])
    return Run(
        path=path,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        non_2xx=data["non_2xx"],
        errors=data["errors"],
    )


def _client_process(port: int, raw_request: bytes, threads: int, seconds: float) -> tuple[list[float], dict, int]:
    """One process of the Python client: `threads` loops, one connection per request (gunicorn sync closes)."""
    import threading

    latencies: list[float] = []
    statuses: Counter = Counter()
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def loop() -> None:
        mine: list[float] = []
        codes: Counter = Counter()
        failed = 0
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                    sock.sendall(raw_request)
                    chunks = []
                    while chunk := sock.recv(65536):
                        chunks.append(chunk)
                data = b"".join(chunks)
                codes[int(data[9:12])] += 1
                mine.append(time.perf_counter() - started)
            except (OSError, ValueError):
                failed += 1
        with lock:
            latencies.extend(mine)
            statuses.update(codes)
            errors[0] += failed

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies, dict(statuses), errors[0]


def run_python(port: int, path: str, headers: dict[str, str], seconds: float, connections: int) -> Run:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode()
    processes = 2 if connections >= 2 else 1
    per = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        results = list(pool.map(_client_process, [port] * processes, [raw] * processes, per, [seconds] * processes))
    latencies = sorted(x for lat, _, _ in results for x in lat)
    statuses: Counter = Counter()
    for _, codes, _ in results:
        statuses.update(codes)
    if not latencies:
        raise SystemExit(f"no answer from {path}")
    return Run(
        path=path,
        requests=len(latencies),
        seconds=seconds,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p95_ms=latencies[int(len(latencies) * 0.95)] * 1000,
        non_2xx=sum(v for k, v in statuses.items() if not 200 <= k < 300),
        errors=sum(e for _, _, e in results),
    )


def load(tool: str, server: Server, path: str, headers: dict[str, str], seconds: float, connections: int) -> Run:
    if tool == "wrk":
        return run_wrk(server.base, path, headers, seconds, connections)
    return run_python(server.port, path, headers, seconds, connections)


# -- what a request costs, counted where it is spent ----------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) `pid` has used, from /proc (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15 of stat)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def app_pids(server: Server) -> list[int]:
    """gunicorn's master and its workers."""
    return [server.process.pid, *_children(server.process.pid)]


def database_pids() -> list[int]:
    """Every PostgreSQL process of this machine (its backends, the writers, the stats): the database's CPU."""
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                pids.append(int(comm.parent.name))
        except (OSError, ValueError):
            continue
    return pids


def server_transactions(database_url: str) -> int | None:
    """Transactions the PostgreSQL server counted in the database so far (None on SQLite): its own count, which
    sees what the application's statement counter cannot (a pool's ping, a driver's round trip)."""
    if not database_url.startswith("postgres"):
        return None
    import psycopg

    time.sleep(1.2)  # a backend reports its counters at most once a second (PostgreSQL 15)
    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(row[0]) - 1 if row else None  # less this question's own transaction


@dataclass
class Cost:
    """CPU seconds spent by the application, the database and the load generator, and the server's transactions,
    over the requests of some runs."""

    requests: int = 0
    app: float = 0.0
    database: float = 0.0
    generator: float = 0.0
    transactions: int | None = 0

    def per_request_ms(self, attr: str) -> float:
        return getattr(self, attr) * 1000 / self.requests if self.requests else 0.0

    def text(self) -> str:
        out = (
            f"CPU/request app {self.per_request_ms('app'):.2f} ms + database {self.per_request_ms('database'):.2f} ms"
            f" = {self.per_request_ms('app') + self.per_request_ms('database'):.2f} ms"
            f" (load generator {self.per_request_ms('generator'):.2f} ms)"
        )
        if self.transactions is not None and self.requests:
            out += f", {self.transactions / self.requests:.2f} server transactions/request"
        return out


def measured_load(
    tool: str,
    server: Server,
    path: str,
    headers: dict[str, str],
    seconds: float,
    connections: int,
    cost: Cost,
    database_url: str,
) -> Run:
    """`load`, its CPU and the server's transactions added to `cost`."""
    import resource

    pids = app_pids(server)
    db_pids = database_pids()
    transactions = server_transactions(database_url) if cost.transactions is not None else None
    app_before = sum(_cpu_of(pid) for pid in pids)
    db_before = sum(_cpu_of(pid) for pid in db_pids)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = load(tool, server, path, headers, seconds, connections)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cost.app += sum(_cpu_of(pid) for pid in pids) - app_before
    cost.database += sum(_cpu_of(pid) for pid in db_pids) - db_before
    cost.generator += (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    if transactions is not None and cost.transactions is not None:
        later = server_transactions(database_url)
        cost.transactions = None if later is None else cost.transactions + later - transactions
    cost.requests += run.requests
    return run


# -- the benchmark -------------------------------------------------------------------------------------------------


def bench_token(database_url: str) -> str:
    """A fresh bearer token of an investigator (sees every case) in the data set."""
    from sqlalchemy import select

    from app.auth.services import issue_token
    from app.db import db
    from app.models.auth import User
    from bench.datagen import make_app

    app = make_app(database_url)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.role == "investigator").order_by(User.id).limit(1))
        if user is None:
            raise SystemExit("the data set has no investigator")
        token, _ = issue_token(user)
        db.session.commit()
        db.engine.dispose()
    return token


def statements_per_request(server: Server, headers: dict[str, str], limits: list[int]) -> dict[int, int]:
    found = {}
    for limit in limits:
        request = urllib.request.Request(f"{server.base}/api/v1/cases?limit={limit}", headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            body = json.loads(response.read())
            if len(body["items"]) != limit:
                raise SystemExit(f"limit={limit} gave {len(body['items'])} items")
            found[limit] = int(response.headers[SQL_HEADER])
    return found


def main(argv: list[str] | None = None) -> int:
    small = os.environ.get("BENCH_SCALE", "full").strip().lower() == "small"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=None, help="data set size (default 1,000,000; small: 20,000)")
    parser.add_argument("--limit", type=int, default=50, help="page size of the measured list request")
    parser.add_argument("--repeat", type=int, default=6 if small else 12, help="pairs of runs (bare, list)")
    parser.add_argument("--seconds", type=float, default=2 if small else 3, help="per endpoint and repetition")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--database-url", default=None, help="default: BENCH_DATABASE_URL, else a SQLite file")
    parser.add_argument("--reuse", action="store_true", help="serve --database-url as it is (no regeneration)")
    args = parser.parse_args(argv)
    if args.reuse and not args.database_url:
        parser.error("--reuse needs --database-url")

    from bench.datagen import dataset

    if args.reuse:
        from bench.request_mix import count_cases

        url, total = args.database_url, count_cases(args.database_url)
    else:
        data = dataset(args.cases, url=args.database_url)
        url, total = data.url, data.cases
    dialect = "postgresql" if url.startswith("postgres") else "sqlite"
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    token = bench_token(url)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    list_path = f"/api/v1/cases?limit={args.limit}"
    counting = start_server(url, 1, "bench.list_endpoint:create_bench_app(count_sql=True)")
    try:
        sql = statements_per_request(counting, headers, [1, 20, 50, 100])
        bare_sql = int(urllib.request.urlopen(f"{counting.base}/bench/bare", timeout=10).headers[SQL_HEADER])  # noqa: S310
    finally:
        counting.stop()
    server = start_server(url, args.workers)
    costs = {"bare": Cost(transactions=0 if dialect == "postgresql" else None)}
    costs["list"] = Cost(transactions=costs["bare"].transactions)
    try:
        for path in ("/bench/bare", list_path):  # warm every worker up
            load(tool, server, path, headers, 2, args.connections)
        bare_runs: list[Run] = []
        list_runs: list[Run] = []
        for rep in range(args.repeat):
            order = [("bare", "/bench/bare"), ("list", list_path)]
            for name, path in order if rep % 2 == 0 else reversed(order):
                run = measured_load(tool, server, path, headers, args.seconds, args.connections, costs[name], url)
                if run.non_2xx or run.errors:
                    raise SystemExit(f"{path}: {run.non_2xx} non-2xx answers, {run.errors} connection errors")
                (bare_runs if name == "bare" else list_runs).append(run)
                print(
                    f"  run {rep + 1} {name}: {run.rps:,.0f} req/s, p50 {run.p50_ms:.1f} ms, p95 {run.p95_ms:.1f} ms",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        server.stop()
    ratios = [lst.rps / bare.rps for lst, bare in zip(list_runs, bare_runs, strict=True)]
    ratio = statistics.median(ratios)

    def med(runs: list[Run], attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs)

    sql_counts = sorted(set(sql.values()))
    sql_text = str(sql_counts[0]) if len(sql_counts) == 1 else "/".join(str(sql[k]) for k in sorted(sql))
    print(
        f"list endpoint (limit {args.limit}): {med(list_runs, 'rps'):,.0f} req/s, "
        f"p50 {med(list_runs, 'p50_ms'):.1f} ms, p95 {med(list_runs, 'p95_ms'):.1f} ms, "
        f"{sql_text} SQL/request (limit 1-100); "
        f"bare: {med(bare_runs, 'rps'):,.0f} req/s, p50 {med(bare_runs, 'p50_ms'):.1f} ms, "
        f"p95 {med(bare_runs, 'p95_ms'):.1f} ms, {bare_sql} SQL/request; "
        f"ratio {ratio:.3f} (median of {len(ratios)} pairs, {min(ratios):.3f}-{max(ratios):.3f}; "
        f"target >= {TARGET_RATIO:.3f}) "
        f"[{dialect}, {total:,} cases, gunicorn {args.workers} sync workers, {tool} {args.connections} "
        f"connections, {args.repeat}x{args.seconds:g} s]; list {costs['list'].text()}; bare {costs['bare'].text()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
