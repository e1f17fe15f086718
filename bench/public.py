"""Benchmark: the public dashboard's JSON (`/api/v1/public/years/<year>/figures.json`) under gunicorn against a bare
static file of the same bytes served by the same server.

    .venv/bin/python -m bench.public [--repeat 12] [--seconds 3] [--connections 8]
    BENCH_SCALE=small .venv/bin/python -m bench.public      # 20,000 cases, shorter runs

The data set is bench.datagen's (1,000,000 cases, 650 agencies over ten years; a cached SQLite file, or
BENCH_DATABASE_URL — a throwaway PostgreSQL database). The public figures of the data set's busiest year are first
computed as `flask public refresh` computes them (the time is printed: the scheduler's job at this size). One
gunicorn (sync workers, 2 × cores + 1, production configuration, the per-address rate limit raised above the
load) serves the application with one extra route, `/bench/static/figures.json`, Flask's `send_from_directory`
of a file holding the very bytes of the year's JSON: the bare baseline, served through the same request pipeline.
Both are measured in the same run, alternating, `--repeat` times (wrk when installed, else the bounded Python
client of bench.list_endpoint); the figure is the median ratio rps(public JSON) / rps(static file) of the pairs.
A conditional request (If-None-Match, 304) is measured beside them and printed.

Prints one line: both throughputs and latencies, the 304 rate, the refresh time and the ratio (target ≥ 0.5).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.list_endpoint import Run, load, start_server

TARGET_RATIO = 0.5
STATIC_DIR = Path(os.environ.get("BENCH_PUBLIC_STATIC_DIR", tempfile.gettempdir())) / "tindak-bench-public"


def create_bench_app() -> Any:
    """The application from the environment, plus `/bench/bare` (the server's readiness probe) and
    `/bench/static/<name>`: a file of STATIC_DIR sent as Flask sends any static file."""
    from flask import jsonify, send_from_directory

    from app import create_app

    app = create_app()

    @app.route("/bench/bare")
    def bare() -> Any:
        return jsonify({"status": "ok"})

    @app.route("/bench/static/<path:name>")
    def static_file(name: str) -> Any:
        return send_from_directory(STATIC_DIR, name, mimetype="application/json")

    return app


def busiest_year(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT issued_at FROM recommendations WHERE issued_at IS NOT NULL")).scalars()
        counts: dict[int, int] = {}
        for value in rows:
            year = int(str(value)[:4])
            counts[year] = counts.get(year, 0) + 1
    engine.dispose()
    return max(counts, key=lambda y: (counts[y], y))


def refresh(url: str, year: int) -> tuple[float, bytes]:
    """Compute the year's public figures in the data set (as `flask public refresh --year`); the time and bytes."""
    from app import create_app
    from app.db import db, unit_of_work
    from app.public import release as releases
    from bench.list_endpoint import server_env

    env = server_env(url)
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        app = create_app()
        with app.app_context():
            started = time.perf_counter()
            with unit_of_work():
                release = releases.refresh_year(year, datetime.now(UTC))
                body = release.body_json.encode()
            took = time.perf_counter() - started
            db.session.remove()
            db.engine.dispose()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return took, body


def main(argv: list[str] | None = None) -> int:
    small = os.environ.get("BENCH_SCALE", "full").strip().lower() == "small"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=None, help="data set size (default 1,000,000; small: 20,000)")
    parser.add_argument("--repeat", type=int, default=6 if small else 12, help="pairs of runs (static, public)")
    parser.add_argument("--seconds", type=float, default=2 if small else 3, help="per endpoint and repetition")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args(argv)

    from bench.datagen import dataset

    data = dataset(args.cases)
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    year = busiest_year(data.url)
    refresh_seconds, body = refresh(data.url, year)
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    (STATIC_DIR / "figures.json").write_bytes(body)
    public_path = f"/api/v1/public/years/{year}/figures.json"
    static_path = "/bench/static/figures.json"
    os.environ["PUBLIC_RATE_LIMIT"] = "100000000 per minute"  # the load comes from one address
    server = start_server(data.url, args.workers, "bench.public:create_bench_app()")
    try:
        with urllib.request.urlopen(server.base + public_path, timeout=30) as response:  # noqa: S310 - loopback
            assert response.read() == body, "the served JSON is not the release's bytes"
            etag = response.headers["ETag"]
        for path in (static_path, public_path):  # warm every worker up
            load(tool, server, path, {}, 2, args.connections)
        static_runs: list[Run] = []
        public_runs: list[Run] = []
        for rep in range(args.repeat):
            order = [("static", static_path), ("public", public_path)]
            for name, path in order if rep % 2 == 0 else reversed(order):
                run = load(tool, server, path, {}, args.seconds, args.connections)
                if run.non_2xx or run.errors:
                    raise SystemExit(f"{path}: {run.non_2xx} non-2xx answers, {run.errors} connection errors")
                (static_runs if name == "static" else public_runs).append(run)
                print(
                    f"  run {rep + 1} {name}: {run.rps:,.0f} req/s, p50 {run.p50_ms:.1f} ms, p95 {run.p95_ms:.1f} ms",
                    file=sys.stderr,
                    flush=True,
                )
        conditional = load(tool, server, public_path, {"If-None-Match": etag}, args.seconds, args.connections)
    finally:
        server.stop()
    ratios = [pub.rps / st.rps for pub, st in zip(public_runs, static_runs, strict=True)]
    ratio = statistics.median(ratios)

    def med(runs: list[Run], attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs)

    print(
        f"public figures JSON ({year}, {len(body) / 1024:,.0f} KB): {med(public_runs, 'rps'):,.0f} req/s, "
        f"p50 {med(public_runs, 'p50_ms'):.1f} ms, p95 {med(public_runs, 'p95_ms'):.1f} ms; "
        f"static file of the same bytes: {med(static_runs, 'rps'):,.0f} req/s, "
        f"p50 {med(static_runs, 'p50_ms'):.1f} ms, p95 {med(static_runs, 'p95_ms'):.1f} ms; "
        f"If-None-Match (304): {conditional.rps:,.0f} req/s; "
        f"refresh of the year {refresh_seconds:.1f} s; "
        f"ratio {ratio:.3f} (median of {len(ratios)} pairs, {min(ratios):.3f}-{max(ratios):.3f}; "
        f"target >= {TARGET_RATIO:.3f}) "
        f"[{data.dialect}, {data.cases:,} cases, gunicorn {args.workers} sync workers, {tool} {args.connections} "
        f"connections, {args.repeat}x{args.seconds:g} s]"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
