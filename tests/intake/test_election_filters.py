"""Election periods as data, used (issue 22): a neutrality case is linked to an election and unlinked by the staff,
from the case page and by API, each change a history row; the case list (page and API), its exports, the saved
filters and the dashboard are filtered by election, each returning exactly the cases linked to it that its reader
may see (a PPK only its agency's, from the issue of their recommendation).

World: two elections; in the cast's agency a Pemilu case and a Pilkada case awaiting follow-up, a Pemilu case not
issued yet, a neutrality case linked to none and a case of another category; in the other agency a Pemilu case."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import select

from app.cases import listing
from app.cases.elections import link_election
from app.db import db
from app.intake.events import create_election
from app.models.cases import Case, CaseHistory
from app.models.intake import CaseElection
from tests.factories import NIPS, Cast, S, case_in, make_cast
from tests.web.conftest import Pages

UNKNOWN = 999_999


@pytest.fixture
def pages_for(app: Any) -> Any:
    """`pages_for(user)`: a fresh client signed in as `user` through the real form."""

    def _make(user: Any) -> Pages:
        pages = Pages(app.test_client())
        assert pages.login(user).status_code == 302
        return pages

    return _make


@pytest.fixture
def world() -> dict[str, Any]:
    cast = make_cast()
    pemilu = create_election(
        {"name": "Pemilu 2024", "kind": "pemilu", "starts_on": "2023-11-28", "ends_on": "2024-10-20"}, cast.admin
    )
    pilkada = create_election(
        {"name": "Pilkada Serentak 2026", "kind": "pilkada", "starts_on": "2026-08-01", "ends_on": "2026-12-31"},
        cast.admin,
    )
    db.session.commit()

    def person(n: int) -> dict[str, Any]:
        return {"reported_person": {"name": f"ASN Netral {n}", "nip": NIPS[n % len(NIPS)]}}

    cases = {
        "a_pemilu": case_in(cast, S.AWAITING_FOLLOW_UP, **person(0)),
        "a_pilkada": case_in(cast, S.AWAITING_FOLLOW_UP, **person(1)),
        "a_pemilu_unissued": case_in(cast, S.UNDER_REVIEW, **person(2)),
        "a_unlinked": case_in(cast, S.AWAITING_FOLLOW_UP, **person(3)),
        "a_other": case_in(cast, S.AWAITING_FOLLOW_UP, category="kode_etik_lainnya", subcategory=None, **person(0)),
        "b_pemilu": case_in(cast, S.AWAITING_FOLLOW_UP, agency=cast.other_agency, **person(1)),
    }
    for key in ("a_pemilu", "a_pemilu_unissued", "b_pemilu"):
        link_election(cases[key], {"election_id": pemilu.id}, cast.investigator)
    link_election(cases["a_pilkada"], {"election_id": pilkada.id}, cast.investigator)
    db.session.commit()
    return {"cast": cast, "cases": cases, "pemilu": pemilu.id, "pilkada": pilkada.id}


def _numbers(world: dict[str, Any], *keys: str) -> set[str]:
    return {world["cases"][key].number for key in keys}


def _listed(client: Any, query: str) -> set[str]:
    """Every case number of `GET /api/v1/cases?<query>`, walking its keyset pages one case at a time."""
    numbers: list[str] = []
    url = f"/api/v1/cases?{query}&limit=1"
    while True:
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        numbers += [item["number"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        url = f"/api/v1/cases?{query}&limit=1&cursor={body['next_cursor']}"
    assert len(numbers) == len(set(numbers))
    return set(numbers)


def _exported(client: Any, query: str) -> set[str]:
    response = client.get(f"/api/v1/cases/export?{query}&format=csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    return {row["Nomor Perkara"] for row in rows}


def test_the_list_and_its_export_by_api_hold_exactly_each_elections_cases_for_each_reader(world, api):
    cast: Cast = world["cast"]
    pemilu, pilkada = world["pemilu"], world["pilkada"]
    staff, ppk, other_ppk = api(cast.investigator), api(cast.ppk), api(cast.other_ppk)

    assert _listed(staff, f"election_id={pemilu}") == _numbers(world, "a_pemilu", "a_pemilu_unissued", "b_pemilu")
    assert _listed(staff, f"election_id={pilkada}") == _numbers(world, "a_pilkada")
    # With the other filters: one condition more in the same statement.
    assert _listed(staff, f"election_id={pemilu}&status=awaiting_follow_up") == _numbers(world, "a_pemilu", "b_pemilu")
    assert _listed(staff, f"election_id={pemilu}&agency_id={cast.agency.id}") == _numbers(
        world, "a_pemilu", "a_pemilu_unissued"
    )
    # The role x agency rule holds under the filter: a PPK sees its agency's issued cases of the election only.
    assert _listed(ppk, f"election_id={pemilu}") == _numbers(world, "a_pemilu")
    assert _listed(ppk, f"election_id={pilkada}") == _numbers(world, "a_pilkada")
    assert _listed(other_ppk, f"election_id={pemilu}") == _numbers(world, "b_pemilu")
    assert _listed(other_ppk, f"election_id={pilkada}") == set()
    # An election no case is linked to, or none at all, is just a filter that matches nothing (like an agency id).
    assert _listed(staff, f"election_id={UNKNOWN}") == set()

    # The export takes the same filters, under the same visibility.
    assert _exported(staff, f"election_id={pemilu}") == _numbers(world, "a_pemilu", "a_pemilu_unissued", "b_pemilu")
    assert _exported(staff, f"election_id={pilkada}") == _numbers(world, "a_pilkada")
    assert _exported(ppk, f"election_id={pemilu}") == _numbers(world, "a_pemilu")
    assert _exported(other_ppk, f"election_id={pilkada}") == set()
    xlsx = staff.get(f"/api/v1/cases/export?election_id={pilkada}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"

    # A value that cannot be an election's id is refused in Indonesian, naming the field.
    for bad in ("0", "abc", "-3"):
        refused = staff.get(f"/api/v1/cases?election_id={bad}")
        assert refused.status_code == 422, bad
        assert "election_id" in str(refused.get_json()["error"]["details"])
        assert staff.get(f"/api/v1/cases/export?election_id={bad}&format=csv").status_code == 422


def test_the_list_statement_is_built_once_per_filter_shape_whatever_the_election(world, api):
    staff = api(world["cast"].investigator)
    staff.get(f"/api/v1/cases?election_id={world['pemilu']}")  # the shape's statement is built (or was already)
    before = listing._list_statement.cache_info()
    staff.get(f"/api/v1/cases?election_id={world['pilkada']}")
    staff.get(f"/api/v1/cases?election_id={UNKNOWN}")
    after = listing._list_statement.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 2


def test_the_list_page_filters_by_election_and_its_export_link_carries_it(world, pages_for):
    cast: Cast = world["cast"]
    pemilu = world["pemilu"]
    staff = pages_for(cast.investigator)
    html = staff.get(f"/cases?election_id={pemilu}").get_data(as_text=True)
    table = html.split("case-table", 1)[1].split("</table>")[0]
    shown = {c.number for c in world["cases"].values() if c.number in table}
    assert shown == _numbers(world, "a_pemilu", "a_pemilu_unissued", "b_pemilu")
    # The select offers every election, the chosen one selected, with Indonesian words.
    assert '<label class="form-label" for="election_id">Pemilihan</label>' in html
    assert f'<option value="{pemilu}" selected>Pemilu 2024</option>' in html
    assert f"/cases/export.csv?election_id={pemilu}" in html

    ppk_html = pages_for(cast.ppk).get(f"/cases?election_id={pemilu}").get_data(as_text=True)
    ppk_table = ppk_html.split("case-table", 1)[1].split("</table>")[0]
    assert {c.number for c in world["cases"].values() if c.number in ppk_table} == _numbers(world, "a_pemilu")

    exported = staff.get(f"/cases/export.csv?election_id={pemilu}")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert {row["Nomor Perkara"] for row in rows} == _numbers(world, "a_pemilu", "a_pemilu_unissued", "b_pemilu")

    refused = staff.get("/cases?election_id=0")
    assert refused.status_code == 422
    assert "is-invalid" in refused.get_data(as_text=True).split('id="election_id"')[0].rsplit("<select", 1)[1]


def test_a_saved_filter_keeps_the_election(world, api):
    cast: Cast = world["cast"]
    user = api(cast.ppk)
    saved = user.post("/api/v1/me/filters", json={"name": "Pemilu", "filters": {"election_id": world["pemilu"]}})
    assert saved.status_code == 201, saved.get_json()
    body = saved.get_json()
    assert body["filters"] == {"election_id": str(world["pemilu"])}
    assert (
        f"election_id={world['pemilu']}" in body["cases_url"] and f"election_id={world['pemilu']}" in body["page_url"]
    )
    listed = user.get(body["cases_url"]).get_json()["items"]
    assert {item["number"] for item in listed} == _numbers(world, "a_pemilu")
    bad = user.post("/api/v1/me/filters", json={"name": "Salah", "filters": {"election_id": 0}})
    assert bad.status_code == 422 and "filters.election_id" in bad.get_json()["error"]["details"]["fields"]


def _history(case: Case) -> list[CaseHistory]:
    stmt = select(CaseHistory).where(CaseHistory.case_id == case.id, CaseHistory.event == "election_linked")
    return list(db.session.scalars(stmt.order_by(CaseHistory.seq)))


def test_staff_link_and_unlink_by_api_each_change_in_the_history_and_bad_links_refused_in_indonesian(
    world, api, client
):
    cast: Cast = world["cast"]
    cases = world["cases"]
    staff = api(cast.investigator)
    case = cases["a_unlinked"]
    version = case.version

    def put(who: Any, target: Case, body: Any) -> Any:
        return client.put(f"/api/v1/cases/{target.id}/election", json=body, headers=who.headers)

    linked = put(staff, case, {"election_id": world["pilkada"]})
    assert linked.status_code == 200 and linked.get_json() == {"election_id": world["pilkada"]}
    detail = staff.get(f"/api/v1/cases/{case.id}").get_json()
    assert detail["election"] == {"id": world["pilkada"], "name": "Pilkada Serentak 2026"}
    assert detail["version"] == version  # a link is not an edit of the report: an open edit form stays valid
    assert _listed(staff, f"election_id={world['pilkada']}") == _numbers(world, "a_pilkada", "a_unlinked")
    rows = _history(case)
    assert len(rows) == 1 and rows[0].actor_id == cast.investigator.id
    assert rows[0].payload == {
        "from_election": None,
        "to_election": {"id": world["pilkada"], "name": "Pilkada Serentak 2026"},
    }
    # The same link again changes nothing and writes nothing (a PUT sent twice).
    assert put(staff, case, {"election_id": world["pilkada"]}).status_code == 200
    assert len(_history(case)) == 1
    # Moved to another election, then unlinked: a row each, naming before and after.
    assert put(api(cast.commissioner), case, {"election_id": world["pemilu"]}).status_code == 200
    assert put(staff, case, {"election_id": None}).status_code == 200
    assert [r.payload["to_election"] for r in _history(case)][1:] == [
        {"id": world["pemilu"], "name": "Pemilu 2024"},
        None,
    ]
    assert db.session.get(CaseElection, case.id) is None
    assert staff.get(f"/api/v1/cases/{case.id}").get_json()["election"] is None

    # Refused, in Indonesian, naming the field: an unknown election, a case that is not a neutrality case.
    unknown = put(staff, case, {"election_id": UNKNOWN})
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["details"]["fields"]["election_id"] == ["Pemilihan tidak ditemukan."]
    other = put(staff, cases["a_other"], {"election_id": world["pemilu"]})
    assert other.status_code == 422
    assert other.get_json()["error"]["details"]["fields"]["election_id"] == [
        "Hanya perkara netralitas yang dikaitkan dengan pemilihan."
    ]
    assert put(staff, case, {}).status_code == 422  # the field is required (null unlinks)
    assert put(staff, case, {"election_id": "2"}).status_code == 422
    assert len(_history(case)) == 3 and _history(cases["a_other"]) == []
    # Only the staff link: a PPK is refused on its own case (403) and never learns of another agency's (404).
    assert put(api(cast.ppk), cases["a_pemilu"], {"election_id": None}).status_code == 403
    assert put(api(cast.other_ppk), cases["a_pemilu"], {"election_id": None}).status_code == 404
    assert db.session.get(CaseElection, cases["a_pemilu"].id).election_id == world["pemilu"]


def test_staff_link_and_unlink_from_the_case_page_and_read_it_in_the_timeline(world, pages_for):
    cast: Cast = world["cast"]
    case = world["cases"]["a_pemilu"]
    staff = pages_for(cast.investigator)
    page = staff.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="election-form"' in page and "Pemilu 2024" in page.split('id="case-election"')[1].split("</dd>")[0]

    moved = staff.post(f"/cases/{case.id}/election", {"election_id": str(world["pilkada"])}, page=f"/cases/{case.id}")
    assert moved.status_code == 303
    assert db.session.get(CaseElection, case.id).election_id == world["pilkada"]
    unlinked = staff.post(f"/cases/{case.id}/election", {"election_id": ""}, page=f"/cases/{case.id}")
    assert unlinked.status_code == 303 and db.session.get(CaseElection, case.id) is None
    page = staff.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "belum dikaitkan" in page.split('id="case-election"')[1].split("</dd>")[0]
    timeline = page.split("Pemilihan perkara diubah", 1)[1]
    assert "Pemilihan sebelumnya" in timeline and "Pilkada Serentak 2026" in timeline

    # Refused on the page too: a case of another category keeps no link and says why.
    other = world["cases"]["a_other"]
    refused = staff.post(
        f"/cases/{other.id}/election", {"election_id": str(world["pemilu"])}, page=f"/cases/{case.id}",
        follow_redirects=True,
    )  # fmt: skip
    assert "Hanya perkara netralitas yang dikaitkan dengan pemilihan." in refused.get_data(as_text=True)
    assert db.session.get(CaseElection, other.id) is None
    assert 'id="election-form"' not in staff.get(f"/cases/{other.id}").get_data(as_text=True)
    # The PPK reads the case's election, with no form to change it, and the page refuses its post.
    ppk = pages_for(cast.ppk)
    pemilu_case = world["cases"]["a_pilkada"]
    ppk_page = ppk.get(f"/cases/{pemilu_case.id}").get_data(as_text=True)
    assert "Pilkada Serentak 2026" in ppk_page and 'id="election-form"' not in ppk_page
    assert ppk.post(f"/cases/{pemilu_case.id}/election", {"election_id": ""}, page="/").status_code == 403


def test_the_dashboard_counts_one_elections_cases_for_each_reader(world, api, pages_for):
    cast: Cast = world["cast"]
    staff, ppk = api(cast.investigator), api(cast.ppk)
    every = staff.get("/api/v1/me/dashboard").get_json()
    assert every["election"] is None and every["totals"]["all"] == 6

    pemilu = staff.get(f"/api/v1/me/dashboard?election_id={world['pemilu']}").get_json()
    assert pemilu["election"] == {"id": world["pemilu"], "name": "Pemilu 2024"}
    assert pemilu["totals"]["all"] == 3 and pemilu["totals"]["open"] == 3
    assert {i["key"]: i["count"] for i in pemilu["by_category"] if i["count"]} == {"netralitas": 3}
    assert [(i["label"], i["count"]) for i in pemilu["by_election"]] == [("Pemilu 2024", 3)]
    assert {i["key"]: i["count"] for i in pemilu["open_by_status"] if i["count"]} == {
        "awaiting_follow_up": 2,
        "under_review": 1,
    }
    pilkada = staff.get(f"/api/v1/me/dashboard?election_id={world['pilkada']}").get_json()
    assert pilkada["totals"]["all"] == 1 and pilkada["deadlines"]["this_week"] + pilkada["deadlines"]["next_week"] <= 1

    # A PPK: its agency's issued cases of the election only.
    assert ppk.get(f"/api/v1/me/dashboard?election_id={world['pemilu']}").get_json()["totals"]["all"] == 1
    assert (
        api(cast.other_ppk).get(f"/api/v1/me/dashboard?election_id={world['pilkada']}").get_json()["totals"]["all"] == 0
    )

    # The dashboard is about the election it names: one that does not exist is refused, in Indonesian.
    unknown = staff.get(f"/api/v1/me/dashboard?election_id={UNKNOWN}")
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["details"]["fields"]["election_id"] == ["Pemilihan tidak ditemukan."]
    assert staff.get("/api/v1/me/dashboard?election_id=0").status_code == 422

    page = pages_for(cast.investigator)
    html = page.get(f"/dasbor?election_id={world['pemilu']}").get_data(as_text=True)
    assert f'<option value="{world["pemilu"]}" selected>Pemilu 2024</option>' in html
    assert 'id="dashboard-election-note"' in html and f"/cases?election_id={world['pemilu']}" in html
    assert '<div class="fs-4 fw-semibold" id="tile-open">3</div>' in html
    bad = page.get("/dasbor?election_id=abc")
    assert bad.status_code == 422 and "Pemilihan tidak ditemukan." in bad.get_data(as_text=True)
