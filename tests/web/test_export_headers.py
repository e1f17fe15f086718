"""The case register's export answers with one Content-Type, its charset said once (web page and API alike)."""

from __future__ import annotations

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_csv_export_says_its_charset_once(world, pages_for, api, make_case):
    make_case("awaiting_follow_up")
    web = pages_for(world.investigator).get("/cases/export.csv")
    by_api = api(world.investigator).get("/api/v1/cases/export?format=csv")
    for response in (web, by_api):
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers.get_all("Content-Type") == ["text/csv; charset=utf-8"]


def test_the_xlsx_export_has_no_charset(world, pages_for, api, make_case):
    make_case("awaiting_follow_up")
    web = pages_for(world.investigator).get("/cases/export.xlsx")
    by_api = api(world.investigator).get("/api/v1/cases/export?format=xlsx")
    for response in (web, by_api):
        assert response.status_code == 200
        assert response.headers["Content-Type"] == XLSX
