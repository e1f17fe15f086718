"""Issue 21's queue in Debian's Chromium, at 1366×768 and 390×844: "Antrean saya" of an investigator, a signing
official and a PPK (reached from the navigation, each item saying why it waits), the case list's bulk start of
review with one case that cannot (reported by name, in words), and the report edited in the browser. Each page
is saved as a screenshot (TINDAK_SCREENSHOTS, artifacts/screenshots by default), logs no console error but the
status it answers on purpose, does not scroll sideways, and axe-core finds no serious or critical violation.

The same behaviour through the Flask test client and the API: tests/web/test_work_queue.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.core.clock import utcnow
from app.db import db
from app.models.cases import Recommendation
from tests.browser import BROWSER, Session, tab_at
from tests.factories import S, case_in

pytestmark = BROWSER


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

    tab = tab_at(browser, live_server, screenshots, "21-antrean-penyelidik", viewport, emails["investigator"])
    _open_queue(tab, phone)
    rows = tab.page.locator("#queue tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).inner_text().startswith(numbers["late"])  # the deadline already past comes first
    assert "Tenggat tindak lanjut PPK sudah lewat" in rows.nth(0).inner_text()
    assert "Tenggat tindak lanjut PPK sudah dekat" in rows.nth(1).inner_text()
    assert "Laporan baru menunggu penelaahan Anda" in rows.nth(2).inner_text()
    tab.check("01-antrean")
    tab.done()

    tab = tab_at(browser, live_server, screenshots, "21-antrean-penanda-tangan", viewport, emails["commissioner"])
    _open_queue(tab, phone)
    text = tab.page.inner_text("#queue")
    assert numbers["drafted"] in text and "menunggu Anda terbitkan" in text
    assert numbers["new"] not in text  # another investigator's case
    tab.check("01-antrean")
    tab.done()

    tab = tab_at(browser, live_server, screenshots, "21-antrean-ppk", viewport, emails["ppk"])
    _open_queue(tab, phone)
    text = tab.page.inner_text("#queue")
    assert text.index(numbers["late"]) < text.index(numbers["near"])
    assert "Tindak lanjut rekomendasi sudah lewat tenggat" in text and "Siti Pelapor" not in text
    assert numbers["new"] not in text and numbers["drafted"] not in text  # not issued: the PPK sees nothing
    tab.check("01-antrean")
    tab.done()


def test_a_bulk_start_of_review_names_the_case_that_could_not(browser, live_server, screenshots, world, viewport):
    ready = case_in(world, S.REPORTED)
    moved_on = case_in(world, S.UNDER_REVIEW)
    ids, numbers, email = (ready.id, moved_on.id), (ready.number, moved_on.number), world.investigator.email
    db.session.commit()
    tab = tab_at(browser, live_server, screenshots, "21-massal", viewport, email)
    tab.go("/cases")
    for case_id in ids:
        tab.page.check(f"#select-{case_id}")
    tab.page.select_option("#bulk-action", "start_review")
    tab.check("01-daftar-dicentang")
    tab.page.click("#bulk-submit")
    tab.page.wait_for_selector("#bulk-failed")
    assert numbers[0] in tab.page.inner_text("#bulk-done")
    failed = tab.page.inner_text("#bulk-failed")
    assert numbers[1] in failed and "tidak dapat dilakukan pada status Penelaahan / klarifikasi" in failed
    tab.check("02-hasil-per-perkara")
    tab.done()


def test_the_report_is_edited_in_the_browser(browser, live_server, screenshots, world, viewport):
    case = case_in(world, S.UNDER_REVIEW)
    case_id, email = case.id, world.investigator.email
    db.session.commit()
    tab = tab_at(browser, live_server, screenshots, "21-ubah-laporan", viewport, email)
    tab.go(f"/cases/{case_id}")
    tab.page.click("#edit-link")
    tab.page.fill("#summary", "Mengunggah dukungan kepada bakal calon bupati, disertai tangkapan layar.")
    tab.check("01-formulir")
    tab.page.click("#edit-form button[type=submit]")
    tab.page.wait_for_url(f"{live_server}/cases/{case_id}")
    timeline = tab.page.inner_text("#timeline")
    assert "Data perkara diubah" in timeline and "Uraian kejadian" in timeline
    tab.check("02-riwayat")
    tab.done()
