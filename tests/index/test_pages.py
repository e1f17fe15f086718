"""Index pages: ranking with its bar chart, agency page with its trend, case lists, exports, forms."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from app.index import services
from tests.index.builders import at, followed, issue

YEAR = 2025
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def record(people):
    followed(people.agency, at(YEAR, 2, 1), working_days=4)
    followed(people.agency, at(YEAR - 1, 2, 1), working_days=4)
    late = issue(people.other_agency, at(YEAR, 4, 1), escalations=(0, 1, 2))
    people.late_case = late
    return people


def _no_inline_script(html: str) -> None:
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag


def test_ranking_page_with_bar_chart(signed_in, record):
    page = signed_in(record.investigator).get(f"/index?year={YEAR}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert "<svg" in html and "ranking-chart-title" in html
    assert html.index(record.agency.name) < html.index(record.other_agency.name)  # DIY ranks first
    assert html.count("<rect") == 2
    _no_inline_script(html)


def test_agency_page_with_trend_and_case_links(signed_in, record):
    user = signed_in(record.investigator)
    page = user.get(f"/index/{YEAR}/agencies/{record.agency.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "trend-chart-title" in html and "<polyline" in html  # two years of data
    assert f"/index/{YEAR}/agencies/{record.agency.id}/cases/on_time" in html
    cases = user.get(f"/index/{YEAR}/agencies/{record.other_agency.id}/cases/escalated")
    assert cases.status_code == 200 and record.late_case.number in cases.get_data(as_text=True)
    _no_inline_script(html)


def test_a_ppk_is_sent_to_its_own_agency_and_kept_out_of_others(signed_in, record):
    ppk = signed_in(record.ppk)
    ranking = ppk.get(f"/index?year={YEAR}")
    assert ranking.status_code == 302 and f"/index/{YEAR}/agencies/{record.agency.id}" in ranking.headers["Location"]
    assert ppk.get(f"/index/{YEAR}/agencies/{record.agency.id}").status_code == 200
    assert ppk.get(f"/index/{YEAR}/agencies/{record.other_agency.id}").status_code == 404
    assert ppk.get(f"/index/{YEAR}/export.csv").status_code == 403


def test_an_overseer_reads_scores_not_cases(signed_in, record):
    overseer = signed_in(record.overseer)
    assert overseer.get(f"/index?year={YEAR}").status_code == 200
    page = overseer.get(f"/index/{YEAR}/agencies/{record.other_agency.id}")
    assert page.status_code == 200 and "/cases/escalated" not in page.get_data(as_text=True)
    assert overseer.get(f"/index/{YEAR}/agencies/{record.other_agency.id}/cases/escalated").status_code == 403
    assert overseer.get(f"/index/{YEAR}/agencies/{record.agency.id}/self-assessment").status_code == 403


def test_exports(signed_in, record):
    user = signed_in(record.overseer)
    response = user.get(f"/index/{YEAR}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:3] == ["Peringkat", "Kode", "Instansi"] and len(rows) == 3
    assert rows[1][1] == record.agency.code and rows[1][0] == "1"

    xlsx = user.get(f"/index/{YEAR}/export.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][2] == "Instansi" and len(values) == 3
    assert values[1][1] == record.agency.code and values[1][7] == pytest.approx(120.0)


def test_a_commissioner_freezes_the_year_from_the_page(signed_in, record):
    user = signed_in(record.commissioner)
    asked = user.post(f"/index/{YEAR}/snapshot", page=f"/index?year={YEAR}")
    assert asked.status_code == 200 and 'id="confirm-summary"' in asked.get_data(as_text=True)  # asks first
    assert services.latest_snapshot(YEAR) is None
    response = user.post(f"/index/{YEAR}/snapshot", {"confirm": "1"}, page=f"/index/{YEAR}/snapshot")
    assert response.status_code == 303
    assert services.latest_snapshot(YEAR) is not None
    html = user.get(f"/index?year={YEAR}").get_data(as_text=True)
    assert "Hasil ditetapkan" in html and "Bekukan" not in html


def test_self_assessment_forms(signed_in, record, app):
    url = f"/index/{YEAR}/agencies/{record.agency.id}/self-assessment"
    ppk = signed_in(record.ppk)
    saved = ppk.post(url, {"action": "save", "subcriterion": "penegakan.mke", "self_score": "85",
                           "answer": "SK Majelis Kode Etik", "file": (io.BytesIO(PDF), "sk-mke.pdf")},
                     content_type="multipart/form-data")  # fmt: skip
    assert saved.status_code == 302
    bad = ppk.post(url, {"action": "save", "subcriterion": "penegakan.wbs", "self_score": "120"})
    assert bad.status_code == 422
    assert ppk.post(url, {"action": "submit"}).status_code == 302

    investigator = signed_in(record.investigator)
    page = investigator.get(url).get_data(as_text=True)
    assert "sk-mke.pdf" in page and "Verifikasi" in page
    verified = investigator.post(url, {"action": "verify", "subcriterion": "penegakan.mke", "verified_score": "85"})
    assert verified.status_code == 302
    evidence = investigator.get(f"{url}/penegakan.mke/evidence")
    assert evidence.status_code == 200 and evidence.data == PDF
    answers = {a["subcriterion"]: a for a in services.list_answers(record.investigator, record.agency.id, YEAR)}
    assert answers["penegakan.mke"]["verified_score"] == 85 and answers["penegakan.mke"]["stage"] == "verification"
