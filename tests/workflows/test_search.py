"""The case list's search (`q`): a minimum term of three letters or digits (422 naming the field, in Indonesian),
matches in every searched column whatever the case, and on PostgreSQL a plan that reads the trigram index."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.cases import listing
from app.cases.schemas import SEARCH_TOO_SHORT
from app.core.clock import utcnow
from app.db import db
from app.errors import ValidationFailed
from app.models.cases import SEARCH_INDEX
from tests.factories import NIPS, S, case_in, make_cast

MESSAGE = "Kata pencarian (q) minimal 3 huruf atau angka."


@pytest.mark.parametrize("term", ["a", "ab", " ab ", "a-b", "%%%", "a b"])
def test_a_term_under_three_letters_or_digits_is_refused_naming_the_field(api, term):
    cast = make_cast()
    case_in(cast, S.REPORTED, reported_person={"name": "Ab Abadi", "nip": NIPS[1]})
    for path in ("/api/v1/cases", "/api/v1/cases/export"):
        response = api(cast.investigator).get(path, query_string={"q": term})
        assert response.status_code == 422, (path, response.get_data(as_text=True))
        error = response.get_json()["error"]
        assert error["code"] == "validation_error"
        assert error["details"]["fields"] == {"q": [MESSAGE]}
    assert SEARCH_TOO_SHORT == MESSAGE


def test_the_service_refuses_a_short_term_too(make_user):
    with pytest.raises(ValidationFailed) as caught:
        listing.list_cases(make_user("investigator"), {"q": "ab"}, 25, None)
    assert caught.value.details == {"fields": {"q": [MESSAGE]}}


def test_three_letters_or_digits_search_every_column_whatever_the_case(api):
    cast = make_cast()
    named = case_in(cast, S.REPORTED, reported_person={"name": "Rahmat Hidayat", "nip": NIPS[1]})
    summarised = case_in(cast, S.REPORTED, summary="Memasang Baliho partai di kantor kecamatan.")
    by_nip = case_in(cast, S.REPORTED, reported_person={"name": "Tono Sutono", "nip": NIPS[2]})
    user = api(cast.investigator)

    def found(term: str) -> set[int]:
        response = user.get("/api/v1/cases", query_string={"q": term})
        assert response.status_code == 200, response.get_json()
        return {c["id"] for c in response.get_json()["items"]}

    assert found("HIDAYAT") == {named.id}
    assert found("rah") == {named.id}
    assert found("BALIHO") == {summarised.id}
    assert found(NIPS[2][6:14]) == {by_nip.id}  # digits from the middle of the NIP
    assert found(f"{NIPS[2][:8]} {NIPS[2][8:14]}") == {by_nip.id}  # typed in groups
    assert found(summarised.number.lower()) == {summarised.id}
    assert found(f"  {by_nip.number[-6:]}  ") == {by_nip.id}
    assert found("tidak-ada-yang-begini") == set()


def test_percent_and_underscore_are_searched_as_typed_not_as_wildcards(api):
    cast = make_cast()
    percent = case_in(cast, S.REPORTED, summary="Memotong honor 50% tanpa dasar.")
    plain = case_in(cast, S.REPORTED, summary="Memotong honor 500 ribu tanpa dasar.")
    underscore = case_in(cast, S.REPORTED, summary="Akun media sosial dinas_kominfo dipakai kampanye.")
    other = case_in(cast, S.REPORTED, summary="Akun media sosial dinasXkominfo dipakai kampanye.")
    user = api(cast.investigator)

    def found(term: str) -> set[int]:
        response = user.get("/api/v1/cases", query_string={"q": term})
        assert response.status_code == 200, response.get_json()
        return {c["id"] for c in response.get_json()["items"]}

    assert found("honor 50%") == {percent.id}
    assert found("honor 50") == {percent.id, plain.id}
    assert found("dinas_kominfo") == {underscore.id}
    assert other.id in found("kominfo")
    assert found("hon%r") == set()


@pytest.mark.postgres
def test_postgresql_has_the_trigram_index_of_the_searched_text():
    definition = db.session.scalar(
        text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": SEARCH_INDEX}
    )
    assert definition is not None
    assert "USING gin" in definition and "gin_trgm_ops" in definition
    for column in ("number", "reported_name", "reported_nip", "summary"):
        assert column in definition


@pytest.mark.postgres
@pytest.mark.parametrize("term", ["tidak-ada-yang-begini", NIPS[3], "1990 0303"])
def test_on_postgresql_a_search_reads_the_trigram_index(term):
    """The list's own statement, as the application sends it (bound parameters): with the table scans priced out,
    as they are for a large table, the plan is a bitmap scan of the trigram index. A query whose text differs
    from the index expression (or no index) would scan all the same."""
    now = utcnow()
    values = listing.filter_values({"q": term}, now)
    # the agencies' ids are written into the SQL as values when it runs (app.cases.search): render them here
    stmt = listing._list_statement("all", listing.filter_shape(values), False)
    conn = db.session.connection()
    run = stmt.compile(dialect=conn.dialect).construct_expanded_state({**values, "page_size": 26, "now": now})
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
    plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {run.statement}", run.parameters))
    db.session.rollback()
    assert f"Bitmap Index Scan on {SEARCH_INDEX}" in plan, plan
    assert "Seq Scan on cases" not in plan, plan
