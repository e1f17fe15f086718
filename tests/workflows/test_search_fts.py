"""SQLite's search reads full-text tables (migration 0027): FTS5 with the trigram tokenizer over the four searched
texts, kept by triggers as rows are written, changed and deleted; the search's answers are the LIKE's, read from
the rows those tables give; a database migrated up from before 0027 has its existing rows indexed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.cases import listing
from app.cases.search import fts_query
from app.db import db
from app.models.auth import User
from app.models.cases import CASES_FTS, FOLLOW_UPS_FTS, ISSUED_LETTERS_FTS, RECOMMENDATIONS_FTS
from tests.clocked import SUITE_NOW
from tests.conftest import ON_POSTGRES
from tests.factories import NIPS, S, case_in, make_cast

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's full-text tables (PostgreSQL reads pg_trgm)")

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
ALL_FTS = (CASES_FTS, FOLLOW_UPS_FTS, ISSUED_LETTERS_FTS, RECOMMENDATIONS_FTS)


def rows_holding(fts: str, term: str) -> set[int]:
    stmt = text(f"SELECT rowid FROM {fts} WHERE text MATCH :query")  # noqa: S608 - a name of ALL_FTS
    return set(db.session.scalars(stmt, {"query": fts_query(term)}))


def found(user, term: str) -> set[int]:
    response = user.get("/api/v1/cases", query_string={"q": term, "limit": 100})
    assert response.status_code == 200, response.get_json()
    return {c["id"] for c in response.get_json()["items"]}


def test_the_case_text_is_indexed_as_it_is_written_changed_and_deleted():
    cast = make_cast()
    case = case_in(cast, S.REPORTED, reported_person={"name": "Rahmat Hidayat", "nip": NIPS[1]})
    other = case_in(cast, S.REPORTED, summary="Memasang baliho di kantor camat.")
    assert rows_holding(CASES_FTS, "hidayat") == {case.id}
    assert rows_holding(CASES_FTS, NIPS[1][4:12]) == {case.id}
    assert rows_holding(CASES_FTS, case.number) == {case.id}

    db.session.execute(text("UPDATE cases SET summary = 'Mengunggah dukungan kepada calon bupati.' WHERE id = :id"),
                       {"id": other.id})  # fmt: skip
    db.session.commit()
    assert rows_holding(CASES_FTS, "baliho") == set()
    assert rows_holding(CASES_FTS, "calon bupati") == {other.id}
    db.session.execute(text("UPDATE cases SET reported_name = 'Rahmat Hidayah' WHERE id = :id"), {"id": case.id})
    db.session.commit()
    assert rows_holding(CASES_FTS, "hidayat") == set()
    assert rows_holding(CASES_FTS, "hidayah") == {case.id}

    db.session.execute(text("PRAGMA foreign_keys = OFF"))  # the row alone, whatever refers to it
    db.session.execute(text("DELETE FROM cases WHERE id = :id"), {"id": other.id})
    db.session.commit()
    db.session.execute(text("PRAGMA foreign_keys = ON"))
    assert rows_holding(CASES_FTS, "calon bupati") == set()
    assert rows_holding(CASES_FTS, "hidayah") == {case.id}
    for fts in ALL_FTS:  # the index's own structure is sound after the deletes
        db.session.execute(text(f"INSERT INTO {fts} ({fts}) VALUES ('integrity-check')"))  # noqa: S608


def test_the_letter_numbers_are_indexed_by_row(api):
    cast = make_cast()
    case = case_in(cast, S.FOLLOW_UP_REPORTED)
    follow_up, letter_number = db.session.execute(
        text("SELECT f.id, r.letter_number FROM follow_ups f JOIN recommendations r ON r.case_id = f.case_id "
             "WHERE f.case_id = :id"), {"id": case.id}
    ).one()  # fmt: skip
    decision = db.session.scalar(text("SELECT decision_number FROM follow_ups WHERE id = :id"), {"id": follow_up})
    assert follow_up in rows_holding(FOLLOW_UPS_FTS, decision)
    assert letter_number and rows_holding(RECOMMENDATIONS_FTS, letter_number)
    registered = db.session.scalars(text("SELECT number FROM issued_letters WHERE case_id = :id"), {"id": case.id})
    for number in registered:
        assert rows_holding(ISSUED_LETTERS_FTS, number)

    db.session.execute(text("UPDATE follow_ups SET decision_number = 'SK-ZQX/77/2026' WHERE id = :id"),
                       {"id": follow_up})  # fmt: skip
    db.session.commit()
    assert follow_up not in rows_holding(FOLLOW_UPS_FTS, decision)
    assert rows_holding(FOLLOW_UPS_FTS, "zqx/77") == {follow_up}
    assert found(api(cast.investigator), "SK-ZQX/77") == {case.id}


def test_the_text_holds_the_term_as_typed_whatever_it_holds(api):
    """A double quote is a character to find (as `%` and `_` are: tests/workflows/test_search.py); the case is
    ignored beyond ASCII too (SQLite's LIKE folded ASCII only), accents are not."""
    cast = make_cast()
    quoted = case_in(cast, S.REPORTED, summary='Menulis "dukung nomor 2" di grup dinas.')
    unquoted = case_in(cast, S.REPORTED, summary="Menulis dukung nomor 2 di grup dinas.")
    accented = case_in(cast, S.REPORTED, summary="Menghadiri acara ÉLITE partai.")
    user = api(cast.investigator)
    assert found(user, '"dukung nomor 2"') == {quoted.id}
    assert found(user, "dukung nomor 2") == {quoted.id, unquoted.id}
    assert found(user, 'nomor 2"') == {quoted.id}
    assert found(user, "élite") == {accented.id}
    assert found(user, "ÉLITE") == {accented.id}
    assert found(user, "acara elite") == set()
    assert found(user, "LITE PARTAI") == {accented.id}
    assert found(user, "zqxjv") == set()


@pytest.mark.parametrize("term", ["zqxjv", "nkk-2026-000123", "1986 0926"])
@pytest.mark.parametrize("page", ["api", "numbered"])
def test_the_list_statements_read_the_full_text_tables(term, page):
    """The list's own statements as the application sends them (the API's newest-first page, the numbered page in
    its urgency order): SQLite's plan reads each full-text table and looks cases up by id — no walk of `cases` or
    a letter table (or of an index of theirs) testing each row."""
    now = SUITE_NOW  # the suite's clock (tests/clocked.py)
    values = listing.filter_values({"q": term}, now)
    assert values["f_fts"] == {"zqxjv": '"zqxjv"', "nkk-2026-000123": '"000123"'}.get(term, '"1986 0926" OR "19860926"')
    shape = listing.filter_shape(values)
    if page == "api":
        stmt = listing._list_statement("all", shape, False)
    else:
        stmt = listing._page_statement("all", shape, listing.URGENCY, False)
    conn = db.session.connection()
    state = {**values, "page_size": 26, "skip": 0, "now": now}
    run = stmt.compile(dialect=conn.dialect).construct_expanded_state(state)
    parameters = tuple(run.parameters[name] for name in run.positiontup or ())
    plan = "\n".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {run.statement}", parameters))
    db.session.rollback()
    for fts in ALL_FTS:
        assert f"SCAN {fts} VIRTUAL TABLE INDEX" in plan, plan
    for table in ("cases", "follow_ups", "issued_letters", "recommendations"):  # no walk of a table, its index
        assert not re.search(rf"\bSCAN {table}\b", plan), plan  # either (a row or an id looked up: SEARCH)


def test_a_grouped_nip_reads_both_phrases():
    assert fts_query("1986 0926", "19860926") == '"1986 0926" OR "19860926"'
    assert fts_query('a"b') == '"a""b"'


def test_migrating_up_indexes_the_rows_already_there(api):
    cast = make_cast()
    case = case_in(cast, S.REPORTED, summary="Mengunggah foto bersama kandidat wali kota.")
    case_id, investigator_id = case.id, cast.investigator.id
    db.session.remove()
    downgrade(directory=MIGRATIONS, revision="0026")
    try:
        names = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE name LIKE '%\\_fts%' ESCAPE '\\'")))
        assert names == set()
        db.session.remove()
    finally:
        upgrade(directory=MIGRATIONS)
    db.session.remove()
    assert rows_holding(CASES_FTS, "kandidat wali") == {case_id}
    assert found(api(db.session.get(User, investigator_id)), "kandidat wali") == {case_id}


def test_every_indexed_table_keeps_its_three_triggers():
    """A later migration that rebuilds one of the four tables in SQLite's batch mode loses its triggers, and the
    index would silently fall behind (migration 0027 says to create them again): the head has all twelve."""
    triggers = dict(db.session.execute(text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")).all())
    tables = {CASES_FTS: "cases", FOLLOW_UPS_FTS: "follow_ups", ISSUED_LETTERS_FTS: "issued_letters",
              RECOMMENDATIONS_FTS: "recommendations"}  # fmt: skip
    for fts, table in tables.items():
        for event in ("insert", "update", "delete"):
            assert triggers.get(f"{fts}_{event}") == table, (fts, event, triggers)
