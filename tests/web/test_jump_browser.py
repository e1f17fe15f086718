"""Jump to a case by number, in Debian's Chromium at 1366×768 and 390×844: the header's box is on the page and
usable on a phone without opening the menu; a visible case's number opens it, another agency's number and an
unknown one show the same "not found" page, a name searches the list; the list's saved-filter menu saves the
current filter and applies it. Each page is saved as a screenshot (TINDAK_SCREENSHOTS), does not scroll sideways,
logs no console error but the 404 it answers on purpose, and axe-core finds no serious or critical violation.

The same behaviour through the Flask test client: tests/web/test_find_pages.py.
"""

from __future__ import annotations

import re

from app.db import db
from tests.browser import BROWSER, Session, tab_at
from tests.factories import NIPS, S, case_in

pytestmark = BROWSER


def _jump(tab: Session, term: str) -> None:
    box = tab.page.locator("#jump-q")
    assert box.is_visible()  # in the header itself: no menu to open first, on a phone too
    box.fill(term)
    box.press("Enter")
    tab.page.wait_for_load_state()


def test_jump_to_a_case_by_number(browser, live_server, screenshots, world, viewport):
    visible = case_in(world, S.AWAITING_FOLLOW_UP, reported_person={"name": "Rahmat Hidayat", "nip": NIPS[1]})
    numbers = {"visible": visible.number, "id": visible.id}
    elsewhere = case_in(world, S.AWAITING_FOLLOW_UP, agency=world.other_agency)
    numbers["elsewhere"] = elsewhere.number
    ppk_email = world.ppk.email
    db.session.commit()

    tab = tab_at(browser, live_server, screenshots, "21-lompat", viewport)
    tab.go("/login")
    assert tab.page.locator("#jump-q").count() == 0  # signed-in pages only
    tab.login(ppk_email)
    tab.check("01-beranda")
    box = tab.page.locator("#jump-q").bounding_box()
    assert box is not None and box["width"] >= 120 and box["y"] < 80  # a usable box in the header's first row

    _jump(tab, numbers["visible"].lower())
    assert tab.page.url == f"{live_server}/cases/{numbers['id']}"
    assert numbers["visible"] in tab.page.inner_text("main")
    tab.check("02-perkara-dibuka")

    _jump(tab, numbers["elsewhere"])  # another agency's case: the PPK is told nothing about it
    hidden_text = re.sub(r"NKK-\d{4}-\d{6}", "N", tab.page.inner_text("main"))
    assert "Tidak ada perkara bernomor" in hidden_text
    tab.check("03-nomor-instansi-lain")
    _jump(tab, "NKK-1999-000042")  # a number no case has
    assert re.sub(r"NKK-\d{4}-\d{6}", "N", tab.page.inner_text("main")) == hidden_text
    tab.check("04-nomor-tak-dikenal")
    tab.expected(404)

    _jump(tab, "Hidayat")  # anything else searches the list
    assert tab.page.url.endswith("/cases?q=Hidayat")
    assert numbers["visible"] in tab.page.inner_text("main")
    assert tab.page.input_value("#q") == "Hidayat"
    tab.check("05-hasil-cari")

    # the list's saved filters: save the search under a name, then apply it from the menu
    tab.page.click("#saved-filters > summary")
    tab.page.fill("#saved-filter-name", "Hidayat")
    tab.page.click("#saved-filters button[type=submit]:has-text('Simpan saringan')")
    tab.page.wait_for_load_state()
    assert "Saringan “Hidayat” disimpan." in tab.page.inner_text("main")
    tab.go("/cases")
    tab.page.click("#saved-filters > summary")
    tab.check("06-saringan-tersimpan")
    tab.page.click("#saved-filters a.saved-filter-link:has-text('Hidayat')")
    tab.page.wait_for_load_state()
    assert tab.page.url.endswith("/cases?q=Hidayat")
    assert tab.errors == [], f"{tab.name}: console errors {tab.errors} (failed requests: {tab.failed})"
    tab.close()
