"""`GET /api/v1/index?year=Y` and the other index endpoints: contract, roles, separation by agency."""

from __future__ import annotations

import json

import pytest

from app.index import services
from tests.index.builders import at, followed, issue

YEAR = 2025
CRITERIA = {"penetapan", "penerapan", "penegakan", "kesinambungan"}
ENFORCEMENT = {"received", "followed_up", "on_time", "lighter_sanction", "escalated", "open", "median_working_days"}


@pytest.fixture
def record(people):
    followed(people.agency, at(YEAR, 2, 1), working_days=4)
    followed(people.agency, at(YEAR, 3, 1), working_days=8)
    issue(people.other_agency, at(YEAR, 4, 1), escalations=(0, 1, 2))
    return people


def test_index_answers_the_contract(api, record):
    response = api(record.investigator).get(f"/api/v1/index?year={YEAR}")

    assert response.status_code == 200
    body = response.get_json()
    assert body["year"] == YEAR and body["method_version"] == "2026.1"
    assert {i["agency_id"] for i in body["items"]} == {record.agency.id, record.other_agency.id}
    for item in body["items"]:
        assert {"agency_id", "criteria", "score", "index", "category", "enforcement"} <= set(item)
        assert set(item["criteria"]) == CRITERIA
        assert set(item["enforcement"]) == ENFORCEMENT
        assert item["index"] == pytest.approx(item["score"] / 300)
        for value in item["criteria"].values():
            assert value is None or 0 <= value <= 100
    diy = next(i for i in body["items"] if i["agency_id"] == record.agency.id)
    assert diy["enforcement"] == {"received": 2, "followed_up": 2, "on_time": 2, "lighter_sanction": 0,
                                  "escalated": 0, "open": 0, "median_working_days": 6.0}  # fmt: skip
    assert diy["criteria"]["penegakan"] == 100.0 and diy["criteria"]["penetapan"] is None
    bali = next(i for i in body["items"] if i["agency_id"] == record.other_agency.id)
    assert bali["enforcement"]["escalated"] == 1 and bali["enforcement"]["open"] == 1


def test_index_needs_a_token_and_a_year(client, api, record):
    assert client.get(f"/api/v1/index?year={YEAR}").status_code == 401
    response = api(record.investigator).get("/api/v1/index")
    assert response.status_code == 422
    assert "year" in response.get_json()["error"]["details"]["fields"]


def test_a_ppk_sees_only_its_own_agency(api, record):
    body = api(record.ppk).get(f"/api/v1/index?year={YEAR}").get_json()
    assert [i["agency_id"] for i in body["items"]] == [record.agency.id]
    other = api(record.ppk).get(f"/api/v1/index/{YEAR}/agencies/{record.other_agency.id}")
    assert other.status_code == 404
    cases = api(record.ppk).get(f"/api/v1/index/{YEAR}/agencies/{record.other_agency.id}/cases?indicator=received")
    assert cases.status_code == 404
    own = api(record.ppk).get(f"/api/v1/index/{YEAR}/agencies/{record.agency.id}/cases?indicator=on_time")
    assert own.status_code == 200 and len(own.get_json()["items"]) == 2


def test_an_overseer_sees_the_ranking_but_not_the_cases_behind_it(api, record):
    body = api(record.overseer).get(f"/api/v1/index?year={YEAR}").get_json()
    assert len(body["items"]) == 2
    detail = api(record.overseer).get(f"/api/v1/index/{YEAR}/agencies/{record.other_agency.id}")
    assert detail.status_code == 200
    cases = api(record.overseer).get(f"/api/v1/index/{YEAR}/agencies/{record.other_agency.id}/cases?indicator=open")
    assert cases.status_code == 403


def test_agency_detail_states_denominators_and_links_the_cases(api, record):
    detail = api(record.investigator).get(f"/api/v1/index/{YEAR}/agencies/{record.other_agency.id}").get_json()
    indicators = {i["key"]: i for i in detail["indicators"]}
    assert indicators["escalated"]["value"] == 1 and indicators["escalated"]["denominator"] == "received"
    assert indicators["median_working_days"]["denominator"] == "followed_up"
    assert detail["trend"][-1]["year"] >= YEAR
    cases = api(record.investigator).get(
        f"/api/v1/index/{YEAR}/agencies/{record.other_agency.id}/cases?indicator=escalated"
    )
    rows = cases.get_json()["items"]
    assert len(rows) == 1 and rows[0]["escalation_level"] == 2 and rows[0]["url"] == f"/api/v1/cases/{rows[0]['id']}"


def test_cases_are_paged_by_cursor(api, people):
    for day in range(1, 6):
        followed(people.agency, at(YEAR, 5, day))
    url = f"/api/v1/index/{YEAR}/agencies/{people.agency.id}/cases?indicator=followed_up&limit=2"
    first = api(people.investigator).get(url).get_json()
    second = api(people.investigator).get(url + f"&cursor={first['next_cursor']}").get_json()
    third = api(people.investigator).get(url + f"&cursor={second['next_cursor']}").get_json()
    ids = [r["id"] for page in (first, second, third) for r in page["items"]]
    assert len(ids) == 5 == len(set(ids)) and ids == sorted(ids)
    assert third["next_cursor"] is None


def test_freezing_through_the_api(api, record):
    assert api(record.investigator).post(f"/api/v1/index/{YEAR}/snapshot").status_code == 403
    response = api(record.commissioner).post(f"/api/v1/index/{YEAR}/snapshot")
    assert response.status_code == 201
    assert response.get_json()["agencies"] == 2 and response.get_json()["cases"] == 3
    assert api(record.commissioner).post(f"/api/v1/index/{YEAR}/snapshot").status_code == 409
    body = api(record.investigator).get(f"/api/v1/index?year={YEAR}").get_json()
    assert body["frozen"] is True and body["frozen_at"]


def test_openapi_documents_the_index(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/index" in spec["paths"]
    assert "/api/v1/self-assessments" in spec["paths"]
    description = " ".join(tag.get("description", "") for tag in spec.get("tags", []))
    assert "skor / 300" in description


def test_cli_json_equals_the_api_answer(api, runner, record):
    result = runner.invoke(args=["index", "compute", "--year", str(YEAR), "--format", "json"])
    assert result.exit_code == 0, result.output
    from_cli = json.loads(result.stdout)
    from_api = api(record.investigator).get(f"/api/v1/index?year={YEAR}").get_json()
    assert from_cli == from_api


def test_cli_csv_and_table(runner, record):
    csv_out = runner.invoke(args=["index", "compute", "--year", str(YEAR), "--format", "csv"])
    assert csv_out.exit_code == 0
    lines = csv_out.stdout.strip().splitlines()
    assert lines[0].startswith("Peringkat,Kode,Instansi") and len(lines) == 3
    assert any(record.agency.code in line for line in lines[1:])
    table = runner.invoke(args=["index", "compute", "--year", str(YEAR)])
    assert table.exit_code == 0 and record.agency.name in table.stdout and "metode 2026.1" in table.stdout


def test_cli_freeze(runner, record):
    assert runner.invoke(args=["index", "freeze", "--year", str(YEAR)]).exit_code == 0
    assert services.latest_snapshot(YEAR) is not None
    again = runner.invoke(args=["index", "freeze", "--year", str(YEAR)])
    assert again.exit_code != 0 and "sudah dibekukan" in again.output


@pytest.mark.parametrize("agency_id", [2**31, 2**70])
def test_ids_beyond_any_agency_are_404_not_an_error(api, record, agency_id):
    user = api(record.commissioner)
    assert user.get(f"/api/v1/index/{YEAR}/agencies/{agency_id}").status_code == 404
    assert user.get(f"/api/v1/index/{YEAR}/agencies/{agency_id}/cases?indicator=received").status_code == 404
    assert user.get(f"/api/v1/self-assessments?year={YEAR}&agency_id={agency_id}").status_code == 404
    assert user.post(f"/api/v1/self-assessments/{agency_id}/{YEAR}/decide").status_code == 404
    assert user.get(f"/api/v1/index?year={agency_id}").status_code == 422


def test_a_cursor_beyond_any_case_is_422(api, record):
    url = f"/api/v1/index/{YEAR}/agencies/{record.agency.id}/cases?indicator=received&cursor={2**70}"
    assert api(record.investigator).get(url).status_code == 422
