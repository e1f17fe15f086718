"""Benchmark: the first page of "Antrean saya" (`app.cases.queue.my_queue`, what `/antrean` and
`GET /api/v1/me/queue` read) per role at 1,000,000 cases, against a bare query measured in the same run.

    .venv/bin/python -m bench.queue [--cases N] [--repeat 25] [--database-url URL] [--reuse]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/tindak_bench .venv/bin/python -m bench.queue

The data set is bench.datagen's (1,000,000 cases by default, BENCH_SCALE=small 20,000; regenerated in
BENCH_DATABASE_URL as every benchmark does, or an SQLite file reused; `--reuse` reads the database at
--database-url as it is, migrated to the head and analysed first: `bench.search.prepare`). The callers are the
data's own users: the investigator with the most open cases assigned, a signing official (commissioner: every
draft by someone else and every open objection), the PPK of the agency with the most issued cases, and an overseer
of each ministry. Each asks for its first page (50 items), `--repeat` times, interleaved with the bare query:

- the app: `my_queue(user, 50)` in a transaction of its own, rows turned into the API's items;
- bare: the newest page of the cases the same caller may see (the case list's first page, written by hand in SQL:
  `SELECT … FROM cases JOIN agencies LEFT JOIN recommendations WHERE <visibility> ORDER BY id DESC LIMIT 50`)
  through the driver's cursor — what a page of cases costs when an index gives its order.

Prints each role's p50 and p95 (ms) for both and how many items the page held, and one summary line: the slowest
role's p95 and the ratio app / bare (sum of the roles' medians). No target: the figures are compared run to run.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.search import interleaved, parse, prepare  # noqa: E402 - the data set and the timing, as the search's

PAGE = 50

_VISIBILITY = {
    "all": "TRUE",
    "agency": "c.agency_id = {agency} AND c.issued_at IS NOT NULL",
    "body": "EXISTS (SELECT 1 FROM escalation_steps s WHERE s.case_id = c.id AND s.level >= 2 AND s.body = '{body}')",
}


def bare_sql(rule: str, agency: int | None, body: str | None) -> str:
    """The newest page of the cases a caller of visibility `rule` may see, written by hand."""
    where = _VISIBILITY[rule].format(agency=int(agency or 0), body=str(body or "").replace("'", ""))
    return (
        "SELECT c.status, c.id, c.number, c.version, c.agency_id, c.category, c.reported_name, c.reported_nip, "  # noqa: S608
        "c.summary, c.created_at, a.code, a.name, a.timezone, r.due_at, r.escalation_level "
        "FROM cases c JOIN agencies a ON a.id = c.agency_id LEFT JOIN recommendations r ON r.case_id = c.id "
        f"WHERE {where} ORDER BY c.id DESC LIMIT {PAGE}"
    )


def pick_callers(app: Any) -> list[tuple[str, int]]:
    """(label, user id) of each role the benchmarks ask as: the investigator with the most open cases assigned, a
    signing official, the PPK of the agency with the most issued cases, an overseer of each ministry."""
    from sqlalchemy import func, select

    from app.core.states import TERMINAL_STATUSES
    from app.db import db
    from app.models.auth import User
    from app.models.cases import Case

    with app.app_context():
        first = select(User.id).order_by(User.id).limit(1)
        investigator = db.session.scalar(
            select(User.id)
            .outerjoin(Case, (Case.assignee_id == User.id) & Case.status.not_in([s.value for s in TERMINAL_STATUSES]))
            .where(User.role == "investigator")
            .group_by(User.id)
            .order_by(func.count(Case.id).desc(), User.id)
            .limit(1)
        )
        commissioner = db.session.scalar(first.where(User.role == "commissioner"))
        largest = db.session.scalar(
            select(Case.agency_id)
            .where(Case.issued_at.is_not(None))
            .group_by(Case.agency_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        ppk = db.session.scalar(first.where(User.role == "ppk", User.agency_id == largest))
        callers = [
            ("investigator", investigator),
            ("signing official", commissioner),
            ("PPK, largest agency", ppk),
        ]
        for body in ("menpanrb", "kemendagri"):
            callers.append(
                (f"overseer {body}", db.session.scalar(first.where(User.role == "overseer", User.body == body)))
            )
        db.session.remove()
    return [(name, int(user_id)) for name, user_id in callers if user_id is not None]


def measure(
    app: Any,
    callers: list[tuple[str, int]],
    repeat: int,
    app_once: Callable[[Any], int],
    label: str,
) -> list[dict[str, Any]]:
    """For each caller: `app_once(user)` (returns how many items it read) and the bare newest page of the cases the
    caller may see, `repeat` times each, interleaved; each row's p50/p95 in ms, printed as it goes."""
    from app.cases.access import _visibility
    from app.db import db
    from app.models.auth import User

    results: list[dict[str, Any]] = []
    with app.app_context():
        raw = db.engine.raw_connection()
        cursor = raw.cursor()
        for name, user_id in callers:
            user = db.session.get(User, user_id)
            assert user is not None
            rule, _values = _visibility(user)
            statement = bare_sql(rule, user.agency_id, user.body)

            def bare_once(statement: str = statement) -> int:
                cursor.execute(statement)
                rows = cursor.fetchall()
                raw.rollback()
                return len(rows)

            def app_timed(user: Any = user) -> int:
                with app.test_request_context("/"):
                    items = app_once(user)
                    db.session.rollback()
                return items

            items = app_timed()  # warm up
            bare_once()
            row = {"caller": name, "items": items, **interleaved(app_timed, bare_once, repeat)}
            results.append(row)
            print(
                f"  {label} {name:22} items {items:>6,}  app p50 {row['app_p50']:8.1f} ms p95 {row['app_p95']:8.1f} ms"
                f" | bare p50 {row['bare_p50']:6.1f} ms p95 {row['bare_p95']:6.1f} ms",
                file=sys.stderr,
                flush=True,
            )
        cursor.close()
        raw.close()
        db.session.remove()
        db.engine.dispose()
    return results


def summary(what: str, total: int, dialect: str, results: list[dict[str, Any]], repeat: int) -> str:
    slowest = max(results, key=lambda r: r["app_p95"])
    ratio = sum(r["app_p50"] for r in results) / max(sum(r["bare_p50"] for r in results), 1e-9)
    per_role = ", ".join(f"{r['caller']} {r['app_p50']:.1f}/{r['app_p95']:.1f}" for r in results)
    return (
        f"{what} at {total:,} cases ({dialect}): slowest p95 {slowest['app_p95']:.1f} ms ({slowest['caller']}), "
        f"median p50 {statistics.median(r['app_p50'] for r in results):.1f} ms over {len(results)} roles "
        f"(p50/p95 ms: {per_role}); bare newest page slowest p95 {max(r['bare_p95'] for r in results):.1f} ms; "
        f"ratio {ratio:.2f} (app / bare, sum of medians; {repeat} runs each)"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv, __doc__ or "")
    from app.cases.queue import my_queue

    app, url, total = prepare(args.database_url, args.cases, args.reuse)
    dialect = "postgresql" if url.startswith("postgres") else "sqlite"
    callers = pick_callers(app)

    def first_page(user: Any) -> int:
        items, _cursor = my_queue(user, PAGE)
        return len(items)

    results = measure(app, callers, args.repeat, first_page, "queue")
    print(summary("queue first page", total, dialect, results, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
