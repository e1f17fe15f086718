"""The people pages: a person's record (the same rules as the API), the panel's check form (errors all at once, the
input kept; the answer on the page, as CSV or PDF), the administrators' log; and an open case showing what the
register found (a transfer: the PPK may have changed)."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.db import db
from app.models.people import Person, RecordLookup
from tests.factories import NIP, S, case_in, make_cast, make_user

PURPOSE = "Seleksi terbuka JPT Pratama Kepala Dinas 2026"


def test_person_page_follows_the_access_rules(pages_for):
    cast = make_cast()
    own = case_in(cast, S.AWAITING_FOLLOW_UP)
    other = case_in(cast, S.COMPLETED, agency=cast.other_agency)
    staff = pages_for(cast.investigator)
    page = staff.get(f"/people/{NIP}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert own.number in html and other.number in html and "Siti Pelapor" not in html
    ppk = pages_for(cast.ppk)
    html = ppk.get(f"/people/{NIP}").get_data(as_text=True)
    assert own.number in html and other.number not in html
    assert ppk.get("/people/197001011995031002").status_code == 404
    assert db.session.scalar(select(db.func.count()).select_from(RecordLookup)) == 2


def test_the_panel_check_form(pages_for):
    cast = make_cast()
    done = case_in(cast, S.COMPLETED)
    pages = pages_for(make_user("panel", name="Pansel"))
    assert pages.get("/people/check").status_code == 200
    bad = pages.post("/people/check", {"nips": "123\n", "purpose": "", "years": "3", "format": "page"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "NIP harus 18 digit" in html and "paling sedikit 5 karakter" in html and "123" in html
    answer = pages.post("/people/check", {"nips": f"{NIP}\n197001011995031002", "purpose": PURPOSE, "years": "3",
                                          "format": "page"})  # fmt: skip
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert done.number in html and "Tidak ada catatan" in html and "Siti Pelapor" not in html
    csv_file = pages.post("/people/check", {"purpose": PURPOSE, "years": "3", "format": "csv", "nips": "",
                                            "file": (io.BytesIO(f"nip\n{NIP}\n".encode()), "calon.csv")},
                          page="/people/check", content_type="multipart/form-data")  # fmt: skip
    assert csv_file.mimetype == "text/csv" and done.number in csv_file.get_data(as_text=True)
    pdf = pages.post("/people/check", {"nips": NIP, "purpose": PURPOSE, "years": "3", "format": "pdf"})
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert db.session.scalar(select(db.func.count()).select_from(RecordLookup)) == 3
    # Other roles meet a refusal.
    assert pages_for(cast.investigator).get("/people/check").status_code == 403


def test_administrators_read_the_log(pages_for):
    cast = make_cast()
    case_in(cast, S.COMPLETED)
    pages_for(make_user("panel")).post("/people/check", {"nips": NIP, "purpose": PURPOSE, "years": "3",
                                                           "format": "page"})  # fmt: skip
    html = pages_for(cast.admin).get("/people/lookups").get_data(as_text=True)
    assert PURPOSE in html and NIP in html


def test_an_open_case_shows_a_transfer_found_in_the_register(pages_for):
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    person = db.session.scalar(select(Person).where(Person.nip == NIP))
    person.register_found = True
    person.register_source = "siasn"
    person.register_checked_at = case.created_at
    person.register_agency_name = "Pemerintah Kota Bandung"
    db.session.commit()
    html = pages_for(cast.ppk).get(f"/cases/{case.id}").get_data(as_text=True)
    assert "kini tercatat di Pemerintah Kota Bandung" in html and "mungkin sudah berganti" in html
    assert f'href="/people/{NIP}"' in html
