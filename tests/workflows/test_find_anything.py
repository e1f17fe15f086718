"""One search (`q`) over every field a person looks a case up by — number, reported person's name and NIP, agency
(name and code), the PPK's decision letter (SK) number, the authority's letter numbers — that never returns a
case its caller may not see; and the caller's saved filters (`/api/v1/me/filters`), each user's own."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from app.cases import listing, search
from app.core.clock import utcnow
from app.db import db
from app.models.cases import LETTER_SEARCH_INDEXES, SEARCH_INDEX, Recommendation
from app.models.letters import IssuedLetter
from tests.factories import NIPS, E, S, case_in, make_agency, make_cast, payload_for
from workflows import fire


def _reported_with_sk(cast, decision_number: str, **case_kw):
    """A case whose PPK reported the follow-up with the SK numbered `decision_number`."""
    case = case_in(cast, S.AWAITING_FOLLOW_UP, **case_kw)
    payload = {**payload_for(case, E.REPORT_FOLLOW_UP), "decision_number": decision_number}
    fire(case, E.REPORT_FOLLOW_UP, cast.ppk, payload, expected_version=case.version)
    db.session.commit()
    return case


def _found(user, term: str) -> set[int]:
    response = user.get("/api/v1/cases", query_string={"q": term, "limit": 100})
    assert response.status_code == 200, response.get_json()
    return {c["id"] for c in response.get_json()["items"]}


def test_the_search_finds_a_case_by_each_kind_of_field(api):
    sea = make_agency(code="KKP", name="Kementerian Kelautan dan Perikanan", kind="kementerian")
    cast = make_cast(agency=make_agency(code="KAB-SLM", name="Pemerintah Kabupaten Sleman", kind="kabupaten"))
    named = case_in(cast, S.REPORTED, reported_person={"name": "Rahmat Hidayat", "nip": NIPS[1]})
    issued = case_in(cast, S.AWAITING_FOLLOW_UP, reported_person={"name": "Tono Sutono", "nip": NIPS[2]})
    with_sk = _reported_with_sk(cast, "800/ZETA-771/BKPSDM/2026")
    at_sea = case_in(cast, S.REPORTED, agency=sea)
    letter = db.session.scalar(select(IssuedLetter.number).where(IssuedLetter.case_id == issued.id))
    rec_letter = db.session.scalar(select(Recommendation.letter_number).where(Recommendation.case_id == issued.id))
    assert letter and letter == rec_letter
    user = api(cast.investigator)

    assert _found(user, named.number) == {named.id}  # number
    assert _found(user, named.number.lower()) == {named.id}
    assert _found(user, "HIDAYAT") == {named.id}  # name
    assert _found(user, NIPS[2]) == {issued.id}  # NIP
    assert _found(user, "kelautan") == {at_sea.id}  # agency name
    assert _found(user, "kkp") == {at_sea.id}  # agency code (its short name)
    assert _found(user, "sleman") == {named.id, issued.id, with_sk.id}
    assert _found(user, "zeta-771") == {with_sk.id}  # SK number
    assert _found(user, "800/ZETA") == {with_sk.id}
    assert _found(user, letter) == {issued.id}  # letter number (the register and the recommendation)
    assert _found(user, "tidak-ada-yang-begini") == set()
    # the service gives the same answer (the case page's list and the API share it)
    items, _ = listing.list_cases(cast.investigator, {"q": "zeta-771"}, 25, None)
    assert [item["id"] for item in items] == [with_sk.id]


def test_a_letter_number_only_the_register_holds_is_found(api):
    """A letter of the register that the recommendation does not repeat (a kind of letter beside it)."""
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    row = db.session.scalar(select(IssuedLetter).where(IssuedLetter.case_id == case.id))
    row.number = "B-4411/REGISTER/XI/2026"
    db.session.commit()
    assert _found(api(cast.investigator), "4411/register") == {case.id}


def test_wildcards_in_a_letter_number_are_searched_as_typed(api):
    cast = make_cast()
    percent = _reported_with_sk(cast, "SK_50%/2026")
    other = _reported_with_sk(cast, "SKX50X/2026")
    user = api(cast.investigator)
    assert _found(user, "SK_50%") == {percent.id}
    assert _found(user, "50X/2026") == {other.id}


def test_a_search_never_returns_a_case_the_caller_may_not_see(api):
    cast = make_cast()
    elsewhere = make_cast(agency=cast.other_agency)  # the other agency's own people
    mine = _reported_with_sk(cast, "SK-MILIK/2026", reported_person={"name": "Sari Terlapor", "nip": NIPS[1]})
    theirs = _reported_with_sk(elsewhere, "SK-LAIN/2026", reported_person={"name": "Sari Terlapor", "nip": NIPS[2]})
    before_issue = case_in(cast, S.UNDER_REVIEW, reported_person={"name": "Sari Terlapor", "nip": NIPS[3]})
    ppk, other_ppk = api(cast.ppk), api(cast.other_ppk)

    assert _found(api(cast.investigator), "sari terlapor") == {mine.id, theirs.id, before_issue.id}
    assert _found(ppk, "sari terlapor") == {mine.id}  # not another agency's, not before the issue
    assert _found(ppk, "SK-LAIN") == set()
    assert _found(ppk, theirs.number) == set()
    assert _found(ppk, cast.other_agency.name) == set()
    assert _found(ppk, before_issue.number) == set()
    assert _found(other_ppk, "SK-LAIN") == {theirs.id}
    assert _found(other_ppk, "SK-MILIK") == set()
    # the overseer sees only cases escalated to its ministry: none here
    assert _found(api(cast.overseer), "sari terlapor") == set()


def test_the_jump_finds_a_visible_case_by_its_exact_number_only(make_user):
    cast = make_cast()
    visible = case_in(cast, S.AWAITING_FOLLOW_UP)
    hidden = case_in(cast, S.REPORTED)
    assert search.case_by_number(cast.ppk, visible.number) == visible
    assert search.case_by_number(cast.ppk, f"  {visible.number.lower()} ") == visible
    assert search.case_by_number(cast.ppk, hidden.number) is None  # not issued yet: the PPK may not see it
    assert search.case_by_number(cast.other_ppk, visible.number) is None
    assert search.case_by_number(cast.investigator, hidden.number) == hidden
    assert search.case_by_number(cast.investigator, visible.number[:-1]) is None  # a part is no number
    assert search.case_by_number(cast.investigator, "NKK-1999-000001") is None
    assert search.looks_like_case_number(" nkk-2026-000123 ") and not search.looks_like_case_number("2026-000123")


# -- saved filters ---------------------------------------------------------------------------------------------


def test_saved_filters_are_saved_listed_applied_and_deleted(api):
    cast = make_cast()
    waiting = case_in(cast, S.AWAITING_FOLLOW_UP, reported_person={"name": "Yusuf Saputra", "nip": NIPS[1]})
    case_in(cast, S.REPORTED, reported_person={"name": "Yusuf Saputra", "nip": NIPS[2]})
    user = api(cast.investigator)

    created = user.post(
        "/api/v1/me/filters",
        json={"name": "  Yusuf   menunggu ", "filters": {"status": "awaiting_follow_up", "q": "yusuf", "overdue": False,
                                                        "sort": "deadline", "dir": "desc", "limit": 5}},
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["name"] == "Yusuf menunggu"
    assert body["filters"] == {"status": "awaiting_follow_up", "q": "yusuf", "overdue": "false", "sort": "deadline",
                               "dir": "desc"}  # fmt: skip
    assert body["cases_url"] == "/api/v1/cases?status=awaiting_follow_up&overdue=false&q=yusuf"
    assert body["page_url"] == "/cases?status=awaiting_follow_up&overdue=false&q=yusuf&sort=deadline&dir=desc"

    listed = user.get("/api/v1/me/filters")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.get_json()["items"]] == [body["id"]]
    assert user.get(f"/api/v1/me/filters/{body['id']}").get_json() == body
    applied = user.get(body["cases_url"])
    assert [c["id"] for c in applied.get_json()["items"]] == [waiting.id]

    deleted = user.delete(f"/api/v1/me/filters/{body['id']}")
    assert deleted.status_code == 200 and deleted.get_json() == body
    assert user.get("/api/v1/me/filters").get_json()["items"] == []
    assert user.get(f"/api/v1/me/filters/{body['id']}").status_code == 404


def test_a_saved_filter_is_its_owners_alone(api, make_user):
    cast = make_cast()
    owner, other = api(cast.investigator), api(cast.commissioner)
    saved = owner.post("/api/v1/me/filters", json={"name": "Eskalasi", "filters": {"escalated": True}}).get_json()
    # another user neither lists, reads nor deletes it, and may use the same name for a filter of their own
    assert other.get("/api/v1/me/filters").get_json()["items"] == []
    for response in (other.get(f"/api/v1/me/filters/{saved['id']}"), other.delete(f"/api/v1/me/filters/{saved['id']}")):
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    theirs = other.post("/api/v1/me/filters", json={"name": "Eskalasi", "filters": {"escalated": False}})
    assert theirs.status_code == 201
    assert [item["name"] for item in owner.get("/api/v1/me/filters").get_json()["items"]] == ["Eskalasi"]
    assert owner.get("/api/v1/me/filters").get_json()["items"][0]["filters"] == {"escalated": "true"}
    assert api(cast.ppk).get("/api/v1/me/filters").get_json()["items"] == []


def test_a_saved_filter_is_refused_with_every_reason_at_once(api):
    cast = make_cast()
    user = api(cast.investigator)
    assert user.post("/api/v1/me/filters", json={"name": "Harian", "filters": {}}).status_code == 201
    refused = user.post(
        "/api/v1/me/filters", json={"name": "harian", "filters": {"status": "bukan_status", "q": "ab", "agency_id": 0}}
    )
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]["fields"]) == {"name", "filters.status", "filters.q", "filters.agency_id"}
    assert "nama ini" in error["details"]["fields"]["name"][0]
    assert error["details"]["fields"]["filters.q"] == ["Kata pencarian (q) minimal 3 huruf atau angka."]
    empty = user.post("/api/v1/me/filters", json={"name": "   ", "filters": {}})
    assert empty.status_code == 422 and set(empty.get_json()["error"]["details"]["fields"]) == {"name"}
    missing = user.post("/api/v1/me/filters", json={"filters": {}})
    assert missing.status_code == 422 and "name" in missing.get_json()["error"]["details"]["fields"]


# -- PostgreSQL: the search reads indexes ----------------------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_has_a_trigram_index_on_each_searched_number():
    rows = dict(
        db.session.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(:names)"),
            {"names": list(LETTER_SEARCH_INDEXES)},
        ).all()
    )
    assert set(rows) == set(LETTER_SEARCH_INDEXES)
    for definition in rows.values():
        assert "USING gin" in definition and "gin_trgm_ops" in definition


@pytest.mark.postgres
@pytest.mark.parametrize("term", ["tidak-ada-yang-begini", "800/ZETA", NIPS[3]])
def test_on_postgresql_every_arm_of_the_search_reads_an_index(term):
    """The list's own statement with bound parameters, table scans priced out as they are for large tables:
    each number's subquery reads its trigram index and `cases` is read through its indexes only (a BitmapOr of
    the text's trigram index, the agency index and the primary key), never scanned."""
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
    for index in (SEARCH_INDEX, *LETTER_SEARCH_INDEXES):
        assert f"Bitmap Index Scan on {index}" in plan, plan
    assert "BitmapOr" in plan, plan
    assert "Seq Scan on cases" not in plan, plan
