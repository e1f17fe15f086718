"""Issue 22's browser forms in Debian's Chromium, at 1366×768 and 390×844: a Bawaslu office forwards a report from
its list ("Teruskan laporan") — every error at once in Indonesian with the typed text kept, then the report with a
file and its tracking code — and an event of three cases of three agencies gets three drafts, then, after the
confirmation page, three issued recommendations from the event page, by two commissioners (four eyes). Each page
is saved as a screenshot (artifacts/screenshots, intake-forms-<who>-<size>-<step>.png), logs no console error but the
status it answers on purpose, does not scroll sideways, and axe-core finds no serious or critical violation on it.

The same behaviour through the Flask test client: tests/web/test_intake_forms.py."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.db import db
from app.models.cases import Recommendation
from app.models.intake import IntakeReport
from tests.browser import BROWSER, tab_at
from tests.factories import NIPS, S, case_in, make_agency, make_user
from tests.web.report_form import submit_refused, submit_report

pytestmark = BROWSER


def test_an_office_forwards_a_report_from_its_browser(browser, live_server, screenshots, world, viewport, tmp_path):
    office = make_user("forwarder", email=f"bawaslu.{viewport}@bawaslu.go.id", name="Bawaslu Kabupaten Uji")
    agency_id, email = world.agency.id, office.email
    db.session.commit()
    tab = tab_at(browser, live_server, screenshots, "intake-forms-bawaslu", viewport, email)
    tab.go("/diteruskan")
    tab.check("01-daftar-kosong")
    tab.page.click("a:has-text('Teruskan laporan')")
    tab.page.wait_for_url(live_server + "/diteruskan/baru")
    tab.check("02-formulir")

    tab.page.fill("#external_ref", "021/LP/PL/Kab/12.01/XI/2026")
    tab.page.fill("#place", "Lapangan Merdeka")
    button = "button[type=submit]:has-text('Teruskan laporan')"
    submit_refused(tab, button)
    # What was typed stays, the office's own fields too.
    assert tab.page.input_value("#external_ref") == "021/LP/PL/Kab/12.01/XI/2026"
    assert tab.page.input_value("#place") == "Lapangan Merdeka"
    tab.check("03-kesalahan")

    code = submit_report(
        tab,
        button,
        tmp_path,
        name="Rahmat Hidayat",
        nip=NIPS[1],
        agency_id=agency_id,
        occurred_on="2026-11-10",
        summary="Kepala dinas hadir dan berpidato dalam kampanye terbuka pasangan calon bupati di lapangan kota.",
    )
    tab.check("04-terkirim")

    tab.page.click("a:has-text('Daftar laporan yang diteruskan')")
    tab.page.wait_for_url(live_server + "/diteruskan")
    assert code in tab.page.inner_text("main") and "Diterima" in tab.page.inner_text("main")
    tab.check("05-daftar")
    tab.done()
    report = db.session.scalar(select(IntakeReport))
    assert (report.tracking_code, report.forwarder_id, report.channel) == (code, office.id, "forwarder")


def test_an_event_of_three_agencies_is_drafted_and_issued_from_its_page(
    browser, live_server, screenshots, world, viewport
):
    agencies = [world.agency, world.other_agency, make_agency(kind="kabupaten", ppk_email="bupati@kab.go.id")]
    cases = [
        case_in(world, S.REPORTED, agency=agency, reported_person={"name": f"ASN Uji {n}", "nip": NIPS[n]})
        for n, agency in enumerate(agencies)
    ]
    numbers = [c.number for c in cases]
    drafter_email, issuer_email = world.commissioner.email, world.commissioner2.email
    db.session.commit()  # nothing of the test's transaction stays open: the server thread needs SQLite's write lock

    drafter = tab_at(browser, live_server, screenshots, "intake-forms-penyusun", viewport, drafter_email)
    drafter.go("/intake")
    drafter.page.click("a:has-text('Peristiwa')")
    drafter.page.wait_for_url(live_server + "/peristiwa")
    drafter.page.click("a:has-text('Buat peristiwa')")
    drafter.page.fill("#title", "Kampanye akbar di Stadion Kota")
    drafter.page.fill("#occurred_on", "2026-11-08")
    drafter.page.fill("#place", "Stadion Kota")
    drafter.page.fill("#case_numbers", "\n".join(numbers[:2]))
    drafter.check("01-peristiwa-baru")
    drafter.page.click("button:has-text('Simpan peristiwa')")
    drafter.page.wait_for_url(re.compile(r".*/peristiwa/\d+$"))
    event_url = drafter.page.url
    drafter.page.fill("#add-case_numbers", numbers[2])
    drafter.page.click("button:has-text('Tambahkan')")
    drafter.page.wait_for_selector(f"tr[data-case='{numbers[2]}']")
    drafter.check("02-peristiwa")

    drafter.page.select_option("#draft-sanction", value="disiplin_sedang")
    drafter.page.select_option("#draft-sanction_form", value="potong_tpp_25_6")
    drafter.page.fill("#draft-legal_basis", "PP 94/2021 Pasal 5 huruf n")
    drafter.page.fill("#draft-text", "Menjatuhkan hukuman disiplin sedang karena menghadiri kampanye.")
    drafter.page.click("#draft-all")
    drafter.page.wait_for_selector("text=Draf rekomendasi disusun untuk 3 perkara")
    statuses = drafter.page.locator("#event-cases .case-status").all_inner_texts()
    assert len(statuses) == 3 and len(set(statuses)) == 1 and "Draf" in statuses[0]
    drafter.check("03-draf")
    # The drafter may not issue its own drafts: the confirmation page says so for each case and has no button.
    drafter.page.click("#issue-all")
    drafter.page.wait_for_selector("#confirm-skipped")
    assert drafter.page.locator("#confirm-event").count() == 0
    assert drafter.page.inner_text("#confirm-skipped").count("empat mata") == 3
    drafter.check("04-empat-mata")
    drafter.done()

    issuer = tab_at(browser, live_server, screenshots, "intake-forms-penerbit", viewport, issuer_email)
    issuer.page.goto(event_url)
    issuer.page.click("#issue-all")
    issuer.page.wait_for_selector("#confirm-cases")
    listed = issuer.page.inner_text("#confirm-cases")
    assert all(n in listed for n in numbers) and "bupati@kab.go.id" in listed
    issuer.check("05-konfirmasi")
    issuer.page.click("#confirm-event")
    issuer.page.wait_for_selector("text=Rekomendasi diterbitkan untuk 3 perkara")
    issuer.check("06-terbit")
    issuer.done()
    db.session.expire_all()
    recs = db.session.scalars(select(Recommendation)).all()
    assert len(recs) == 3 and all(r.issued_at is not None and r.issued_by_id == world.commissioner2.id for r in recs)
    assert {r.drafted_by_id for r in recs} == {world.commissioner.id}
