"""Issue 22 in Debian's Chromium, at 1366×768 and 390×844: the public report form (no sign-in) — every error at
once, then a report with a file, its tracking code — and the tracking page reading the status in plain words, a
wrong code answering "not found"; the investigator's intake report page with its likely duplicate. Each page is
saved as a screenshot (artifacts/screenshots, intake-<size>-<step>.png), logs no console error but the status it
answers on purpose, does not scroll sideways, and axe-core finds no serious or critical violation on it.

The same behaviour through the Flask test client: tests/intake/test_public_channel.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.db import db
from app.models.intake import IntakeReport
from tests.browser import BROWSER, tab_at
from tests.factories import NIPS, PASSWORD, S, case_in
from tests.web.report_form import submit_refused, submit_report

pytestmark = BROWSER


@pytest.fixture
def quick_form(app: Any) -> Any:
    """The form's minimum time shortened to one second (a person in a test types faster than one writing)."""
    app.config["INTAKE_FORM_MIN_SECONDS"] = 1
    yield
    app.config.pop("INTAKE_FORM_MIN_SECONDS")


def test_the_public_form_and_the_tracking_page(
    browser, live_server, screenshots, world, viewport, quick_form, tmp_path
):
    agency_name, agency_id = world.agency.name, world.agency.id
    db.session.commit()
    tab = tab_at(browser, live_server, screenshots, "intake", viewport)
    tab.go("/lapor")
    assert tab.page.get_attribute("html", "lang") == "id"
    tab.check("01-formulir")

    button = "button:has-text('Kirim laporan')"
    submit_refused(tab, button, pause_ms=1100)
    tab.check("02-kesalahan")

    code = submit_report(
        tab,
        button,
        tmp_path,
        name="Yusuf Maulana",
        nip=NIPS[3],
        agency_id=agency_id,
        occurred_on="2026-11-12",
        summary="Membagikan unggahan kampanye pasangan calon di grup WhatsApp dinas dan mengajak memilih.",
        pause_ms=1100,
    )
    tab.check("03-terkirim")

    tab.page.click("a:has-text('Lihat status laporan')")
    tab.page.wait_for_selector("#tracking-status")
    assert tab.page.inner_text("#tracking-status") == "Diterima"
    shown = tab.page.inner_text("main")
    for secret in ("Yusuf", NIPS[3], agency_name, "WhatsApp"):
        assert secret not in shown, secret
    tab.check("04-status")

    tab.go("/lacak")
    tab.page.fill("#kode", "TDK-0000-0000-0000")
    tab.page.click("button:has-text('Lacak')")
    tab.page.wait_for_selector("#kode-error")
    tab.expected(404)
    assert "tidak ditemukan" in tab.page.inner_text("#kode-error")
    tab.check("05-kode-salah")
    assert tab.errors == [], f"{tab.name}: console errors {tab.errors} (failed requests: {tab.failed})"
    tab.close()
    assert db.session.scalar(select(IntakeReport.tracking_code)) == code


def test_the_report_page_shows_a_likely_duplicate_before_accepting(browser, live_server, screenshots, world, viewport):
    existing = case_in(world, S.REPORTED, reported_person={"name": "Rahmat Hidayat", "nip": NIPS[1]})
    report = IntakeReport(
        tracking_code="TDK-7K2M-9QXA-3HBD",
        channel="public",
        status="received",
        agency_id=world.agency.id,
        category="netralitas",
        reported_name="Rahmat Hidayat",
        reported_nip=NIPS[1],
        summary="Hadir dalam kampanye terbuka pasangan calon bupati di lapangan kota dengan seragam dinas.",
        occurred_on=existing.occurred_on,
    )
    db.session.add(report)
    db.session.commit()
    report_id, number, email = report.id, existing.number, world.investigator.email
    db.session.commit()  # nothing of the test's transaction stays open: the server thread needs SQLite's write lock
    tab = tab_at(browser, live_server, screenshots, "intake", viewport)
    tab.go("/login")
    tab.page.fill("#email", email)
    tab.page.fill("#password", PASSWORD)
    tab.page.click("button[type=submit]:has-text('Masuk')")
    tab.page.wait_for_url(live_server + "/")
    tab.go("/intake")
    assert "TDK-7K2M-9QXA-3HBD" in tab.page.inner_text("main")
    tab.check("06-antrean")
    tab.go(f"/intake/{report_id}")
    assert number in tab.page.inner_text("#duplicates")
    tab.check("07-laporan-duplikat")
    tab.page.click("button:has-text('Terima')")
    tab.page.wait_for_selector("text=Kemungkinan duplikat ditemukan")
    tab.expected(409)
    tab.page.check("#allow-duplicates")
    tab.page.click("button:has-text('Terima')")
    tab.page.wait_for_url(re.compile(r".*/cases/\d+$"))
    assert "Laporan diterima sebagai perkara" in tab.page.inner_text("main")
    assert tab.errors == [], f"{tab.name}: console errors {tab.errors} (failed requests: {tab.failed})"
    tab.close()
