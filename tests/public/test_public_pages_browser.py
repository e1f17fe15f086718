"""/publik and /publik/definisi in Debian's Chromium at 1366×768 and 390×844, signed out: the page fits the window
(no sideways scroll), axe-core finds no serious or critical violation, no console error; the map draws every
province, small counts read "< 5", the language switch gives English.
Screenshots public-<size>-<step>.png (tests/browser.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from app.db import db
from app.models.intake import CaseElection, Election
from app.public import release as releases
from tests.browser import BROWSER, tab_at

pytestmark = BROWSER


def _public_tab(browser: Any, base: str, folder: Path, name: str, viewport: str, secrets: list[str]) -> Any:
    """A signed-out tab, and its check of a page: the harness's checks, and none of the test data's names, NIPs
    and case numbers in the page."""
    tab = tab_at(browser, base, folder, name, viewport)

    def check(step: str) -> str:
        tab.check(step)
        text = tab.page.content()
        assert [s for s in secrets if s in text] == [], step
        return text

    return tab, check


def test_public_dashboard_in_a_browser(viewport, browser, live_server, screenshots, public_world):
    releases.refresh_year(2026)
    db.session.commit()
    tab, check = _public_tab(browser, live_server, screenshots, "public", viewport, public_world.secrets())
    page = tab.page

    response = page.goto(live_server + "/publik?tahun=2026")
    assert response is not None and response.status == 200
    html = check("dashboard")
    assert page.locator("svg.public-map path").count() == 34
    assert "&lt; 5" in html
    assert page.locator("#national-heading").is_visible()
    page.goto(live_server + "/publik?tahun=2026&provinsi=PROV-99")
    html = check("province")
    assert "Kabupaten Contoh Kecil" in html and "Kota Contoh Kecil" in html
    page.click("text=Definisi setiap angka")
    page.wait_for_url("**/publik/definisi")
    check("definitions")
    page.goto(live_server + "/publik?tahun=2026")
    if page.locator(".navbar-toggler").is_visible():
        page.click(".navbar-toggler")
    page.click("button:has-text('English')")
    page.wait_for_load_state()
    html = check("dashboard-en")
    assert "Public figures of ASN ethics enforcement" in html and "Recommendations issued" in html
    tab.done()


def test_choosing_an_election_on_the_public_dashboard(viewport, browser, live_server, screenshots, public_world):
    """The selector: a year or an election; the election's figures replace the year's, and a province's monthly
    trend shows when a province is chosen (a year's page)."""
    election = Election(name="Pilkada Serentak Uji", kind="pilkada", starts_on=date(2026, 1, 1),
                        ends_on=date(2026, 12, 31))  # fmt: skip
    db.session.add(election)
    db.session.flush()
    db.session.add_all(CaseElection(case_id=c.id, election_id=election.id) for c in public_world.cases)
    db.session.commit()
    releases.refresh_year(2026)
    releases.refresh_elections()
    db.session.commit()
    tab, check = _public_tab(browser, live_server, screenshots, "public-election", viewport, public_world.secrets())
    page = tab.page

    page.goto(live_server + "/publik?tahun=2026")
    check("year")
    page.select_option("#pemilu", str(election.id))
    page.click("button:has-text('Tampilkan pemilu')")
    page.wait_for_url(f"**/publik?pemilu={election.id}")
    html = check("election")
    assert "Pilkada Serentak Uji" in page.locator("h1").inner_text()
    assert f"/api/v1/public/elections/{election.id}/figures.json" in html
    page.select_option("#provinsi", "PROV-99")
    page.click("#agencies-heading ~ form button")
    page.wait_for_url(f"**pemilu={election.id}**provinsi=PROV-99**")
    html = check("election-province")
    assert "Kota Contoh Kecil" in html
    page.goto(live_server + "/publik?tahun=2026&provinsi=PROV-99")
    check("year-province-trend")
    assert "Provinsi Contoh" in page.locator("#trend-heading").inner_text()
    tab.done()
