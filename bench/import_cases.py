"""Benchmark: `cases import` rows per second, as a ratio to a bare batched INSERT of the same rows.

    .venv/bin/python -m bench.import_cases [--rows 100000] [--batch-size 1000] [--repeat 1]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/tindak_bench .venv/bin/python -m bench.import_cases

The database is a fresh SQLite file in a temporary directory unless BENCH_DATABASE_URL is set; that database is
emptied (its `public` schema dropped), so point it at a throwaway one. Both measurements run in one process on
the same data, alternating when repeated; the figure to watch is the median ratio, not the absolute rate.

The bare INSERT writes every row the import wrote — the people the cases name, cases, recommendations,
clarifications, follow-ups, escalation steps, history (about 5.3 rows per input row), read back after an import
run — with executemany, in batches of the same number of input rows, one commit per batch: the import's writes
without its logic. The import reads the CSV, validates every row (NIP, dates, agency, vocabularies, the fields
each status needs, the case schema), computes deadlines in working days, allocates case numbers and writes the
people, cases, recommendations, clarifications, follow-ups, escalation levels and one hash-chained history row
per case.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, text

HEADERS = [
    "Referensi", "Kode Instansi", "Kategori", "Subkategori", "Sumber", "Nama Terlapor", "NIP", "Jabatan",
    "Tanggal Kejadian", "Tanggal Laporan", "Uraian", "Status", "Alasan", "Sanksi Rekomendasi",
    "Nomor Surat Rekomendasi", "Tanggal Rekomendasi", "Tingkat Eskalasi", "Nomor SK", "Tanggal SK",
    "Sanksi Dijatuhkan",
]  # fmt: skip
STATUSES = [("completed", 40), ("awaiting_follow_up", 15), ("follow_up_reported", 10), ("dismissed", 10),
            ("reported", 10), ("under_review", 5), ("closed", 10)]  # fmt: skip
SANCTIONS = ["sanksi_moral_tertutup", "sanksi_moral_terbuka", "disiplin_ringan", "disiplin_sedang", "disiplin_berat"]
CATEGORIES = ["netralitas", "perbuatan_tidak_menyenangkan", "masalah_rumah_tangga", "kode_etik_lainnya"]
SOURCES = ["bawaslu", "public", "media", "monitoring", "agency"]


def make_nip(rng: random.Random) -> str:
    birth = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 30))
    tmt_year = birth.year + rng.randrange(20, 30)
    return f"{birth:%Y%m%d}{tmt_year:04d}{rng.randrange(1, 13):02d}{rng.choice('12')}{rng.randrange(1, 1000):03d}"


def generate(path: Path, rows: int, codes: list[str], seed: int = 7) -> None:
    rng = random.Random(seed)
    statuses = [s for s, weight in STATUSES for _ in range(weight)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for n in range(rows):
            occurred = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 365 * 5))
            reported = occurred + timedelta(days=rng.randrange(1, 30))
            status = rng.choice(statuses)
            rec: list[Any] = ["", "", "", ""]
            sk: list[Any] = ["", "", ""]
            if status in ("completed", "awaiting_follow_up", "follow_up_reported", "closed"):
                issued = reported + timedelta(days=rng.randrange(10, 60))
                level = rng.choice(["", "", "", "0", "1", "2"])
                rec = [rng.choice(SANCTIONS), f"R-{n}/KASN/{issued.month}/{issued.year}", issued.isoformat(), level]
                if status in ("completed", "follow_up_reported"):
                    decided = issued + timedelta(days=rng.randrange(5, 60))
                    sk = [f"800/{n}/BKPSDM/{decided.year}", decided.isoformat(), rng.choice(SANCTIONS)]
            reason = "Tidak terbukti" if status in ("dismissed", "closed") else ""
            writer.writerow([
                f"BENCH-{n:07d}", rng.choice(codes), rng.choice(CATEGORIES), "", rng.choice(SOURCES),
                f"Terlapor {n}", make_nip(rng), "Pelaksana", occurred.isoformat(), reported.isoformat(),
                f"Uraian perkara uji nomor {n} untuk pengukuran impor.", status, reason, *rec, *sk,
            ])  # fmt: skip


def written_rows() -> list[tuple[Any, list[dict[str, Any]]]]:
    """Every row the import wrote, per table in the order of their foreign keys (the baseline's input)."""
    from app.db import db

    return [(table, [dict(row) for row in db.session.execute(select(table)).mappings()]) for table in _tables()]


def _tables() -> list[Any]:
    from app.models.cases import Case, CaseCounter, CaseHistory, Clarification, FollowUp, Recommendation
    from app.models.escalations import EscalationStep
    from app.models.people import Person

    models = (CaseCounter, Person, Case, Recommendation, Clarification, FollowUp, EscalationStep, CaseHistory)
    return [model.__table__ for model in models]


def bare_insert(written: list[tuple[Any, list[dict[str, Any]]]], rows: int, batch_size: int) -> float:
    """The baseline: the rows the import wrote, inserted with executemany, a batch per commit: the cases of
    `batch_size` input rows with every row that belongs to them (so each batch's foreign keys point into itself or
    an earlier batch, as the import's do). Returns the seconds taken (the grouping is done before the clock runs)."""
    from app.db import db

    batches = max(1, -(-rows // batch_size))
    case_ids = sorted(row["id"] for table, table_rows in written if table.name == "cases" for row in table_rows)
    per_case = max(1, -(-len(case_ids) // batches))
    batch_of = {case_id: index // per_case for index, case_id in enumerate(case_ids)}
    first_case_batch: dict[int, int] = {}
    for table, table_rows in written:
        if table.name == "cases":
            for row in table_rows:
                batch = batch_of[row["id"]]
                first_case_batch[row["person_id"]] = min(batch, first_case_batch.get(row["person_id"], batch))
    planned: list[list[tuple[Any, list[dict[str, Any]]]]] = [[] for _ in range(batches)]
    for table, table_rows in written:
        key = "id" if table.name == "cases" else "case_id" if "case_id" in table.c else None
        chunks: list[list[dict[str, Any]]] = [[] for _ in range(batches)]
        for row in table_rows:
            if table.name == "people":  # with the batch of the first case that names the person
                chunks[first_case_batch[row["id"]]].append(row)
                continue
            chunks[batch_of[row[key]] if key is not None else 0].append(row)
        for index, chunk in enumerate(chunks):
            if chunk:
                planned[index].append((table, chunk))
    db.session.commit()  # SQLite: the session's transaction holds the write lock
    started = time.perf_counter()
    with db.engine.connect() as conn:
        for batch in planned:
            for table, chunk in batch:
                conn.execute(insert(table), chunk)
            conn.commit()
    return time.perf_counter() - started


def run_import(path: Path, batch_size: int) -> tuple[int, float]:
    from app.cases.importing import import_file
    from app.db import db

    started = time.perf_counter()
    result = import_file(path, batch_size=batch_size, on_batch=lambda _p: db.session.commit())
    db.session.commit()
    elapsed = time.perf_counter() - started
    if result.failed or result.imported != result.total:
        raise SystemExit(f"import did not take every row: {result.failed} failed, first: {result.errors[:3]}")
    return result.imported, elapsed


def empty_cases() -> None:
    from app.db import db
    from app.models.cases import Case, CaseCounter, CaseHistory, Clarification, FollowUp, Recommendation
    from app.models.escalations import EscalationStep
    from app.models.people import Person

    for model in (EscalationStep, CaseHistory, FollowUp, Clarification, Recommendation, Case, Person, CaseCounter):
        db.session.execute(delete(model))
    db.session.commit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1, help="alternating runs of each; the median is reported")
    args = parser.parse_args(argv)

    import os

    from app import create_app
    from app.agencies.reference import load_reference
    from app.db import db
    from bench.datagen import reset_database

    workdir = Path(tempfile.mkdtemp(prefix="tindak-bench-"))
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "SCHEDULER_ENABLED": False})
    reset_database(app)  # PostgreSQL: the public schema dropped; then migrated
    with app.app_context():
        load_reference()
        db.session.commit()
        # Agencies that still exist: a case dated after its agency ended is refused, as the import should.
        codes = list(db.session.scalars(text("SELECT code FROM agencies WHERE ended_on IS NULL ORDER BY code")))
        source = workdir / "cases.csv"
        generate(source, args.rows, codes)
        print(f"database: {db.engine.dialect.name}; rows: {args.rows}; batch size: {args.batch_size}")
        bare_rates, import_rates, ratios = [], [], []
        for run in range(args.repeat):
            empty_cases()
            m, import_s = run_import(source, args.batch_size)
            written = written_rows()
            empty_cases()
            n, bare_s = m, bare_insert(written, m, args.batch_size)
            per_row = sum(len(rows) for _, rows in written) / max(m, 1)
            bare_rates.append(n / bare_s)
            import_rates.append(m / import_s)
            ratios.append((m / import_s) / (n / bare_s))
            print(
                f"run {run + 1}: bare INSERT of the {per_row:.1f} rows written per input row {n / bare_s:,.0f} "
                f"input rows/s ({bare_s:.1f} s); "
                f"import {m / import_s:,.0f} rows/s ({import_s:.1f} s); ratio {ratios[-1]:.3f}"
            )
        empty_cases()
    print(
        f"median: bare INSERT {statistics.median(bare_rates):,.0f} rows/s, "
        f"import {statistics.median(import_rates):,.0f} rows/s, "
        f"import/bare ratio {statistics.median(ratios):.3f} (target >= 0.6)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
