"""End to end in a real headless Chromium: the case's whole path through four users' browsers.

An investigator logs a case and drafts the recommendation, a commissioner issues it, the PPK office sees it
on its home page and reports the follow-up with the SK file, the investigator accepts it; a PPK office of
another agency gets 404 for the case's URL. Every page is saved as a screenshot (TINDAK_SCREENSHOTS) and
no page may log a console error.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from tests.browser import BROWSER, Session

pytestmark = BROWSER

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def plain(world: Any) -> Any:
    """Plain values of the test data, then no open transaction in the test thread: on SQLite every
    transaction takes the write lock, which the server thread needs."""
    from types import SimpleNamespace

    from app.db import db

    values = SimpleNamespace(
        agency_id=world.agency.id,
        **{
            name: getattr(world, name).email
            for name in ("investigator", "commissioner", "ppk", "other_ppk", "overseer", "admin")
        },
    )
    db.session.commit()
    return values


def test_case_from_report_to_accepted_follow_up(browser, live_server, screenshots, world, tmp_path):
    data = plain(world)
    sessions: list[Session] = []

    def session(name: str, **context: Any) -> Session:
        s = Session(browser, live_server, screenshots, name, **context)
        sessions.append(s)
        return s

    # 1. The investigator logs the case and drafts the recommendation.
    inv = session("1-penyelidik")
    inv.login(data.investigator)
    inv.shot("01-beranda")
    inv.page.locator("#nav").get_by_role("link", name="Perkara", exact=True).click()
    inv.page.click("text=Catat perkara baru")
    inv.page.select_option("#agency_id", str(data.agency_id))
    inv.page.select_option("#category", "netralitas")
    inv.page.select_option("#subcategory", "kampanye_medsos")
    inv.page.select_option("#source", "bawaslu")
    inv.page.fill("#occurred_on", "2026-09-01")
    inv.page.fill("#summary", "Mengunggah ajakan memilih calon bupati di akun media sosial pribadinya.")
    inv.page.fill("#reported_person-name", "Budi Santoso")
    inv.page.fill("#reported_person-nip", "19860926 201505 1 001")
    inv.page.fill("#reported_person-position", "Camat Depok")
    inv.page.fill("#reporter-name", "Siti Pelapor")
    inv.page.fill("#reporter-contact", "0812-1111-2222")
    inv.shot("02-perkara-baru")
    inv.page.click("button:has-text('Simpan perkara')")
    inv.page.wait_for_selector("#case-status")
    number = inv.page.inner_text("h1")
    assert re.fullmatch(r"NKK-\d{4}-\d{6}", number)
    case_url = inv.page.url.removeprefix(live_server)
    assert "Siti Pelapor" in inv.page.inner_text("main")  # KASN sees the reporter
    assert inv.status() == "Laporan diterima"
    inv.shot("03-perkara-dicatat")
    inv.open_action("start_review").locator("button[type=submit]").click()
    inv.page.wait_for_selector("#case-status:has-text('Penelaahan')")
    form = inv.open_action("draft_recommendation")
    form.locator("select[name=sanction]").select_option("disiplin_sedang")
    form.locator("textarea[name=legal_basis]").fill("PP 94/2021 Pasal 5 huruf n dan Pasal 8")
    form.locator("textarea[name=text]").fill("Menjatuhkan hukuman disiplin sedang kepada terlapor.")
    inv.shot("04-draf-rekomendasi")
    form.locator("button[type=submit]").click()
    inv.page.wait_for_selector("#case-status:has-text('Draf rekomendasi')")
    inv.shot("05-draf-tersimpan")

    # 2. A commissioner issues it: the system numbers the letter, and a confirmation page says first what will
    # happen (authority, number, deadline, email to the PPK).
    com = session("2-komisioner")
    com.login(data.commissioner)
    assert number in com.page.inner_text("#home-drafts")
    com.shot("01-beranda")
    com.page.click(f"#home-drafts >> text={number}")
    form = com.open_action("issue_recommendation")
    assert form.locator("input[name=letter_number]").count() == 0
    form.locator("button[type=submit]").click()
    com.page.wait_for_selector("#confirm-summary")
    summary = com.page.inner_text("#confirm-summary")
    assert re.search(r"R-1/KASN/\d+/\d{4}", summary) and "14 hari kerja" in summary
    com.shot("02-konfirmasi-diminta")
    com.page.click("#confirm-event")
    com.page.wait_for_selector("#case-status:has-text('Menunggu tindak lanjut PPK')")
    assert com.page.locator("#deadline").count() == 1
    com.shot("03-rekomendasi-terbit")

    # 3. The PPK office sees it on its home page, and reports the follow-up with the SK file.
    ppk = session("3-ppk")
    ppk.login(data.ppk)
    card = ppk.page.locator(".follow-up-card", has_text=number)
    assert card.count() == 1
    assert re.search(r"Sisa \d+ hari kerja", card.inner_text())
    ppk.shot("01-beranda")
    card.click()
    ppk.page.wait_for_selector("#case-status")
    assert "Siti Pelapor" not in ppk.page.content()  # the reporter stays confidential
    ppk.page.click("summary:has-text('Penjelasan perhitungan tenggat')")
    assert ppk.page.locator("#deadline-explanation tbody tr").count() >= 14
    ppk.shot("02-perkara")
    sk = tmp_path / "sk-hukuman-disiplin.pdf"
    sk.write_bytes(PDF)
    form = ppk.open_action("report_follow_up")
    form.locator("input[name=decision_number]").fill("800/123/SK/2026")
    form.locator("input[name=decision_date]").fill(date.today().isoformat())
    form.locator("select[name=sanction_imposed]").select_option("disiplin_sedang")
    form.locator("textarea[name=note]").fill("Pemotongan tunjangan kinerja 25% selama 6 bulan.")
    form.locator("input[name=document_id]").set_input_files(str(sk))
    ppk.shot("03-laporan-tindak-lanjut")
    form.locator("button[type=submit]").click()
    ppk.page.wait_for_selector("#case-status:has-text('Tindak lanjut dilaporkan')")
    assert "800/123/SK/2026" in ppk.page.inner_text("main")
    ppk.shot("04-tindak-lanjut-terkirim")

    # 4. Another agency's PPK office cannot open the case by its URL.
    other = session("4-ppk-lain")
    other.login(data.other_ppk)
    response = other.go(case_url)
    assert response.status == 404
    assert number not in other.page.content()
    other.shot("01-perkara-instansi-lain")
    other.expected(404)

    # 5. The investigator accepts the follow-up; the SK's sha256 is shown.
    inv.go(case_url)
    assert inv.page.locator("#attachments .sha256").count() == 1
    assert re.fullmatch(r"[0-9a-f]{64}", inv.page.inner_text("#attachments .sha256"))
    form = inv.open_action("accept_follow_up")
    form.locator("button[type=submit]").click()
    inv.page.wait_for_selector("#confirm-summary")
    inv.page.click("#confirm-event")
    inv.page.wait_for_selector("#case-status:has-text('Selesai')")
    assert inv.page.locator("#timeline li").count() >= 7
    inv.shot("06-selesai")

    for s in sessions:
        assert s.errors == [], f"{s.name}: console errors {s.errors} (failed requests: {s.failed})"
        s.close()


def test_phone_layout_and_keyboard(browser, live_server, screenshots, world, make_case):
    make_case("awaiting_follow_up")
    data = plain(world)
    phone = Session(
        browser,
        live_server,
        screenshots,
        "5-ponsel",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    phone.login(data.ppk)
    assert phone.page.locator(".follow-up-card").count() == 1
    assert not phone.page.is_visible("#nav")  # collapsed behind the menu button
    phone.page.click(".navbar-toggler")
    phone.page.wait_for_selector("#nav.show")
    assert phone.page.locator("#nav").get_by_role("link", name="Perkara", exact=True).is_visible()
    phone.shot("01-beranda-menu")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the home page scrolls sideways on a phone"

    # Keyboard: the first Tab reaches the skip link, which moves the focus to the content.
    phone.go("/")
    phone.page.keyboard.press("Tab")
    assert phone.page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    phone.page.keyboard.press("Enter")
    assert phone.page.evaluate("document.activeElement.id") == "main"
    assert phone.errors == []
    phone.close()


def test_every_page_renders_without_console_errors(browser, live_server, screenshots, world, make_case):
    """A tour of the other pages, per role, in Indonesian and once in English; each saved as a screenshot."""
    case = make_case("awaiting_follow_up")
    draft = make_case("recommendation_drafted")
    tours = {
        "admin": [
            "/admin/",
            "/admin/agencies",
            f"/admin/agencies/{world.agency.id}",
            "/admin/agencies/new",
            "/admin/users",
            f"/admin/users/{world.ppk.id}",
            "/admin/users/new",
            "/admin/recipients",
            "/admin/calendar",
            "/admin/authorities",
            "/admin/outbox",
            "/akun",
        ],
        "commissioner": [
            "/",
            "/cases",
            f"/cases/{draft.id}",
            f"/cases/{case.id}/events/extend_deadline",
            "/akun",
            "/bantuan",
        ],
        "overseer": ["/", "/cases"],
    }
    emails = {role: getattr(world, role).email for role in tours}
    draft_url = f"/cases/{draft.id}"
    plain(world)
    for role, paths in tours.items():
        tab = Session(browser, live_server, screenshots, f"6-tur-{role}")
        tab.login(emails[role])
        for n, path in enumerate(paths, start=1):
            response = tab.go(path)
            assert response.status == 200, path
            assert tab.page.get_attribute("html", "lang") == "id"
            tab.shot(f"{n:02d}{path.replace('/', '-').rstrip('-')}")
        assert tab.errors == [], f"{role}: {tab.errors} ({tab.failed})"
        tab.close()

    english = Session(browser, live_server, screenshots, "7-english")
    english.login(emails["commissioner"])
    english.page.click("button:has-text('English')")
    english.page.wait_for_selector("html[lang=en]")
    english.go(draft_url)
    assert "Draft recommendation" in english.page.inner_text("#case-status")
    english.shot("01-case")
    english.page.click("button:has-text('Bahasa Indonesia')")
    english.page.wait_for_selector("html[lang=id]")
    assert english.errors == []
    english.close()
