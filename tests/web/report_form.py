"""The report form as a person fills it in Chromium, shared by the public form (`/lapor`) and the Bawaslu office's
form (`/diteruskan/baru`), which render one template: a too short report refused with every error at once and the
typed text kept, then a whole report with an evidence file and its tracking code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.factories import PDF_BYTES

# Every field a too short report is refused on, each with its own message beside it.
REFUSED_FIELDS = ("reported_person-name", "reported_person-nip", "summary", "occurred_on", "agency_id")
TRACKING_CODE = re.compile(r"TDK-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def submit_refused(tab: Any, button: str, pause_ms: int = 0) -> None:
    """Send a report of five letters and a four-digit NIP: the page answers 422 with every field's error at once,
    and the description typed is still in its field. `pause_ms`: wait that long before sending (the public form
    refuses a form sent faster than a person types)."""
    tab.page.fill("#summary", "pendek")
    tab.page.fill("#reported_person-nip", "1234")
    if pause_ms:
        tab.page.wait_for_timeout(pause_ms)
    tab.page.click(button)
    tab.page.wait_for_selector("#summary-error")
    tab.expected(422)
    for field in REFUSED_FIELDS:
        assert tab.page.locator(f"#{field}-error").is_visible(), field
    assert "Wajib diisi." in tab.page.inner_text("#reported_person-name-error")
    assert tab.page.input_value("#summary") == "pendek"


def submit_report(
    tab: Any,
    button: str,
    folder: Path,
    *,
    name: str,
    nip: str,
    agency_id: int,
    occurred_on: str,
    summary: str,
    pause_ms: int = 0,
) -> str:
    """Fill in a whole report with a PDF as its evidence, send it and return the tracking code the page shows."""
    tab.page.fill("#reported_person-name", name)
    tab.page.fill("#reported_person-nip", nip)
    tab.page.select_option("#agency_id", value=str(agency_id))
    tab.page.fill("#occurred_on", occurred_on)
    tab.page.fill("#summary", summary)
    evidence = folder / "bukti.pdf"
    evidence.write_bytes(PDF_BYTES)
    tab.page.set_input_files("#file", str(evidence))
    if pause_ms:
        tab.page.wait_for_timeout(pause_ms)
    tab.page.click(button)
    tab.page.wait_for_selector("#tracking-code")
    code = tab.page.inner_text("#tracking-code").strip()
    assert TRACKING_CODE.fullmatch(code), code
    return code
