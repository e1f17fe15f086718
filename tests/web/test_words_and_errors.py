"""Issue 20 in Debian's Chromium, at 1366×768 and 390×844: the case page's escalation history in words, the help
page's drawn state diagram, an edit conflict that keeps the typed text, every error of the new-case form at once
(and one case from a form sent twice), an upload over the limit that stays on its form. Each page is saved as a
screenshot (TINDAK_SCREENSHOTS), logs no console error but the status it answers on purpose, does not scroll
sideways, and axe-core finds no serious or critical violation on it.

The same behaviour through the Flask test client: tests/web/test_words_and_errors_pages.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import func, select

from app.core.clock import utcnow
from app.db import db
from app.escalations.sweep import run_sweep
from app.models.cases import Case
from tests.browser import BROWSER, tab_at
from tests.factories import E, S, case_in, payload_for
from workflows import fire

pytestmark = BROWSER

RAW = ("cycle", "reached_at", "days_late", "notified", "kind:", "reminder", "holidays-", "FOLLOW_UP_WORKING_DAYS")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _commit() -> None:
    """Nothing of the test's transaction stays open: the server thread needs SQLite's write lock."""
    db.session.commit()


def test_the_escalation_history_reads_in_words(browser, live_server, screenshots, world, viewport):
    case = case_in(world, S.AWAITING_FOLLOW_UP, at=datetime(2026, 9, 30, 3, 0, tzinfo=UTC))
    run_sweep(utcnow())  # seven weeks later: every rung of the ladder reached
    case_id, email = case.id, world.investigator.email
    _commit()
    tab = tab_at(browser, live_server, screenshots, "20-eskalasi", viewport, email)
    tab.go(f"/cases/{case_id}")
    history = tab.page.inner_text("#timeline")
    assert "Pengingat (tingkat 0)" in history and "Laporan akhir (tingkat 3)" in history
    assert "hari kerja setelah tenggat" in history and "Kementerian tujuan" in history
    assert "Kalender kerja" in history and "data kalender versi" in history
    assert [word for word in RAW if word in history] == []
    tab.page.locator("#esc-title").scroll_into_view_if_needed()
    tab.check("01-riwayat-eskalasi")
    tab.done()


def test_the_help_page_draws_the_state_diagram(browser, live_server, screenshots, world, viewport):
    email = world.ppk.email
    _commit()
    tab = tab_at(browser, live_server, screenshots, "20-bantuan", viewport, email)
    tab.go("/bantuan")
    diagram = tab.page.locator("#state-diagram svg")
    assert diagram.is_visible()
    assert diagram.locator("g.state").count() == len(S)
    words = tab.page.inner_text("#state-diagram")
    assert "Menunggu tindak lanjut PPK" in words and "stateDiagram" not in tab.page.content()
    box = diagram.bounding_box()
    assert box is not None and box["height"] > 400  # drawn, not a line of text
    tab.page.locator("#state-diagram").scroll_into_view_if_needed()
    tab.check("01-diagram-status")
    tab.done()


def test_an_edit_conflict_keeps_the_typed_text(browser, live_server, screenshots, world, viewport):
    case = case_in(world, S.RECOMMENDATION_DRAFTED)
    case_id, email = case.id, world.investigator.email
    _commit()
    tab = tab_at(browser, live_server, screenshots, "20-konflik", viewport, email)
    tab.go(f"/cases/{case_id}")
    tab.page.click("#action-draft_recommendation > summary")
    form = tab.page.locator("#action-draft_recommendation form")
    typed = "Rekomendasi yang diketik ulang dengan teliti; tidak boleh hilang karena perubahan orang lain."
    form.locator("textarea[name=text]").fill(typed)
    # Meanwhile another official issues the recommendation.
    case = db.session.get(Case, case_id)
    fire(case, E.ISSUE_RECOMMENDATION, world.commissioner2, payload_for(case, E.ISSUE_RECOMMENDATION))
    _commit()
    form.locator("button[type=submit]").click()
    tab.page.wait_for_selector("#edit-conflict")
    alert = tab.page.inner_text("#edit-conflict")
    assert "Terbitkan rekomendasi" in alert and "Dewi Komisioner" in alert
    assert "Menunggu tindak lanjut PPK" in alert and "draft_recommendation" not in alert
    assert tab.page.input_value("textarea[name=text]") == typed
    tab.expected(409)
    tab.check("01-konflik-isian-tetap")
    tab.done()


def test_every_error_at_once_and_one_case_per_form(browser, live_server, screenshots, world, viewport):
    email, agency_id = world.investigator.email, world.agency.id
    _commit()
    tab = tab_at(browser, live_server, screenshots, "20-galat", viewport, email)
    tab.go("/cases/new")
    tab.page.fill("#summary", "pendek")
    tab.page.fill("#reported_person-nip", "1234")
    tab.page.click("button:has-text('Simpan perkara')")
    tab.page.wait_for_selector(".invalid-feedback")
    invalid = {tab.page.evaluate("(el) => el.id", el) for el in tab.page.query_selector_all("main .is-invalid")}
    assert invalid >= {"agency_id", "category", "source", "occurred_on", "summary"}
    assert {"reported_person-name", "reported_person-nip"} <= invalid  # the person too, in the same round
    tab.expected(422)
    tab.check("01-semua-galat")
    # Filled in and sent twice quickly (a double click): one case.
    before = db.session.scalar(select(func.count()).select_from(Case))
    _commit()
    tab.page.select_option("#agency_id", str(agency_id))
    tab.page.select_option("#category", "netralitas")
    tab.page.select_option("#source", "bawaslu")
    tab.page.fill("#occurred_on", "2026-09-01")
    tab.page.fill("#summary", "Mengunggah ajakan memilih calon bupati di akun media sosial pribadinya.")
    tab.page.fill("#reported_person-name", "Budi Santoso")
    tab.page.fill("#reported_person-nip", "19860926 201505 1 001")
    tab.page.dblclick("button:has-text('Simpan perkara')")
    tab.page.wait_for_selector("#case-status")
    tab.page.wait_for_timeout(500)  # the second request, if the browser sent it, has been answered
    assert db.session.scalar(select(func.count()).select_from(Case)) == before + 1
    _commit()
    tab.done()


def test_an_upload_over_the_limit_stays_on_the_form(browser, live_server, screenshots, world, viewport, app, tmp_path):
    case = case_in(world, S.AWAITING_FOLLOW_UP)
    case_id, email = case.id, world.ppk.email
    _commit()
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    try:
        big = tmp_path / "sk-pindaian-besar.pdf"
        big.write_bytes(PDF + b"0" * (2 * 1024 * 1024))
        tab = tab_at(browser, live_server, screenshots, "20-batas-unggah", viewport, email)
        tab.go(f"/cases/{case_id}/events/report_follow_up")
        assert "Ukuran maksimal 1 MB." in tab.page.inner_text("main")
        tab.page.fill("input[name=decision_number]", "SK 800/99/2026")
        tab.page.fill("input[name=decision_date]", "2026-11-18")
        tab.page.select_option("select[name=sanction_imposed]", "disiplin_sedang")
        tab.page.fill("textarea[name=note]", "Catatan yang diketik sebelum memilih berkas.")
        tab.page.set_input_files("input[name=document_id]", str(big))
        # Said before sending (app/static/forms.js): nothing is sent, nothing typed is lost.
        tab.page.click("main button[type=submit]")
        tab.page.wait_for_selector("#report_follow_up-document_id-too-large")
        assert "batas unggah 1 MB" in tab.page.inner_text("#report_follow_up-document_id-too-large")
        assert tab.page.url.endswith(f"/cases/{case_id}/events/report_follow_up")
        tab.check("01-batas-sebelum-kirim")
        # Without the page's check (an old browser), the server says the same and keeps the text.
        tab.page.evaluate("document.querySelector('form[data-max-bytes]').removeAttribute('data-max-bytes')")
        tab.page.click("main button[type=submit]")
        tab.page.wait_for_selector("#report_follow_up-document_id-error")
        assert "Berkas melebihi batas unggah 1 MB" in tab.page.inner_text("#report_follow_up-document_id-error")
        assert tab.page.input_value("input[name=decision_number]") == "SK 800/99/2026"
        assert tab.page.input_value("textarea[name=note]") == "Catatan yang diketik sebelum memilih berkas."
        assert re.search(r"Laporkan tindak lanjut", tab.page.inner_text("h1"))
        tab.expected(413)
        tab.check("02-batas-dari-server")
        tab.done()
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
