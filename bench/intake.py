"""Benchmark: a day's surge of reports (10,000 by default) forwarded through the API in batches of 500, and the
duplicate check of each against 1,000,000 cases, as a ratio to a bare INSERT of the same rows.

    .venv/bin/python -m bench.intake [--cases N] [--reports 10000] [--batch 500] [--checks 500] [--rounds 1]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/tindak_bench .venv/bin/python -m bench.intake
    .venv/bin/python -m bench.intake --reuse --database-url postgresql://postgres@127.0.0.1/bench_1m [--explain]

The data set is bench.datagen's (1,000,000 cases, BENCH_SCALE=small 20,000; regenerated in BENCH_DATABASE_URL as
every benchmark does, or an SQLite file reused). `--reuse` measures the database at --database-url as it is, never
migrated nor regenerated (say so if the duplicate check's indexes of migration 0023 are missing there). Either
way the run removes what it added (its reports, its forwarder and token) and leaves the cases as they were, so
a shared data set can be measured. The reports are made from the data:
a third name the NIP of an existing case, a fifth describe an existing case's event in other words within its
window of days, the rest are new. Measured in one run:

- intake: `POST /api/v1/intake/reports/batch` as a Bawaslu office (Flask's test client, the whole request: token,
  validation, tracking codes, one transaction per batch), reports per second;
- bare: the same rows written with one executemany INSERT per batch and one commit (the intake's writes without
  its logic), reports per second;
- duplicate check: `app.cases.duplicates.find_duplicates` (what the queue page and acceptance show: NIP, name in
  the agency, similar description within the window — pg_trgm on PostgreSQL, shared words on SQLite) for
  `--checks` of the reports, p50 and p95 in ms, and how many found a candidate (`--rounds`: the checks again,
  the figure the median of the rounds' p50 and p95, each round printed); `--explain` prints the plan of each
  branch's statement (PostgreSQL, EXPLAIN ANALYZE) for one report of each kind.

Summary line: intake/bare ratio (target ≥ 0.1: absorbing the surge costs at most ten bare INSERTs a report), the
duplicate check's p95 (target ≤ 50 ms on PostgreSQL; SQLite reported without a target) and the whole day's
intake time. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RATIO_TARGET = 0.1
CHECK_TARGET_MS = 50.0
WORDS = [
    "menghadiri",
    "kampanye",
    "terbuka",
    "pasangan",
    "calon",
    "memakai",
    "seragam",
    "dinas",
    "berpidato",
    "di",
    "depan",
    "massa",
    "mengajak",
    "warga",
    "memilih",
    "mengunggah",
    "foto",
    "bersama",
    "simbol",
    "jari",
    "di",
    "media",
    "sosial",
    "membagikan",
    "ajakan",
    "dalam",
    "grup",
    "WhatsApp",
    "kantor",
]


def _reports(app: Any, count: int, seed: int) -> list[dict[str, Any]]:
    """Report payloads made from the data: existing NIPs, existing events retold, and new ones."""
    from sqlalchemy import func, select

    from app.db import db
    from app.models.cases import Case

    rng = random.Random(seed)
    with app.app_context():
        newest = db.session.scalar(select(func.max(Case.id))) or 1
        picks = sorted(rng.sample(range(1, newest + 1), min(newest, max(count // 2, 1))))
        rows = db.session.execute(
            select(
                Case.id, Case.agency_id, Case.reported_name, Case.reported_nip, Case.summary, Case.occurred_on
            ).where(Case.id.in_(picks[:30000]))
        ).all()
        db.session.remove()
    today = datetime.now(UTC).date()
    out = []
    for n in range(count):
        base = rows[n % len(rows)]
        kind = n % 15
        if kind < 5:  # the same person (NIP) reported again
            person = {"name": base.reported_name, "nip": base.reported_nip}
            summary = " ".join(rng.sample(WORDS, 14))
        elif kind < 8:  # the same event retold
            person = {"name": f"ASN Terlapor {n}"}
            summary = base.summary + " Dilaporkan kembali oleh warga."
        else:
            person = {"name": f"ASN Terlapor {n}"}
            summary = " ".join(rng.sample(WORDS, 16))
        occurred = base.occurred_on if kind < 8 else today - timedelta(days=rng.randint(1, 60))
        out.append(
            {
                "reported_person": person,
                "agency_id": base.agency_id,
                "category": "netralitas",
                "summary": summary,
                "occurred_on": min(occurred, today).isoformat(),
                "external_ref": f"BENCH/{seed}/{n}",
            }
        )
    return out


def _forwarder(app: Any) -> tuple[str, int]:
    """A Bawaslu office of the run's own (removed by `_clean`): its bearer token and its id."""
    from app.auth.services import hash_password, issue_token
    from app.db import db
    from app.models.auth import User

    with app.app_context():
        user = User(
            email=f"bawaslu-{time.time_ns()}@bench.test",
            name="Bawaslu Bench",
            role="forwarder",
            password_hash=hash_password("bench-password-123"),
        )
        db.session.add(user)
        db.session.commit()
        token, _ = issue_token(user)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    return token, user_id


def run_intake(app: Any, reports: list[dict[str, Any]], batch: int, token: str) -> tuple[float, list[int]]:
    client = app.test_client()
    ids: list[int] = []
    started = time.perf_counter()
    for start in range(0, len(reports), batch):
        response = client.post(
            "/api/v1/intake/reports/batch",
            json={"items": reports[start : start + batch]},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.get_json()
        assert response.status_code == 201 and body["refused"] == 0, body
        ids.extend(item["id"] for item in body["items"])
    return time.perf_counter() - started, ids


def run_bare(app: Any, reports: list[dict[str, Any]], batch: int) -> float:
    """The same rows with one executemany INSERT per batch, one commit each."""
    from datetime import date

    from sqlalchemy import insert

    from app.db import db
    from app.intake.tracking import new_tracking_code
    from app.models.intake import IntakeReport

    with app.app_context():
        started = time.perf_counter()
        for start in range(0, len(reports), batch):
            now = datetime.now(UTC)
            rows = [
                {
                    "tracking_code": new_tracking_code(),
                    "channel": "forwarder",
                    "external_ref": None,
                    "status": "received",
                    "agency_id": r["agency_id"],
                    "category": r["category"],
                    "reported_name": r["reported_person"]["name"],
                    "reported_nip": r["reported_person"].get("nip"),
                    "summary": r["summary"],
                    "occurred_on": date.fromisoformat(r["occurred_on"]),
                    "created_at": now,
                    "updated_at": now,
                }
                for r in reports[start : start + batch]
            ]
            db.session.execute(insert(IntakeReport), rows)
            db.session.commit()
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed


def run_checks(app: Any, ids: list[int], checks: int, seed: int) -> tuple[list[float], int]:
    from app.db import db
    from app.intake.services import report_duplicates
    from app.models.intake import IntakeReport

    rng = random.Random(seed)
    times, found = [], 0
    with app.app_context():
        for report_id in rng.sample(ids, min(checks, len(ids))):
            report = db.session.get(IntakeReport, report_id)
            started = time.perf_counter()
            candidates = report_duplicates(report)
            times.append((time.perf_counter() - started) * 1000)
            found += bool(candidates)
            db.session.rollback()
        db.session.remove()
    return times, found


def explain_checks(app: Any, report_ids: list[int]) -> None:
    """EXPLAIN ANALYZE of every statement the duplicate check sends for each of `report_ids` (PostgreSQL): the
    statements are caught as the application sends them, then replayed in one transaction with their SETs."""
    from sqlalchemy import event

    from app.db import db
    from app.intake.services import report_duplicates
    from app.models.intake import IntakeReport

    with app.app_context():
        engine = db.engine
        for report_id in report_ids:
            report = db.session.get(IntakeReport, report_id)
            sent: list[tuple[str, Any]] = []

            def catch(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
                sent.append((statement, parameters))  # noqa: B023 - the list of this report

            event.listen(engine, "before_cursor_execute", catch)
            try:
                report_duplicates(report)
            finally:
                event.remove(engine, "before_cursor_execute", catch)
            db.session.rollback()
            print(f"-- report {report_id}: {report.reported_nip or 'no NIP'}, {report.summary[:60]!r}")
            conn = db.session.connection()
            for statement, parameters in sent:
                if not statement.lstrip().upper().startswith("SELECT"):
                    conn.exec_driver_sql(statement, parameters)
                    print(statement)
                    continue
                plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", parameters)
                print(" ".join(statement.split())[:300])
                print("\n".join("    " + row[0] for row in plan))
            db.session.rollback()
        db.session.remove()


def _added_from(app: Any) -> int:
    """The first id the run's reports will have: what is there already is left alone."""
    from sqlalchemy import func, select

    from app.db import db
    from app.models.intake import IntakeReport

    with app.app_context():
        last = db.session.scalar(select(func.max(IntakeReport.id))) or 0
        db.session.remove()
    return int(last) + 1


def _clean(app: Any, first_id: int, user_id: int) -> None:
    """Remove what the run added: its reports (from `first_id` on), their files, its forwarder and its token."""
    from sqlalchemy import delete, select

    from app.db import db
    from app.models.auth import ApiToken, User
    from app.models.intake import IntakeFile, IntakeReport

    with app.app_context():
        added = select(IntakeReport.id).where(IntakeReport.id >= first_id)
        db.session.execute(delete(IntakeFile).where(IntakeFile.report_id.in_(added)))
        db.session.execute(delete(IntakeReport).where(IntakeReport.id >= first_id))
        db.session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
        db.session.execute(delete(User).where(User.id == user_id))
        db.session.commit()
        db.session.remove()


def _missing_indexes(app: Any) -> list[str]:
    """The duplicate check's indexes (migration 0023) the database lacks (a reused one may predate them)."""
    from sqlalchemy import text

    from app.db import db
    from app.models.intake import EVENT_INDEXES, NAME_IN_AGENCY_INDEXES

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            wanted = [*NAME_IN_AGENCY_INDEXES, *EVENT_INDEXES]
            present = set(db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")))
        else:
            wanted = list(NAME_IN_AGENCY_INDEXES)
            present = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index'")))
        db.session.remove()
    return [name for name in wanted if name not in present]


def _percentile(times: list[float], n: int) -> float:
    return statistics.quantiles(times, n=n)[-1] if len(times) >= n else max(times)


def main(argv: list[str] | None = None) -> int:
    from bench.datagen import dataset, make_app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--reports", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--checks", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=1, help="rounds of --checks (the figure: their medians)")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--reuse", action="store_true", help="measure --database-url as it is (no regeneration)")
    parser.add_argument("--explain", action="store_true", help="print the check's plans (PostgreSQL)")
    args = parser.parse_args(argv)
    if args.reuse and not args.database_url:
        parser.error("--reuse needs --database-url (or BENCH_DATABASE_URL)")

    url = args.database_url if args.reuse else dataset(args.cases, url=args.database_url or None).url
    app = make_app(url, PASSWORD_HASH_FAST=True)
    dialect = "postgresql" if url.startswith("postgres") else "sqlite"
    with app.app_context():
        from sqlalchemy import func, select

        from app.db import db
        from app.models.cases import Case

        cases = int(db.session.scalar(select(func.count(Case.id))) or 0)
        db.session.remove()
    missing = _missing_indexes(app)
    if missing:
        print(f"the duplicate check's indexes are missing here (migration 0023): {', '.join(missing)}")
    reports = _reports(app, args.reports, args.seed)
    first_id = _added_from(app)
    token, user_id = _forwarder(app)
    try:
        intake_s, ids = run_intake(app, reports, args.batch, token)
        bare_s = run_bare(app, reports, args.batch)
        rounds = []
        for n in range(max(args.rounds, 1)):
            times, found = run_checks(app, ids, args.checks, args.seed + n)
            rounds.append((statistics.median(times), _percentile(times, 20), len(times), found))
            if args.rounds > 1:
                print(f"round {n + 1}: p50 {rounds[-1][0]:.1f} ms, p95 {rounds[-1][1]:.1f} ms")
        if args.explain and dialect == "postgresql":
            # one report of each kind: the same NIP, the same event retold, a new one (see `_reports`)
            explain_checks(app, [ids[0], ids[5], ids[8]])
    finally:
        _clean(app, first_id, user_id)  # the data set stays as it was: the next run measures the same
    intake_rate, bare_rate = len(reports) / intake_s, len(reports) / bare_s
    ratio = intake_rate / bare_rate
    p50 = statistics.median(r[0] for r in rounds)
    p95 = statistics.median(r[1] for r in rounds)
    checked, found = rounds[0][2], rounds[0][3]
    print(f"intake API (batches of {args.batch}): {len(reports):,} reports in {intake_s:.1f} s = {intake_rate:,.0f}/s")
    print(f"bare INSERT: {len(reports):,} reports in {bare_s:.2f} s = {bare_rate:,.0f}/s")
    print(f"duplicate check ({checked} reports, {found} with a candidate): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    ok = ratio >= RATIO_TARGET and (dialect != "postgresql" or p95 <= CHECK_TARGET_MS)
    rounds_note = f"; medians of {len(rounds)} rounds" if len(rounds) > 1 else ""
    print(
        f"intake-bench backend={dialect} cases={cases:,} reports={len(reports):,} intake={intake_rate:,.0f}/s "
        f"bare={bare_rate:,.0f}/s duplicate_check_p50={p50:.1f}ms p95={p95:.1f}ms "
        f"(target <= {CHECK_TARGET_MS:.0f} ms on PostgreSQL{rounds_note}) "
        f"day_of_10000={10000 / intake_rate:.0f}s ratio={ratio:.3f} (intake/bare; target >= {RATIO_TARGET})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
