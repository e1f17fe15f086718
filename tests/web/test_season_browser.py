"""The dashboard and the deadline calendar in Debian's Chromium (issue 21, "see the season"), at 1366×768 and 390×844:
each role's dashboard draws its charts (SVG images with a name) and opens their tables, the calendar shows a month
as a grid on a wide window and as a list of days on a phone, moves by week, and the account page makes the feed's
address; no page scrolls sideways, no console error, no serious or critical axe-core violation; screenshots
season-<size>-<role>-<step>.png in artifacts/screenshots (TINDAK_SCREENSHOTS)."""

# ruff: noqa: F811 - the dashboard's seeded world is a fixture imported by name

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from app.calendar.working_days import end_of_day
from app.db import db
from app.models.cases import Recommendation
from tests.browser import tab_at
from tests.factories import S, case_in
from tests.web.test_dashboard import season  # noqa: F401 - the dashboard's seeded world


def _plain(seeded: dict[str, Any]) -> dict[str, Any]:
    """Plain values, then no open transaction in the test thread (SQLite: the server thread needs the lock)."""
    cast = seeded["cast"]
    running = case_in(cast, S.AWAITING_FOLLOW_UP)
    rec = db.session.scalars(select(Recommendation).where(Recommendation.case_id == running.id)).one()
    rec.due_at = end_of_day(date(2026, 12, 4), "Asia/Jakarta")
    values = {
        "emails": {role: cast.user(role).email for role in ("investigator", "ppk", "overseer", "other_ppk")},
        "running": running.number,
        "late": seeded["cases"]["slm_late"].number,
    }
    db.session.commit()
    return values


@pytest.mark.browser
def test_the_dashboard_and_the_calendar_in_a_browser(viewport, browser, live_server, screenshots, season):
    data = _plain(season)
    phone = viewport == "390"

    inv = tab_at(browser, live_server, screenshots, "season-investigator", viewport, data["emails"]["investigator"])
    if phone:
        inv.page.click("button.navbar-toggler")
    inv.page.click("nav a.nav-link[href='/dasbor']")
    inv.page.wait_for_url(live_server + "/dasbor")
    charts = inv.page.locator("svg.bar-chart[role=img]")
    assert charts.count() == 8
    assert inv.page.get_attribute("#chart-status", "aria-labelledby") == "chart-status-title chart-status-desc"
    assert inv.page.inner_text("#tile-open") == "13" and inv.page.inner_text("#tile-overdue") == "2"
    assert inv.visible_in_window("#chart-deadlines")
    inv.check("01-dasbor")
    inv.page.click("#chart-region-panel summary")
    region = inv.page.locator("#chart-region-table")
    assert region.is_visible() and "Daerah Istimewa Yogyakarta" in region.inner_text()
    inv.check("02-dasbor-tabel-wilayah")

    inv.open("/kalender?date=2026-12")
    grid, days = inv.page.locator("table.calendar-grid"), inv.page.locator("#month-days")
    assert grid.is_visible() != phone and days.is_visible() == phone
    shown = days if phone else grid
    assert data["running"] in shown.inner_text()
    inv.check("03-kalender-bulan")
    inv.page.click("a.btn:has-text('Minggu')")
    inv.page.wait_for_url(re.compile(r"view=week"))
    assert inv.page.locator("#week-days > li").count() == 7
    inv.page.click("a[rel=next]")
    inv.page.wait_for_url(re.compile(r"view=week&date=2026-12-0\d"))
    assert data["running"] in inv.page.inner_text("#week-days")
    inv.check("04-kalender-minggu")

    inv.open("/akun")
    inv.page.click("#calendar-feed-make")
    inv.page.wait_for_url(re.compile(r"/akun"))
    url = inv.page.inner_text("#calendar-feed-url")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/kalender/langganan/[A-Za-z0-9_-]{43}\.ics", url)
    inv.check("05-akun-alamat-kalender")
    inv.done()

    for role in ("ppk", "overseer"):
        tab = tab_at(browser, live_server, screenshots, f"season-{role}", viewport, data["emails"][role])
        tab.open("/dasbor")
        assert tab.page.locator("svg.bar-chart[role=img]").count() == 8
        tab.check("01-dasbor")
        tab.open("/kalender?date=2026-11")
        text = tab.page.inner_text("main")
        assert data["late"] in text  # its deadline, past and still open, on 4 November
        assert role == "ppk" or data["running"] not in text  # not escalated: not the ministry's
        tab.check("03-kalender-bulan")
        tab.done()
