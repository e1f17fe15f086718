"""Benchmark: the dashboard's figures (`app.season.dashboard.dashboard`, what `/dasbor` and
`GET /api/v1/me/dashboard` read) and the deadline calendar's month (`app.season.deadlines.deadlines_for`) per role at
1,000,000 cases, against a bare query measured in the same run.

    .venv/bin/python -m bench.dashboard [--cases N] [--repeat 25] [--database-url URL] [--reuse]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/tindak_bench .venv/bin/python -m bench.dashboard

The data set, the callers and the bare query are bench.queue's (the newest page of the cases the caller may see,
written by hand in SQL). Each caller reads its dashboard `--repeat` times, interleaved with the bare query, then
its calendar month the same way. The figures are kept per visibility scope for DASHBOARD_CACHE_SECONDS (the page
says how fresh they are): the first read of a scope computes them ("cold", printed apart: one sample per caller,
the cache emptied first), the others are served from the cache while it lasts — what a person meets reloading the
page, and what his colleagues of the same scope meet.

Prints each role's p50 and p95 (ms) for both, the cold read, and one summary line: the slowest role's p95 and the
ratio app / bare (sum of the roles' medians). No target: the figures are compared run to run.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.queue import measure, pick_callers, summary  # noqa: E402
from bench.search import parse, prepare  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = parse(argv, __doc__ or "")
    from app.core.clock import utcnow
    from app.db import db
    from app.models.auth import User
    from app.season import dashboard as board
    from app.season.deadlines import deadlines_for

    app, url, total = prepare(args.database_url, args.cases, args.reuse)
    dialect = "postgresql" if url.startswith("postgres") else "sqlite"
    callers = pick_callers(app)

    cold: list[str] = []
    with app.app_context():
        for name, user_id in callers:
            board.clear_cache()
            with app.test_request_context("/"):
                user = db.session.get(User, user_id)
                started = time.perf_counter()
                board.dashboard(user, utcnow())
                cold.append(f"{name} {(time.perf_counter() - started) * 1000:.0f}")
                db.session.rollback()
        db.session.remove()
    print(f"  dashboard cold (first read of its scope, ms): {', '.join(cold)}", file=sys.stderr, flush=True)

    def figures(user: Any) -> int:
        return len(board.dashboard(user, utcnow())["open_by_status"])

    def month(user: Any) -> int:
        now = utcnow()
        today = board.local_date(now, board.reader_zone(user))
        first = today.replace(day=1)
        last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        return len(deadlines_for(user, first, last, now))

    results = measure(app, callers, args.repeat, figures, "dashboard")
    months = measure(app, callers, args.repeat, month, "calendar month")
    line = summary("dashboard", total, dialect, results, args.repeat)
    month_line = summary("calendar month", total, dialect, months, args.repeat)
    print(f"{month_line.split(':', 1)[1].split(';')[0].strip()} (calendar month)", file=sys.stderr)
    print(
        f"{line.split('; ratio')[0]}; calendar month {month_line.split(': ', 1)[1].split(' (p50')[0]}; "
        f"dashboard cold ms: {', '.join(cold)}; ratio{line.split('; ratio')[1]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
