"""Penegakan for the cases of one election (issue 22): per agency, the case-based sub-criterion of the IM-NKK and its
counts over the year's recommendations whose case is linked to the election, by API and on the ranking page; the
same predicates and formula as the index (docs/index-method.md §14), live, never touching a frozen snapshot.

The figure is worked out here by hand from the method's defaults (§5): the Yogyakarta government received four
recommendations in 2025 for cases of the Pemilu — followed up on time in 6 working days; followed up late in 20;
followed up on time in 8 with a lighter sanction; not followed up and escalated to level 2 — so
    follow-up 3/4, on time 2/4, conformity 2/3, no escalation 3/4, no level 3 1, speed 1 (median 8 <= 14)
    100 x (30 x 0.75 + 25 x 0.5 + 15 x 2/3 + 15 x 0.75 + 5 x 1 + 10 x 1) / 100 = 71.25.
Bali received one, followed up on time in 10 working days: 100. Beside them, cases the figure must leave out: a
Yogyakarta case linked to no election, one linked to the Pilkada, and a Pemilu case recommended in 2026."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.db import db
from app.intake.events import create_election
from app.models.index import IndexSnapshot
from app.models.intake import CaseElection
from tests.index.builders import at, followed, issue

YEAR = 2025


@pytest.fixture
def record(people: Any) -> dict[str, Any]:
    pemilu = create_election(
        {"name": "Pemilu 2024", "kind": "pemilu", "starts_on": "2023-11-28", "ends_on": "2025-10-20"}, people.admin
    )
    pilkada = create_election(
        {"name": "Pilkada Serentak 2024", "kind": "pilkada", "starts_on": "2024-08-01", "ends_on": "2025-12-31"},
        people.admin,
    )
    diy, bali = people.agency, people.other_agency
    diy_pemilu = [
        followed(diy, at(YEAR, 3, 1), working_days=6),
        followed(diy, at(YEAR, 4, 1), working_days=20, after_days=30, is_late=True),
        issue(
            diy, at(YEAR, 5, 1), status="completed",
            follow_up={"after_days": 10, "working_days": 8, "imposed": "disiplin_ringan", "is_lighter": True},
        ),
        issue(diy, at(YEAR, 6, 1), escalations=(2,)),
    ]  # fmt: skip
    bali_pemilu = [followed(bali, at(YEAR, 3, 10), working_days=10)]
    unlinked = followed(diy, at(YEAR, 7, 1), working_days=30, after_days=45, is_late=True)
    diy_pilkada = issue(diy, at(YEAR, 8, 1), escalations=(2, 3))
    next_year = followed(diy, at(YEAR + 1, 2, 1), working_days=30, after_days=45, is_late=True)
    for case in [*diy_pemilu, *bali_pemilu, next_year]:
        db.session.add(CaseElection(case_id=case.id, election_id=pemilu.id))
    db.session.add(CaseElection(case_id=diy_pilkada.id, election_id=pilkada.id))
    db.session.commit()
    return {
        "pemilu": pemilu.id,
        "pilkada": pilkada.id,
        "diy_pemilu": diy_pemilu,
        "unlinked": unlinked,
        "diy_pilkada": diy_pilkada,
    }


def _get(api: Any, user: Any, election_id: Any, year: int = YEAR) -> Any:
    return api(user).get(f"/api/v1/index/enforcement?year={year}&election_id={election_id}")


def test_an_elections_penegakan_matches_the_figure_worked_out_by_hand(api, people, record):
    body = _get(api, people.investigator, record["pemilu"]).get_json()
    assert body["election"]["name"] == "Pemilu 2024" and body["year"] == YEAR and body["year_frozen"] is False
    items = {item["agency_code"]: item for item in body["items"]}
    assert set(items) == {"PROV-DIY", "PROV-BALI"}  # agencies with no recommendation for the election: not listed
    diy = items["PROV-DIY"]
    assert diy["enforcement"] == {
        "received": 4, "followed_up": 3, "on_time": 2, "lighter_sanction": 1, "escalated": 1, "open": 1,
        "median_working_days": 8, "assessable": 4, "escalated_level3": 0,
    }  # fmt: skip
    assert diy["enforcement_score"] == pytest.approx(71.25)
    assert items["PROV-BALI"]["enforcement_score"] == pytest.approx(100.0)
    assert [(i["agency_code"], i["rank"]) for i in body["items"]] == [("PROV-BALI", 1), ("PROV-DIY", 2)]
    assert body["totals"]["received"] == 5 and body["totals"]["followed_up"] == 4

    # The Pilkada's one case: escalated to level 3 and never followed up.
    pilkada = _get(api, people.investigator, record["pilkada"]).get_json()["items"]
    assert [
        (i["agency_code"], i["enforcement"]["received"], i["enforcement"]["escalated_level3"]) for i in pilkada
    ] == [("PROV-DIY", 1, 1)]
    # The next year holds the Pemilu's 2026 case alone.
    assert [
        i["enforcement"]["received"]
        for i in _get(api, people.investigator, record["pemilu"], YEAR + 1).get_json()["items"]
    ] == [1]

    # A part of the year's figures: the Pemilu's, the Pilkada's and the unlinked case add up to the index's count.
    index = api(people.investigator).get(f"/api/v1/index?year={YEAR}").get_json()["items"]
    year_diy = next(i for i in index if i["agency_code"] == "PROV-DIY")
    assert year_diy["enforcement"]["received"] == 4 + 1 + 1


def test_the_cases_behind_an_elections_count_are_the_elections_own(api, people, record):
    diy = people.agency.id
    url = f"/api/v1/index/{YEAR}/agencies/{diy}/cases?indicator=received&election_id={record['pemilu']}"
    page = api(people.investigator).get(url).get_json()
    assert [row["id"] for row in page["items"]] == sorted(c.id for c in record["diy_pemilu"])
    assert page["election_id"] == record["pemilu"] and page["frozen"] is False
    lighter = api(people.investigator).get(url.replace("indicator=received", "indicator=lighter_sanction")).get_json()
    assert [row["id"] for row in lighter["items"]] == [record["diy_pemilu"][2].id]
    unknown = api(people.investigator).get(url.replace(f"election_id={record['pemilu']}", "election_id=999999"))
    assert unknown.status_code == 422


def test_each_reader_sees_what_the_index_lets_it_see(api, people, record):
    ppk = _get(api, people.ppk, record["pemilu"]).get_json()["items"]
    assert [i["agency_code"] for i in ppk] == ["PROV-DIY"] and ppk[0]["enforcement_score"] == pytest.approx(71.25)
    assert [i["agency_code"] for i in _get(api, people.other_ppk, record["pilkada"]).get_json()["items"]] == []
    overseer = _get(api, people.overseer, record["pemilu"])
    assert overseer.status_code == 200 and len(overseer.get_json()["items"]) == 2
    cases = f"/api/v1/index/{YEAR}/agencies/{people.agency.id}/cases?indicator=received&election_id={record['pemilu']}"
    assert api(people.overseer).get(cases).status_code == 403
    other = f"/api/v1/index/{YEAR}/agencies/{people.agency.id}/cases?indicator=received&election_id={record['pemilu']}"
    assert api(people.other_ppk).get(other).status_code in (403, 404)


def test_an_unknown_or_missing_election_is_refused_in_indonesian(api, people, record):
    for value in ("999999", "0", "abc"):
        refused = _get(api, people.investigator, value)
        assert refused.status_code == 422, value
        assert "election_id" in refused.get_json()["error"]["details"]["fields"]
    unknown = _get(api, people.investigator, "999999").get_json()["error"]
    assert unknown["details"]["fields"]["election_id"] == ["Pemilihan tidak ditemukan."]
    assert api(people.investigator).get(f"/api/v1/index/enforcement?year={YEAR}").status_code == 422


def test_a_frozen_year_stays_as_frozen_and_the_election_figures_stay_live(api, people, record):
    assert api(people.commissioner).post(f"/api/v1/index/{YEAR}/snapshot").status_code == 201
    frozen = db.session.scalars(select(IndexSnapshot)).one()
    stored = dict(frozen.data)
    published = api(people.investigator).get(f"/api/v1/index?year={YEAR}").get_json()

    # A late-logged Pemilu case of 2025: the election's figures count it at once, the frozen index never.
    late = followed(people.agency, at(YEAR, 9, 1), working_days=4)
    db.session.add(CaseElection(case_id=late.id, election_id=record["pemilu"]))
    db.session.commit()
    body = _get(api, people.investigator, record["pemilu"]).get_json()
    assert body["year_frozen"] is True
    diy = next(i for i in body["items"] if i["agency_code"] == "PROV-DIY")
    assert diy["enforcement"]["received"] == 5 and diy["enforcement"]["followed_up"] == 4

    db.session.expire_all()
    assert db.session.scalars(select(IndexSnapshot)).one().data == stored
    assert api(people.investigator).get(f"/api/v1/index?year={YEAR}").get_json() == published


def test_the_ranking_page_filters_penegakan_by_election(people, record, signed_in):
    staff = signed_in(people.investigator)
    ranking = staff.get(f"/index?year={YEAR}").get_data(as_text=True)
    assert '<label class="form-label" for="election_id">Penegakan untuk pemilihan</label>' in ranking
    assert f'<option value="{record["pemilu"]}">Pemilu 2024</option>' in ranking

    html = staff.get(f"/index?year={YEAR}&election_id={record['pemilu']}").get_data(as_text=True)
    table = html.split('id="election-enforcement"', 1)[1].split("</table>")[0]
    rows = table.split("<tbody>", 1)[1].split("</tr>")
    assert "Pemerintah Provinsi Bali" in rows[0] and "100" in rows[0]
    assert "Pemerintah Daerah DIY" in rows[1] and "71,25" in rows[1]
    assert "Ini bukan skor IM-NKK" in html
    cases_link = f"/index/{YEAR}/agencies/{people.agency.id}/cases/received?election_id={record['pemilu']}"
    assert cases_link in rows[1]
    listed = staff.get(cases_link).get_data(as_text=True)
    assert 'id="cases-election"' in listed
    for case in record["diy_pemilu"]:
        assert case.number in listed
    assert record["unlinked"].number not in listed and record["diy_pilkada"].number not in listed

    assert staff.get(f"/index?year={YEAR}&election_id=abc").status_code == 422
