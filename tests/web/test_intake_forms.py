"""Issue 22's browser forms through the Flask test client (CSRF on, signed in through the real form):

- a Bawaslu office forwards a report from `/diteruskan/baru` (the forwarding API's schema, evidence through the
  case store's checks, a one-time form token) and reads the tracking code; bad input answers every error in
  Indonesian and keeps what was typed; the same form sent twice is one report;
- staff create an event, add cases, draft for all and — after a confirmation page — issue for all from the event
  page, each case through its workflow, four eyes kept and each refusal said per case.

In Chromium: tests/web/test_intake_forms_browser.py."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from app.db import db
from app.models.auth import OfficeApiKey
from app.models.cases import Attachment, Case, Recommendation
from app.models.intake import EventCase, IncidentEvent, IntakeFile, IntakeReport
from tests.factories import NIPS, PDF_BYTES, REPORTER, S, case_in, make_agency, make_cast, make_user

FORM_TOKEN = re.compile(r'name="form_token" value="([0-9a-f]{32})"')
CODE = re.compile(r'id="tracking-code">(TDK-[0-9A-Z-]+)<')


def forward_data(agency_id: int, **kw):
    data = {
        "external_ref": "014/LP/PL/Kab/12.01/XI/2026",
        "reported_person.name": "Rahmat Hidayat",
        "reported_person.nip": NIPS[1],
        "reported_person.position": "Kepala Dinas Pendidikan",
        "agency_id": str(agency_id),
        "category": "netralitas",
        "subcategory": "menghadiri_deklarasi",
        "occurred_on": "2026-11-10",
        "place": "Lapangan Merdeka",
        "summary": "Kepala dinas hadir dan berpidato dalam kampanye terbuka pasangan calon bupati di lapangan kota.",
        "reporter.name": REPORTER["name"],
        "reporter.contact": REPORTER["contact"],
    }
    data.update(kw)
    return data


def test_an_office_forwards_from_its_browser_and_reads_the_tracking_code(pages_for):
    cast = make_cast()
    office = make_user("forwarder", email="bawaslu.kab@bawaslu.go.id", name="Bawaslu Kabupaten Uji")
    browser = pages_for(office)
    listing = browser.get("/diteruskan").get_data(as_text=True)
    assert 'href="/diteruskan/baru"' in listing
    form = browser.get("/diteruskan/baru")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    token = FORM_TOKEN.search(html).group(1)
    assert 'name="election_id"' not in html and 'name="external_ref"' in html

    data = {**forward_data(cast.agency.id), "form_token": token, "file": [(io.BytesIO(PDF_BYTES), "kajian.pdf")]}
    sent = browser.post("/diteruskan/baru", data, page="/diteruskan/baru", content_type="multipart/form-data")
    assert sent.status_code == 201, sent.get_data(as_text=True)[:3000]
    code = CODE.search(sent.get_data(as_text=True)).group(1)
    report = db.session.scalar(select(IntakeReport))
    assert (report.tracking_code, report.channel, report.forwarder_id) == (code, "forwarder", office.id)
    assert (report.reporter_name, report.external_ref) == (REPORTER["name"], "014/LP/PL/Kab/12.01/XI/2026")
    assert db.session.scalar(select(func.count(IntakeFile.id))) == 1
    assert db.session.scalar(select(func.count(Case.id))) == 0  # a report, not a case yet

    # The same form sent again (a reload, a double click): the same report, not a second one.
    again = browser.post(
        "/diteruskan/baru", {**forward_data(cast.agency.id), "form_token": token}, page="/diteruskan/baru"
    )
    assert again.status_code == 200 and CODE.search(again.get_data(as_text=True)).group(1) == code
    assert "sudah diteruskan sebelumnya" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(IntakeReport.id))) == 1
    # The office's list shows it with its status.
    listed = browser.get("/diteruskan").get_data(as_text=True)
    assert code in listed and "Diterima" in listed


def test_bad_input_answers_every_error_in_indonesian_and_keeps_what_was_typed(pages_for):
    cast = make_cast()
    office = make_user("forwarder", email="bawaslu.prov@bawaslu.go.id")
    browser = pages_for(office)
    token = FORM_TOKEN.search(browser.get("/diteruskan/baru").get_data(as_text=True)).group(1)
    bad = forward_data(
        cast.agency.id,
        **{
            "reported_person.name": "",
            "reported_person.nip": "1234",
            "summary": "pendek",
            "occurred_on": "2030-01-01",
            "place": "Balai Desa Sukamaju",
        },
    )
    refused = browser.post("/diteruskan/baru", {**bad, "form_token": token}, page="/diteruskan/baru")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    for field in ("reported_person-name", "reported_person-nip", "summary", "occurred_on"):
        assert f'id="{field}-error"' in html, field
    assert "Tanggal kejadian tidak boleh di masa depan." in html and "Wajib diisi." in html
    assert 'value="Balai Desa Sukamaju"' in html and 'value="014/LP/PL/Kab/12.01/XI/2026"' in html
    # A hostile file is refused like the case form refuses it; nothing is kept.
    hostile = browser.post(
        "/diteruskan/baru",
        {**forward_data(cast.agency.id), "form_token": token, "file": [(io.BytesIO(b"MZ\x90\x00bin"), "bukti.pdf")]},
        page="/diteruskan/baru",
        content_type="multipart/form-data",
    )
    assert hostile.status_code == 422 and "Jenis berkas tidak diizinkan" in hostile.get_data(as_text=True)
    assert db.session.scalar(select(func.count(IntakeReport.id))) == 0
    assert db.session.scalar(select(func.count(IntakeFile.id))) == 0
    # Without the CSRF token the form is refused.
    no_csrf = browser.client.post("/diteruskan/baru", data={**forward_data(cast.agency.id), "form_token": token})
    assert no_csrf.status_code == 400
    # Only a forwarding office has the form.
    assert pages_for(cast.investigator).get("/diteruskan/baru").status_code == 404


def test_an_event_of_three_agencies_is_drafted_then_issued_from_its_page_by_two_people(pages_for):
    cast = make_cast()
    agencies = [cast.agency, cast.other_agency, make_agency(kind="kabupaten", ppk_email="bupati@kab.go.id")]
    cases = [
        case_in(cast, S.REPORTED, agency=agency, reported_person={"name": f"ASN {n}", "nip": NIPS[n]})
        for n, agency in enumerate(agencies)
    ]
    drafter, issuer = pages_for(cast.commissioner), pages_for(cast.commissioner2)

    refused = drafter.post(
        "/peristiwa/baru", {"title": "Ka", "occurred_on": "2026-11-08", "case_numbers": "NKK-2026-999999"}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="title-error"' in html and "NKK-2026-999999" in html and 'id="case_numbers-error"' in html

    created = drafter.post(
        "/peristiwa/baru",
        {
            "title": "Kampanye akbar pasangan calon di Stadion Kota",
            "occurred_on": "2026-11-08",
            "place": "Stadion Kota",
            "case_numbers": f"{cases[0].number}\n{cases[1].number.lower()}",
        },
        page="/peristiwa/baru",
    )
    assert created.status_code == 303, created.get_data(as_text=True)[:2000]
    event = db.session.scalar(select(IncidentEvent))
    assert created.headers["Location"].endswith(f"/peristiwa/{event.id}")
    page = f"/peristiwa/{event.id}"
    added = drafter.post(f"{page}/perkara", {"case_numbers": cases[2].number}, page=page)
    assert added.status_code == 303
    assert db.session.scalar(select(func.count(EventCase.case_id))) == 3
    assert drafter.get("/peristiwa").get_data(as_text=True).count(event.title) == 1

    # Drafting for all: a missing field answers in Indonesian, keeping the text typed.
    draft = {
        "sanction": "disiplin_sedang",
        "sanction_form": "potong_tpp_25_6",
        "legal_basis": "PP 94/2021 Pasal 5 huruf n",
        "text": "Menjatuhkan hukuman disiplin sedang karena menghadiri kampanye.",
    }
    missing = drafter.post(f"{page}/tindakan/draft_recommendation", {**draft, "legal_basis": ""}, page=page)
    assert missing.status_code == 422 and 'id="draft-legal_basis-error"' in missing.get_data(as_text=True)
    assert "Menjatuhkan hukuman disiplin sedang" in missing.get_data(as_text=True)
    drafted = drafter.post(f"{page}/tindakan/draft_recommendation", draft, page=page)
    assert drafted.status_code == 303
    for case in cases:
        db.session.refresh(case)
    assert [c.status for c in cases] == [S.RECOMMENDATION_DRAFTED.value] * 3

    # Four eyes: the drafter's confirmation page issues nothing and says why, case by case.
    own = drafter.post(f"{page}/tindakan/issue_recommendation", {}, page=page)
    assert own.status_code == 200
    html = own.get_data(as_text=True)
    assert 'id="confirm-event"' not in html and html.count("prinsip empat mata") == 3
    forced = drafter.post(f"{page}/tindakan/issue_recommendation", {"confirm": "1"}, page=page)
    assert forced.status_code == 303
    assert db.session.scalar(select(func.count(Recommendation.id)).where(Recommendation.issued_at.is_not(None))) == 0
    assert "prinsip empat mata" in drafter.get(page).get_data(as_text=True)  # each refusal flashed on the page

    # Another commissioner: the confirmation says what will happen to each case; only its button issues.
    asked = issuer.post(f"{page}/tindakan/issue_recommendation", {}, page=page)
    assert asked.status_code == 200
    html = asked.get_data(as_text=True)
    assert all(f'data-case="{c.number}"' in html for c in cases) and "bupati@kab.go.id" in html
    assert db.session.scalar(select(func.count(Recommendation.id)).where(Recommendation.issued_at.is_not(None))) == 0
    issued = issuer.post(f"{page}/tindakan/issue_recommendation", {"confirm": "1"}, page=page)
    assert issued.status_code == 303
    recs = db.session.scalars(select(Recommendation).order_by(Recommendation.case_id)).all()
    assert all(r.issued_at is not None and r.issued_by_id == cast.commissioner2.id for r in recs)
    assert all(r.drafted_by_id == cast.commissioner.id for r in recs)
    assert len({r.letter_number for r in recs}) == 3
    shown = issuer.get(page).get_data(as_text=True)
    assert all(r.letter_number in shown for r in recs) and shown.count("Belum dilaporkan") == 3
    # A forwarder and a PPK have no event page.
    assert pages_for(cast.ppk).get(page).status_code == 404
    assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_an_administrator_creates_a_key_on_the_office_page_sees_it_once_and_revokes_it(pages_for, client):
    cast = make_cast()
    office = make_user("forwarder", email="bawaslu.kota@bawaslu.go.id")
    admin = pages_for(make_user("admin", email="admin@tindak.test"))
    page = f"/admin/users/{office.id}"
    html = admin.get(page).get_data(as_text=True)
    assert html.count("Kunci API kantor") == 1  # once, in the page's body
    assert re.search(r"<title>[^<]*</title>", html) and "Kunci" not in re.search(r"<title>[^<]*</title>", html).group(0)
    assert "Kunci API kantor" not in admin.get(f"/admin/users/{cast.investigator.id}").get_data(as_text=True)
    short = admin.post(f"{page}/key", {"label": "x"}, page=page)
    assert short.status_code == 422 and 'id="label-error"' in short.get_data(as_text=True)
    created = admin.post(f"{page}/key", {"label": "Sistem register Bawaslu Kota"}, page=page)
    assert created.status_code == 201
    key = re.search(r'id="new-key"[^>]*>(tdk_[^<]+)<', created.get_data(as_text=True)).group(1)
    assert key not in admin.get(page).get_data(as_text=True)  # shown once
    forwarded = client.get("/api/v1/intake/forwarded", headers={"X-API-Key": key})
    assert forwarded.status_code == 200
    row = db.session.scalar(select(OfficeApiKey))
    revoked = admin.post(f"{page}/revoke-key", {"key_id": str(row.id)}, page=page)
    assert revoked.status_code == 303
    assert client.get("/api/v1/intake/forwarded", headers={"X-API-Key": key}).status_code == 401
    assert "Dicabut" in admin.get(page).get_data(as_text=True)
