"""The public page on personal data in Debian's Chromium, at 1366×768 and 390×844, in Indonesian and in English:
no sideways scroll, axe-core finds no serious or critical violation, each page saved as a screenshot."""

# ruff: noqa: F811 - the fixtures of the end-to-end test are imported by name, and the tests take them as parameters

from __future__ import annotations

from typing import Any

import pytest

from app.people.retention import RETENTION
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


def _check(tab: Session, step: str) -> None:
    tab.shot(step)
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= tab.page.viewport_size["width"], f"{tab.name} {step}: {width}px wide"
    assert severe_violations(tab.page) == [], f"{tab.name} {step}"


def test_the_privacy_page_in_both_languages(browser, live_server, screenshots, viewport):
    phone = viewport == "390"
    tab = Session(
        browser,
        live_server,
        screenshots,
        f"23-privasi-{viewport}",
        viewport=VIEWPORTS[viewport],
        is_mobile=phone,
        has_touch=phone,
    )
    tab.go("/login")
    tab.page.click("footer a:has-text('Data pribadi')")
    tab.page.wait_for_url(live_server + "/privasi")
    assert tab.page.locator("#retention tbody tr").count() == len(RETENTION)
    assert "Perlindungan data pribadi" in tab.page.locator("h1").inner_text()
    _check(tab, "01-indonesia")
    if phone:  # the language switch is in the menu, collapsed on a phone
        tab.page.click(".navbar-toggler")
    tab.page.click("button:has-text('English')")
    tab.page.wait_for_url(live_server + "/privasi")
    assert "Personal data protection" in tab.page.locator("h1").inner_text()
    _check(tab, "02-english")
