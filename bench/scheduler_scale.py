"""Benchmark: the scheduler's heaviest work at scale, with its time and peak memory — the escalation sweep after a
week the scheduler was down (a backlog: every level that fell due in the week at once, not the daily peak) and the
weekly digest to the ministries — in one process, as the scheduler runs them.

    .venv/bin/python -m bench.scheduler_scale [--cases N] [--days 7]
    .venv/bin/python -m bench.scheduler_scale --reuse --database-url postgresql://…/bench_1m

The data set is bench.datagen's (1,000,000 cases by default, BENCH_SCALE=small 20,000; a cached SQLite file, or
BENCH_DATABASE_URL, emptied; `--reuse`: `--database-url` as it is). The sweep writes, so the run works on a copy
(PostgreSQL: `CREATE DATABASE … TEMPLATE …`; SQLite: a copy of the file), dropped at the end: the data set stays as
it was. The data's moment is its
newest case's creation (datagen makes the levels current then); the sweep runs `--days` later.

One child process creates the application (the scheduler's own process start), then runs the sweep
(`app.escalations.sweep.run_sweep`, the scheduler's batch size) and the digest (`run_digest` in one unit of work),
timed; its peak resident memory (`ru_maxrss`) is read after each. Both ministries want the digest's full list as a
CSV attachment (`DIGEST_CSV`, the heaviest configuration; `--no-csv` measures the digest without it). The bare
baselines of the same run: the time to read the sweep's candidates (every open issued recommendation) in one
SELECT, and the process's memory before any
work. Target: the scheduler's peak RSS under 300 MB (exit status 1 when missed).

Prints one line: the sweep's time, steps and emails, the digest's time and what it listed, the peak RSS after each
and the ratios (peak / idle memory; sweep / bare read).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEAK_TARGET_MB = 300.0
# Each body's mailboxes, as a deployment configures them: the sweep's and the digest's emails are written.
RECIPIENTS = {
    "ESCALATION_RECIPIENTS_MENPANRB": ["deputi.sdm@menpan.go.id", "asdep.pengawasan@menpan.go.id"],
    "ESCALATION_RECIPIENTS_KEMENDAGRI": ["ditjen.otda@kemendagri.go.id", "irjen@kemendagri.go.id"],
    "ESCALATION_RECIPIENTS_KASN": ["pengawasan@kasn.go.id"],
    "ESCALATION_RECIPIENTS_BKN": ["pengawasan@bkn.go.id"],
}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def child(url: str, days: int, batch_size: int | None, csv: bool = True) -> dict[str, Any]:
    """The measured process: the scheduler's work on `url`, its figures as a dict."""
    from sqlalchemy import func, select

    from app.db import db, unit_of_work
    from app.escalations.digest import run_digest
    from app.escalations.sweep import run_sweep
    from app.models.cases import Case, Recommendation
    from app.models.outbox import OutboxAttachment, OutboxMessage
    from bench.datagen import make_app

    app = make_app(url, **RECIPIENTS, DIGEST_CSV="menpanrb,kemendagri" if csv else "")
    with app.app_context():
        as_of = db.session.scalar(select(func.max(Case.created_at)))
        if as_of is None:
            raise SystemExit("the data set has no case")
        as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
        now = as_of + timedelta(days=days)
        dialect = db.engine.dialect.name
        size = batch_size or (100 if dialect == "sqlite" else 500)  # app.scheduling.sweep_job's sizes
        db.session.rollback()
        idle = _rss_mb()

        started = time.perf_counter()
        candidates = db.session.execute(
            select(Recommendation.id, Recommendation.due_at, Recommendation.escalation_level).where(
                Recommendation.is_open.is_(True), Recommendation.issued_at.is_not(None)
            )
        ).all()
        bare_read = time.perf_counter() - started
        count = len(candidates)
        del candidates
        db.session.rollback()

        started = time.perf_counter()
        sweep = run_sweep(now, batch_size=size)
        sweep_seconds = time.perf_counter() - started
        after_sweep = _peak_mb()
        db.session.rollback()

        started = time.perf_counter()
        with unit_of_work():
            digest = run_digest(now)
            files = {
                a.id: len(a.data)
                for a in db.session.scalars(
                    select(OutboxAttachment).join(OutboxMessage, OutboxMessage.attachment_id == OutboxAttachment.id)
                )
            }
        digest_seconds = time.perf_counter() - started
        after_digest = _peak_mb()
        db.session.remove()
        db.engine.dispose()
    return {
        "dialect": dialect,
        "as_of": as_of.isoformat(),
        "now": now.isoformat(),
        "candidates": count,
        "bare_read_s": bare_read,
        "sweep_s": sweep_seconds,
        "steps": sweep.steps,
        "emails": sweep.emails,
        "cases": len(sweep.cases),
        "digest_s": digest_seconds,
        "digest": [
            {
                "body": d.body,
                "open": d.open_total,
                "listed": len(d.open_cases),
                "queued": d.queued,
                "attachment": d.attachment_name,
                "attachment_rows": d.attachment_rows,
            }
            for d in digest.bodies
        ],
        "attachment_bytes": sum(files.values()),
        "idle_mb": idle,
        "peak_after_sweep_mb": after_sweep,
        "peak_mb": after_digest,
    }


def _copy(url: str) -> tuple[str, Any]:
    """A copy of the database at `url` to work on, and how to drop it."""
    if url.startswith("sqlite:///"):
        source = Path(url.removeprefix("sqlite:///"))
        target = source.with_name(source.stem + "-scheduler" + source.suffix)
        shutil.copyfile(source, target)
        return f"sqlite:///{target}", lambda: target.unlink(missing_ok=True)
    import psycopg

    base, _, name = url.rpartition("/")
    copy_name = f"{name}_scheduler"
    admin = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy_name}"')
        conn.execute(f'CREATE DATABASE "{copy_name}" TEMPLATE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy_name}"')

    return f"{base}/{copy_name}", drop


def main(argv: list[str] | None = None) -> int:
    small = os.environ.get("BENCH_SCALE", "full").strip().lower() == "small"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=None, help="data set size (default 1,000,000; small: 20,000)")
    parser.add_argument("--days", type=int, default=7, help="how long the scheduler was down")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the scheduler's (500; SQLite 100)")
    parser.add_argument("--database-url", default=None, help="default: BENCH_DATABASE_URL, else a SQLite file")
    parser.add_argument("--reuse", action="store_true", help="work on a copy of --database-url as it is")
    parser.add_argument("--no-csv", action="store_true", help="the digest without its CSV attachment (DIGEST_CSV)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.database_url, args.days, args.batch_size, csv=not args.no_csv)))
        return 0
    if args.reuse and not args.database_url:
        parser.error("--reuse needs --database-url")

    from bench.datagen import dataset

    if args.reuse:
        source = args.database_url
    else:
        source = dataset(args.cases if args.cases else (20_000 if small else None), url=args.database_url).url
    url, drop = _copy(source)  # the sweep writes: the data set (cached, shared) stays as it was
    try:
        command = [sys.executable, "-m", "bench.scheduler_scale", "--child", "--database-url", url]
        command += ["--days", str(args.days)]
        if args.batch_size:
            command += ["--batch-size", str(args.batch_size)]
        if args.no_csv:
            command.append("--no-csv")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, cwd=ROOT)  # noqa: S603
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-4000:])
            raise SystemExit(f"the measured process failed (exit {done.returncode})")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        drop()
    for key, value in figures.items():
        print(f"  {key}: {value}", file=sys.stderr)
    digest = ", ".join(
        f"{d['body']} {d['open']:,} open, {d['listed']} listed, {d['queued']} emails"
        + (f", {d['attachment']} {d['attachment_rows']:,} rows" if d["attachment"] else "")
        for d in figures["digest"]
    )
    digest += f"; attachments {figures['attachment_bytes'] / 1e6:.2f} MB stored"
    memory_ratio = figures["peak_mb"] / figures["idle_mb"] if figures["idle_mb"] else 0.0
    time_ratio = figures["sweep_s"] / figures["bare_read_s"] if figures["bare_read_s"] else 0.0
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"scheduler after {args.days} days down ({figures['dialect']}, {figures['candidates']:,} open "
        f"recommendations): sweep {figures['sweep_s']:.1f} s ({figures['steps']:,} steps, {figures['emails']:,} "
        f"emails, {figures['cases']:,} cases), digest {figures['digest_s']:.1f} s ({digest}); peak RSS "
        f"{figures['peak_after_sweep_mb']:.0f} MB after the sweep, {figures['peak_mb']:.0f} MB after the digest "
        f"(target < {PEAK_TARGET_MB:g} MB), idle {figures['idle_mb']:.0f} MB; ratio {memory_ratio:.2f} (peak / idle "
        f"memory); sweep / bare read of its candidates {time_ratio:.1f}x ({figures['bare_read_s']:.2f} s) [{stamp}]"
    )
    return 0 if figures["peak_mb"] < PEAK_TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
