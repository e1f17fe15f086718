"""Public figures per election (issue 24): the cases linked to an election, counted like a year's, suppressed the
same way (an election with 1, 2 and 6 cases), served at stable URLs with versions, listed in the catalogue and the
dictionary, chosen on /publik, and withheld or published with the same switch as a year."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from app.core.states import CaseStatus as S
from app.db import db
from app.models.intake import CaseElection, Election
from app.models.public import PublicFigure
from tests.factories import case_in
from tests.public.test_public_figures import check_rows
from tests.public.test_reidentification import recovered

COUNTED = ("recommendations_issued", "followed_up", "open", "cases_received")


def _election(name: str, cases: list[Any]) -> Election:
    election = Election(name=name, kind="pilkada", region=None, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    db.session.add(election)
    db.session.flush()
    for case in cases:
        db.session.add(CaseElection(case_id=case.id, election_id=election.id))
    db.session.commit()
    return election


@pytest.fixture
def elections(public_world: Any) -> dict[str, Election]:
    """Pilkada A: the big agency's six cases and one under review; Pilkada B: the kabupaten's one case; Pilkada C:
    the kota's two (a case belongs to one election at most)."""
    by_agency: dict[int, list[Any]] = {}
    for case in public_world.cases:
        by_agency.setdefault(case.agency_id, []).append(case)
    big = [c for c in by_agency[public_world.big.id] if c.status != S.UNDER_REVIEW.value]
    review = [c for c in by_agency[public_world.big.id] if c.status == S.UNDER_REVIEW.value]
    kota = by_agency[public_world.kota.id]
    kabupaten = [c for c in by_agency[public_world.kabupaten.id] if c.status == S.COMPLETED.value]
    assert (len(big), len(review), len(kota), len(kabupaten)) == (6, 1, 2, 1)
    return {
        "six": _election("Pilkada Serentak A", [*big, *review]),
        "one": _election("Pilkada Serentak B", kabupaten),
        "two": _election("Pilkada Serentak C", kota),
    }


def refresh(runner: Any, *args: str) -> str:
    result = runner.invoke(args=["public", "refresh", *args])
    assert result.exit_code == 0, result.output
    return result.output


def url(election: Election, suffix: str = "figures.json") -> str:
    return f"/api/v1/public/elections/{election.id}/{suffix}"


def raw_row(election: Election, kind: str, unit_id: int) -> PublicFigure:
    return db.session.scalar(
        select(PublicFigure).where(
            PublicFigure.election_id == election.id, PublicFigure.unit_kind == kind, PublicFigure.unit_id == unit_id,
            PublicFigure.period == 0,
        )
    )  # fmt: skip


def test_an_elections_figures_are_its_linked_cases_counted_by_hand(runner, client, public_world, elections):
    out = refresh(runner, "--election", str(elections["six"].id))
    assert f"pemilu {elections['six'].id}: versi 1" in out
    six = elections["six"]
    big = raw_row(six, "agency", public_world.big.id)
    assert tuple(getattr(big, k) for k in COUNTED) == (6, 3, 2, 6)  # 3 completed, 2 awaiting, 1 reported
    kota = raw_row(six, "agency", public_world.kota.id)
    assert tuple(getattr(kota, k) for k in COUNTED) == (0, 0, 0, 0)  # its cases belong to another election
    kabupaten = raw_row(six, "agency", public_world.kabupaten.id)
    assert tuple(getattr(kabupaten, k) for k in COUNTED) == (0, 0, 0, 0)
    province = raw_row(six, "province", public_world.province.id)
    assert tuple(getattr(province, k) for k in COUNTED) == (0, 0, 0, 0)
    national = raw_row(six, "national", 0)
    assert tuple(getattr(national, k) for k in COUNTED) == (6, 3, 2, 6)
    two = elections["two"]
    refresh(runner, "--election", str(two.id))
    assert tuple(getattr(raw_row(two, "agency", public_world.kota.id), k) for k in COUNTED) == (2, 0, 2, 2)
    assert tuple(getattr(raw_row(two, "province", public_world.province.id), k) for k in COUNTED) == (2, 0, 2, 2)
    assert raw_row(two, "national", 0).recommendations_issued == 2
    assert national.cases_before_recommendation == 1  # the case under review
    # the year's rows are not touched by an election's refresh
    assert db.session.scalar(select(PublicFigure.id).where(PublicFigure.year == 2026)) is None
    data = client.get(url(six)).get_json()
    assert data["election"]["name"] == "Pilkada Serentak A" and data["year"] is None and data["trend"] == []
    assert data["dataset"] == "tindak-angka-publik-pemilu" and data["version"] == 1
    shown = {"KEM-BESAR": big, "KOTA-9902": kota, "KAB-9901": kabupaten}
    for item in data["agencies"]:
        if item["code"] in shown:
            for key in COUNTED:
                cell, value = item["values"][key], getattr(shown[item["code"]], key)
                assert cell == (value if value >= 5 else "< 5") or (cell == "x" and value >= 5), (item["code"], key)
    assert data["national"]["values"]["recommendations_issued"] in (6, "x")
    assert data["national"]["values"]["cases_before_recommendation"] == "< 5"


@pytest.mark.parametrize("size", ["one", "two", "six"])
def test_suppression_holds_for_an_election_with_one_two_and_six_cases(runner, client, elections, size):
    refresh(runner)  # the default refresh: the years and every election with a linked case
    election = elections[size]
    data = client.get(url(election)).get_json()
    assert recovered(data) == []
    national = data["national"]["values"]
    if size != "six":  # one or two recommendations: every count of the election is small or hidden
        for group in ("agencies", "provinces"):
            for item in data[group]:
                assert set(item["values"].values()) <= {"< 5", "x"}, item["code"]
        assert national["recommendations_issued"] == "< 5"
    rows = list(csv.DictReader(io.StringIO(client.get(url(election, "figures.csv")).get_data(as_text=True))))
    assert rows and {r["election_id"] for r in rows} == {str(election.id)}
    for row in rows:
        if row["value"] and row["measure"] not in ("median_working_days", "on_time_share", "penegakan"):
            assert int(row["value"]) >= 5, row


def test_election_files_have_versions_catalogue_entries_and_the_dictionary_schema(runner, client, public_world,
                                                                                   elections):  # fmt: skip
    six = elections["six"]
    refresh(runner, "--election", str(six.id))
    first = client.get(url(six)).get_data()
    assert f"pemilu {six.id}: versi 1" in refresh(runner, "--election", str(six.id))  # nothing changed
    case = case_in(public_world.cast, S.AWAITING_FOLLOW_UP, agency=public_world.big)
    db.session.add(CaseElection(case_id=case.id, election_id=six.id))
    db.session.commit()
    assert f"pemilu {six.id}: versi 2" in refresh(runner, "--election", str(six.id))
    assert client.get(url(six, "versions/1/figures.json")).get_data() == first
    assert client.get(url(six)).get_json()["version"] == 2
    assert client.get(url(six, "versions/3/figures.json")).status_code == 404
    assert client.get("/api/v1/public/elections/999999/figures.json").status_code == 404
    listed = client.get("/api/v1/public").get_json()
    assert [(e["election_id"], e["version"]) for e in listed["elections"]] == [(six.id, 2)]
    assert listed["elections"][0]["json_url"] == url(six)
    catalogue = client.get("/api/v1/public/catalog.jsonld").get_json()
    (dataset,) = [d for d in catalogue["dcat:dataset"] if d["dct:identifier"] == f"tindak-angka-publik-pemilu-{six.id}"]
    assert dataset["owl:versionInfo"] == "2" and dataset["dct:temporal"]["dcat:startDate"]["@value"] == "2026-01-01"
    formats = {d["dct:format"]: d["dcat:downloadURL"]["@id"] for d in dataset["dcat:distribution"]}
    assert formats["CSV"].endswith(url(six, "figures.csv")) and formats["JSON"].endswith(url(six))
    # the CSV validates against the dictionary's election schema
    dictionary = client.get("/api/v1/public/dictionary").get_json()
    schema = dictionary["election_csv_schema"]
    measures = {m["key"]: m for m in dictionary["measures"]}
    rows = list(csv.DictReader(io.StringIO(client.get(url(six, "figures.csv")).get_data(as_text=True))))
    assert list(rows[0]) == [f["name"] for f in schema["fields"]]
    for row in check_rows(rows, schema, measures):
        assert row["period"] == "0"


def test_withheld_election_figures_answer_as_withheld_years_do(runner, client, api, public_world, elections):
    six = elections["six"]
    refresh(runner, "--election", str(six.id))
    admin = api(public_world.cast.admin)
    body = {"published": False, "reason": "Menunggu verifikasi pleno"}
    path = f"/api/v1/public/elections/{six.id}/publication"
    assert api(public_world.cast.investigator).post(path, json=body).status_code == 403
    answer = admin.post(path, json=body)
    assert answer.status_code == 200 and answer.get_json()["published"] is False
    for suffix in ("figures.json", "figures.csv", "versions/1/figures.json", "versions/1/figures.csv"):
        withheld = client.get(url(six, suffix))
        assert withheld.status_code == 404 and withheld.get_json()["error"]["code"] == "not_published", suffix
    assert client.get("/api/v1/public").get_json()["elections"] == []
    catalogue = client.get("/api/v1/public/catalog.jsonld").get_json()
    assert all("pemilu" not in d["dct:identifier"] for d in catalogue["dcat:dataset"])
    assert "belum diterbitkan" in client.get(f"/publik?pemilu={six.id}").get_data(as_text=True)
    assert admin.post(path, json={"published": True}).status_code == 422
    result = runner.invoke(args=["public", "publish", "--election", str(six.id), "--reason", "Sudah diverifikasi"])
    assert result.exit_code == 0, result.output
    assert client.get(url(six)).status_code == 200
    # the year's switch is its own
    refresh(runner, "--year", "2026")
    result = runner.invoke(args=["public", "withhold", "--year", "2026", "--reason", "Belum diverifikasi"])
    assert result.exit_code == 0
    assert client.get(url(six)).status_code == 200
    assert client.get("/api/v1/public/years/2026/figures.json").status_code == 404


def test_the_page_shows_an_elections_figures_and_a_provinces_trend(runner, client, public_world, elections):
    refresh(runner)
    six = elections["six"]
    page = client.get(f"/publik?pemilu={six.id}").get_data(as_text=True)
    assert "Pilkada Serentak A" in page and f'href="/api/v1/public/elections/{six.id}/figures.json"' in page
    assert 'id="pemilu"' in page and "Kementerian Contoh Besar" in page
    assert 'id="trend-heading"' not in page  # an election has no months
    year_page = client.get("/publik?tahun=2026&provinsi=PROV-99").get_data(as_text=True)
    assert "Tren per bulan · Provinsi Contoh" in year_page
    data = client.get("/api/v1/public/years/2026/figures.json").get_json()
    (province,) = [p for p in data["provinces"] if p["code"] == "PROV-99"]
    assert [m["month"] for m in province["trend"]] == list(range(1, 13))
    assert all(v in ("< 5", "x") for m in province["trend"] for v in m["values"].values())  # three recommendations
