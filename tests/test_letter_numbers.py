"""Letter numbers given by the system: from the issuing authority's pattern, per authority and year, unique and
without gaps, also when commissioners issue at once (on PostgreSQL) and when an issue is refused."""

from __future__ import annotations

import threading
from contextlib import nullcontext
from datetime import UTC, date, datetime

import pytest
import time_machine
from flask import g
from sqlalchemy import select

from app.agencies.authority import load_authorities
from app.db import db
from app.letters import render_recommendation_letter
from app.letters.numbering import format_number, pattern_problem
from app.models.cases import Case, CaseHistory, Recommendation
from app.models.core import OversightAuthority
from app.models.letters import IssuedLetter, LetterCounter
from tests.factories import S, case_in, make_cast
from tests.test_letters import pdf_text
from workflows import fire


def _issue(api, user, case: Case, **payload):
    return api(user).post(
        f"/api/v1/cases/{case.id}/transitions",
        json={"event": "issue_recommendation", "version": case.version, **payload},
    )


def _numbers() -> list[str]:
    return list(db.session.scalars(select(IssuedLetter.number).order_by(IssuedLetter.seq)))


# -- the pattern ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "seq", "expected"),
    [
        ("R-{seq}/{short}/{month}/{year}", 7, "R-7/KASN/11/2026"),
        ("{seq:04d}/{short}/REK/{roman_month}/{year}", 7, "0007/KASN/REK/XI/2026"),
        ("B-{seq}/{short}.{mm}/{year}", 12, "B-12/KASN.11/2026"),
    ],
)
def test_the_pattern_writes_the_number(pattern, seq, expected):
    assert pattern_problem(pattern) is None
    assert format_number(pattern, seq=seq, short="KASN", day=date(2026, 11, 18)) == expected


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("R-{short}/{year}", "{seq}"),  # without the number in the series
        ("R-{seq}/{short}", "{year}"),  # the series restarts each year: the number would come back
        ("R-{seq}/{nomor}/{year}", "tidak dikenal"),
        ("R-{seq/{year}", "tidak sah"),
        ("R-{seq:x.y}/{year}", "tidak sah"),
    ],
)
def test_a_pattern_that_cannot_number_is_named(pattern, problem):
    assert problem in (pattern_problem(pattern) or "")


# -- issuing -------------------------------------------------------------------------------------------------------


def test_issued_recommendations_are_numbered_in_sequence_with_signer_and_history(api):
    cast = make_cast()
    cases = [case_in(cast, S.RECOMMENDATION_DRAFTED) for _ in range(3)]
    for case in cases:
        response = _issue(api, cast.commissioner2, case)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["recommendation"]["letter_number"].startswith("R-")
    assert _numbers() == ["R-1/KASN/11/2026", "R-2/KASN/11/2026", "R-3/KASN/11/2026"]
    letter = db.session.scalar(select(IssuedLetter).where(IssuedLetter.case_id == cases[0].id))
    assert (letter.authority, letter.year, letter.seq, letter.kind) == ("KASN", 2026, 1, "recommendation")
    # the signing official by the authority's title; no staff name (the deployment names its official)
    assert letter.signer_title == "Ketua Komisi Aparatur Sipil Negara" and letter.signer_name is None
    assert letter.issued_by_id == cast.commissioner2.id
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == cases[0].id))
    assert rec.letter_number == "R-1/KASN/11/2026"
    row = db.session.scalars(
        select(CaseHistory).where(CaseHistory.case_id == cases[0].id).order_by(CaseHistory.seq.desc())
    ).first()
    assert row.event == "issue_recommendation" and row.payload["letter_number"] == "R-1/KASN/11/2026"


def test_a_refused_issue_leaves_no_gap(api):
    cast = make_cast()
    first, second = (case_in(cast, S.RECOMMENDATION_DRAFTED) for _ in range(2))
    stale = api(cast.commissioner2).post(
        f"/api/v1/cases/{first.id}/transitions",
        json={"event": "issue_recommendation", "version": first.version - 1},
    )
    assert stale.status_code == 409
    typed = _issue(api, cast.commissioner2, first, letter_number="R-99/KASN/11/2026")
    assert typed.status_code == 422
    assert "diberikan oleh sistem" in typed.get_json()["error"]["details"]["fields"]["letter_number"][0]
    assert _issue(api, cast.investigator, first).status_code == 403  # not the signing official
    assert _numbers() == []
    assert _issue(api, cast.commissioner2, first).status_code == 200
    assert _issue(api, cast.commissioner2, second).status_code == 200
    assert _numbers() == ["R-1/KASN/11/2026", "R-2/KASN/11/2026"]
    assert db.session.scalar(select(LetterCounter.last_value)) == 2


def test_each_authority_and_year_has_its_own_series():
    load_authorities()  # the shipped rows: KASN until 22 August 2024, BKN since
    db.session.commit()
    cast = make_cast()

    def issue(case: Case, at: datetime | None = None) -> None:
        with time_machine.travel(at, tick=False) if at else nullcontext():
            fire(case, "issue_recommendation", cast.commissioner2, {}, expected_version=case.version)
            db.session.commit()

    in_2024 = datetime(2024, 3, 4, 3, tzinfo=UTC)
    issue(case_in(cast, S.RECOMMENDATION_DRAFTED, at=in_2024, occurred_on="2024-02-01"), in_2024)
    for _ in range(2):
        issue(case_in(cast, S.RECOMMENDATION_DRAFTED))
    in_2027 = datetime(2027, 1, 5, 3, tzinfo=UTC)
    issue(case_in(cast, S.RECOMMENDATION_DRAFTED, at=in_2027), in_2027)
    rows = db.session.execute(
        select(IssuedLetter.authority, IssuedLetter.year, IssuedLetter.seq, IssuedLetter.number).order_by(
            IssuedLetter.id
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("KASN", 2024, 1, "R-1/KASN/3/2024"),
        ("BKN", 2026, 1, "R-1/BKN/11/2026"),
        ("BKN", 2026, 2, "R-2/BKN/11/2026"),
        ("BKN", 2027, 1, "R-1/BKN/1/2027"),
    ]


def test_the_pattern_is_the_authoritys_row(api):
    load_authorities()
    bkn = db.session.scalar(select(OversightAuthority).where(OversightAuthority.short_name == "BKN"))
    bkn.letter_format = "{seq:04d}/{short}/REK/{roman_month}/{year}"
    db.session.commit()
    cast = make_cast()
    case = case_in(cast, S.RECOMMENDATION_DRAFTED)
    assert _issue(api, cast.commissioner2, case).status_code == 200
    assert _numbers() == ["0001/BKN/REK/XI/2026"]
    # a pattern that cannot number refuses the issue, saying who fixes it, and takes no number
    bkn.letter_format = "R-{seq}/{short}"
    db.session.commit()
    g.pop("_authority_profiles", None)  # as the admin page does when it saves a row
    other = case_in(cast, S.RECOMMENDATION_DRAFTED)
    refused = _issue(api, cast.commissioner2, other)
    assert refused.status_code == 422
    assert "Otoritas pengawas" in refused.get_json()["error"]["message"]
    assert db.session.scalar(select(LetterCounter.last_value)) == 1


def test_an_authority_that_numbers_its_own_letters_gives_the_number(api):
    load_authorities()
    bkn = db.session.scalar(select(OversightAuthority).where(OversightAuthority.short_name == "BKN"))
    bkn.letter_manual = True
    db.session.commit()
    cast = make_cast()
    first, second, third = (case_in(cast, S.RECOMMENDATION_DRAFTED) for _ in range(3))
    assert _issue(api, cast.commissioner2, first, letter_number="R-2/BKN/11/2026").status_code == 200
    again = _issue(api, cast.commissioner2, second, letter_number="R-2/BKN/11/2026")
    assert again.status_code == 422
    assert "sudah dipakai" in again.get_json()["error"]["details"]["fields"]["letter_number"][0]
    # without a number the system numbers it, and never gives a number typed before
    assert _issue(api, cast.commissioner2, second).status_code == 200
    assert _issue(api, cast.commissioner2, third).status_code == 200
    numbers = list(db.session.scalars(select(IssuedLetter.number).order_by(IssuedLetter.id)))
    assert numbers == ["R-2/BKN/11/2026", "R-1/BKN/11/2026", "R-3/BKN/11/2026"]


# -- at once -------------------------------------------------------------------------------------------------------

THREADS = 12


@pytest.mark.postgres
def test_commissioners_issuing_at_once_get_consecutive_unique_numbers(app, token_for):
    cast = make_cast()
    cases = [case_in(cast, S.RECOMMENDATION_DRAFTED) for _ in range(THREADS)]
    work = [(case.id, case.version) for case in cases]
    token = token_for(cast.commissioner2)
    db.session.rollback()
    barrier = threading.Barrier(THREADS)
    results: list[int] = []
    lock = threading.Lock()

    def worker(case_id: int, version: int) -> None:
        client = app.test_client()
        barrier.wait()
        with app.app_context():
            response = client.post(
                f"/api/v1/cases/{case_id}/transitions",
                json={"event": "issue_recommendation", "version": version},
                headers={"Authorization": f"Bearer {token}"},
            )
            db.session.remove()
        with lock:
            results.append(response.status_code)

    threads = [threading.Thread(target=worker, args=item) for item in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == [200] * THREADS
    seqs = sorted(db.session.scalars(select(IssuedLetter.seq)))
    assert seqs == list(range(1, THREADS + 1))  # unique and gap-free
    numbers = set(db.session.scalars(select(Recommendation.letter_number)))
    assert numbers == {f"R-{n}/KASN/11/2026" for n in range(1, THREADS + 1)}
    assert db.session.scalar(select(LetterCounter.last_value)) == THREADS


def test_the_letter_names_the_official_the_deployment_names_and_keeps_it(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "LETTER_SIGNATORY_NAME", "Dr. Nama Pejabat, M.Si.")
    cast = make_cast()
    case = case_in(cast, S.RECOMMENDATION_DRAFTED)
    assert _issue(api, cast.commissioner2, case).status_code == 200
    monkeypatch.setitem(app.config, "LETTER_SIGNATORY_NAME", "Pejabat Berikutnya")  # the official changes later
    text = pdf_text(render_recommendation_letter(case))
    assert "Dr. Nama Pejabat, M.Si." in text and "Pejabat Berikutnya" not in text
    assert "Ketua Komisi Aparatur Sipil Negara" in text and "R-1/KASN/11/2026" in text
