"""Letter numbers given by the system: from the issuing authority's pattern, per authority and year, unique and
without gaps, also when commissioners issue at once (on PostgreSQL) and when an issue is refused."""

from __future__ import annotations

import threading
from contextlib import nullcontext
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import g
from sqlalchemy import select

from app.agencies.authority import load_authorities
from app.calendar.working_days import Calendar
from app.core.clock import utcnow
from app.db import db
from app.escalations.sweep import run_sweep
from app.letters import render_escalation_letter, render_recommendation_letter
from app.letters.numbering import format_number, pattern_problem
from app.letters.register import case_letters
from app.models.cases import Case, CaseHistory, Recommendation
from app.models.core import OversightAuthority
from app.models.letters import IssuedLetter, LetterCounter
from app.models.outbox import OutboxMessage
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


# -- escalation letters --------------------------------------------------------------------------------------------


def _escalation_letters() -> list[IssuedLetter]:
    return list(
        db.session.scalars(select(IssuedLetter).where(IssuedLetter.kind != "recommendation").order_by(IssuedLetter.id))
    )


def test_escalation_letters_are_numbered_from_the_authoritys_series_when_the_sweep_reaches_them():
    """Issue 20, letters where their readers are: the level-2 and level-3 letters get the next numbers of the
    authority's series (after its recommendation letters), dated the day their level was reached; the email and
    the letter carry the number; a dry run and a level passed over take none."""
    cast = make_cast()
    cases = [case_in(cast, S.AWAITING_FOLLOW_UP) for _ in range(2)]
    db.session.commit()
    assert _numbers() == ["R-1/KASN/11/2026", "R-2/KASN/11/2026"]
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == cases[0].id))
    calendar = Calendar.load(all_agencies=True)
    zone = ZoneInfo(cast.agency.timezone)
    due_day = rec.due_at.astimezone(zone).date()
    counters = {2026: 2}

    def expected(day: date) -> str:
        counters[day.year] = counters.get(day.year, 0) + 1
        return format_number("R-{seq}/{short}/{month}/{year}", seq=counters[day.year], short="KASN", day=day)

    def sweep_on(working_days: int, **options) -> None:
        day = calendar.add_working_days(due_day, working_days, cast.agency.id)
        with time_machine.travel(datetime.combine(day, time(3, 0), tzinfo=UTC), tick=False):
            run_sweep(utcnow(), **options)

    sweep_on(7, dry_run=True)
    assert _escalation_letters() == [] and db.session.scalar(select(LetterCounter.last_value)) == 2

    sweep_on(7)  # level 2 (the 5th working day after the due day)
    level2_day = calendar.add_working_days(due_day, 5, cast.agency.id)
    letters = _escalation_letters()
    assert [(x.case_id, x.kind, x.cycle) for x in letters] == [(c.id, "escalation-2", 0) for c in cases]
    assert [x.number for x in letters] == [expected(level2_day), expected(level2_day)]
    assert all(x.signer_title == "Ketua Komisi Aparatur Sipil Negara" and x.issued_by_id is None for x in letters)
    email = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.case_id == cases[0].id, OutboxMessage.kind == "escalation").limit(1)
    )
    assert f"Surat nomor {letters[0].number}" in email.body_text
    shown = {letter.key: letter.number for letter in case_letters(cases[0])}
    assert shown["escalation-2"] == letters[0].number
    assert letters[0].number in pdf_text(render_escalation_letter(cases[0], 2))

    sweep_on(21)  # level 3 (the 19th working day)
    level3_day = calendar.add_working_days(due_day, 19, cast.agency.id)
    finals = _escalation_letters()[2:]
    assert [(x.case_id, x.kind) for x in finals] == [(c.id, "escalation-3") for c in cases]
    assert [x.number for x in finals] == [expected(level3_day), expected(level3_day)]
    assert {letter.key: letter.number for letter in case_letters(cases[1])}["escalation-3"] == finals[1].number
    all_numbers = [x.number for x in db.session.scalars(select(IssuedLetter))]
    assert len(all_numbers) == len(set(all_numbers)) == 6


def test_a_level_passed_over_writes_no_letter():
    """A sweep that catches up from nothing to level 3 writes the final report only (as it emails only it)."""
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    db.session.commit()
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    day = Calendar.load(all_agencies=True).add_working_days(
        rec.due_at.astimezone(ZoneInfo(cast.agency.timezone)).date(), 21, cast.agency.id
    )
    with time_machine.travel(datetime.combine(day, time(3, 0), tzinfo=UTC), tick=False):
        run_sweep(utcnow())
    assert [x.kind for x in _escalation_letters()] == ["escalation-3"]
    shown = {letter.key: letter.number for letter in case_letters(case)}
    assert shown["escalation-3"] == _escalation_letters()[0].number
    assert shown["escalation-2"] == f"{case.number}/ESK-2"  # reached in passing: no letter of its own was written
