"""Issue 20 in Debian's Chromium, at 1366×768 and 390×844: the confirmation before issuing a recommendation, the
letters on the case page for the commissioner, the PPK and the ministry, an evidence preview, and the IM-NKK freeze
(asked first) and its lift by an administrator with a reason. Each page is saved as a screenshot
(TINDAK_SCREENSHOTS), does not scroll sideways, logs no console error but the status it answers on purpose, and
axe-core (from npm, vendored, injected by Playwright) finds no serious or critical violation on it.

The same behaviour through the Flask test client: tests/web/test_confirmations.py, tests/web/test_case_letters.py,
tests/index/test_freeze_lift.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.db import db
from tests.browser import BROWSER, tab_at
from tests.factories import upload
from tests.web.test_case_letters import escalate, png

pytestmark = BROWSER


@pytest.fixture
def scene(world: Any, make_case: Any) -> dict[str, Any]:
    """An escalated case with evidence (a photo and a PDF) and a draft to issue; then no open transaction."""
    escalated = make_case("awaiting_follow_up")
    escalate(escalated, "kemendagri")
    upload(escalated, world.investigator, purpose="evidence", name="foto-kampanye.png", content=png(320, 200))
    upload(escalated, world.investigator, purpose="evidence", name="kronologi.pdf")
    draft = make_case("recommendation_drafted")
    values = {
        "escalated": escalated.id,
        "draft": draft.id,
        **{role: getattr(world, role).email for role in ("commissioner2", "ppk", "overseer", "investigator", "admin")},
        "commissioner": world.commissioner.email,
    }
    db.session.commit()
    return values


def test_issue_confirmation_and_the_letters_where_their_readers_are(browser, live_server, screenshots, scene, viewport):
    # 1. The commissioner who did not draft it issues the recommendation: the confirmation page says first what
    #    will happen, then the case page lists its letter.
    com = tab_at(browser, live_server, screenshots, "20-surat-komisioner", viewport, scene["commissioner2"])
    com.go(f"/cases/{scene['draft']}")
    com.page.click("#action-issue_recommendation > summary")
    com.page.click("#action-issue_recommendation form button[type=submit]")
    com.page.wait_for_selector("#confirm-summary")
    summary = com.page.inner_text("#confirm-summary")
    assert re.search(r"R-2/KASN/\d+/\d{4}", summary) and "hari kerja" in summary and "Email" in summary
    com.check("01-konfirmasi-terbitkan")
    com.page.click("#confirm-event")
    com.page.wait_for_selector("#case-status:has-text('Menunggu tindak lanjut PPK')")
    assert re.search(r"R-2/KASN/\d+/\d{4}", com.page.inner_text("#letters"))
    com.page.click("#surat")  # scroll to it for the screenshot's sake
    com.check("02-surat-di-halaman-perkara")
    com.done()

    # 2. The PPK reads the letter of its case, opened in the browser (inline PDF).
    ppk = tab_at(browser, live_server, screenshots, "20-surat-ppk", viewport, scene["ppk"])
    ppk.go(f"/cases/{scene['escalated']}")
    assert ppk.page.locator("#letters li").count() == 2  # recommendation, escalation to the ministry
    assert ppk.page.locator("#attachments img.preview-image").count() == 0  # the authority's evidence is not its
    ppk.check("03-surat-ppk")
    href = ppk.page.get_attribute("#letters li[data-letter=recommendation] a", "href")
    letter = ppk.page.request.get(live_server + href)
    assert letter.status == 200 and letter.headers["content-type"] == "application/pdf"
    assert letter.headers["content-disposition"].startswith("inline") and letter.body().startswith(b"%PDF-")
    ppk.done()

    # 3. The ministry the case was escalated to reads both letters.
    overseer = tab_at(browser, live_server, screenshots, "20-surat-kementerian", viewport, scene["overseer"])
    overseer.go(f"/cases/{scene['escalated']}")
    keys = overseer.page.eval_on_selector_all("#letters li", "items => items.map(i => i.dataset.letter)")
    assert keys == ["recommendation", "escalation-2"]
    overseer.check("04-surat-kementerian")
    overseer.done()

    # 4. The investigator sees the photo in the page and opens the PDF in the browser's viewer.
    inv = tab_at(browser, live_server, screenshots, "20-surat-penyelidik", viewport, scene["investigator"])
    inv.go(f"/cases/{scene['escalated']}")
    image = inv.page.locator("#attachments img.preview-image")
    assert image.count() == 1
    image.scroll_into_view_if_needed()
    for _ in range(100):  # loaded lazily once in view (wait_for_function would need eval, which the CSP refuses)
        if image.evaluate("img => img.complete && img.naturalWidth") == 320:
            break
        inv.page.wait_for_timeout(100)
    assert image.evaluate("img => img.naturalWidth") == 320  # shown: the page's img-src 'self' allows it
    pdf_href = inv.page.get_attribute("#attachments details.preview a", "href")
    preview = inv.page.request.get(live_server + pdf_href)
    assert preview.status == 200 and preview.headers["content-type"] == "application/pdf"
    assert preview.headers["content-disposition"].startswith("inline")
    inv.check("05-pratinjau-bukti")
    inv.done()


def test_freeze_asks_first_and_an_admin_lifts_it_with_a_reason(browser, live_server, screenshots, scene, viewport):
    # 1. A commissioner freezes the year: the button opens a page saying what will be published.
    com = tab_at(browser, live_server, screenshots, "20-surat-bekukan", viewport, scene["commissioner"])
    com.go("/index")
    com.page.click("#freeze-year")
    com.page.wait_for_selector("#confirm-summary")
    assert "administrator" in com.page.inner_text("#confirm-summary")
    com.check("06-konfirmasi-bekukan")
    com.page.click("#confirm-freeze")
    com.page.wait_for_selector("#freeze-history .badge")
    assert "Dibekukan" in com.page.inner_text("#freeze-history")
    com.check("07-dibekukan")
    com.done()

    # 2. An administrator lifts it: the reason is required, then recorded and shown on the year's page.
    admin = tab_at(browser, live_server, screenshots, "20-surat-cabut", viewport, scene["admin"])
    admin.go("/index")
    admin.page.click("#lift-freeze")
    admin.page.wait_for_selector("#confirm-summary")
    admin.page.click("#confirm-lift")
    admin.page.wait_for_selector("#reason-error")
    admin.expected(422)  # the refused form answers 422, which the browser logs
    admin.check("08-alasan-wajib")
    reason = "Data tindak lanjut salah input; notula rapat pleno nomor 3."
    admin.page.fill("#reason", reason)
    admin.page.click("#confirm-lift")
    admin.page.wait_for_selector("#freeze-history :text('Dicabut')")
    assert reason in admin.page.inner_text("#freeze-history")
    admin.check("09-dicabut")
    admin.done()
