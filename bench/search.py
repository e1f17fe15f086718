"""Benchmark: the case list's search (`q`) at 1,000,000 cases, each kind of term, against the same search written
by hand in SQL, in one run.

    .venv/bin/python -m bench.search [--cases N] [--repeat 25] [--database-url URL] [--reuse]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/tindak_bench .venv/bin/python -m bench.search

The data set is bench.datagen's (1,000,000 cases by default, BENCH_SCALE=small 20,000; regenerated in
BENCH_DATABASE_URL as every benchmark does, or an SQLite file reused; `--reuse` searches the database at
--database-url as it is, migrated to the head first). The letter register is filled from the recommendations'
letter numbers where it has no row (datagen writes none), so the letter numbers searched are the register's.

The terms are taken from the data, one per kind a person types: a case number, a reported person's surname (a
common one: tens of thousands of cases) and full name, a NIP, an agency's name and code, a PPK's SK number, a
letter number, and a term nothing matches. Each is searched by an investigator (every case) and by the PPK of the
agency with the most cases (its agency's issued cases), `--repeat` times, interleaved:

- the app: `app.cases.listing.list_cases` — the API's page (limit 50, newest first), the statement and the rows
  turned into the list's JSON shape — in a transaction of its own, as a request;
- bare: the same search written by hand in SQL (`BARE_SQL`, none of the app's code) through the driver's cursor,
  fetching the same page.

Prints each kind's p50 and p95 (ms) for both and how many cases the term matches, and one summary line: the
slowest kind's p95 (target: every kind ≤ 100 ms, on PostgreSQL and — since its full-text tables, migration 0027 —
on SQLite; the process exits 1 when one misses it) and the ratio app / bare (sum of the kinds' medians). SQLite's
bare SQL reads the same full-text tables, ORed in one condition as a person would write it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_MS = 100.0
PAGE = 50
NO_MATCH = "zqxjv"

# The search of app/cases/search.py, written by hand: the case's own text, its agency (the ids of the agencies whose
# name or code holds the term, read first: AGENCIES_SQL), its SK and letter numbers.
AGENCIES_SQL = {
    "postgresql": "SELECT id FROM agencies WHERE name ILIKE %(t)s OR code ILIKE %(t)s",
    "sqlite": "SELECT id FROM agencies WHERE name LIKE :t ESCAPE '\\' OR code LIKE :t ESCAPE '\\'",
}
_ARMS = {
    "postgresql": (
        "c.agency_id IN ({agencies})",
        "c.id = ANY(ARRAY(SELECT case_id FROM follow_ups WHERE decision_number ILIKE %(t)s))",
        "c.id = ANY(ARRAY(SELECT case_id FROM issued_letters WHERE number ILIKE %(t)s))",
        "c.id = ANY(ARRAY(SELECT case_id FROM recommendations WHERE letter_number ILIKE %(t)s))",
    ),
    # SQLite: the full-text tables of migration 0027 (FTS5, trigram), `:f` the term as one phrase.
    "sqlite": (
        "c.agency_id IN ({agencies})",
        "c.id IN (SELECT case_id FROM follow_ups WHERE id IN (SELECT rowid FROM follow_ups_fts WHERE text MATCH :f))",
        "c.id IN (SELECT case_id FROM issued_letters WHERE id IN "
        "(SELECT rowid FROM issued_letters_fts WHERE text MATCH :f))",
        "c.id IN (SELECT case_id FROM recommendations WHERE id IN "
        "(SELECT rowid FROM recommendations_fts WHERE text MATCH :f))",
    ),
}
_OWN = {
    "postgresql": "(c.number || ' ' || c.reported_name || ' ' || c.reported_nip || ' ' || c.summary) ILIKE %(t)s",
    "sqlite": "c.id IN (SELECT rowid FROM cases_fts WHERE text MATCH :f)",
}
_PPK = {
    "postgresql": "c.agency_id = %(agency)s AND c.issued_at IS NOT NULL",
    "sqlite": "c.agency_id = :agency AND c.issued_at IS NOT NULL",
}
_COLUMNS = (
    "c.status, c.id, c.number, c.version, c.agency_id, c.category, c.subcategory, c.source, c.reported_name, "
    "c.reported_nip, c.reported_position, c.summary, c.occurred_on, c.created_at, c.updated_at, c.issued_at, "
    "a.code, a.name, a.kind, a.timezone, CASE WHEN r.issued_at IS NOT NULL THEN r.due_at END, r.escalation_level, "
    "(r.is_open AND r.issued_at IS NOT NULL AND r.due_at < {now})"
)


def bare_sql(dialect: str, ppk: bool) -> str:
    """The page of the search as a person would write it in SQL for `dialect`."""
    now = "%(now)s" if dialect == "postgresql" else ":now"
    where = f"({_OWN[dialect]} OR " + " OR ".join(_ARMS[dialect]) + ")"
    if ppk:
        where += f" AND {_PPK[dialect]}"
    return (
        f"SELECT {_COLUMNS.format(now=now)} FROM cases c JOIN agencies a ON a.id = c.agency_id "  # noqa: S608
        f"LEFT JOIN recommendations r ON r.case_id = c.id WHERE {where} ORDER BY c.id DESC LIMIT {PAGE}"
    )


def count_sql(dialect: str) -> str:
    where = f"({_OWN[dialect]} OR " + " OR ".join(_ARMS[dialect]) + ")"
    return f"SELECT count(*) FROM cases c WHERE {where}"  # noqa: S608


def prepare(url: str, cases: int | None, reuse: bool) -> tuple[Any, str, int]:
    """The app on a ready data set (generated unless `reuse`), migrated, with its letter register filled."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app.db import db
    from bench.datagen import dataset, make_app

    if not reuse:
        url = dataset(cases, url=url or None).url
    app = make_app(url)
    with app.app_context():
        if reuse:
            upgrade(directory=str(ROOT / "migrations"))
        if not reuse:  # an existing database keeps its register as it is (filling it is slow on a large one)
            _fill_register(url)
        total = db.session.scalar(text("SELECT count(*) FROM cases"))
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return app, url, int(total or 0)


def _fill_register(url: str) -> None:
    """The letter register from the recommendations' letter numbers, where a case has no row (datagen writes
    none), committed."""
    from sqlalchemy import text

    from app.db import db

    db.session.execute(
        text(
            "INSERT INTO issued_letters (case_id, kind, authority, series, year, seq, number, issued_at, "
            "signer_title) SELECT r.case_id, 'recommendation', 'KASN', 'rekomendasi', "
            + (
                "CAST(EXTRACT(YEAR FROM r.issued_at) AS INTEGER)"
                if url.startswith("postgres")
                else "CAST(strftime('%Y', r.issued_at) AS INTEGER)"
            )  # fmt: skip
            + ", NULL, r.letter_number, r.issued_at, 'Komisioner' FROM recommendations r "
            "WHERE r.letter_number IS NOT NULL AND r.issued_at IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM issued_letters l WHERE l.case_id = r.case_id)"
        )
    )
    db.session.commit()


def pick_terms(app: Any) -> tuple[list[tuple[str, str]], int]:
    """(kind, term) per kind of term, from the data; and the agency with the most issued cases."""
    from sqlalchemy import func, select

    from app.db import db
    from app.models.agencies import Agency
    from app.models.cases import Case, FollowUp, Recommendation

    with app.app_context():
        newest = db.session.scalar(select(func.max(Case.id))) or 1
        middle = db.session.execute(
            select(Case.number, Case.reported_name, Case.reported_nip).where(Case.id <= newest // 2)
            .order_by(Case.id.desc()).limit(1)
        ).one()  # columns only: a database migrated by an older tree may lack a newer column  # fmt: skip
        surnames = db.session.execute(select(Case.reported_name).where(Case.id > newest - 2000).limit(500)).scalars()
        counts: dict[str, int] = {}
        for name in surnames:
            counts[name.split()[-1]] = counts.get(name.split()[-1], 0) + 1
        surname = max(counts, key=lambda k: counts[k])
        per_agency = (
            select(Case.agency_id, func.count().label("n")).where(Case.issued_at.is_not(None)).group_by(Case.agency_id)
        ).subquery()
        ranked = db.session.execute(
            select(Agency.id, Agency.name, Agency.code).join(per_agency, per_agency.c.agency_id == Agency.id)
            .order_by(per_agency.c.n.desc())
        ).all()  # fmt: skip
        largest = ranked[0][0]
        median_agency = ranked[len(ranked) // 2]
        sk = db.session.scalar(select(FollowUp.decision_number).where(FollowUp.case_id <= newest // 3).order_by(
            FollowUp.case_id.desc()).limit(1))  # fmt: skip
        letter = db.session.scalar(
            select(Recommendation.letter_number).where(
                Recommendation.letter_number.is_not(None), Recommendation.case_id <= newest // 4
            ).order_by(Recommendation.case_id.desc()).limit(1)
        )  # fmt: skip
        terms = [
            ("case number", middle.number),
            ("surname (common)", surname),
            ("full name", middle.reported_name),
            ("NIP", middle.reported_nip),
            ("agency name", median_agency[1]),
            ("agency code", median_agency[2]),
            ("SK number", sk or NO_MATCH),
            ("letter number", letter or NO_MATCH),
            ("no match", NO_MATCH),
        ]
        db.session.remove()
    return terms, largest


def _pattern(term: str) -> str:
    from app.cases.search import like_literal

    return f"%{like_literal(term.strip().lower())}%"


def _phrase(term: str) -> str:
    """SQLite's full-text query of `term`: the term as one phrase, or its digits alone (a NIP typed in groups)."""
    term = term.strip().lower()
    digits = term.replace(" ", "")
    phrases = [term, digits] if digits.isdigit() and digits != term else [term]
    return " OR ".join('"' + phrase.replace('"', '""') + '"' for phrase in phrases)


def interleaved(app_once: Any, bare_once: Any, repeat: int) -> dict[str, float]:
    """`app_once` and `bare_once` timed `repeat` times each, one after the other: their p50 and p95 in ms."""
    app_times, bare_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        app_once()
        app_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        bare_once()
        bare_times.append(time.perf_counter() - started)
    return {
        "app_p50": _ms(app_times, 0.5),
        "app_p95": _ms(app_times, 0.95),
        "bare_p50": _ms(bare_times, 0.5),
        "bare_p95": _ms(bare_times, 0.95),
    }


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def parse(argv: list[str] | None, doc: str) -> argparse.Namespace:
    """The options of the benchmarks that read bench.datagen's data set (this one, bench.queue, bench.dashboard)."""
    small = os.environ.get("BENCH_SCALE", "full").strip().lower() == "small"
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--cases", type=int, default=None, help="data set size (default 1,000,000; small: 20,000)")
    parser.add_argument("--repeat", type=int, default=10 if small else 25)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--reuse", action="store_true", help="read --database-url as it is (no regeneration)")
    args = parser.parse_args(argv)
    if args.reuse and not args.database_url:
        parser.error("--reuse needs --database-url (or BENCH_DATABASE_URL)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv, __doc__ or "")

    from sqlalchemy import select

    from app.auth.services import TokenCaller
    from app.cases import listing
    from app.db import db
    from app.models.auth import User

    app, url, total = prepare(args.database_url, args.cases, args.reuse)
    dialect = "postgresql" if url.startswith("postgres") else "sqlite"
    terms, largest = pick_terms(app)
    results: list[dict[str, Any]] = []
    with app.app_context():
        who = select(User.id, User.role, User.agency_id, User.body)
        investigator = TokenCaller(
            *db.session.execute(who.where(User.role == "investigator").order_by(User.id)).first()
        )
        ppk = TokenCaller(*db.session.execute(who.where(User.role == "ppk", User.agency_id == largest)).first())
        callers = [("investigator", investigator), ("PPK, largest agency", ppk)]
        raw = db.engine.raw_connection()
        cursor = raw.cursor()
        now = datetime.now(UTC)
        now_param = now if dialect == "postgresql" else now.replace(tzinfo=None).isoformat(" ")
        matches: dict[str, int] = {}
        for kind, term in terms:
            cursor.execute(AGENCIES_SQL[dialect], {"t": _pattern(term)})
            agencies = ", ".join(str(int(row[0])) for row in cursor.fetchall()) or "NULL"
            searched = {"t": _pattern(term), "f": _phrase(term)}
            cursor.execute(count_sql(dialect).replace("{agencies}", agencies), searched)
            matches[kind] = cursor.fetchone()[0]
        raw.rollback()
        for caller_name, caller in callers:
            bare_statement = bare_sql(dialect, caller_name != "investigator")
            for kind, term in terms:
                params = {"t": _pattern(term), "f": _phrase(term), "now": now_param, "agency": largest}

                def app_once(term: str = term, caller: Any = caller) -> int:
                    items, _ = listing.list_cases(caller, {"q": term}, PAGE, None)
                    db.session.rollback()
                    return len(items)

                def bare_once(statement: str = bare_statement, params: dict = params) -> int:
                    cursor.execute(AGENCIES_SQL[dialect], params)
                    agencies = ", ".join(str(int(row[0])) for row in cursor.fetchall()) or "NULL"
                    cursor.execute(statement.replace("{agencies}", agencies), params)
                    rows = cursor.fetchall()
                    raw.rollback()
                    return len(rows)

                app_rows, bare_rows = app_once(), bare_once()  # warm up; both give the same page
                assert app_rows == bare_rows, (kind, caller_name, app_rows, bare_rows)
                row = {
                    "caller": caller_name,
                    "kind": kind,
                    "term": term,
                    "rows": app_rows,
                    "matches": matches[kind],
                    **interleaved(app_once, bare_once, args.repeat),
                }
                results.append(row)
                print(
                    f"  {caller_name:20} {kind:17} {term[:32]!r:34} matches {row['matches']:>9,}  page {app_rows:>2}  "
                    f"app p50 {row['app_p50']:7.1f} ms p95 {row['app_p95']:7.1f} ms | "
                    f"bare p50 {row['bare_p50']:7.1f} ms p95 {row['bare_p95']:7.1f} ms",
                    file=sys.stderr,
                    flush=True,
                )
        cursor.close()
        raw.close()
        db.engine.dispose()

    slowest = max(results, key=lambda r: r["app_p95"])
    ratio = sum(r["app_p50"] for r in results) / max(sum(r["bare_p50"] for r in results), 1e-9)
    met = slowest["app_p95"] <= TARGET_MS
    target = f"target <= {TARGET_MS:g} ms"
    print(
        f"search (q) at {total:,} cases ({dialect}): slowest p95 {slowest['app_p95']:.1f} ms ({slowest['caller']}, "
        f"{slowest['kind']}; {target}), median p50 {statistics.median(r['app_p50'] for r in results):.1f} ms over "
        f"{len(results)} kinds; bare SQL slowest p95 {max(r['bare_p95'] for r in results):.1f} ms; ratio {ratio:.2f} "
        f"(app / bare, sum of medians; {args.repeat} runs each)"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
