"""Benchmark: peak memory of a process exporting every case to CSV (and XLSX), against one exporting a tenth.

    .venv/bin/python -m bench.export_memory [--n 1000000] [--xlsx]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/tindak_bench .venv/bin/python -m bench.export_memory

Seeds N cases with a bare batched INSERT into a fresh database (a temporary SQLite file unless
BENCH_DATABASE_URL is set — that database is emptied), then runs each export in its own process and reads
its peak resident memory (ru_maxrss). The ratio is peak(all N rows) / peak(N/10 rows): about 1 when the
export streams, about 10 when it loads the rows. XLSX (`--xlsx`) is slower (openpyxl writes every cell).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, text


def seed(n: int, batch: int = 5000) -> None:
    from app.db import db
    from app.models.cases import Case

    agencies = [a for (a,) in db.session.execute(text("SELECT id FROM agencies ORDER BY id"))]
    db.session.commit()
    now = datetime.now(UTC)
    summary = "Mengunggah foto bersama pasangan calon dengan simbol jari di media sosial pribadi."
    with db.engine.connect() as conn:
        for start in range(0, n, batch):
            rows = [
                {
                    "number": f"NKK-2025-{i:07d}", "agency_id": agencies[i % len(agencies)], "category": "netralitas",
                    "source": "bawaslu", "reported_name": f"Terlapor {i}", "reported_nip": "198609262015051001",
                    "reported_position": "Pelaksana", "summary": summary, "occurred_on": date(2025, 1, 1 + i % 28),
                    "reporter_name": "Pelapor", "reporter_contact": "pelapor@example.org", "status": "reported",
                    "version": 1, "external_ref": f"SEED-{i}", "created_at": now, "updated_at": now,
                }
                for i in range(start, min(start + batch, n))
            ]  # fmt: skip
            conn.execute(insert(Case.__table__), rows)
            conn.commit()


def child(url: str, fmt: str, limit: int | None) -> None:
    """One export in this process; prints its rows, bytes, seconds and peak RSS as JSON."""
    from sqlalchemy import select

    from app import create_app
    from app.cases.exports import export_cases_csv, export_cases_xlsx
    from app.db import db
    from app.models.auth import User
    from app.models.cases import Case

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "SCHEDULER_ENABLED": False})
    with app.app_context():
        user = db.session.scalar(select(User).where(User.role == "investigator"))
        query = select(Case) if limit is None else select(Case).where(Case.id <= limit)
        export = export_cases_csv if fmt == "csv" else export_cases_xlsx
        started = time.perf_counter()
        size = sum(len(chunk) for chunk in export(query, user))
        elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"bytes": size, "seconds": elapsed, "peak_kib": peak_kib}))


def measure(url: str, fmt: str, limit: int | None) -> dict:
    args = [sys.executable, "-m", "bench.export_memory", "--child", fmt, "--url", url]
    if limit is not None:
        args += ["--limit", str(limit)]
    done = subprocess.run(args, capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    default_n = 20_000 if os.environ.get("BENCH_SCALE") == "small" else 1_000_000
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=default_n)
    parser.add_argument("--xlsx", action="store_true", help="also measure the XLSX export")
    parser.add_argument("--child", choices=["csv", "xlsx"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.url, args.child, args.limit)
        return 0

    from app import create_app
    from app.agencies.reference import load_reference
    from app.db import db
    from app.models.auth import User
    from bench.datagen import reset_database

    workdir = Path(tempfile.mkdtemp(prefix="tindak-bench-"))
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "SCHEDULER_ENABLED": False})
    reset_database(app)  # PostgreSQL: the public schema dropped; then migrated
    with app.app_context():
        load_reference()
        db.session.commit()
        db.session.add(User(email="bench@tindak.test", name="Bench", password_hash="-", role="investigator"))
        db.session.commit()
        seed(args.n)
        dialect = db.engine.dialect.name
    print(f"database: {dialect}; cases: {args.n}")
    ratios = []
    for fmt in ("csv", "xlsx") if args.xlsx else ("csv",):
        tenth = measure(url, fmt, args.n // 10)
        full = measure(url, fmt, None)
        ratio = full["peak_kib"] / tenth["peak_kib"]
        ratios.append(ratio)
        print(
            f"{fmt}: {args.n // 10} rows peak {tenth['peak_kib'] / 1024:.0f} MiB ({tenth['seconds']:.0f} s); "
            f"{args.n} rows peak {full['peak_kib'] / 1024:.0f} MiB ({full['seconds']:.0f} s, "
            f"{full['bytes'] / 2**20:.0f} MiB written); ratio {ratio:.2f}"
        )
    print(f"peak memory all rows / a tenth of them: ratio {max(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
