"""The public page on personal data (`/privasi`, app/people/privacy.py): no sign-in, Indonesian and English on the
switch, one row per retention period of app/people/retention.py (the command's data), linked from every page's
footer, and said the same in docs/personal-data.md."""

from __future__ import annotations

import re
from pathlib import Path

from flask_babel import force_locale, gettext

from app.people.retention import RETENTION

DOC = Path(__file__).resolve().parents[2] / "docs" / "personal-data.md"


def _years_in_english(years: int) -> str:
    return "1 year" if years == 1 else f"{years} years"


def test_the_page_reads_in_indonesian_without_signing_in(client):
    page = client.get("/privasi")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Perlindungan data pribadi" in html and 'lang="id"' in html
    for period in RETENTION:
        row = re.search(rf'<tr id="masa-{period.key}">(.*?)</tr>', html, re.S)
        assert row is not None, period.key
        for text in (period.label, period.why, period.starts, period.at_end, f"{period.years} tahun"):
            assert text in row.group(1), (period.key, text)
    assert "Penggantian ini dijalankan oleh pengelola sistem" in html  # RETENTION_PSEUDONYMISE is off here


def test_the_page_reads_in_english_on_the_switch(pages, app):
    pages.post("/lang/en", {"next": "/privasi"}, page="/privasi")
    html = pages.get("/privasi").get_data(as_text=True)
    assert 'lang="en"' in html and "Personal data protection" in html
    with app.test_request_context(), force_locale("en"):
        for period in RETENTION:
            english = gettext(period.label)
            assert english != period.label and english in html
            assert _years_in_english(period.years) in html
    assert "Data on the reported person" in html and "Perlindungan data pribadi" not in html


def test_the_page_says_when_pseudonymising_runs(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_PSEUDONYMISE", True)
    assert "Penggantian ini berjalan otomatis setiap hari." in client.get("/privasi").get_data(as_text=True)


def test_every_page_links_to_it_from_its_footer(client):
    footer = re.search(r"<footer.*?</footer>", client.get("/login").get_data(as_text=True), re.S)
    assert footer is not None and 'href="/privasi"' in footer.group(0)


def test_the_document_states_the_same_periods(app):
    """docs/personal-data.md has a row per period, named by its English label, with its years."""
    doc = DOC.read_text(encoding="utf-8")
    with app.test_request_context(), force_locale("en"):
        for period in RETENTION:
            row = next((line for line in doc.splitlines() if line.startswith(f"| {gettext(period.label)} |")), None)
            assert row is not None, period.key
            assert _years_in_english(period.years) in row, row
