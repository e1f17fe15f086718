"""Tables that fit and say what matters (issue 20): the case list and the home pages put the most urgent open work
first, every meaningful column sorts, tables choose their columns by the window's width (a card per row on a
phone) and never scroll sideways, long SK numbers wrap, deadlines are written in the case's agency zone, numbers in
one format, the IM-NKK ranking table comes in pages, and an agency is picked by typing part of its name.

The fast tests read the pages and the listing service; the browser tests (Debian's Chromium) look at 1366×768 and
390×844, save screenshots (TINDAK_SCREENSHOTS) and run axe-core (tests/web/axe.py) on each page: no serious or
critical violation.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import render_template_string
from sqlalchemy import select

from app.cases import listing
from app.core.clock import utcnow
from app.core.states import CaseStatus
from app.db import db
from app.i18n import format_number
from app.models.cases import Case, FollowUp, Recommendation
from app.models.escalations import EscalationStep
from tests import factories
from tests.browser import tab_at

LONG_SK = "800.1.6.3/1234/BKPSDM/SK/HUKDIS/PEMOTONGAN_TUNJANGAN_KINERJA_25_PERSEN_SELAMA_6_BULAN/XI/2026"


def _rows(html: str) -> list[str]:
    """The case numbers of a page's case table, top to bottom."""
    table = html.split('class="table table-sm table-hover align-middle case-table', 1)[1].split("</table>")[0]
    return re.findall(r"NKK-\d{4}-\d{6}", table)


def _recommendation(case: Case) -> Recommendation:
    return db.session.scalars(select(Recommendation).where(Recommendation.case_id == case.id)).one()


def _due(case: Case, *, days: float, level: int | None = None, body: str | None = None) -> None:
    """The case's running deadline `days` from now (negative: overdue), at `level` (a step row for 2 and 3)."""
    rec = _recommendation(case)
    rec.due_at = utcnow() + timedelta(days=days)
    if level is not None:
        rec.escalation_level = level
        if level >= 2:
            db.session.add(
                EscalationStep(
                    recommendation_id=rec.id, case_id=case.id, cycle=rec.cycle, level=level,
                    reached_at=utcnow() - timedelta(days=1), due_at=rec.due_at, body=body,
                )
            )  # fmt: skip
    db.session.commit()


@pytest.fixture
def desk(world: Any) -> dict[str, Case]:
    """A desk of cases in every kind of state: the order of urgency is late2, soon, wita (running deadlines,
    earliest first), then reported (newest first among cases without a running deadline), review, and the ended
    ones last (closed)."""
    made: dict[str, Case] = {}
    for key, state, name, category, agency in (
        ("closed", "closed", "Fajar", "netralitas", world.agency),
        ("soon", "awaiting_follow_up", "Dewi", "netralitas", world.agency),
        ("review", "under_review", "Citra", "masalah_rumah_tangga", world.agency),
        ("late2", "awaiting_follow_up", "Ahmad", "netralitas", world.agency),
        ("wita", "awaiting_follow_up", "Eka", "netralitas", world.other_agency),
        ("reported", "follow_up_reported", "Bambang", "perbuatan_tidak_menyenangkan", world.agency),
    ):
        person = {"name": f"{name} Santoso", "nip": factories.NIP, "position": "Analis Kepegawaian"}
        extra = {} if category == "netralitas" else {"subcategory": None}
        made[key] = factories.case_in(
            world, CaseStatus(state), agency=agency, reported_person=person, category=category, **extra
        )
    _due(made["soon"], days=2, level=0)
    _due(made["late2"], days=-9, level=2, body="kemendagri")
    follow_up = db.session.scalars(select(FollowUp).where(FollowUp.case_id == made["reported"].id)).one()
    follow_up.decision_number = LONG_SK
    db.session.commit()
    return made


URGENT_ORDER = ["late2", "soon", "wita", "reported", "review", "closed"]


# -- the order and the sorts (fast) -------------------------------------------------------------------------------


def test_the_list_puts_the_most_urgent_open_work_first(world, desk, pages_for):
    html = pages_for(world.investigator).get("/cases").get_data(as_text=True)
    assert _rows(html) == [desk[key].number for key in URGENT_ORDER]
    assert 'id="list-order"' in html  # the page says how it is ordered
    items, more = listing.list_page(world.investigator, {}, limit=3)
    assert [i["number"] for i in items] == [desk[key].number for key in URGENT_ORDER[:3]] and more
    items, more = listing.list_page(world.investigator, {}, limit=3, offset=3)
    assert [i["number"] for i in items] == [desk[key].number for key in URGENT_ORDER[3:]] and not more


def test_the_home_pages_put_the_most_urgent_first(world, desk, pages_for):
    html = pages_for(world.investigator).get("/").get_data(as_text=True)
    mine = html.split('id="home-mine"')[1].split("</section>")[0]
    assert _rows(mine) == [desk[key].number for key in URGENT_ORDER if key != "closed"]  # open ones only
    overseer = pages_for(world.overseer).get("/").get_data(as_text=True)
    assert _rows(overseer.split('id="home-escalated"')[1]) == [desk["late2"].number]


# Per column: the order of its first click, and the cases without a value (last in both directions).
SORTS = {
    "deadline": (["late2", "soon", "wita", "reported", "closed", "review"], {"closed", "review"}),
    "level": (["late2", "soon", "reported", "wita", "review", "closed"], {"reported", "wita", "review", "closed"}),
    "number": (["closed", "soon", "review", "late2", "wita", "reported"], set()),
    "name": (["late2", "reported", "review", "soon", "wita", "closed"], set()),
    "agency": (["closed", "soon", "review", "late2", "reported", "wita"], set()),  # Kabupaten Sleman, Kota Makassar
    "category": (["closed", "soon", "late2", "wita", "reported", "review"], set()),  # the vocabulary's order
    "status": (["review", "soon", "late2", "wita", "reported", "closed"], set()),  # the workflow's order
    "date": (["reported", "wita", "late2", "review", "soon", "closed"], set()),
}


@pytest.mark.parametrize("sort", list(SORTS))
def test_every_column_sorts_both_ways(world, desk, pages_for, sort):
    expected, without_value = SORTS[sort]
    pages = pages_for(world.investigator)
    first_descending = listing.SORT_FIRST_DESCENDING[sort]
    html = pages.get(f"/cases?sort={sort}&dir={'desc' if first_descending else 'asc'}").get_data(as_text=True)
    assert _rows(html) == [desk[key].number for key in expected]
    header = re.search(rf'<th scope="col"[^>]*aria-sort="(\w+)"[^>]*data-sort-key="{sort}"', html)
    assert header and header.group(1) == ("descending" if first_descending else "ascending")
    flipped = pages.get(f"/cases?sort={sort}&dir={'asc' if first_descending else 'desc'}").get_data(as_text=True)
    valued = [desk[key].number for key in expected if key not in without_value]
    assert _rows(flipped)[: len(valued)] == valued[::-1]


def test_a_header_link_flips_its_direction_and_keeps_the_filters(world, desk, pages_for):
    html = pages_for(world.investigator).get("/cases?sort=agency&dir=asc&category=netralitas").get_data(as_text=True)
    link = re.search(r'data-sort-key="agency"><a class="sort-link" href="([^"]+)"', html)
    assert link and "dir=desc" in link.group(1) and "category=netralitas" in link.group(1)
    other = re.search(r'data-sort-key="number"><a class="sort-link" href="([^"]+)"', html)
    assert other and "dir=asc" in other.group(1) and "sort=number" in other.group(1)


def test_numbered_pages_do_not_overlap(world, make_case, pages_for):
    made = [make_case("reported") for _ in range(27)]
    pages = pages_for(world.investigator)
    first = pages.get("/cases?sort=number&dir=asc").get_data(as_text=True)
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = pages.get("/cases?sort=number&dir=asc&page=2").get_data(as_text=True)
    assert _rows(first) + _rows(second) == [c.number for c in made]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert pages.get("/cases?page=abc").status_code == 200  # not a page number: the first page


def test_the_api_keeps_newest_first_and_its_keyset_cursor(world, desk, api):
    first = api(world.investigator).get("/api/v1/cases?limit=4").get_json()
    newest = sorted(desk.values(), key=lambda c: c.id, reverse=True)
    assert [i["number"] for i in first["items"]] == [c.number for c in newest[:4]]
    rest = api(world.investigator).get(f"/api/v1/cases?limit=4&cursor={first['next_cursor']}").get_json()
    assert [i["number"] for i in rest["items"]] == [c.number for c in newest[4:]] and rest["next_cursor"] is None


# -- times and numbers (fast) -------------------------------------------------------------------------------------


def test_deadlines_in_lists_are_in_the_cases_agency_zone(world, desk, pages_for):
    """A WITA agency's deadline ends at 23.59 WITA, which the WIB investigator's list used to write as 22.59 WIB."""
    html = pages_for(world.investigator).get("/cases").get_data(as_text=True)
    row = html.split(desk["wita"].number, 1)[1].split("</tr>")[0]
    assert "23.59 WITA" in row and "WIB" not in row
    sleman = html.split(desk["soon"].number, 1)[1].split("</tr>")[0]
    assert "WIB" in sleman
    makassar = pages_for(world.other_ppk).get("/").get_data(as_text=True)
    assert "23.59 WITA" in makassar.split('id="home-follow_up"')[1]


def test_numbers_have_one_format_per_language(app):
    assert format_number(120) == "120,00" and format_number(120, locale="en") == "120.00"
    assert format_number(1234.5, 1) == "1.234,5" and format_number(1234.5, 1, locale="en") == "1,234.5"
    assert format_number(0.4, 2) == "0,40" and format_number(None) == "–" and format_number(7, 0) == "7"
    with app.test_request_context("/"):
        text = render_template_string("{{ 120|number }} {{ 0.92|number }} {{ 1536|filesize }}")
    assert text == "120,00 0,92 1,5 KB"


# -- the IM-NKK ranking: pages, search (fast) ---------------------------------------------------------------------


@pytest.fixture
def many_agencies(world: Any) -> int:
    for n in range(60):
        factories.make_agency(code=f"TBL{n:02d}", name=f"Pemerintah Kabupaten Contoh {n:02d}", kind="kabupaten")
    db.session.commit()
    return 62  # with the world's two


def test_the_ranking_table_comes_in_pages(world, many_agencies, pages_for):
    pages = pages_for(world.investigator)
    first = pages.get("/index").get_data(as_text=True)
    body = first.split("ranking-table")[1].split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == 50
    assert f"{many_agencies} instansi" in first and "halaman 1 dari 2" in first
    assert re.search(r'href="/index\?[^"]*page=2"[^>]*rel="next"', first.replace("&amp;", "&"))
    second = pages.get("/index?page=2").get_data(as_text=True)
    body = second.split("ranking-table")[1].split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == many_agencies - 50
    found = pages.get("/index?q=contoh+07").get_data(as_text=True)
    assert "Pemerintah Kabupaten Contoh 07" in found and "Contoh 08" not in found and "1 instansi" in found
    assert re.search(r">\d+,\d\d</td>", first) and not re.search(r">\d+\.\d\d</td>", first)  # one number format


# -- in a real browser, at both sizes -------------------------------------------------------------------------------


def _plain(world: Any, desk: dict[str, Case]) -> dict[str, Any]:
    """Plain values, then no open transaction in the test thread (SQLite: the server thread needs the lock)."""
    values = {
        "emails": {role: world.user(role).email for role in (*factories.ROLES, "other_ppk")},
        "numbers": {key: case.number for key, case in desk.items()},
        "ids": {key: case.id for key, case in desk.items()},
        "other_agency": world.other_agency.id,
    }
    db.session.commit()
    return values


@pytest.mark.browser
def test_tables_fit_sort_and_pick_in_a_browser(viewport, browser, live_server, screenshots, world, desk, many_agencies):
    data = _plain(world, desk)
    numbers = data["numbers"]
    phone = viewport == "390"

    # Each role's home page and case list fit the window; the PPK's case page too, its long SK number wrapped.
    for role in (*factories.ROLES, "other_ppk"):
        tab = tab_at(browser, live_server, screenshots, f"tables-{role}", viewport, data["emails"][role])
        tab.check("01-beranda")
        tab.open("/cases")
        tab.check("02-perkara")
        if role == "ppk":
            tab.open(f"/cases/{data['ids']['reported']}")
            tab.check("04-perkara-sk-panjang")
        if role == "admin":  # the administration's tables are cards on a phone too, none in a scrolling frame
            for page in ("agencies", "users", "calendar", "authorities"):
                tab.open(f"/admin/{page}")
                tab.check(f"05-admin-{page}")
        tab.done()

    inv = tab_at(browser, live_server, screenshots, "tables-investigator", viewport, data["emails"]["investigator"])

    # The case list: most urgent first, status and deadline in sight, a WITA deadline in WITA.
    inv.open("/cases")
    rows = inv.page.locator("table.case-table tbody tr")
    assert rows.first.locator("td").first.inner_text() == numbers["late2"]
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())] == [
        numbers[key] for key in URGENT_ORDER
    ]
    assert inv.visible_in_window("table.case-table tbody tr td.case-status")
    assert inv.visible_in_window("table.case-table tbody tr td.case-deadline")
    wita = inv.page.locator("table.case-table tbody tr", has_text=numbers["wita"]).locator("td.case-deadline")
    assert "23.59 WITA" in wita.inner_text()
    inv.check("02-perkara")

    # A sort reorders: by a header's link on a wide window, by the sort field on a phone (the headers are cards).
    if phone:
        assert not inv.page.is_visible("table.case-table thead")
        inv.page.select_option("#sort", "number")
        inv.page.select_option("#dir", "asc")
        inv.page.click("main form[role=search] button[type=submit]")
    else:
        inv.page.click("th[data-sort-key=number] a")
    inv.page.wait_for_url(re.compile(r"sort=number"))
    ordered = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert ordered == sorted(numbers.values())
    if not phone:
        assert inv.page.get_attribute("th[data-sort-key=number]", "aria-sort") == "ascending"
    inv.check("03-perkara-urut-nomor")

    # A long SK number wraps inside the case page.
    inv.open(f"/cases/{data['ids']['reported']}")
    sk = inv.page.locator("dd", has_text=LONG_SK).first
    assert sk.is_visible() and inv.visible_in_window(f"dd:has-text('{LONG_SK}')")
    inv.check("04-perkara-sk-panjang")

    # The agency picker filters as one types, and picks the first match.
    inv.open("/cases/new")
    options_before = inv.page.locator("#agency_id option").count()
    inv.page.fill("#agency_id-cari", "makassar")
    assert inv.page.locator("#agency_id option").count() == 2  # "— pilih —" and the one match
    assert inv.page.input_value("#agency_id") == str(data["other_agency"])
    assert "1 pilihan cocok" in inv.page.inner_text("#agency_id-cari-status")
    inv.page.fill("#agency_id-cari", "")
    assert inv.page.locator("#agency_id option").count() == options_before
    inv.page.fill("#agency_id-cari", "makassar")
    inv.page.press("#agency_id-cari", "Enter")  # never submits the half-filled form
    assert inv.page.url.endswith("/cases/new")
    inv.check("05-perkara-baru-pilih-instansi")

    # The ranking table comes in pages of 50.
    inv.open("/index")
    ranking = inv.page.locator("table.ranking-table tbody tr")
    assert ranking.count() == 50
    inv.check("06-indeks")
    inv.page.click("a.page-link[rel=next] >> nth=0")
    inv.page.wait_for_url(re.compile(r"page=2"))
    assert ranking.count() == many_agencies - 50
    inv.check("07-indeks-halaman-2")
    inv.done()
