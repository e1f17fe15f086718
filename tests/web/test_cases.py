"""Case pages: list, new case, case page, event forms from the transition table, evidence files, separation."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import func, select

from app.db import db
from app.models.cases import Attachment, Case, FollowUp
from tests.factories import NIP, REPORTER, S, advance

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _error_of(html: str, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}-error">(.*?)</div>', html, re.S)
    assert match, f"no error shown next to {field_id}"
    return match.group(1).strip()


def _new_case_form(agency_id: int, **kw) -> dict:
    form = {
        "agency_id": str(agency_id),
        "category": "netralitas",
        "subcategory": "kampanye_medsos",
        "source": "bawaslu",
        "occurred_on": "2026-09-01",
        "summary": "Mengunggah ajakan memilih calon di media sosial.",
        "reported_person.name": "Budi Santoso",
        "reported_person.nip": "19860926 201505 1 001",
        "reported_person.position": "Camat",
        "reporter.name": "Siti Pelapor",
        "reporter.contact": "0812",
    }
    form.update(kw)
    return form


def test_new_case_is_logged_and_shown(world, pages_for):
    pages = pages_for(world.investigator)
    response = pages.post("/cases/new", _new_case_form(world.agency.id), page="/cases/new")
    assert response.status_code == 303
    html = _text(pages.get(response.headers["Location"]))
    assert re.search(r"NKK-\d{4}-000001", html)
    assert "Laporan diterima" in html and "Budi Santoso" in html and NIP in html
    assert "Siti Pelapor" in html  # KASN roles see the reporter
    assert "Perkara dicatat" in html  # the first history row


def test_new_case_refuses_bad_input_with_messages_next_to_the_fields(world, pages_for):
    pages = pages_for(world.investigator)
    bad = {
        **_new_case_form(world.agency.id),
        "reported_person.nip": "12345",
        "summary": "",
        "occurred_on": "kemarin",
        "category": "gosip",
        "agency_id": "abc",
    }
    response = pages.post("/cases/new", bad, page="/cases/new")
    assert response.status_code == 422
    html = _text(response)
    assert "Periksa kembali isian yang ditandai." in html
    assert _error_of(html, "summary") == "Wajib diisi."
    assert _error_of(html, "occurred_on") == "Tanggal tidak sah."
    assert _error_of(html, "category") == "Kategori tidak dikenal."
    assert _error_of(html, "agency_id") == "Harus berupa bilangan bulat."
    assert "NIP" in _error_of(html, "reported_person-nip")
    assert 'value="12345"' in html  # what the user typed is kept
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_only_kasn_staff_may_open_the_new_case_form(world, pages_for):
    for user in (world.ppk, world.overseer, world.admin):
        assert pages_for(user).get("/cases/new").status_code == 403


def test_case_list_filters_searches_and_pages(world, pages_for, make_case):
    cases = [make_case("reported") for _ in range(27)]
    make_case("under_review")
    pages = pages_for(world.investigator)
    first = _text(pages.get("/cases"))
    assert first.count("/cases/") >= 25
    next_link = re.search(r'href="(/cases\?page=[^"]+)" rel="next"', first)  # numbered pages: listing.sort_order
    assert next_link
    second = _text(pages.get(next_link.group(1).replace("&amp;", "&")))
    assert cases[0].number in second and cases[0].number not in first
    assert 'rel="next"' not in second

    reviewing = _text(pages.get("/cases?status=under_review"))
    assert reviewing.count('<td><a href="/cases/') == 1
    found = _text(pages.get("/cases?q=budi"))
    assert found.count('<td><a href="/cases/') == 25
    assert "Tidak ada perkara yang cocok." in _text(pages.get("/cases?q=tidak-ada-yang-begini"))

    bad = pages.get("/cases?status=entah&cursor=%%%")
    assert bad.status_code == 422
    assert "Status tidak dikenal" in _text(bad)


def test_ppk_sees_only_its_agency_and_issued_cases(world, pages_for, make_case):
    own = make_case("awaiting_follow_up")
    draft = make_case("recommendation_drafted")
    other = make_case("awaiting_follow_up", agency=world.other_agency)
    pages = pages_for(world.ppk)
    listing = _text(pages.get("/cases"))
    assert own.number in listing and draft.number not in listing and other.number not in listing
    page = _text(pages.get(f"/cases/{own.id}"))
    assert REPORTER["name"] not in page and REPORTER["contact"] not in page
    for url in (f"/cases/{other.id}", f"/cases/{draft.id}", f"/cases/{other.id}/events/report_follow_up"):
        assert pages.get(url).status_code == 404, url
    response = pages.post(f"/cases/{other.id}/events/acknowledge", {"version": "1"}, page="/")
    assert response.status_code == 404


def test_buttons_are_the_allowed_events_of_the_user(world, pages_for, make_case):
    case = make_case("awaiting_follow_up")
    ppk = _text(pages_for(world.ppk).get(f"/cases/{case.id}"))
    assert set(re.findall(r'data-event="(\w+)"', ppk)) == {"acknowledge", "request_clarification", "report_follow_up"}
    investigator = _text(pages_for(world.investigator).get(f"/cases/{case.id}"))
    assert set(re.findall(r'data-event="(\w+)"', investigator)) == {"record_receipt"}
    commissioner = _text(pages_for(world.commissioner).get(f"/cases/{case.id}"))
    assert set(re.findall(r'data-event="(\w+)"', commissioner)) == {"extend_deadline", "close"}
    # Forms carry the case version; the irreversible one asks for confirmation.
    assert f'name="version" value="{case.version}"' in commissioner
    assert 'id="close-confirm"' in commissioner


def test_event_form_errors_are_shown_in_indonesian_next_to_the_fields(world, pages_for, make_case):
    case = make_case("under_review")
    pages = pages_for(world.investigator)
    url = f"/cases/{case.id}/events/draft_recommendation"
    response = pages.post(
        url, {"version": str(case.version), "sanction": "hukuman_mati", "text": ""}, page=f"/cases/{case.id}"
    )
    assert response.status_code == 422
    html = _text(response)
    assert _error_of(html, "draft_recommendation-sanction") == "Jenis sanksi tidak dikenal."
    assert _error_of(html, "draft_recommendation-legal_basis") == "Wajib diisi."
    assert _error_of(html, "draft_recommendation-text") == "Wajib diisi."
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "under_review"


def test_irreversible_events_need_the_confirmation(world, pages_for, make_case):
    case = make_case("under_review")
    pages = pages_for(world.commissioner)
    url = f"/cases/{case.id}/events/dismiss"
    asked = pages.post(url, {"version": str(case.version), "reason": "Tidak terbukti."}, page=f"/cases/{case.id}")
    assert asked.status_code == 200  # not done: the confirmation page says what will happen
    summary = _text(asked)
    assert "Yang akan terjadi" in summary and "tidak dapat dibuka kembali" in summary and "Tidak terbukti." in summary
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "under_review"
    done = pages.post(
        url, {"version": str(case.version), "reason": "Tidak terbukti.", "confirm": "1"}, page=f"/cases/{case.id}"
    )
    assert done.status_code == 303
    assert "Dihentikan" in _text(pages.get(f"/cases/{case.id}"))


def test_stale_version_and_invalid_transition_keep_the_form_and_say_why(world, pages_for, make_case):
    """Issue 20: a refused event keeps what was typed; a stale form says what changed and by whom, a refusal
    names the event and the status in words (no event key)."""
    case = make_case("under_review")
    pages = pages_for(world.investigator)
    stale = pages.post(
        f"/cases/{case.id}/events/draft_recommendation",
        {"version": "1", "sanction": "disiplin_ringan", "legal_basis": "PP 94/2021", "text": "Teguran."},
        page=f"/cases/{case.id}",
    )
    assert stale.status_code == 409
    html = _text(stale)
    assert "Perkara ini berubah sejak Anda membuka formulir ini." in html
    assert "\u201cMulai penelaahan\u201d oleh Ina Penyelidik" in html
    assert ">Teguran.</textarea>" in html and 'value="PP 94/2021"' not in html  # textareas keep their text
    assert ">PP 94/2021</textarea>" in html
    assert "draft_recommendation" not in html.split('id="edit-conflict"')[1].split("</div>")[0]
    again = pages.post(
        f"/cases/{case.id}/events/start_review", {"version": str(case.version)}, page=f"/cases/{case.id}"
    )
    assert again.status_code == 409
    refusal = "Tindakan \u201cMulai penelaahan\u201d tidak dapat dilakukan pada status Penelaahan / klarifikasi."
    assert refusal in _text(again)
    assert "start_review" not in _text(again).split('role="alert"')[1].split("</div>")[0]
    forbidden = pages.post(
        f"/cases/{case.id}/events/dismiss",
        {"version": str(case.version), "confirm": "1", "reason": "Tidak terbukti."},
        page=f"/cases/{case.id}",
    )
    assert forbidden.status_code == 403
    assert "Tindakan \u201cHentikan perkara\u201d tidak termasuk wewenang peran Anda." in _text(forbidden)
    assert ">Tidak terbukti.</textarea>" in _text(forbidden)
    assert pages.get(f"/cases/{case.id}/events/no_such_event").status_code == 404
    assert pages.get(f"/cases/{case.id}/events/accept_follow_up").status_code == 302  # not available now


def test_follow_up_needs_the_sk_document(world, pages_for, make_case):
    case = make_case("awaiting_follow_up")
    pages = pages_for(world.ppk)
    url = f"/cases/{case.id}/events/report_follow_up"
    form = {
        "version": str(case.version),
        "decision_number": "800/1/SK/2026",
        "decision_date": date.today().isoformat(),
        "sanction_imposed": "disiplin_sedang",
    }
    missing = pages.post(url, form, page=f"/cases/{case.id}")
    assert missing.status_code == 422
    assert _error_of(_text(missing), "report_follow_up-document_id") == "Dokumen wajib diunggah."

    not_a_pdf = pages.post(
        url,
        {**form, "document_id": (io.BytesIO(b"just text"), "sk.pdf")},
        page=f"/cases/{case.id}",
        content_type="multipart/form-data",
    )
    assert not_a_pdf.status_code == 422
    assert "Jenis berkas tidak diizinkan" in _error_of(_text(not_a_pdf), "report_follow_up-document_id")
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0

    done = pages.post(
        url,
        {**form, "document_id": (io.BytesIO(PDF), "sk-bupati.pdf")},
        page=f"/cases/{case.id}",
        content_type="multipart/form-data",
    )
    assert done.status_code == 303
    follow_up = db.session.scalar(select(FollowUp).where(FollowUp.case_id == case.id))
    document = db.session.get(Attachment, follow_up.document_id)
    assert document.purpose == "follow_up" and document.filename == "sk-bupati.pdf"
    html = _text(pages.get(f"/cases/{case.id}"))
    assert "Tindak lanjut dilaporkan" in html and document.sha256 in html

    download = pages.get(f"/attachments/{document.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert pages_for(world.other_ppk).get(f"/attachments/{document.id}").status_code == 404


def test_evidence_upload_by_investigator(world, pages_for, make_case):
    case = make_case("under_review")
    pages = pages_for(world.investigator)
    response = pages.post(
        f"/cases/{case.id}/attachments",
        {"file": (io.BytesIO(PDF), "bukti.pdf")},
        page=f"/cases/{case.id}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    html = _text(pages.get(f"/cases/{case.id}"))
    assert "bukti.pdf" in html and "Berkas bukti.pdf diunggah." in html
    empty = pages.post(f"/cases/{case.id}/attachments", {}, page=f"/cases/{case.id}")
    assert empty.status_code == 303
    assert "Berkas wajib diunggah" in _text(pages.get(f"/cases/{case.id}"))
    # Evidence may reveal the reporter: a PPK never sees it, even after the recommendation is issued.
    advance(db.session.get(Case, case.id), world, S.AWAITING_FOLLOW_UP)
    assert "bukti.pdf" not in _text(pages_for(world.ppk).get(f"/cases/{case.id}"))


def test_deadline_explanation_and_timeline_on_the_case_page(world, pages_for, make_case):
    case = make_case("awaiting_follow_up")
    html = _text(pages_for(world.ppk).get(f"/cases/{case.id}"))
    assert 'id="deadline"' in html and ("WIB" in html)
    assert re.search(r"Sisa \d+ hari kerja", html)
    table = html.split('id="deadline-explanation"')[1].split("</table>")[0]
    assert table.count("<tr") >= 15  # header + at least 14 working days
    assert "Sabtu" in table and "Minggu" in table
    # The PPK's timeline starts at the issued recommendation: the authority's deliberation is its own (issue 16).
    timeline = html.split('id="timeline"')[1].split("</ol>")[0]
    assert "Terbitkan rekomendasi" in timeline
    for title in ("Perkara dicatat", "Mulai penelaahan", "Susun draf rekomendasi"):
        assert title not in timeline
    own = _text(pages_for(world.investigator).get(f"/cases/{case.id}"))
    timeline = own.split('id="timeline"')[1].split("</ol>")[0]
    for title in ("Perkara dicatat", "Mulai penelaahan", "Susun draf rekomendasi", "Terbitkan rekomendasi"):
        assert title in timeline


def test_the_case_page_warns_beside_a_deadline_in_a_year_the_calendar_does_not_know(world, pages_for, make_case):
    with time_machine.travel(datetime(2029, 12, 12, 3, 0, tzinfo=UTC)):  # issued in December 2029
        case = make_case("awaiting_follow_up")
        html = pages_for(world.ppk).get(f"/cases/{case.id}").get_data(as_text=True)
    notes = re.findall(r'class="[^"]*calendar-gap[^"]*"[^>]*>(.*?)</p>', html, re.S)
    assert [re.search(r"Kalender (\d{4})", note).group(1) for note in notes] == ["2029", "2030"]
    assert "Tenggat dapat bergeser" in notes[0]
    known = make_case("awaiting_follow_up")  # at the suite's clock, November 2026: nothing to say
    assert "calendar-gap" not in pages_for(world.ppk).get(f"/cases/{known.id}").get_data(as_text=True)
