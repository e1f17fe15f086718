"""Benchmark: the escalation sweep over many open recommendations against bare SQL doing the same writes.

Seeds N open recommendations (default 200,000) across ~716 agencies in the three zones, with receipt days
spread over fourteen months, each already at the level it had three hours earlier. The sweep runs just after
midnight WIB, when every zone has passed midnight: the daily peak, when a day's worth of recommendations
climb a level. One run prints one line: the bare query selecting the sweep's rows (best of three), the bare
writes (hand-written SQL doing the sweep's writes and committing them; best of three), the dry-run sweep, the
real sweep, and the ratios (the target is the sweep against the bare writes).

    python -m bench.sweep                      # fresh SQLite file, N = 200,000
    python -m bench.sweep --n 20000
    python -m bench.sweep --database-url postgresql://postgres@127.0.0.1/tindak_bench --reset
    BENCH_DATABASE_URL=postgresql://... python -m bench.sweep     # a throwaway database, emptied as by datagen
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 25, 17, 5, tzinfo=UTC)  # Thursday 26 Nov 00:05 WIB (01:05 WITA, 02:05 WIT)
BEFORE = NOW - timedelta(hours=3)  # the last sweep before every zone's midnight
ZONES = (("Asia/Jakarta", 0.6), ("Asia/Makassar", 0.25), ("Asia/Jayapura", 0.15))
CHUNK = 5000
BARE_CYCLE = 1000  # the bare writes' escalation steps: cycle + BARE_CYCLE, deleted after each repetition
BARE_MARK = "bench-bare"  # and their history rows' request_id


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="open recommendations to seed (default 200000)")
    parser.add_argument(
        "--database-url", help="default: BENCH_DATABASE_URL (a throwaway database, emptied), else a fresh SQLite file"
    )
    parser.add_argument("--reset", action="store_true", help="empty a non-empty --database-url first")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20261126)
    return parser.parse_args(argv)


def make_app(database_url: str) -> Any:
    from app import create_app

    return create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "BASE_URL": "http://tindak.bench",
            "ESCALATION_RECIPIENTS_MENPANRB": ["eskalasi@menpan.go.id"],
            "ESCALATION_RECIPIENTS_KEMENDAGRI": ["eskalasi@kemendagri.go.id"],
            "ESCALATION_RECIPIENTS_KASN": ["ketua@kasn.go.id"],
            "ESCALATION_RECIPIENTS_BKN": ["blokir@bkn.go.id"],
            "SCHEDULER_ENABLED": False,
        }
    )


def prepare_schema(app: Any, reset: bool) -> None:
    """An empty database at the newest migration; a non-empty one only with `reset`."""
    from sqlalchemy import inspect

    from app.db import db
    from bench.datagen import reset_database

    with app.app_context():
        existing = inspect(db.engine).get_table_names()
    if existing and not reset:
        raise SystemExit(f"the database already has {len(existing)} tables; pass --reset to drop them")
    reset_database(app)


def _zone(rng: random.Random) -> str:
    pick = rng.random()
    total = 0.0
    for name, share in ZONES:
        total += share
        if pick < total:
            return name
    return ZONES[0][0]


def seed_agencies(rng: random.Random) -> list[dict[str, Any]]:
    """38 provinces, 508 kabupaten/kota under them, 170 central agencies (DOMAIN §6)."""
    from sqlalchemy import insert

    from app.db import db
    from app.models.agencies import Agency

    rows: list[dict[str, Any]] = []
    provinces = []
    for i in range(38):
        row = {"id": len(rows) + 1, "code": f"P{i:03d}", "name": f"Provinsi {i}", "kind": "provinsi"}
        row.update({"timezone": _zone(rng), "ppk_email": f"gubernur{i}@prov.go.id", "parent_id": None})
        rows.append(row)
        provinces.append(row)
    for i in range(508):
        parent = provinces[i % len(provinces)]
        kind = "kota" if i % 5 == 0 else "kabupaten"
        row = {"id": len(rows) + 1, "code": f"K{i:03d}", "name": f"Daerah {i}", "kind": kind}
        row.update({"timezone": parent["timezone"], "ppk_email": f"ppk{i}@daerah.go.id", "parent_id": parent["id"]})
        rows.append(row)
    for i in range(170):
        kind = "kementerian" if i < 34 else "lembaga"
        row = {"id": len(rows) + 1, "code": f"C{i:03d}", "name": f"Pusat {i}", "kind": kind}
        row.update({"timezone": "Asia/Jakarta", "ppk_email": f"ppk{i}@pusat.go.id", "parent_id": None})
        rows.append(row)
    for row in rows:
        row.update({"ppk_title": "PPK", "is_active": True, "created_at": BEFORE})
    db.session.execute(insert(Agency.__table__), [r for r in rows if r["parent_id"] is None])
    db.session.execute(insert(Agency.__table__), [r for r in rows if r["parent_id"] is not None])
    return rows


def seed_users() -> list[int]:
    from sqlalchemy import insert

    from app.db import db
    from app.models.auth import User

    rows = [
        {
            "id": i + 1,
            "email": f"analis{i}@kasn.go.id",
            "name": f"Analis {i}",
            "password_hash": "-",
            "role": "investigator",
        }
        for i in range(20)
    ]
    db.session.execute(insert(User.__table__), rows)
    return [r["id"] for r in rows]


def seed_recommendations(n: int, rng: random.Random, agencies: list[dict[str, Any]], users: list[int]) -> None:
    """N cases awaiting follow-up, received over the last fourteen months, at the level of three hours ago."""
    from sqlalchemy import insert

    from app.calendar.working_days import Calendar, end_of_day, local_date
    from app.db import db
    from app.escalations.ladder import load_ladder
    from app.escalations.sweep import demanded_level, level_days
    from app.models.cases import Case, Recommendation

    cal = Calendar()
    ladder = load_ladder()
    due_cache: dict[tuple[date, str], tuple[datetime, int]] = {}
    first_day = NOW.date() - timedelta(days=420)
    for start in range(0, n, CHUNK):
        cases, recs = [], []
        for i in range(start, min(n, start + CHUNK)):
            agency = agencies[rng.randrange(len(agencies))]
            received = first_day + timedelta(days=rng.randrange(420))
            key = (received, agency["timezone"])
            if key not in due_cache:
                due_day = cal.add_working_days(received, 14)
                today = local_date(BEFORE, agency["timezone"])
                level = demanded_level(level_days(ladder, cal, due_day, None), today)
                due_cache[key] = (end_of_day(due_day, agency["timezone"]), level)
            due_at, level = due_cache[key]
            drafter = users[i % len(users)]
            issued = datetime.combine(received, datetime.min.time(), tzinfo=UTC)
            cases.append(
                {
                    "id": i + 1,
                    "number": f"NKK-B-{i + 1:08d}",
                    "agency_id": agency["id"],
                    "category": "netralitas",
                    "source": "bawaslu",
                    "reported_name": "Terlapor",
                    "reported_nip": "198609262015051001",
                    "summary": "Data uji beban.",
                    "occurred_on": received - timedelta(days=30),
                    "status": "awaiting_follow_up",
                    "version": 1,
                    "created_by_id": drafter,
                    "created_at": issued,
                    "updated_at": issued,
                    "issued_at": issued,
                }
            )
            recs.append(
                {
                    "id": i + 1,
                    "case_id": i + 1,
                    "agency_id": agency["id"],
                    "sanction": "disiplin_sedang",
                    "legal_basis": "PP 94/2021",
                    "text": "Rekomendasi.",
                    "drafted_by_id": drafter,
                    "drafted_at": issued,
                    "issued_at": issued,
                    "received_on": received,
                    "working_days": 14,
                    "due_at": due_at,
                    "cycle": 0,
                    "escalation_level": None if level < 0 else level,
                    "is_open": True,
                }
            )
        db.session.execute(insert(Case.__table__), cases)
        db.session.execute(insert(Recommendation.__table__), recs)
        db.session.commit()


def timed(func: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = func()
    return time.perf_counter() - started, result


def due_rows(statement: Any) -> list[Any]:
    """The rows the bare writes act on: what the sweep's query selects, with what its writes need."""
    from sqlalchemy import select

    from app.db import db
    from app.models.cases import Recommendation

    ids = select(statement.subquery().c.id)
    return db.session.execute(
        select(
            Recommendation.id,
            Recommendation.case_id,
            Recommendation.cycle,
            Recommendation.escalation_level,
            Recommendation.due_at,
        ).where(Recommendation.id.in_(ids))
    ).all()


def table_counts() -> tuple[int, ...]:
    """Rows of the tables the bare writes write, and the sum of the levels they set."""
    from sqlalchemy import func, select

    from app.db import db
    from app.models.cases import CaseHistory, Recommendation
    from app.models.escalations import EscalationStep
    from app.models.outbox import OutboxMessage

    counts = tuple(
        db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (OutboxMessage, EscalationStep, CaseHistory)
    )
    levels = db.session.scalar(select(func.coalesce(func.sum(Recommendation.escalation_level), 0))) or 0
    db.session.rollback()
    return (*counts, int(levels))


def bare_writes(rows: list[Any], emails: int, sample: tuple[str, str, str]) -> float:
    """Hand-written SQL doing the sweep's writes for `rows` (level compare-and-set, one escalation step and
    one chained history row per recommendation, `emails` outbox rows of the sweep's own size) and committing
    them, as the sweep commits its own: the baseline the sweep's own bookkeeping (ladder, calendar, routing,
    rendering) is compared with. Untimed, the rows it wrote are then deleted and the levels set back, so the
    next repetition finds the same database.

    It runs after the sweep: the compare-and-set reads each recommendation's current level first (untimed), so
    that every UPDATE changes its row as the sweep's did."""
    import hashlib
    import json

    from sqlalchemy import bindparam, delete, func, insert, select, tuple_, update

    from app.db import db
    from app.models.cases import CaseHistory, Recommendation
    from app.models.escalations import EscalationStep
    from app.models.outbox import OutboxMessage

    subject, text, html = sample
    rec, steps, history, outbox = (
        Recommendation.__table__,
        EscalationStep.__table__,
        CaseHistory.__table__,
        OutboxMessage.__table__,
    )
    per_row = [emails // len(rows) + (1 if i < emails % len(rows) else 0) for i in range(len(rows))] if rows else []
    conn = db.session.connection()
    levels = dict(
        conn.execute(select(rec.c.id, rec.c.escalation_level).where(rec.c.id.in_([r.id for r in rows]))).all()
    )
    db.session.commit()
    started = time.perf_counter()
    conn = db.session.connection()
    conn.execute(
        update(rec)
        .where(rec.c.id == bindparam("b_id"), rec.c.escalation_level.is_not_distinct_from(bindparam("b_old")))
        .values(escalation_level=bindparam("b_new")),
        [{"b_id": r.id, "b_old": levels[r.id], "b_new": min(3, (levels[r.id] or -1) + 1)} for r in rows],
    )
    conn.execute(
        insert(steps),
        [
            {
                "recommendation_id": r.id,
                "case_id": r.case_id,
                "cycle": r.cycle + BARE_CYCLE,
                "level": 0,
                "reached_at": NOW,
                "recorded_at": NOW,
                "due_at": r.due_at,
                "body": None,
                "notified": True,
            }
            for r in rows
        ],
    )
    case_ids = [r.case_id for r in rows]
    last_seq = (
        select(history.c.case_id, func.max(history.c.seq).label("seq"))
        .where(history.c.case_id.in_(case_ids))
        .group_by(history.c.case_id)
        .subquery()
    )
    last = {
        case_id: (seq, digest)
        for case_id, seq, digest in conn.execute(
            select(history.c.case_id, history.c.seq, history.c.hash).where(
                tuple_(history.c.case_id, history.c.seq).in_(select(last_seq.c.case_id, last_seq.c.seq))
            )
        )
    }
    history_rows = []
    for r in rows:
        seq, prev = last.get(r.case_id, (0, "0" * 64))
        payload = {"level": 0, "cycle": r.cycle, "due_at": r.due_at.isoformat()}
        digest = hashlib.sha256(json.dumps([r.case_id, seq + 1, payload, prev], sort_keys=True).encode()).hexdigest()
        history_rows.append(
            {
                "case_id": r.case_id,
                "seq": seq + 1,
                "event": "escalation",
                "from_status": "awaiting_follow_up",
                "to_status": "awaiting_follow_up",
                "actor_id": None,
                "actor_label": "system",
                "payload": payload,
                "request_id": BARE_MARK,
                "created_at": NOW,
                "prev_hash": prev,
                "hash": digest,
            }
        )
    conn.execute(insert(history), history_rows)
    outbox_rows = [
        {
            "idempotency_key": f"bare:{r.id}:{i}",
            "kind": "escalation",
            "case_id": r.case_id,
            "recipient": f"r{i}@bench.go.id",
            "subject": subject,
            "body_text": text,
            "body_html": html,
            "message_id": f"<bare.{r.id}.{i}@bench>",
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": NOW,
            "created_at": NOW,
        }
        for r, count in zip(rows, per_row, strict=True)
        for i in range(count)
    ]
    if outbox_rows:
        conn.execute(insert(outbox), outbox_rows)
    db.session.commit()
    elapsed = time.perf_counter() - started
    conn = db.session.connection()  # undo, untimed
    conn.execute(delete(outbox).where(outbox.c.idempotency_key.like("bare:%")))
    conn.execute(delete(steps).where(steps.c.cycle >= BARE_CYCLE))
    conn.execute(delete(history).where(history.c.request_id == BARE_MARK))
    conn.execute(
        update(rec).where(rec.c.id == bindparam("b_id")).values(escalation_level=bindparam("b_old")),
        [{"b_id": r.id, "b_old": levels[r.id]} for r in rows],
    )
    db.session.commit()
    return elapsed


def due_rows_statement(now: datetime, *, ladder: Any = None, calendar: Any = None) -> Any:
    """The baseline: the bare query selecting the rows a sweep at `now` examines (no batches, no locks)."""
    from sqlalchemy import select

    from app.escalations import sweep  # the application is imported once the benchmark has set its database

    ladder = ladder or sweep.load_ladder()
    cal = calendar or sweep.Calendar.load(all_agencies=True)
    thresholds = sweep.level_thresholds(ladder, cal, sweep._zones_in_use(), now)
    return (
        select(sweep.Recommendation.id)
        .join(sweep.Case, sweep.Case.id == sweep.Recommendation.case_id)
        .where(sweep.due_predicate(thresholds))
        .order_by(sweep.Recommendation.id)
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.disable(logging.INFO)
    tmp = None
    url = args.database_url or os.environ.get("BENCH_DATABASE_URL")
    reset = args.reset or (url is not None and not args.database_url)  # BENCH_DATABASE_URL is a throwaway
    if not url:
        tmp = tempfile.TemporaryDirectory(prefix="tindak-bench-")
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    app = make_app(url)
    prepare_schema(app, reset)
    with app.app_context():
        from app.db import db
        from app.escalations.sweep import run_sweep

        backend = db.engine.dialect.name
        rng = random.Random(args.seed)
        seed_time, _ = timed(lambda: seed_recommendations(args.n, rng, seed_agencies(rng), seed_users()))
        db.session.commit()
        if backend == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")

        statement = due_rows_statement(NOW)
        query_times = []
        rows = 0
        for _ in range(3):
            elapsed, result = timed(lambda: db.session.execute(statement).all())
            query_times.append(elapsed)
            rows = len(result)
            db.session.rollback()
        query = min(query_times)
        targets = due_rows(statement)
        db.session.rollback()
        dry, dry_report = timed(lambda: run_sweep(NOW, dry_run=True, batch_size=args.batch_size))
        sweep, report = timed(lambda: run_sweep(NOW, batch_size=args.batch_size))
        again, again_report = timed(lambda: run_sweep(NOW, batch_size=args.batch_size))
        assert again_report.steps == 0, "a second sweep at the same instant must find nothing"
        from sqlalchemy import select

        from app.models.outbox import OutboxMessage

        sample = db.session.execute(
            select(OutboxMessage.subject, OutboxMessage.body_text, OutboxMessage.body_html).limit(1)
        ).one_or_none() or ("", "", "")
        db.session.rollback()
        before = table_counts()
        writes = min(bare_writes(targets, report.emails, tuple(sample)) for _ in range(3))
        assert table_counts() == before, "the bare writes did not leave the database as they found it"
    print(
        f"sweep-bench backend={backend} n={args.n} rows={rows} climbing={len(report.cases)} steps={report.steps} "
        f"emails={report.emails} query={query:.3f}s bare_writes={writes:.3f}s dry_run={dry:.2f}s "
        f"sweep={sweep:.2f}s rerun={again:.2f}s ratio={sweep / writes:.1f}x (vs the bare SQL doing its writes; "
        f"target <= 5) select_ratio={sweep / query:.0f}x dry_ratio={dry / query:.1f}x seed={seed_time:.1f}s "
        f"per_climb={1000 * sweep / max(1, len(report.cases)):.1f}ms"
    )
    if dry_report.steps != report.steps:
        print(f"warning: dry run counted {dry_report.steps} steps, the sweep {report.steps}", file=sys.stderr)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
