"""The case list's page asks each arm of the search for its own newest cases and merges them (app/cases/search.py,
`search_page_ids`), and a term with a long run of digits lets the indexes read six of them (`narrow_pattern`): the
pages, page after page, hold exactly the cases the one ORed condition finds, newest first, for every caller —
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.cases import listing
from app.cases.access import visibility_clause
from app.cases.search import narrow_pattern
from app.db import db
from app.models.cases import Case
from tests.clocked import SUITE_NOW
from tests.factories import NIPS, S, case_in, make_agency, make_cast


@pytest.mark.parametrize(
    ("term", "narrow"),
    [
        ("nkk-2026-000123", "%000123%"),
        ("198609262015051001", "%051001%"),
        ("1986092620", "%092620%"),
        ("r-21073/kasn/8/2022", "%21073%"),
        ("800/333330/sk/2017", None),  # 333330: two different trigrams only
        ("000123", None),  # the run is the term
        ("r-2524/kasn/12/2025", None),  # no run of five digits
        ("budi santoso", None),
    ],
)
def test_the_narrow_pattern_is_six_digits_of_the_longest_run(term, narrow):
    assert narrow_pattern(term) == narrow


def _paged(user, term: str, limit: int) -> list[int]:
    ids, cursor = [], None
    while True:
        items, cursor = listing.list_cases(user, {"q": term}, limit, cursor)
        ids += [item["id"] for item in items]
        if cursor is None:
            return ids


def _ored(user, term: str) -> list[int]:
    stmt = listing.apply_filters(select(Case.id).where(visibility_clause(user)), {"q": term}, SUITE_NOW)
    return list(db.session.scalars(stmt.order_by(Case.id.desc())))


def test_the_pages_hold_what_the_ored_condition_finds(make_user):
    agency = make_agency(name="Badan Pengawas Zamrud", code="ZAMRUD")
    cast = make_cast(agency=agency)
    first = case_in(cast, S.AWAITING_FOLLOW_UP, reported_person={"name": "Dewi Zamrud", "nip": NIPS[1]})
    digits = first.number[-6:]
    # the number's digits without the rest of the number: not a match for the number
    case_in(cast, S.AWAITING_FOLLOW_UP, agency=cast.other_agency, summary=f"Nomor agenda {digits} dan lainnya.")
    # another case naming the first's number in its summary: a match for it
    quoting = case_in(cast, S.REPORTED, agency=cast.other_agency, summary=f"Terkait perkara {first.number}.")
    for _ in range(3):
        case_in(cast, S.AWAITING_FOLLOW_UP)  # the agency's cases: found by its name
    case_in(cast, S.AWAITING_FOLLOW_UP, agency=cast.other_agency, summary="Zamrud disebut dalam ringkasan.")
    case_in(cast, S.REPORTED, reported_person={"name": "Rina Zamrudi", "nip": NIPS[2]})
    for user in (cast.investigator, cast.ppk, cast.other_ppk):
        for term in (first.number, first.number.lower()[1:], "zamrud", NIPS[1], NIPS[1][:4] + " " + NIPS[1][4:8]):
            want = _ored(user, term)
            for limit in (1, 2, 50):
                assert _paged(user, term, limit) == want, (user.role, term, limit)
    investigator = cast.investigator
    assert set(_ored(investigator, first.number)) == {first.id, quoting.id}
    assert len(_ored(investigator, "zamrud")) == 6  # five of the agency, one naming it in its summary
    assert _ored(cast.ppk, first.number) == [first.id]  # a PPK: its agency's issued cases only
