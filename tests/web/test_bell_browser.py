"""Issue 21 in Debian's Chromium, at 1366×768 and 390×844: the bell in the page header with its unread count (on
a phone too, beside the menu button, not hidden in it), the notifications page, opening a notice (read, on to the
case), marking all read, and the administrator's audit page. Each page is saved as a screenshot
(TINDAK_SCREENSHOTS), does not scroll sideways, logs no console error, and axe-core finds no serious or critical
violation on it.

The same behaviour through the Flask test client: tests/web/test_notification_pages.py, tests/inbox/.
"""

from __future__ import annotations

from app.db import db
from tests.browser import BROWSER, tab_at
from tests.factories import S, case_in

pytestmark = BROWSER


def test_the_bell_counts_lists_opens_and_marks_read(browser, live_server, screenshots, world, viewport):
    first = case_in(world, S.AWAITING_FOLLOW_UP)
    case_in(world, S.AWAITING_FOLLOW_UP)
    first_id, first_number, email = first.id, first.number, world.ppk.email
    db.session.commit()
    tab = tab_at(browser, live_server, screenshots, "21-lonceng", viewport, email)
    bell = tab.page.locator("#bell")
    assert bell.is_visible()  # on a phone too: outside the collapsed menu
    assert bell.inner_text().strip().endswith("2")
    assert "2 belum dibaca" in (bell.text_content() or "")
    box = bell.bounding_box()
    assert box is not None and box["x"] + box["width"] <= tab.page.viewport_size["width"]
    tab.check("01-beranda-dengan-lonceng")
    bell.click()
    tab.page.wait_for_url(live_server + "/notifikasi")
    assert tab.page.locator("#notices li.notice-unread").count() == 2
    assert "Rekomendasi diterbitkan" in tab.page.inner_text("#notices")
    tab.check("02-daftar-notifikasi")
    tab.page.locator(f"#notices li:has-text('{first_number}') button:has-text('Buka')").click()
    tab.page.wait_for_url(f"{live_server}/cases/{first_id}")
    assert tab.page.locator("#bell").inner_text().strip().endswith("1")
    tab.check("03-perkara-dibuka")
    tab.go("/notifikasi")
    tab.page.click("#mark-all")
    tab.page.wait_for_selector("#unread-summary:has-text('Semua notifikasi sudah dibaca')")
    assert tab.page.locator("#bell .bell-count").count() == 0
    tab.check("04-semua-dibaca")
    assert tab.errors == [], f"{tab.name}: console errors {tab.errors} (failed requests: {tab.failed})"
    tab.close()


def test_the_audit_page(browser, live_server, screenshots, world, viewport):
    case = case_in(world, S.AWAITING_FOLLOW_UP)
    number, email = case.number, world.admin.email
    db.session.commit()
    tab = tab_at(browser, live_server, screenshots, "21-audit", viewport, email)
    tab.go("/admin/audit")
    assert number in tab.page.inner_text("#audit") and "Masuk" in tab.page.inner_text("#audit")
    tab.check("01-audit")
    tab.page.fill("#case", number)
    tab.page.click("#audit-filters button[type=submit]")
    tab.page.wait_for_url("**/admin/audit?**case=**")
    kinds = tab.page.locator("#audit tbody td[data-label='Jenis']").all_inner_texts()
    assert kinds and set(kinds) == {"Riwayat perkara"}  # that case's history, no sign-in
    tab.check("02-audit-per-perkara")
    assert tab.errors == [], f"{tab.name}: console errors {tab.errors} (failed requests: {tab.failed})"
    tab.close()
