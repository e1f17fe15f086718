"""IM-NKK honesty (issue 19): an agency measured on fewer than all four criteria gets no category, only
"Belum lengkap" with the criteria still missing, in the pages, the API (and its OpenAPI schema), the CLI and the
CSV/XLSX exports; a snapshot frozen before the rule is shown by it too."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm.attributes import flag_modified

from app.db import db
from app.index import services
from app.index.method import current_method
from tests.index.builders import answer_all, at, followed

YEAR = 2025
MISSING = "Penetapan kebijakan NKK, Penerapan NKK, Kesinambungan sistem"
LABEL = f"Belum lengkap (belum terukur: {MISSING})"


@pytest.fixture
def record(people):
    """DIY measured on all four criteria; Bali on its cases alone (penegakan only)."""
    followed(people.agency, at(YEAR, 2, 1), working_days=4)
    answer_all(people.agency, YEAR, 90, method=current_method())
    followed(people.other_agency, at(YEAR, 3, 1), working_days=4)
    return people


def _items(result):
    return {i["agency_id"]: i for i in result["items"]}


def test_an_incomplete_agency_has_no_category_only_what_is_missing(record):
    items = _items(services.compute_index(YEAR, as_of=datetime(2026, 3, 1, tzinfo=UTC)))
    complete, partial = items[record.agency.id], items[record.other_agency.id]

    assert complete["complete"] and complete["category"] == "Patuh" and complete["missing_criteria"] == []
    assert complete["category_label"] == "Patuh"
    assert partial["complete"] is False and partial["category"] is None
    assert [m["key"] for m in partial["missing_criteria"]] == ["penetapan", "penerapan", "kesinambungan"]
    assert [m["label"] for m in partial["missing_criteria"]] == MISSING.split(", ")
    assert partial["category_label"] == LABEL
    # Still ranked on its score (its unmeasured criteria count 0), as before: only the category is withheld.
    assert (complete["rank"], partial["rank"]) == (1, 2)
    # The same rule in the trend.
    trend = services.agency_trend(record.other_agency.id, until=YEAR)
    assert [(p["year"], p["category"], p["complete"]) for p in trend] == [(YEAR, None, False)]


def test_the_api_says_it_and_documents_it(api, client, record):
    body = api(record.investigator).get(f"/api/v1/index?year={YEAR}").get_json()
    partial = next(i for i in body["items"] if i["agency_id"] == record.other_agency.id)
    assert partial["category"] is None and partial["category_label"] == LABEL
    assert partial["missing_criteria"][0] == {"key": "penetapan", "label": "Penetapan kebijakan NKK"}
    detail = api(record.investigator).get(f"/api/v1/index/{YEAR}/agencies/{record.other_agency.id}").get_json()
    assert detail["category"] is None and len(detail["missing_criteria"]) == 3

    spec = client.get("/api/v1/openapi.json").get_json()
    item = spec["components"]["schemas"]["IndexItem"]["properties"]
    assert "missing_criteria" in item and "category_label" in item
    assert "belum lengkap tidak diberi kategori" in item["category"]["description"]


def test_the_pages_say_it(signed_in, record):
    browser = signed_in(record.investigator)
    ranking = browser.get(f"/index?year={YEAR}").get_data(as_text=True)
    assert f"belum terukur: {MISSING}" in ranking
    page = browser.get(f"/index/{YEAR}/agencies/{record.other_agency.id}").get_data(as_text=True)
    assert 'id="index-category">Belum lengkap<' in page
    assert f"Belum terukur: {MISSING}. Kategori hanya diberikan bila keempat kriteria terukur." in page
    full = browser.get(f"/index/{YEAR}/agencies/{record.agency.id}").get_data(as_text=True)
    assert 'id="index-category">Patuh<' in full and 'id="missing-criteria"' not in full


def test_the_cli_says_it(runner, record):
    table = runner.invoke(args=["index", "compute", "--year", str(YEAR)])
    assert table.exit_code == 0
    line = next(x for x in table.stdout.splitlines() if record.other_agency.code in x)
    assert "Belum lengkap" in line and "Penetapan kebijakan NKK; Penerapan NKK; Kesinambungan sistem" in line
    as_json = json.loads(runner.invoke(args=["index", "compute", "--year", str(YEAR), "--format", "json"]).stdout)
    partial = next(i for i in as_json["items"] if i["agency_id"] == record.other_agency.id)
    assert partial["category"] is None and partial["category_label"] == LABEL
    rows = list(csv.DictReader(io.StringIO(runner.invoke(args=["index", "compute", "--year", str(YEAR),
                                                                "--format", "csv"]).stdout)))  # fmt: skip
    by_code = {r["Kode"]: r for r in rows}
    assert by_code[record.other_agency.code]["Kategori"] == "Belum lengkap"
    assert by_code[record.agency.code]["Kriteria belum terukur"] == ""


def test_the_exports_say_it(signed_in, record):
    browser = signed_in(record.investigator)
    text = browser.get(f"/index/{YEAR}/export.csv").get_data().decode("utf-8-sig")
    rows = {r["Kode"]: r for r in csv.DictReader(io.StringIO(text))}
    partial = rows[record.other_agency.code]
    assert (partial["Kategori"], partial["Lengkap"]) == ("Belum lengkap", "tidak")
    assert partial["Kriteria belum terukur"] == "Penetapan kebijakan NKK; Penerapan NKK; Kesinambungan sistem"
    assert rows[record.agency.code]["Kategori"] == "Patuh"

    workbook = load_workbook(io.BytesIO(browser.get(f"/index/{YEAR}/export.xlsx").get_data()))
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    values = {row[1]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values[record.other_agency.code]["Kategori"] == "Belum lengkap"
    assert values[record.other_agency.code]["Kriteria belum terukur"].startswith("Penetapan kebijakan NKK")


def test_a_snapshot_frozen_before_the_rule_is_shown_by_it(api, record):
    snapshot = services.freeze_year(YEAR, record.commissioner)
    db.session.commit()
    # As a snapshot of method 2026.1 stored it before this rule: a category, no list of what is missing.
    for item in snapshot.data["items"]:
        item["category"] = "Cukup Patuh"
        item.pop("missing_criteria", None)
        item.pop("category_label", None)
    flag_modified(snapshot, "data")
    db.session.commit()

    body = api(record.investigator).get(f"/api/v1/index?year={YEAR}").get_json()
    assert body["frozen"] is True
    items = {i["agency_id"]: i for i in body["items"]}
    assert items[record.other_agency.id]["category"] is None
    assert items[record.other_agency.id]["category_label"] == LABEL
    assert items[record.agency.id]["category"] == "Cukup Patuh"  # a complete agency keeps what was published
    assert items[record.other_agency.id]["score"] == pytest.approx(120.0)  # the figures are as frozen
