"""In Debian's Chromium at 1366×768 and 390×844: a person's record (the authority's staff, the PPK) and the panel's
check before a promotion (an error first, the input kept, then the answer): each page fits the window (no sideways
scroll), no console error, no serious or critical axe-core violation, a screenshot people-<size>-<who>-<step>.png."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import db
from tests.factories import NIP, S, advance, case_in, make_cast, make_user, upload
from tests.web.axe import severe_violations
from tests.web.test_tables import (
    FRAMES_SCROLLING_SIDEWAYS,
    SIZES,
    Tab,
    chromium,
    live_server,
    needs_chromium,
    screenshots,
)

__all__ = ["chromium", "live_server", "screenshots"]  # fixtures of tests/web/test_tables.py, used here


class PeopleTab(Tab):
    def close(self) -> None:
        # A form sent with errors answers 422 on purpose (its page shows them): Chromium logs the status.
        self.errors = [e for e in self.errors if "status of 422" not in e]
        super().close()

    def check(self, step: str) -> None:
        width = self.page.evaluate("document.documentElement.scrollWidth")
        inner = self.page.evaluate("window.innerWidth")
        self.page.screenshot(path=str(self.folder / f"people-{self.size}-{self.name}-{step}.png"), full_page=True)
        assert width <= inner, f"{step} at {self.size}: {width} px wide in a {inner} px window"
        assert self.page.evaluate(FRAMES_SCROLLING_SIDEWAYS) == [], f"{step} at {self.size}: frames scroll sideways"
        violations = severe_violations(self.page)
        assert violations == [], f"{step} at {self.size}: {violations}"


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


@needs_chromium
@pytest.mark.parametrize("size", list(SIZES))
def test_the_person_page_and_the_panel_check_in_chromium(chromium, live_server, screenshots, record, size):
    staff = PeopleTab(chromium, live_server, screenshots, size, "investigator")
    staff.login(record["investigator"])
    staff.go(f"/people/{NIP}")
    staff.check("record")
    text = staff.page.inner_text("main")
    assert record["done"] in text and record["moved"] in text and "Siti Pelapor" not in text
    assert staff.visible_in_window("#person-cases")
    staff.close()

    ppk = PeopleTab(chromium, live_server, screenshots, size, "ppk")
    ppk.login(record["ppk"])
    ppk.go(f"/people/{NIP}")
    ppk.check("record")
    text = ppk.page.inner_text("main")
    assert record["done"] in text and record["moved"] not in text
    ppk.close()

    panel = PeopleTab(chromium, live_server, screenshots, size, "panel")
    panel.login(record["panel"])
    panel.page.click("nav >> text=Pemeriksaan calon") if size == "1366x768" else panel.go("/people/check")
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
    panel.close()
