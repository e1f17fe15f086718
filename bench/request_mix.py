"""Benchmark: the requests users really make, each kind's latency, and the mix's throughput against the bare
endpoint, on one gunicorn.

    .venv/bin/python -m bench.request_mix [--cases N] [--seconds 3] [--connections 8] [--workers W]
    .venv/bin/python -m bench.request_mix --reuse --database-url URL   (a data set made with --history, as it is)
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/tindak_bench .venv/bin/python -m bench.request_mix

The data set is bench.datagen's with its hash-chained history rows (1,000,000 cases by default, BENCH_SCALE=small
20,000), served as
bench.list_endpoint serves it. Each request kind is loaded on its own for `--seconds` (wrk, else the Python
client), in rounds, bare endpoint first:

- an investigator's list: page 1, a deep page (the cursor after ten pages), by status, overdue, escalated;
- a search that matches (part of a reported person's name) and one that matches nothing;
- the PPK of the agency with the most cases and of the agency with the fewest, each its own list;
- an overseer (Menpan-RB), its ministry's escalated cases;
- a case's page as the API gives it (detail) and its history.

Prints each kind's requests/s, p50 and p95 (ms), and one summary line: the slowest kind's p95 (target: every
kind's p95 ≤ 50 ms on PostgreSQL), and the mix — the harmonic mean of the kinds' throughput, i.e. the rate of a
stream that sends each kind equally often — as a ratio to the bare endpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import urllib.request

from bench.list_endpoint import Run, load, start_server

P95_TARGET_MS = 50.0


def tokens_and_paths(database_url: str) -> list[tuple[str, str, str]]:
    """(kind, path, token) for every request kind, from the data set: the users datagen made."""
    from sqlalchemy import func, select

    from app.auth.services import issue_token
    from app.db import db
    from app.models.agencies import Agency
    from app.models.auth import User
    from app.models.cases import Case, CaseHistory
    from bench.datagen import make_app

    app = make_app(database_url)
    with app.app_context():

        def token(user: User | None) -> str:
            if user is None:
                raise SystemExit("the data set lacks a user this benchmark needs")
            value, _ = issue_token(user)
            return value

        investigator = db.session.scalar(select(User).where(User.role == "investigator").order_by(User.id).limit(1))
        overseer = db.session.scalar(
            select(User).where(User.role == "overseer", User.body == "menpanrb").order_by(User.id).limit(1)
        )
        per_agency = (
            select(Case.agency_id, func.count().label("n"))
            .where(Case.issued_at.is_not(None))
            .group_by(Case.agency_id)
            .subquery()
        )
        agencies = db.session.execute(
            select(Agency.id, func.coalesce(per_agency.c.n, 0))
            .outerjoin(per_agency, per_agency.c.agency_id == Agency.id)
            .join(User, (User.agency_id == Agency.id) & (User.role == "ppk"))
            .order_by(func.coalesce(per_agency.c.n, 0), Agency.id)
        ).all()
        smallest, largest = agencies[0][0], agencies[-1][0]

        def ppk(agency_id: int) -> User | None:
            return db.session.scalar(select(User).where(User.role == "ppk", User.agency_id == agency_id).limit(1))

        with_history = db.session.scalar(
            select(CaseHistory.case_id).group_by(CaseHistory.case_id).order_by(func.count().desc()).limit(1)
        ) or db.session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
        name = db.session.scalar(select(Case.reported_name).order_by(Case.id.desc()).limit(1)) or "nama"
        term = urllib.request.quote(name.split()[-1][:8])
        inv, ovs = token(investigator), token(overseer)
        kinds = [
            ("investigator list", "/api/v1/cases?limit=50", inv),
            ("investigator deep page", "DEEP", inv),
            ("by status", "/api/v1/cases?limit=50&status=awaiting_follow_up", inv),
            ("overdue", "/api/v1/cases?limit=50&overdue=true", inv),
            ("escalated", "/api/v1/cases?limit=50&escalated=true", inv),
            ("search, a match", f"/api/v1/cases?limit=50&q={term}", inv),
            ("search, no match", "/api/v1/cases?limit=50&q=zqxjv", inv),
            ("PPK, largest agency", "/api/v1/cases?limit=50", token(ppk(largest))),
            ("PPK, smallest agency", "/api/v1/cases?limit=50", token(ppk(smallest))),
            ("overseer (Menpan-RB)", "/api/v1/cases?limit=50", ovs),
            ("case detail", f"/api/v1/cases/{with_history}", inv),
            ("case history", f"/api/v1/cases/{with_history}/history", inv),
        ]
        db.session.commit()
        db.engine.dispose()
    return kinds


def count_cases(database_url: str) -> int:
    from sqlalchemy import func, select

    from app.db import db
    from app.models.cases import Case
    from bench.datagen import make_app

    with make_app(database_url).app_context():
        total = int(db.session.scalar(select(func.count()).select_from(Case)) or 0)
        db.engine.dispose()
    return total


def deep_page(base: str, token: str, pages: int = 10) -> str:
    """The list path of page `pages + 1`: the cursor followed from page 1."""
    path = "/api/v1/cases?limit=50"
    for _ in range(pages):
        request = urllib.request.Request(base + path, headers=_headers(token))  # noqa: S310 - loopback
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            cursor = json.loads(response.read()).get("next_cursor")
        if not cursor:
            break
        path = f"/api/v1/cases?limit=50&cursor={cursor}"
    return path


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def main(argv: list[str] | None = None) -> int:
    small = os.environ.get("BENCH_SCALE", "full").strip().lower() == "small"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=None, help="data set size (default 1,000,000; small: 20,000)")
    parser.add_argument("--seconds", type=float, default=2 if small else 3, help="per request kind and round")
    parser.add_argument("--rounds", type=int, default=2 if small else 3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--database-url", default=None, help="default: BENCH_DATABASE_URL, else a SQLite file")
    parser.add_argument(
        "--reuse", action="store_true", help="serve --database-url as it is (a data set made with --history)"
    )
    args = parser.parse_args(argv)
    if args.reuse and not args.database_url:
        parser.error("--reuse needs --database-url")

    from bench.datagen import dataset

    if args.reuse:
        url = args.database_url
        total = count_cases(url)
    else:  # real cases carry their history: the case's history is read
        data = dataset(args.cases, history=True, url=args.database_url)
        url, total = data.url, data.cases
    dialect = "postgresql" if url.startswith("postgres") else "sqlite"
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    kinds = tokens_and_paths(url)
    server = start_server(url, args.workers)
    runs: dict[str, list[Run]] = {}
    try:
        kinds = [(k, deep_page(server.base, t) if p == "DEEP" else p, t) for k, p, t in kinds]
        for _, path, token in kinds:  # warm every worker up
            load(tool, server, path, _headers(token), 1, args.connections)
        for _ in range(args.rounds):
            for kind, path, token in [("bare", "/bench/bare", kinds[0][2]), *kinds]:
                run = load(tool, server, path, _headers(token), args.seconds, args.connections)
                if run.non_2xx or run.errors:
                    raise SystemExit(f"{kind} ({path}): {run.non_2xx} non-2xx answers, {run.errors} errors")
                if run.requests == 0:  # every request outlived the run: a failure of its own, not a zero rate
                    raise SystemExit(f"{kind} ({path}): no answer within {args.seconds:g} s")
                runs.setdefault(kind, []).append(run)
    finally:
        server.stop()

    def med(kind: str, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs[kind])

    for kind, *_ in [("bare",), *kinds]:
        rps, p50, p95 = med(kind, "rps"), med(kind, "p50_ms"), med(kind, "p95_ms")
        print(f"  {kind}: {rps:,.0f} req/s, p50 {p50:.1f} ms, p95 {p95:.1f} ms", file=sys.stderr)
    names = [k for k, *_ in kinds]
    mix_rps = len(names) / sum(1 / med(k, "rps") for k in names)
    slowest = max(names, key=lambda k: med(k, "p95_ms"))
    ratio = mix_rps / med("bare", "rps")
    print(
        f"request mix ({len(names)} kinds): {mix_rps:,.0f} req/s, slowest p95 {med(slowest, 'p95_ms'):.1f} ms "
        f"({slowest}; target <= {P95_TARGET_MS:g} ms); bare {med('bare', 'rps'):,.0f} req/s; ratio {ratio:.3f} "
        f"[{dialect}, {total:,} cases, gunicorn {args.workers} sync workers, {tool} {args.connections} "
        f"connections, {args.rounds}x{args.seconds:g} s per kind]"
    )
    return 0 if med(slowest, "p95_ms") <= P95_TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
