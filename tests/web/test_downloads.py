"""The case register's downloads from the pages: the list's export (CSV/XLSX) and a case's evidence bundle."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

from openpyxl import load_workbook


def _csv_numbers(data: bytes) -> set[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = rows[0]
    column = next(i for i, name in enumerate(header) if "nomor" in name.lower() or name.lower() == "number")
    return {row[column] for row in rows[1:]}


def test_the_list_exports_what_its_filters_show(world, pages_for, make_case):
    reported = make_case("reported")
    issued = make_case("awaiting_follow_up")
    pages = pages_for(world.investigator)
    html = pages.get("/cases?status=awaiting_follow_up").get_data(as_text=True)
    assert 'id="export-csv"' in html and "/cases/export.csv?status=awaiting_follow_up" in html

    response = pages.get("/cases/export.csv?status=awaiting_follow_up")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=perkara-")
    assert _csv_numbers(response.get_data()) == {issued.number}

    everything = _csv_numbers(pages.get("/cases/export.csv").get_data())
    assert {reported.number, issued.number} <= everything

    xlsx = pages.get("/cases/export.xlsx?status=reported")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.get_data()), read_only=True).active
    values = {cell for row in sheet.iter_rows(values_only=True) for cell in row}
    assert reported.number in values and issued.number not in values


def test_the_export_refuses_an_unknown_format_and_bad_filters(world, pages_for):
    pages = pages_for(world.investigator)
    assert pages.get("/cases/export.pdf").status_code == 422
    response = pages.get("/cases/export.csv?status=tidak_ada")
    assert response.status_code == 302 and "/cases" in response.headers["Location"]


def test_a_ppk_export_holds_only_its_issued_cases_without_the_reporter(world, pages_for, make_case):
    mine = make_case("awaiting_follow_up")
    make_case("reported")  # not issued: the PPK does not see it
    make_case("awaiting_follow_up", agency=world.other_agency)
    data = pages_for(world.ppk).get("/cases/export.csv").get_data()
    assert _csv_numbers(data) == {mine.number}
    assert b"Pelapor" not in data


def test_kasn_downloads_the_bundle_from_the_case_page(world, pages_for, make_case):
    case = make_case("awaiting_follow_up")
    pages = pages_for(world.investigator)
    html = pages.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/cases/{case.id}/bundle"' in html

    response = pages.get(f"/cases/{case.id}/bundle")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = archive.namelist()
    manifest_name = next(n for n in names if n.endswith("manifest.json"))
    manifest = json.loads(archive.read(manifest_name))
    files = manifest["files"] if isinstance(manifest, dict) else manifest
    assert files, "the manifest lists the bundle's files"
    for entry in files:
        if entry.get("missing"):
            continue
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    response.close()


def test_the_bundle_is_for_kasn_only(world, pages_for, make_case):
    case = make_case("awaiting_follow_up")
    ppk = pages_for(world.ppk)
    assert f"/cases/{case.id}/bundle" not in ppk.get(f"/cases/{case.id}").get_data(as_text=True)
    assert ppk.get(f"/cases/{case.id}/bundle").status_code == 403
    # Another agency's case does not exist for this PPK.
    other = make_case("awaiting_follow_up", agency=world.other_agency)
    assert ppk.get(f"/cases/{other.id}/bundle").status_code == 404
