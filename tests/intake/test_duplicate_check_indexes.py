"""The duplicate check reads its indexes (migration 0023): the same name in the same agency from the index of
(agency_id, lower(reported_name), id) on both databases; the same event, on PostgreSQL, from the GiST index of
(occurred_on, summary) that gives the nearest descriptions first. The answers are those of a plain reading: the
ten most similar descriptions of the window, most similar first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, text

from app.cases.duplicates import MAX_CANDIDATES, find_duplicates
from app.db import db
from app.models.intake import EVENT_INDEXES, NAME_IN_AGENCY_INDEXES
from tests.factories import NIPS, S, case_in, make_cast

QUERY_WORDS = "kepala dinas hadir berpidato kampanye terbuka pasangan calon bupati lapangan kota pagi"
EXTRA_WORDS = [
    "membawa",
    "spanduk",
    "bendera",
    "relawan",
    "warga",
    "desa",
    "sekitar",
    "kecamatan",
    "selatan",
    "utara",
    "timur",
    "barat",
]


def _sent(check: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The statements `check` sends, with their parameters, as the application sends them."""
    sent: list[tuple[str, Any]] = []

    def catch(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", catch)
    try:
        check()
    finally:
        event.remove(db.engine, "before_cursor_execute", catch)
    return sent


def _plan(statement: str, parameters: Any) -> str:
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(row[0] for row in rows)
    rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    return "\n".join(str(row[-1]) for row in rows)


def test_the_most_similar_descriptions_of_the_window_come_first_ten_at_most():
    """Twelve cases around the day tell the event with more and more words of their own: the check shows the ten
    most alike, most alike first (pg_trgm's nearest from the index on PostgreSQL, shared words on SQLite); a case
    outside the window, however alike, is not among them."""
    cast = make_cast()
    told = []
    for extra in range(12):
        summary = " ".join([QUERY_WORDS, *EXTRA_WORDS[:extra]])
        day = f"2026-11-{8 + extra % 5:02d}"  # within 3 days of the 10th
        told.append(
            case_in(
                cast,
                S.REPORTED,
                summary=summary,
                occurred_on=day,
                reported_person={"name": f"ASN {extra}", "nip": NIPS[extra % 4]},
            )
        )
    far = case_in(cast, S.REPORTED, summary=QUERY_WORDS, occurred_on="2026-11-01")

    found = find_duplicates(nip=None, name=None, agency_id=None, summary=QUERY_WORDS, occurred_on=date(2026, 11, 10))
    assert [entry["label"] for entry in found] == [case.number for case in told[:MAX_CANDIDATES]]
    scores = [entry["similarity"] for entry in found]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)
    assert scores[0] == 1.0 and scores[-1] >= 0.4
    assert all(entry["reasons"] == ["similar_event"] for entry in found)
    assert far.number not in {entry["label"] for entry in found}


def test_the_same_name_in_the_agency_is_read_from_its_index():
    cast = make_cast()
    same = case_in(cast, S.REPORTED, reported_person={"name": "Rahmat Hidayat", "nip": NIPS[1]})
    case_in(cast, S.REPORTED, agency=cast.other_agency, reported_person={"name": "Rahmat Hidayat", "nip": NIPS[2]})

    def check() -> None:
        found = find_duplicates(
            nip=None, name="  RAHMAT   hidayat ", agency_id=cast.agency.id, summary=None, occurred_on=None
        )
        assert [(entry["label"], entry["reasons"]) for entry in found] == [(same.number, ["name_agency"])]

    sent = _sent(check)
    named = [(s, p) for s, p in sent if "lower(" in s and "FROM cases" in s]
    assert len(named) == 1, sent
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a large table's prices on a small one
    plan = _plan(*named[0])
    db.session.rollback()
    assert NAME_IN_AGENCY_INDEXES[0] in plan, plan


@pytest.mark.postgres
def test_postgresql_has_the_indexes_of_the_check():
    rows = dict(
        db.session.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(:names)"),
            {"names": [*NAME_IN_AGENCY_INDEXES, *EVENT_INDEXES]},
        ).all()
    )
    assert set(rows) == {*NAME_IN_AGENCY_INDEXES, *EVENT_INDEXES}
    for name in EVENT_INDEXES:
        assert "USING gist (occurred_on, summary gist_trgm_ops)" in rows[name], rows[name]
    for name in NAME_IN_AGENCY_INDEXES:
        assert "(agency_id, lower((reported_name)::text), id)" in rows[name], rows[name]


@pytest.mark.postgres
def test_on_postgresql_the_same_event_is_read_from_the_gist_index_nearest_first():
    """The check's own statements, as the application sends them: with the table scans and sorts priced out, as
    they are on a large table, each description's likeness is answered by the GiST index, which also gives the
    order (the nearest first); a statement the index cannot serve would scan or sort all the same."""
    cast = make_cast()
    case_in(cast, S.REPORTED, summary=QUERY_WORDS, occurred_on="2026-11-09")
    sent = _sent(
        lambda: find_duplicates(
            nip=None, name=None, agency_id=None, summary=QUERY_WORDS, occurred_on=date(2026, 11, 10)
        )
    )
    conn = db.session.connection()
    for statement, parameters in sent:  # the threshold of `%`, for the transaction
        if "set_config" in statement:
            conn.exec_driver_sql(statement, parameters)
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    conn.exec_driver_sql("SET LOCAL enable_sort = off")
    alike = [(s, p) for s, p in sent if "<->" in s]
    assert len(alike) == 1, sent  # the cases and the open reports, in one statement
    plan = _plan(*alike[0])
    db.session.rollback()
    for index in EVENT_INDEXES:
        assert f"Index Scan using {index}" in plan, plan
    assert plan.count("Order By: (summary <-> ") == 2, plan
    assert "Sort" not in plan and "Seq Scan" not in plan, plan
