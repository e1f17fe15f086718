"""Issue 21 in Debian's Chromium, at 1366×768 and 390×844: the bell in the page header with its unread count (on
a phone too, beside the menu button, not hidden in it), the notifications page, opening a notice (read, on to the
case), marking all read, and the administrator's audit page. Each page is saved as a screenshot
(TINDAK_SCREENSHOTS), does not scroll sideways, logs no console error, and axe-core finds no serious or critical
violation on it.

The same behaviour through the Flask test client: tests/web/test_notification_pages.py, tests/inbox/.
"""

# ruff: noqa: F811 - the fixtures of the end-to-end test are imported by name, and the tests take them as parameters

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.db import db
from tests.factories import PASSWORD, S, case_in
from tests.web.axe import severe_violations
from tests.web.test_browser import (  # noqa: F401 - the end-to-end test's fixtures and its browser tab
    Session,
    browser,
    live_server,
    screenshots,
)

pytestmark = pytest.mark.browser

VIEWPORTS = {"1366": {"width": 1366, "height": 768}, "390": {"width": 390, "height": 844}}


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: Any) -> str:
    return request.param


def _tab(browser: Any, base: str, folder: Path, name: str, viewport: str, email: str) -> Session:
    phone = viewport == "390"
    tab = Session(
        browser,
        base,
        folder,
        f"21-{name}-{viewport}",
        viewport=VIEWPORTS[viewport],
        is_mobile=phone,
        has_touch=phone,
    )
    tab.go("/login")
    tab.page.fill("#email", email)
    tab.page.fill("#password", PASSWORD)
    tab.page.click("button[type=submit]:has-text('Masuk')")
    tab.page.wait_for_url(base + "/")
    return tab


def _check(tab: Session, step: str) -> None:
    tab.shot(step)
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= tab.page.viewport_size["width"], f"{tab.name} {step}: {width}px wide"
    assert severe_violations(tab.page) == [], f"{tab.name} {step}"


def test_the_bell_counts_lists_opens_and_marks_read(browser, live_server, screenshots, world, viewport):
    first = case_in(world, S.AWAITING_FOLLOW_UP)
    case_in(world, S.AWAITING_FOLLOW_UP)
    first_id, first_number, email = first.id, first.number, world.ppk.email
    db.session.commit()
    tab = _tab(browser, live_server, screenshots, "lonceng", viewport, email)
    bell = tab.page.locator("#bell")
    assert bell.is_visible()  # on a phone too: outside the collapsed menu
    assert bell.inner_text().strip().endswith("2")
    assert "2 belum dibaca" in (bell.text_content() or "")
    box = bell.bounding_box()
    assert box is not None and box["x"] + box["width"] <= tab.page.viewport_size["width"]
    _check(tab, "01-beranda-dengan-lonceng")
    bell.click()
    tab.page.wait_for_url(live_server + "/notifikasi")
    assert tab.page.locator("#notices li.notice-unread").count() == 2
    assert "Rekomendasi diterbitkan" in tab.page.inner_text("#notices")
    _check(tab, "02-daftar-notifikasi")
    tab.page.locator(f"#notices li:has-text('{first_number}') button:has-text('Buka')").click()
    tab.page.wait_for_url(f"{live_server}/cases/{first_id}")
    assert tab.page.locator("#bell").inner_text().strip().endswith("1")
    _check(tab, "03-perkara-dibuka")
    tab.go("/notifikasi")
    tab.page.click("#mark-all")
    tab.page.wait_for_selector("#unread-summary:has-text('Semua notifikasi sudah dibaca')")
    assert tab.page.locator("#bell .bell-count").count() == 0
    _check(tab, "04-semua-dibaca")
    assert tab.errors == [], f"{tab.name}: console errors {tab.errors} (failed requests: {tab.failed})"
    tab.close()


def test_the_audit_page(browser, live_server, screenshots, world, viewport):
    case = case_in(world, S.AWAITING_FOLLOW_UP)
    number, email = case.number, world.admin.email
    db.session.commit()
    tab = _tab(browser, live_server, screenshots, "audit", viewport, email)
    tab.go("/admin/audit")
    assert number in tab.page.inner_text("#audit") and "Masuk" in tab.page.inner_text("#audit")
    _check(tab, "01-audit")
    tab.page.fill("#case", number)
    tab.page.click("#audit-filters button[type=submit]")
    tab.page.wait_for_url("**/admin/audit?**case=**")
    kinds = tab.page.locator("#audit tbody td[data-label='Jenis']").all_inner_texts()
    assert kinds and set(kinds) == {"Riwayat perkara"}  # that case's history, no sign-in
    _check(tab, "02-audit-per-perkara")
    assert tab.errors == [], f"{tab.name}: console errors {tab.errors} (failed requests: {tab.failed})"
    tab.close()
