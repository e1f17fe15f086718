"""Public figures (issue 24): the aggregates and their refresh, the JSON/CSV/page served from them with ETag and
cache headers, versions, the publish switch, the dictionary and the DCAT catalogue, the frozen IM-NKK penegakan,
rate limiting; and that nothing personal is in any public answer."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from app import create_app
from app.core.states import CaseStatus as S
from app.db import db
from app.index.snapshots import freeze_year
from app.models.core import JobHeartbeat
from app.models.intake import CaseElection, Election
from app.models.public import PublicFigure, PublicPublication, PublicRelease
from app.public import release as releases
from app.public.cli import refresh_job
from app.scheduling import run_job
from tests.factories import case_in
from tests.web.conftest import Pages

YEAR_JSON = "/api/v1/public/years/2026/figures.json"
YEAR_CSV = "/api/v1/public/years/2026/figures.csv"


def refresh(runner: Any, *args: str) -> str:
    result = runner.invoke(args=["public", "refresh", *args])
    assert result.exit_code == 0, result.output
    return result.output


def figures(client: Any) -> dict[str, Any]:
    response = client.get(YEAR_JSON)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def agency(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(a for a in data["agencies"] if a["code"] == code)


def test_refresh_counts_per_agency_and_suppresses_the_small_ones(runner, client, public_world):
    assert "2026: versi 1" in refresh(runner, "--year", "2026")
    raw = db.session.scalar(
        select(PublicFigure).where(
            PublicFigure.year == 2026, PublicFigure.unit_kind == "agency", PublicFigure.unit_id == public_world.big.id,
            PublicFigure.period == 0,
        )
    )  # fmt: skip
    assert (raw.recommendations_issued, raw.followed_up, raw.open, raw.cases_received) == (6, 3, 2, 6)
    data = figures(client)
    assert (data["year"], data["version"], data["threshold"]) == (2026, 1, 5)
    big = agency(data, "KEM-BESAR")["values"]
    assert big["recommendations_issued"] == 6 and big["cases_received"] == 6
    assert big["followed_up"] == "< 5" and big["open"] == "< 5"
    for code in ("KAB-9901", "KOTA-9902", "PROV-99"):  # 1, 2 and 0 recommendations
        assert set(agency(data, code)["values"].values()) <= {"< 5", "x"}, code
    province = next(p for p in data["provinces"] if p["code"] == "PROV-99")
    assert province["values"]["recommendations_issued"] == "< 5"  # 1 + 2 + 0
    national = data["national"]["values"]
    assert national["recommendations_issued"] == 9
    # cases before a recommendation (under review, dismissed) only in the national total
    assert national["cases_received_all"] == 11 and national["cases_before_recommendation"] == "< 5"
    assert "cases_before_recommendation" not in big
    assert data["national"]["median_working_days"] is None  # the follow-ups (4) are a small count
    assert len(data["trend"]) == 12 and data["index"] is None


def test_the_year_and_version_urls_answer_with_etag_last_modified_and_304(runner, client, public_world):
    refresh(runner, "--year", "2026")
    first = client.get(YEAR_JSON)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert client.get(YEAR_JSON, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(YEAR_JSON, headers={"If-Modified-Since": modified}).status_code == 304
    csv_answer = client.get(YEAR_CSV)
    assert csv_answer.mimetype == "text/csv" and csv_answer.headers["ETag"] != etag
    assert client.get(YEAR_CSV, headers={"If-None-Match": csv_answer.headers["ETag"]}).status_code == 304
    assert "tindak-angka-publik-2026-v1.csv" in csv_answer.headers["Content-Disposition"]
    page = client.get("/publik?tahun=2026")
    assert page.status_code == 200 and page.headers["ETag"]
    assert client.get("/publik?tahun=2026", headers={"If-None-Match": page.headers["ETag"]}).status_code == 304
    assert client.get("/api/v1/public/years/2025/figures.json").get_json()["error"]["code"] == "not_published"


def test_a_refresh_that_changes_nothing_keeps_the_version_and_a_change_makes_a_new_one(runner, client, public_world):
    refresh(runner, "--year", "2026")
    first = client.get(YEAR_JSON).get_data()
    assert "2026: versi 1" in refresh(runner, "--year", "2026")
    assert client.get(YEAR_JSON).get_data() == first
    for _ in range(5):
        case_in(public_world.cast, S.AWAITING_FOLLOW_UP, agency=public_world.kabupaten)
    assert "2026: versi 2" in refresh(runner, "--year", "2026")
    data = figures(client)
    assert data["version"] == 2 and agency(data, "KAB-9901")["values"]["recommendations_issued"] in (6, "x")
    raw = db.session.scalar(
        select(PublicFigure.recommendations_issued).where(
            PublicFigure.year == 2026, PublicFigure.unit_kind == "agency",
            PublicFigure.unit_id == public_world.kabupaten.id, PublicFigure.period == 0,
        )
    )  # fmt: skip
    assert raw == 6
    old = client.get("/api/v1/public/years/2026/versions/1/figures.json")
    assert old.get_data() == first  # a cited version never changes
    assert client.get("/api/v1/public/years/2026/versions/3/figures.json").status_code == 404
    listed = client.get("/api/v1/public").get_json()
    assert [(y["year"], y["version"]) for y in listed["years"]] == [(2026, 2)]
    assert listed["years"][0]["csv_url"] == YEAR_CSV and listed["page_url"] == "/publik"


def test_an_administrator_withholds_and_publishes_a_year_recorded_in_the_history(runner, client, api, public_world):
    refresh(runner, "--year", "2026")
    admin = api(public_world.cast.admin)
    body = {"published": False, "reason": "Menunggu verifikasi pleno"}
    assert (
        api(public_world.cast.investigator).post("/api/v1/public/years/2026/publication", json=body).status_code == 403
    )
    answer = admin.post("/api/v1/public/years/2026/publication", json=body)
    assert answer.status_code == 200 and answer.get_json()["published"] is False
    assert client.get(YEAR_JSON).status_code == 404
    assert client.get(YEAR_CSV).status_code == 404
    assert client.get("/api/v1/public").get_json()["years"] == []
    assert "belum diterbitkan" in client.get("/publik?tahun=2026").get_data(as_text=True)
    assert admin.post("/api/v1/public/years/2026/publication", json={"published": True}).status_code == 422
    result = runner.invoke(args=["public", "publish", "--year", "2026", "--reason", "Sudah diverifikasi"])
    assert result.exit_code == 0, result.output
    assert client.get(YEAR_JSON).status_code == 200
    history = list(db.session.scalars(select(PublicPublication).order_by(PublicPublication.id)))
    assert [(h.published, h.reason) for h in history] == [
        (False, "Menunggu verifikasi pleno"), (True, "Sudah diverifikasi")
    ]  # fmt: skip
    assert history[0].changed_by_id == public_world.cast.admin.id


def check_rows(rows: list[dict[str, str]], schema: dict[str, Any], measures: dict[str, Any]) -> list[dict[str, str]]:
    """Every row against the dictionary's table schema (required, enum, range, pattern, a unique primary key) and
    its measure known; the rows back."""
    keys = set()
    for row in rows:
        for field in schema["fields"]:
            value, constraints = row[field["name"]], field.get("constraints", {})
            if constraints.get("required"):
                assert value != "", (field["name"], row)
            if "enum" in constraints and value:
                assert value in constraints["enum"], (field["name"], value)
            if field["type"] == "integer" and value:
                assert int(value) >= constraints.get("minimum", -(10**9))
                assert int(value) <= constraints.get("maximum", 10**9)
            if "pattern" in constraints:
                assert re.fullmatch(constraints["pattern"], value), (field["name"], value)
        assert row["measure"] in measures
        key = tuple(row[k] for k in schema["primaryKey"])
        assert key not in keys, key
        keys.add(key)
    return rows


def test_the_open_data_validates_against_its_dictionary(runner, client, public_world):
    refresh(runner, "--year", "2026")
    dictionary = client.get("/api/v1/public/dictionary").get_json()
    schema = dictionary["csv_schema"]
    measures = {m["key"]: m for m in dictionary["measures"]}
    assert all(m["label"] and m["label_en"] and m["definition"] and m["definition_en"] for m in measures.values())
    rows = list(csv.DictReader(io.StringIO(client.get(YEAR_CSV).get_data(as_text=True))))
    names = [f["name"] for f in schema["fields"]]
    assert rows and list(rows[0]) == names
    for row in check_rows(rows, schema, measures):
        if row["value"] == "":
            assert row["note"] in ("< 5", "x") or measures[row["measure"]]["type"] == "number", row
        else:
            assert row["note"] == ""
            number = float(row["value"])
            assert measures[row["measure"]]["type"] == "number" or number == int(number)
    # the JSON holds the same figures as the CSV
    data = figures(client)
    by_key = {(r["unit_kind"], r["unit_code"], r["period"], r["measure"]): r for r in rows}
    for item in data["agencies"]:
        for measure, cell in item["values"].items():
            row = by_key[("agency", item["code"], "0", measure)]
            assert (row["value"] or row["note"]) == str(cell)
    assert data["licence"]["id"] == "CC-BY-4.0" and data["dictionary_url"] == "/api/v1/public/dictionary"


def test_the_dcat_catalogue_lists_each_published_year_with_its_distributions(runner, client, public_world):
    refresh(runner, "--year", "2026")
    catalogue = client.get("/api/v1/public/catalog.jsonld")
    assert catalogue.mimetype == "application/ld+json"
    body = catalogue.get_json()
    assert body["@type"] == "dcat:Catalog" and body["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    (dataset,) = body["dcat:dataset"]
    assert dataset["@type"] == "dcat:Dataset" and dataset["owl:versionInfo"] == "1"
    assert dataset["dct:license"]["@id"] == "https://creativecommons.org/licenses/by/4.0/"
    formats = {d["dct:format"]: d["dcat:downloadURL"]["@id"] for d in dataset["dcat:distribution"]}
    assert formats["CSV"].endswith(YEAR_CSV) and formats["JSON"].endswith(YEAR_JSON)


def test_the_frozen_index_gives_the_penegakan_score_of_agencies_above_the_threshold(runner, client, public_world):
    snapshot = freeze_year(2026, public_world.cast.commissioner)
    db.session.commit()
    refresh(runner, "--year", "2026")
    data = figures(client)
    assert data["index"]["snapshot_id"] == snapshot.id
    assert agency(data, "KEM-BESAR")["penegakan"] is not None
    assert agency(data, "KAB-9901")["penegakan"] is None  # one recommendation: below the threshold
    frozen = client.get(data["index"]["url"])
    assert frozen.status_code == 200
    assert [i["code"] for i in frozen.get_json()["items"]] == ["KEM-BESAR"]


def test_the_scheduler_job_refreshes_through_run_job(app, public_world):
    assert run_job(app, "public_refresh", refresh_job) is True
    assert db.session.scalar(select(PublicRelease.version).where(PublicRelease.year == 2026)) == 1
    beat = db.session.get(JobHeartbeat, "public_refresh")
    assert beat is not None and beat.last_ok


def test_public_answers_are_rate_limited_per_address(app_overrides, public_world):
    limited = create_app({**app_overrides, "RATELIMIT_ENABLED": True, "PUBLIC_RATE_LIMIT": "3 per minute"})
    client = limited.test_client()
    statuses = [client.get("/api/v1/public", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/publik", environ_base={"REMOTE_ADDR": "203.0.113.10"}).status_code == 200


PUBLIC_URLS = (
    "/publik?tahun=2026",
    "/publik?tahun=2026&provinsi=PROV-99",
    "/publik/definisi",
    "/api/v1/public",
    YEAR_JSON,
    YEAR_CSV,
    "/api/v1/public/years/2026/versions/1/figures.json",
    "/api/v1/public/years/2026/versions/1/figures.csv",
    "/api/v1/public/dictionary",
    "/api/v1/public/catalog.jsonld",
)


def test_nothing_personal_is_in_any_public_answer(runner, client, public_world):
    snapshot = freeze_year(2026, public_world.cast.commissioner)
    election = Election(name="Pilkada Serentak Uji", kind="pilkada", starts_on=date(2026, 1, 1),
                        ends_on=date(2026, 12, 31))  # fmt: skip
    db.session.add(election)
    db.session.flush()
    db.session.add_all(CaseElection(case_id=case.id, election_id=election.id) for case in public_world.cases)
    db.session.commit()
    refresh(runner)  # the years and the election
    secrets = public_world.secrets()
    assert len(secrets) > 40
    base = f"/api/v1/public/elections/{election.id}"
    urls = [*PUBLIC_URLS, f"/api/v1/public/index-snapshots/{snapshot.id}", f"/publik?pemilu={election.id}",
            f"/publik?pemilu={election.id}&provinsi=PROV-99", f"{base}/figures.json", f"{base}/figures.csv",
            f"{base}/versions/1/figures.json", f"{base}/versions/1/figures.csv"]  # fmt: skip
    for locale in ("id", "en"):
        with client.session_transaction() as session:
            session["locale"] = locale
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            text = response.get_data(as_text=True)
            leaked = [s for s in secrets if s and s in text]
            assert leaked == [], (url, leaked)
            assert "NKK-2026-" not in text, url  # no case number of any form


@pytest.mark.parametrize("threshold", [3, 10])
def test_the_threshold_is_configurable(runner, client, app, public_world, threshold):
    app.config["PUBLIC_THRESHOLD"] = threshold
    try:
        refresh(runner, "--year", "2026")
        data = figures(client)
    finally:
        app.config["PUBLIC_THRESHOLD"] = 5
    assert data["threshold"] == threshold
    assert agency(data, "KOTA-9902")["values"]["recommendations_issued"] == f"< {threshold}"  # 2
    big = agency(data, "KEM-BESAR")["values"]["recommendations_issued"]  # 6
    assert big in (6, "x") if threshold <= 6 else big == f"< {threshold}"
    assert "< 5" not in json.dumps(data)


def test_the_administrators_page_withholds_and_publishes_with_a_reason(app, client, public_world):
    refresh_year = releases.refresh_year(2026)
    db.session.commit()
    assert refresh_year.version == 1
    pages = Pages(app.test_client())
    assert pages.login(public_world.cast.investigator).status_code == 302
    assert pages.get("/publik/admin").status_code == 403
    admin = Pages(app.test_client())
    admin.login(public_world.cast.admin)
    refused = admin.post("/publik/admin", {"year": "2026", "reason": "", "action": "withhold"})
    assert refused.status_code == 422 and "Alasan wajib diisi" in refused.get_data(as_text=True)
    done = admin.post("/publik/admin", {"year": "2026", "reason": "Belum diverifikasi", "action": "withhold"})
    assert done.status_code == 302
    assert client.get(YEAR_JSON).status_code == 404
    page = admin.get("/publik/admin").get_data(as_text=True)
    assert "Ditahan" in page and "Belum diverifikasi" in page
    admin.post("/publik/admin", {"year": "2026", "reason": "Sudah diverifikasi", "action": "publish"})
    assert client.get(YEAR_JSON).status_code == 200


def test_each_default_refresh_also_brings_the_year_checked_longest_ago_up_to_date(app, public_world):
    for year in (2022, 2023, 2024, 2025, 2026):
        releases.refresh_year(year)
    db.session.commit()
    checked = {year: db.session.scalar(select(PublicRelease.checked_at).where(PublicRelease.year == year))
               for year in (2022, 2023)}  # fmt: skip
    assert checked[2022] <= checked[2023]
    first = [r.year for r in releases.refresh()]
    second = [r.year for r in releases.refresh()]
    assert first == [2022, 2025, 2026] and second == [2023, 2025, 2026]


def test_a_version_no_row_can_have_is_not_found(runner, client, public_world):
    """A version past the column's range (PostgreSQL refuses the value) answers the same 404 as a missing one."""
    refresh(runner, "--year", "2026")
    for suffix in ("json", "csv"):
        for version in (0, 2**31, 51480735876):
            response = client.get(f"/api/v1/public/years/2026/versions/{version}/figures.{suffix}")
            assert response.status_code == 404, (version, response.get_data(as_text=True))
