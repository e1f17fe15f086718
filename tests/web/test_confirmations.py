"""Irreversible case events ask first: the confirmation page says what will happen (issue, dismiss, accept, close),
nothing changes until the user confirms, and "Ubah isian" goes back to the form with what was typed."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.db import db
from app.models.cases import Case, Recommendation
from app.models.outbox import OutboxMessage


def _text(response) -> str:
    return response.get_data(as_text=True)


def _summary(html: str) -> str:
    match = re.search(r'<ul id="confirm-summary"[^>]*>(.*?)</ul>', html, re.S)
    assert match, "no summary of what will happen"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def _status(case: Case) -> str:
    db.session.expire_all()
    return db.session.get(Case, case.id).status


def test_issuing_says_authority_number_signer_deadline_and_email_before_it_is_done(world, pages_for, make_case):
    case = make_case("recommendation_drafted")
    pages = pages_for(world.commissioner2)
    url = f"/cases/{case.id}/events/issue_recommendation"
    form_page = _text(pages.get(url))
    assert 'name="letter_number"' not in form_page  # the system numbers the letter
    asked = pages.post(url, {"version": str(case.version)}, page=url)
    assert asked.status_code == 200
    summary = _summary(_text(asked))
    assert "Komisi Aparatur Sipil Negara" in summary  # on whose behalf
    assert "R-1/KASN/11/2026" in summary  # the number it will get
    assert "ditandatangani Ketua Komisi Aparatur Sipil Negara" in summary  # who signs, by title
    assert "14 hari kerja sejak hari ini" in summary and "18 November 2026" in summary
    assert world.agency.ppk_email in summary and "Pemerintah Kabupaten Sleman" in summary
    assert "Siti" not in summary  # nothing of the reporter
    assert _status(case) == "recommendation_drafted"
    assert db.session.scalar(select(OutboxMessage.id)) is None

    done = pages.post(url, {"version": str(case.version), "confirm": "1"}, page=url)
    assert done.status_code == 303
    assert _status(case) == "awaiting_follow_up"
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    assert rec.letter_number == "R-1/KASN/11/2026"


def test_dismissing_shows_the_reason_and_edit_keeps_it(world, pages_for, make_case):
    case = make_case("under_review")
    pages = pages_for(world.commissioner)
    url = f"/cases/{case.id}/events/dismiss"
    form = {"version": str(case.version), "reason": "Terlapor bukan ASN."}
    asked = pages.post(url, form, page=url)
    summary = _summary(_text(asked))
    assert "Terlapor bukan ASN." in summary and "Dihentikan" in summary and "Tidak ada email" in summary
    edit = pages.post(url, {**form, "edit": "1"}, page=url)
    assert edit.status_code == 200
    assert "Terlapor bukan ASN.</textarea>" in _text(edit)
    assert _status(case) == "under_review"


def test_a_bad_form_is_refused_before_the_confirmation(world, pages_for, make_case):
    case = make_case("under_review")
    pages = pages_for(world.commissioner)
    url = f"/cases/{case.id}/events/dismiss"
    refused = pages.post(url, {"version": str(case.version), "reason": ""}, page=url)
    assert refused.status_code == 422
    assert 'id="dismiss-reason-error"' in _text(refused)
    assert 'id="confirm-summary"' not in _text(refused)


def test_closing_an_issued_case_says_the_clock_stops(world, pages_for, make_case):
    case = make_case("awaiting_follow_up")
    pages = pages_for(world.commissioner)
    url = f"/cases/{case.id}/events/close"
    summary = _summary(_text(pages.post(url, {"version": str(case.version), "reason": "ASN wafat."}, page=url)))
    assert "ASN wafat." in summary and "Ditutup" in summary
    assert "eskalasi tidak berlanjut" in summary and "PPK tetap dapat membuka" in summary
    assert _status(case) == "awaiting_follow_up"


def test_accepting_a_follow_up_asks_first(world, pages_for, make_case):
    case = make_case("follow_up_reported")
    pages = pages_for(world.investigator)
    url = f"/cases/{case.id}/events/accept_follow_up"
    summary = _summary(_text(pages.post(url, {"version": str(case.version)}, page=url)))
    assert "Selesai" in summary and "SK 862/45/2026" in summary
    assert _status(case) == "follow_up_reported"


def test_no_confirmation_page_for_who_may_not_do_it(world, pages_for, make_case):
    case = make_case("under_review")
    pages = pages_for(world.investigator)  # dismissing is the commissioner's
    url = f"/cases/{case.id}/events/dismiss"
    response = pages.post(url, {"version": str(case.version), "reason": "x"}, page=f"/cases/{case.id}")
    assert response.status_code == 303
    assert _status(case) == "under_review"
