"""The full IM-NKK computation against the bare GROUP BY aggregate over the same rows, in one run.

    .venv/bin/python -m bench.index [--n 1000000] [--agencies 650] [--repeat 5] [--database-url URL] [--fresh]

Builds (once, then reused) a database of `--agencies` agencies and `--n` cases whose recommendations were
issued in one year, with a realistic mix of outcomes: accepted follow-ups (some late, some lighter), open
and overdue recommendations with escalation steps, clarifications, reported follow-ups awaiting a verdict,
closed cases and rejected follow-ups. Default: BENCH_DATABASE_URL (emptied and filled again each run), else an
SQLite file under instance/bench/ (built once).

Then times, interleaved and repeated, (1) `compute_index(year)` — every agency's criteria, score, index,
category and rank: the aggregate with its working-days histogram (for the median), the agencies, the
self-assessments, the scoring and ranking in Python — and (2) the bare aggregate: one GROUP BY agency written
by hand in SQL (`BARE_AGGREGATE`, none of the index's code) over the same tables, a sum per indicator. Prints
one line with the medians and the ratio (target: ratio <= 1.5).

`generate()` is the data generator; other benchmarks may import it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

TARGET_RATIO = 1.5
YEAR = 2025
BATCH = 20_000
ROOT = Path(__file__).resolve().parent.parent

# (kind, count, timezones) of a realistic national set: 38 provinces, 416 regencies, 98 cities, central.
KINDS = (("provinsi", 38), ("kabupaten", 416), ("kota", 98), ("kementerian", 34))
ZONES = ("Asia/Jakarta",) * 7 + ("Asia/Makassar",) * 2 + ("Asia/Jayapura",)
SANCTIONS = ("sanksi_moral_tertutup", "sanksi_moral_terbuka", "disiplin_ringan", "disiplin_sedang", "disiplin_berat")


def _make_app(database_url: str) -> Any:
    from app import create_app

    return create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-secret-key-0123456789-0123456789",
            "SCHEDULER_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )


def _agency_rows(count: int, rng: random.Random) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    kinds = [kind for kind, n in KINDS for _ in range(n)]
    while len(kinds) < count:
        kinds.append("lembaga")
    for n, kind in enumerate(kinds[:count], start=1):
        rows.append(
            {
                "id": n,
                "code": f"B{n:05d}",
                "name": f"Instansi Uji {n:04d}",
                "kind": kind,
                "timezone": rng.choice(ZONES),
                "ppk_title": "Kepala",
                "is_active": True,
                "created_at": datetime(2020, 1, 1, tzinfo=UTC),
            }
        )
    return rows


def _case_batch(start: int, size: int, agencies: int, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Cases 'start'..'start+size-1' with their recommendation and what followed."""
    cases, recs, follow_ups, steps, clarifications = [], [], [], [], []
    year_start = datetime(YEAR, 1, 1, tzinfo=UTC)
    for case_id in range(start, start + size):
        agency_id = rng.randint(1, agencies)
        issued = year_start + timedelta(seconds=rng.randint(0, 364 * 86400))
        due = issued + timedelta(days=20)
        sanction = rng.choice(SANCTIONS)
        roll = rng.random()
        status, is_open, followed_up_at, level = "awaiting_follow_up", False, None, None
        if issued.month == 12 and roll < 0.5:
            is_open = True  # still within its deadline at the year's end
        elif roll < 0.62:
            status = "completed"
            late = rng.random() < 0.2
            reported = due + timedelta(days=rng.randint(1, 40)) if late else issued + timedelta(days=rng.randint(1, 19))
            followed_up_at = reported
            lighter = rng.random() < 0.08
            imposed = SANCTIONS[max(0, SANCTIONS.index(sanction) - 1)] if lighter else sanction
            if rng.random() < 0.05:  # an earlier follow-up that KASN rejected
                follow_ups.append(
                    _follow_up(case_id, imposed, reported - timedelta(days=3), "rejected", late, False, 5)
                )
            working_days = max(1, int((reported - issued).days * 5 / 7))
            follow_ups.append(_follow_up(case_id, imposed, reported, "accepted", late, lighter, working_days))
            if late:
                level = rng.choice((0, 1, 2))
        elif roll < 0.67:
            status, followed_up_at = "follow_up_reported", issued + timedelta(days=10)
            follow_ups.append(_follow_up(case_id, sanction, followed_up_at, None, False, False, 8))
        elif roll < 0.70:
            status = "clarification_requested"
            clarifications.append(
                {"case_id": case_id, "letter_number": f"800/{case_id}", "reason": "Fakta berbeda",
                 "requested_at": issued + timedelta(days=3)}
            )  # fmt: skip
        elif roll < 0.75:
            status = "closed"
        else:
            is_open = True
            level = rng.choice((0, 1, 1, 2, 2, 3))
        cases.append(
            {
                "id": case_id,
                "number": f"NKK-{YEAR}-{case_id:07d}",
                "agency_id": agency_id,
                "category": "netralitas",
                "source": "bawaslu",
                "reported_name": "Terlapor",
                "reported_nip": "198609262015051001",
                "summary": "Data uji kinerja.",
                "occurred_on": date(YEAR, 1, 1),
                "status": status,
                "version": 1,
                "close_reason": "Ditutup" if status == "closed" else None,
                "created_at": issued,
                "updated_at": issued,
                "issued_at": issued,
            }
        )
        recs.append(
            {
                "id": case_id,
                "case_id": case_id,
                "agency_id": agency_id,
                "sanction": sanction,
                "legal_basis": "PP 94/2021",
                "text": "Rekomendasi",
                "drafted_at": issued,
                "issued_at": issued,
                "received_on": issued.date(),
                "working_days": 14,
                "due_at": due,
                "cycle": 0,
                "escalation_level": level,
                "is_open": is_open,
                "followed_up_at": followed_up_at,
            }
        )
        for step in range((level or -1) + 1):
            reached = due + timedelta(days=1 + 7 * step)
            steps.append(
                {"recommendation_id": case_id, "case_id": case_id, "cycle": 0, "level": step, "reached_at": reached,
                 "recorded_at": reached, "due_at": reached, "notified": True}
            )  # fmt: skip
    return {
        "cases": cases,
        "recommendations": recs,
        "follow_ups": follow_ups,
        "escalation_steps": steps,
        "clarifications": clarifications,
    }


def _follow_up(
    case_id: int, imposed: str, at: datetime, verdict: str | None, late: bool, lighter: bool, days: int
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "decision_number": f"SK {case_id}",
        "decision_date": at.date(),
        "sanction_imposed": imposed,
        "is_lighter": lighter,
        "is_late": late,
        "working_days_taken": days,
        "reported_at": at,
        "verdict": verdict,
    }


def generate(n: int, agencies: int, *, seed: int = 20250101, progress: bool = True) -> None:
    """Bulk-insert `agencies` agencies and `n` cases of year YEAR into the app's (empty, migrated) database."""
    from sqlalchemy import insert

    from app.db import db
    from app.models.agencies import Agency
    from app.models.cases import Case, Clarification, FollowUp, Recommendation
    from app.models.escalations import EscalationStep

    rng = random.Random(seed)
    tables = {
        "cases": Case.__table__,
        "recommendations": Recommendation.__table__,
        "follow_ups": FollowUp.__table__,
        "escalation_steps": EscalationStep.__table__,
        "clarifications": Clarification.__table__,
    }
    with db.engine.begin() as conn:
        conn.execute(insert(Agency.__table__), _agency_rows(agencies, rng))
    for start in range(1, n + 1, BATCH):
        batch = _case_batch(start, min(BATCH, n + 1 - start), agencies, rng)
        with db.engine.begin() as conn:
            for name, table in tables.items():
                if batch[name]:
                    conn.execute(insert(table), batch[name])
        if progress:
            print(f"\r  {min(start + BATCH - 1, n):>9,} / {n:,} perkara", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _prepare(database_url: str, n: int, agencies: int, fresh: bool) -> Any:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app.db import db
    from app.models.cases import Case
    from bench.datagen import reset_database

    app = _make_app(database_url)
    if fresh:
        reset_database(app)  # SQLite: a new file; PostgreSQL: the public schema dropped; then migrated
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        existing = db.session.scalar(select(func.count()).select_from(Case))
        db.session.remove()
        if existing not in (0, n):
            raise SystemExit(f"the database holds {existing} cases, not {n}: use --fresh or another --database-url")
        if existing == 0:
            print(f"generating {agencies} agencies and {n:,} cases ...", file=sys.stderr)
            started = time.perf_counter()
            generate(n, agencies)
            print(f"  generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return app


def _timed(func: Any) -> tuple[float, float, Any]:
    """Wall-clock and CPU seconds of one call (on SQLite the database works in this process)."""
    from app.db import db

    db.session.remove()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = func()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    db.session.remove()
    return elapsed, cpu, result


# The baseline, written by hand: what a DBA would write to count each agency's recommendations of a year with
# a sum per indicator, over the same tables (recommendations, their cases, the accepted follow-up, the
# escalation steps and clarifications) but none of the index's own code. The index may cost more: it follows
# each rule of docs/index-method.md (the latest step of the current cycle, local years, pending vs late).
BARE_AGGREGATE = """
SELECT c.agency_id,
       count(*) AS received,
       count(r.followed_up_at) AS followed_up,
       sum(CASE WHEN f.id IS NOT NULL AND r.due_at IS NOT NULL AND f.reported_at <= r.due_at THEN 1 ELSE 0 END)
           AS on_time,
       sum(CASE WHEN f.is_lighter THEN 1 ELSE 0 END) AS lighter_sanction,
       sum(CASE WHEN s.level >= 2 THEN 1 ELSE 0 END) AS escalated,
       sum(CASE WHEN s.level >= 3 THEN 1 ELSE 0 END) AS escalated_level3,
       sum(CASE WHEN k.case_id IS NOT NULL THEN 1 ELSE 0 END) AS clarifications,
       sum(CASE WHEN r.is_open THEN 1 ELSE 0 END) AS open,
       sum(CASE WHEN c.status IN ('follow_up_reported', 'clarification_requested') THEN 1 ELSE 0 END) AS pending,
       sum(CASE WHEN c.status IN ('closed', 'dismissed') THEN 1 ELSE 0 END) AS closed,
       sum(CASE WHEN c.status <> 'dismissed' THEN 1 ELSE 0 END) AS assessable
FROM recommendations r
JOIN cases c ON c.id = r.case_id
LEFT JOIN follow_ups f ON f.case_id = r.case_id AND f.verdict = 'accepted'
LEFT JOIN (SELECT recommendation_id, max(level) AS level FROM escalation_steps GROUP BY recommendation_id) s
       ON s.recommendation_id = r.id
LEFT JOIN (SELECT DISTINCT case_id FROM clarifications) k ON k.case_id = r.case_id
WHERE r.issued_at >= :start AND r.issued_at < :end
GROUP BY c.agency_id
"""


def bare_aggregate(year: int) -> list[Any]:
    """The baseline: BARE_AGGREGATE over the UTC year."""
    from datetime import UTC

    from sqlalchemy import bindparam, text

    from app.db import UTCDateTime, db  # the application is imported once the benchmark has set its database

    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    stmt = text(BARE_AGGREGATE).bindparams(
        bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())
    )
    return list(db.session.execute(stmt, {"start": start, "end": end}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of cases (default 1,000,000)")
    parser.add_argument("--agencies", type=int, default=650)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--database-url", help="default: BENCH_DATABASE_URL (emptied: a throwaway database), else an SQLite file"
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the data even if the database exists")
    args = parser.parse_args(argv)

    url = args.database_url
    if not url and os.environ.get("BENCH_DATABASE_URL"):
        url, args.fresh = os.environ["BENCH_DATABASE_URL"], True  # the other benchmarks leave their own data there
    if not url:
        directory = ROOT / "instance" / "bench"
        directory.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{directory / f'index-{args.agencies}-{args.n}.db'}"
    app = _prepare(url, args.n, args.agencies, args.fresh)

    from app.index import services

    with app.app_context():
        as_of = datetime(YEAR + 1, 3, 1, tzinfo=UTC)
        _timed(lambda: services.compute_index(YEAR, as_of=as_of))  # warm the caches of both
        *_, bare_rows = _timed(lambda: bare_aggregate(YEAR))
        full_wall, full_cpu, bare_wall, bare_cpu = [], [], [], []
        result: dict[str, Any] = {}
        for _ in range(args.repeat):
            wall, cpu, result = _timed(lambda: services.compute_index(YEAR, as_of=as_of))
            full_wall.append(wall)
            full_cpu.append(cpu)
            wall, cpu, bare_rows = _timed(lambda: bare_aggregate(YEAR))
            bare_wall.append(wall)
            bare_cpu.append(cpu)
        received = sum(i["enforcement"]["received"] for i in result["items"])
        assert received == sum(int(r.received) for r in bare_rows), "the full index and the bare aggregate disagree"

    full, bare = statistics.median(full_wall), statistics.median(bare_wall)
    ratio = full / bare
    backend = url.split(":", 1)[0]
    cpu_note = ""
    if backend == "sqlite":  # the database runs in this process: its CPU time is a steadier figure on a busy host
        cpu_ratio = statistics.median(full_cpu) / statistics.median(bare_cpu)
        cpu_note = f", CPU {statistics.median(full_cpu):.3f} s / {statistics.median(bare_cpu):.3f} s = {cpu_ratio:.2f}"
    print(
        f"index: {len(result['items'])} agencies, {received:,} recommendations ({backend}): "
        f"full index {full:.3f} s, bare aggregate {bare:.3f} s, ratio {ratio:.2f}{cpu_note} "
        f"(target <= {TARGET_RATIO}; medians of {args.repeat})"
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
