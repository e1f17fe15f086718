"""The public page on personal data in Debian's Chromium, at 1366×768 and 390×844, in Indonesian and in English
(the switch): it fits the window, axe-core finds no serious or critical violation, each page saved as a screenshot
(the harness of tests/browser.py). The same page through the Flask test client: tests/web/test_privacy_page.py."""

from __future__ import annotations

from app.people.retention import RETENTION
from tests.browser import BROWSER, tab_at

pytestmark = BROWSER


def test_the_privacy_page_in_both_languages(browser, live_server, screenshots, viewport):
    tab = tab_at(browser, live_server, screenshots, "23-privasi", viewport)
    tab.go("/login")
    tab.page.click("footer a:has-text('Data pribadi')")
    tab.page.wait_for_url(live_server + "/privasi")
    assert tab.page.locator("#retention tbody tr").count() == len(RETENTION)
    assert "Perlindungan data pribadi" in tab.page.locator("h1").inner_text()
    tab.check("01-indonesia")
    if viewport == "390":  # the language switch is in the menu, collapsed on a phone
        tab.page.click(".navbar-toggler")
    tab.page.click("button:has-text('English')")
    tab.page.wait_for_url(live_server + "/privasi")
    assert "Personal data protection" in tab.page.locator("h1").inner_text()
    tab.check("02-english")
    tab.done()
