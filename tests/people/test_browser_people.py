"""In Debian's Chromium at 1366×768 and 390×844: a person's record (the authority's staff, the PPK) and the panel's
check before a promotion (an error first, the input kept, then the answer): each page fits the window (no sideways
scroll), no console error, no serious or critical axe-core violation, a screenshot people-<size>-<who>-<step>.png."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import db
from tests.browser import tab_at
from tests.factories import NIP, S, advance, case_in, make_cast, make_user, upload


@pytest.fixture
def record() -> dict[str, Any]:
    cast = make_cast()
    done = case_in(cast, S.UNDER_REVIEW)
    upload(done, cast.investigator, purpose="evidence", name="bukti-rahasia.pdf")
    advance(done, cast, S.COMPLETED)
    person = {"name": "Budi Santoso", "nip": NIP, "position": "Kepala Bagian Perencanaan"}
    moved = case_in(cast, S.AWAITING_FOLLOW_UP, agency=cast.other_agency, reported_person=person)
    panel = make_user("panel", name="Panitia Seleksi JPT")
    out = {
        "investigator": cast.investigator.email,
        "ppk": cast.ppk.email,
        "other_ppk": cast.other_ppk.email,
        "panel": panel.email,
        "done": done.number,
        "moved": moved.number,
    }
    db.session.commit()
    db.session.remove()  # no open transaction in the test thread (SQLite: the server thread needs the lock)
    return out


@pytest.mark.browser
def test_the_person_page_and_the_panel_check_in_chromium(browser, live_server, screenshots, record, viewport):
    staff = tab_at(browser, live_server, screenshots, "people-investigator", viewport, record["investigator"])
    staff.open(f"/people/{NIP}")
    staff.check("record")
    text = staff.page.inner_text("main")
    assert record["done"] in text and record["moved"] in text and "Siti Pelapor" not in text
    assert staff.visible_in_window("#person-cases")
    staff.done()

    ppk = tab_at(browser, live_server, screenshots, "people-ppk", viewport, record["ppk"])
    ppk.open(f"/people/{NIP}")
    ppk.check("record")
    text = ppk.page.inner_text("main")
    assert record["done"] in text and record["moved"] not in text
    ppk.done()

    panel = tab_at(browser, live_server, screenshots, "people-panel", viewport, record["panel"])
    panel.page.click("nav >> text=Pemeriksaan calon") if viewport == "1366" else panel.open("/people/check")
    panel.page.wait_for_url(live_server + "/people/check")
    panel.check("form")
    panel.page.fill("#nips", f"{NIP}\n12345")
    panel.page.click("#check-form button[type=submit]")
    panel.page.wait_for_load_state()
    assert "NIP harus 18 digit" in panel.page.inner_text("main")
    assert "paling sedikit 5 karakter" in panel.page.inner_text("main")
    assert panel.page.input_value("#nips") == f"{NIP}\n12345"  # the input is kept
    panel.check("errors")
    panel.page.fill("#nips", f"{NIP}\n197001011995031002")
    panel.page.fill("#purpose", "Seleksi terbuka JPT Pratama Sekretaris Daerah 2026")
    panel.page.click("#check-form button[type=submit]")
    panel.page.wait_for_selector("#check-result")
    result = panel.page.inner_text("#check-result")
    assert record["done"] in result and record["moved"] in result and "Tidak ada catatan" in result
    assert "Siti Pelapor" not in result and "bukti-rahasia" not in result
    panel.check("result")
    panel.expected(422)  # the form sent with errors answers 422 on purpose (its page shows them)
    panel.done()
