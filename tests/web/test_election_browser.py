"""Issue 22 in Debian's Chromium, at 1366×768 and 390×844: an investigator links a neutrality case to an election from
the case page, then reads the case list, the dashboard and the IM-NKK's penegakan filtered by that election. Each
page is saved as a screenshot (TINDAK_SCREENSHOTS), does not scroll sideways, logs no console error, and axe-core
finds no serious or critical violation on it.

The same behaviour through the Flask test client: tests/intake/test_election_filters.py,
tests/index/test_election_filter.py."""

from __future__ import annotations

from app.db import db
from app.intake.events import create_election
from tests.browser import BROWSER, tab_at
from tests.clocked import SUITE_NOW
from tests.factories import NIPS, S, case_in

pytestmark = BROWSER


def test_link_a_case_then_read_the_list_dashboard_and_penegakan_of_its_election(
    browser, live_server, screenshots, world, viewport
):
    pemilu = create_election(
        {"name": "Pilkada Serentak 2026", "kind": "pilkada", "starts_on": "2026-08-01", "ends_on": "2026-12-31"},
        world.admin,
    )
    linked = case_in(world, S.AWAITING_FOLLOW_UP, reported_person={"name": "ASN Satu", "nip": NIPS[1]})
    other = case_in(world, S.AWAITING_FOLLOW_UP, reported_person={"name": "ASN Dua", "nip": NIPS[2]})
    election_id, case_id, number, other_number = pemilu.id, linked.id, linked.number, other.number
    email, agency_name = world.investigator.email, world.agency.name
    db.session.commit()  # read nothing after it: an open read would hold the database the server writes to

    tab = tab_at(browser, live_server, screenshots, "22-pemilihan", viewport, email)
    tab.open(f"/cases/{case_id}")
    assert "belum dikaitkan" in tab.page.inner_text("#case-election")
    tab.page.select_option("#election_id", str(election_id))
    tab.page.click("#election-form button[type=submit]")
    tab.page.wait_for_url(f"{live_server}/cases/{case_id}")
    assert "Pilkada Serentak 2026" in tab.page.inner_text("#case-election")
    assert "Pemilihan perkara diubah" in tab.page.inner_text("main")
    tab.check("01-perkara-dikaitkan")

    tab.open("/cases")
    tab.page.select_option("form:has(#election_id) #election_id", str(election_id))
    with tab.page.expect_navigation():
        tab.page.click("form:has(#election_id) button[type=submit]")
    assert f"election_id={election_id}" in tab.page.url
    listed = tab.page.inner_text("main")
    assert number in listed and other_number not in listed
    tab.check("02-daftar-per-pemilihan")

    tab.open("/dasbor")
    tab.page.select_option("#dashboard-election #election_id", str(election_id))
    with tab.page.expect_navigation():
        tab.page.click("#dashboard-election button[type=submit]")
    assert tab.page.url.endswith(f"/dasbor?election_id={election_id}")
    assert "Pilkada Serentak 2026" in tab.page.inner_text("#dashboard-election-note")
    assert tab.page.inner_text("#tile-open").strip() == "1"
    tab.check("03-dasbor-per-pemilihan")

    tab.open(f"/index?year={SUITE_NOW.year}&election_id={election_id}")
    table = tab.page.inner_text("#election-enforcement")
    assert agency_name in table and "tidak terukur" in table  # issued this week: nothing due yet
    tab.check("04-penegakan-per-pemilihan")
    tab.done()
