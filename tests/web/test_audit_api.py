"""`GET /api/v1/admin/audit`: the audit page's stream as data — the same filters, keyset pages that cover every row
once, 422 naming bad filters, administrators only — SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from tests.factories import S, case_in, make_cast


def _pages(admin, query: str, limit: int) -> tuple[list[dict], int]:
    items, cursor, pages = [], None, 0
    while True:
        url = f"/api/v1/admin/audit?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        response = admin.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


def test_the_stream_in_keyset_pages_with_the_pages_filters(api, client):
    cast = make_cast()
    first = case_in(cast, S.AWAITING_FOLLOW_UP)
    with time_machine.travel(datetime(2026, 11, 25, 3, 0, tzinfo=UTC), tick=False):
        second = case_in(cast, S.UNDER_REVIEW)
    client.post("/api/v1/auth/token", json={"email": cast.ppk.email, "password": "salah-sekali-123"})
    admin = api(cast.admin)  # signs in through the API: a sign-in row of its own

    everything, pages = _pages(admin, "", limit=3)
    assert pages > 2 and len(everything) == len({(i["at"], i["kind"], i["what"], i["who"]) for i in everything})
    assert [i["at"] for i in everything] == sorted((i["at"] for i in everything), reverse=True)
    kinds = {i["kind"] for i in everything}
    assert {"case", "sign_in", "sign_in_failed"} <= kinds
    recorded = [i for i in everything if i["kind"] == "case" and i["what"] == "Perkara dicatat"]
    assert {i["case_number"] for i in recorded} == {first.number, second.number}
    assert all(cast.investigator.email in i["who"] for i in recorded)
    refused = next(i for i in everything if i["kind"] == "sign_in_failed")
    assert refused["kind_label"] == "Gagal masuk" and "kata sandi salah" in refused["what"]
    assert "salah-sekali" not in str(everything)  # never the password typed
    # one page of everything says the same as the pages
    whole = admin.get("/api/v1/admin/audit?limit=100").get_json()
    assert whole["next_cursor"] is None and whole["items"] == everything

    by_case = admin.get(f"/api/v1/admin/audit?case={first.number}").get_json()["items"]
    assert by_case and {i["case_number"] for i in by_case} == {first.number}
    day = admin.get("/api/v1/admin/audit?since=2026-11-25&until=2026-11-25").get_json()["items"]
    assert {i["case_number"] for i in day} == {second.number}
    signins = admin.get("/api/v1/admin/audit?kind=sign_in").get_json()["items"]
    assert signins and {i["kind"] for i in signins} == {"sign_in"}
    assert any(cast.admin.email in i["who"] and i["details"].startswith("API") for i in signins)
    mine = admin.get(f"/api/v1/admin/audit?who={cast.investigator.email}").get_json()["items"]
    assert mine and all(cast.investigator.email in i["who"] for i in mine)


def test_bad_filters_answer_422_naming_each_field(api):
    cast = make_cast()
    admin = api(cast.admin)
    bad = admin.get("/api/v1/admin/audit?since=kemarin&kind=apa")
    assert bad.status_code == 422
    fields = bad.get_json()["error"]["details"]["fields"]
    assert set(fields) == {"since", "kind"} and "Tanggal tidak sah" in fields["since"][0]
    backwards = admin.get("/api/v1/admin/audit?since=2026-11-25&until=2026-11-01")
    assert backwards.status_code == 422 and "until" in backwards.get_json()["error"]["details"]["fields"]
    assert admin.get("/api/v1/admin/audit?cursor=bukan-kursor").status_code == 422
    assert admin.get("/api/v1/admin/audit?limit=0").status_code == 422


def test_administrators_only(api, client):
    cast = make_cast()
    for role in ("investigator", "commissioner", "ppk", "overseer"):
        assert api(cast.user(role)).get("/api/v1/admin/audit").status_code == 403
    assert client.get("/api/v1/admin/audit").status_code == 401


def test_described_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/admin/audit"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"who", "kind", "since", "until", "case", "limit", "cursor"} <= names
    assert operation["security"] == [{"bearerAuth": []}]
