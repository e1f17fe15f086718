"""Issue 21's queue in Debian's Chromium, at 1366×768 and 390×844: "Antrean saya" of an investigator, a signing
official and a PPK (reached from the navigation, each item saying why it waits), the case list's bulk start of
review with one case that cannot (reported by name, in words), and the report edited in the browser. Each page
is saved as a screenshot (TINDAK_SCREENSHOTS, artifacts/screenshots by default), logs no console error but the
status it answers on purpose, does not scroll sideways, and axe-core finds no serious or critical violation.

The same behaviour through the Flask test client and the API: tests/web/test_work_queue.py.
"""

# ruff: noqa: F811 - the fixtures of the end-to-end test are imported by name, and the tests take them as parameters

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.core.clock import utcnow
from app.db import db
from app.models.cases import Recommendation
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
        browser, base, folder, f"21-{name}-{viewport}", viewport=VIEWPORTS[viewport], is_mobile=phone, has_touch=phone
    )
    tab.go("/login")
    tab.page.fill("#email", email)
    tab.page.fill("#password", PASSWORD)
    tab.page.click("button[type=submit]:has-text('Masuk')")
    tab.page.wait_for_url(base + "/")
    return tab


def _check(tab: Session, step: str) -> None:
    """The page as a person meets it: saved, no sideways scroll, no serious accessibility violation."""
    tab.shot(step)
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= tab.page.viewport_size["width"], f"{tab.name} {step}: {width}px wide"
    assert severe_violations(tab.page) == [], f"{tab.name} {step}"


def _done(tab: Session) -> None:
    assert tab.errors == [], f"{tab.name}: console errors {tab.errors} (failed requests: {tab.failed})"
    tab.close()


def _open_queue(tab: Session, phone: bool) -> None:
    """Through the navigation, as a person would (the menu folds behind its button on a phone)."""
    if phone:
        tab.page.click("button.navbar-toggler")
    tab.page.click("nav >> text=Antrean saya")
    tab.page.wait_for_url(tab.base + "/antrean")


def _due_in(case: Any, days: float) -> None:
    rec = db.session.query(Recommendation).filter_by(case_id=case.id).one()
    rec.due_at = utcnow() + timedelta(days=days)


def test_each_roles_queue_says_why_most_urgent_first(browser, live_server, screenshots, world, viewport):
    late = case_in(
        world, S.AWAITING_FOLLOW_UP, reported_person={"name": "Ahmad Terlambat", "nip": "198609262015051001"}
    )
    near = case_in(world, S.AWAITING_FOLLOW_UP)
    new = case_in(world, S.REPORTED)
    drafted = case_in(world, S.RECOMMENDATION_DRAFTED)
    _due_in(late, -3)
    _due_in(near, 2)
    numbers = {"late": late.number, "near": near.number, "new": new.number, "drafted": drafted.number}
    emails = {
        "investigator": world.investigator.email,
        "commissioner": world.commissioner.email,
        "ppk": world.ppk.email,
    }
    db.session.commit()
    phone = viewport == "390"

    tab = _tab(browser, live_server, screenshots, "antrean-penyelidik", viewport, emails["investigator"])
    _open_queue(tab, phone)
    rows = tab.page.locator("#queue tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).inner_text().startswith(numbers["late"])  # the deadline already past comes first
    assert "Tenggat tindak lanjut PPK sudah lewat" in rows.nth(0).inner_text()
    assert "Tenggat tindak lanjut PPK sudah dekat" in rows.nth(1).inner_text()
    assert "Laporan baru menunggu penelaahan Anda" in rows.nth(2).inner_text()
    _check(tab, "01-antrean")
    _done(tab)

    tab = _tab(browser, live_server, screenshots, "antrean-penanda-tangan", viewport, emails["commissioner"])
    _open_queue(tab, phone)
    text = tab.page.inner_text("#queue")
    assert numbers["drafted"] in text and "menunggu Anda terbitkan" in text
    assert numbers["new"] not in text  # another investigator's case
    _check(tab, "01-antrean")
    _done(tab)

    tab = _tab(browser, live_server, screenshots, "antrean-ppk", viewport, emails["ppk"])
    _open_queue(tab, phone)
    text = tab.page.inner_text("#queue")
    assert text.index(numbers["late"]) < text.index(numbers["near"])
    assert "Tindak lanjut rekomendasi sudah lewat tenggat" in text and "Siti Pelapor" not in text
    assert numbers["new"] not in text and numbers["drafted"] not in text  # not issued: the PPK sees nothing
    _check(tab, "01-antrean")
    _done(tab)


def test_a_bulk_start_of_review_names_the_case_that_could_not(browser, live_server, screenshots, world, viewport):
    ready = case_in(world, S.REPORTED)
    moved_on = case_in(world, S.UNDER_REVIEW)
    ids, numbers, email = (ready.id, moved_on.id), (ready.number, moved_on.number), world.investigator.email
    db.session.commit()
    tab = _tab(browser, live_server, screenshots, "massal", viewport, email)
    tab.go("/cases")
    for case_id in ids:
        tab.page.check(f"#select-{case_id}")
    tab.page.select_option("#bulk-action", "start_review")
    _check(tab, "01-daftar-dicentang")
    tab.page.click("#bulk-submit")
    tab.page.wait_for_selector("#bulk-failed")
    assert numbers[0] in tab.page.inner_text("#bulk-done")
    failed = tab.page.inner_text("#bulk-failed")
    assert numbers[1] in failed and "tidak dapat dilakukan pada status Penelaahan / klarifikasi" in failed
    _check(tab, "02-hasil-per-perkara")
    _done(tab)


def test_the_report_is_edited_in_the_browser(browser, live_server, screenshots, world, viewport):
    case = case_in(world, S.UNDER_REVIEW)
    case_id, email = case.id, world.investigator.email
    db.session.commit()
    tab = _tab(browser, live_server, screenshots, "ubah-laporan", viewport, email)
    tab.go(f"/cases/{case_id}")
    tab.page.click("#edit-link")
    tab.page.fill("#summary", "Mengunggah dukungan kepada bakal calon bupati, disertai tangkapan layar.")
    _check(tab, "01-formulir")
    tab.page.click("#edit-form button[type=submit]")
    tab.page.wait_for_url(f"{live_server}/cases/{case_id}")
    timeline = tab.page.inner_text("#timeline")
    assert "Data perkara diubah" in timeline and "Uraian kejadian" in timeline
    _check(tab, "02-riwayat")
    _done(tab)
