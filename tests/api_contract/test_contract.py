"""The API's contract as the OpenAPI document states it and the guard in front of every view enforces it:

- every success answer of every operation documents its content, with a schema (files as binary);
- the operations documented as secured are exactly the views marked by `require_auth`/`require_role` (so the
  `before_request` guard authenticates them before their arguments are parsed);
- the guard's order: 401, then 403 (roles named by the route), then 422 (NUL characters, the schema);
- row ids in paths are limited to the `integer` columns, and the spec says so.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.api.security import required_roles
from app.core.vocab import Role
from app.db import MAX_ROW_ID
from tests.factories import Cast

SPEC = "/api/v1/openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")


def _operations(client: Any) -> dict[tuple[str, str], dict[str, Any]]:
    spec = client.get(SPEC).get_json()
    return {
        (method.upper(), path): op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def test_every_success_answer_documents_its_content(client):
    missing = []
    for (method, path), op in sorted(_operations(client).items()):
        success = {status: r for status, r in op["responses"].items() if status.startswith("2")}
        if not success:
            missing.append(f"{method} {path}: no success answer")
        for status, response in success.items():
            content = response.get("content") or {}
            if not content:
                missing.append(f"{method} {path} {status}: no content")
            missing += [
                f"{method} {path} {status} {m}: no schema" for m, media in content.items() if not media.get("schema")
            ]
    assert not missing, "\n".join(missing)


def test_documented_security_matches_the_guarded_views(app, client):
    documented = {key: bool(op.get("security")) for key, op in _operations(client).items()}
    guarded = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, path) not in documented:
                continue
            with app.test_request_context(path, method=method):
                guarded[(method, path)] = required_roles(app.view_functions[rule.endpoint]) is not None
    assert guarded == documented


def test_admin_routes_name_their_role(app):
    with app.test_request_context("/api/v1/agencies", method="POST"):
        assert required_roles(app.view_functions["agencies.create_agency"]) == (Role.ADMIN,)
    with app.test_request_context("/api/v1/agencies", method="GET"):
        assert required_roles(app.view_functions["agencies.list_agencies"]) == ()
        assert required_roles(app.view_functions["health.health"]) is None


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/cases?limit=0&q=a%00b", None),
        ("POST", "/api/v1/cases", {"agency_id": "x"}),
        ("POST", "/api/v1/agencies", {"name": "\x00"}),
        ("GET", "/api/v1/outbox?cursor=%%%", None),
        ("PUT", "/api/v1/self-assessments/1/2026/1.1", {"self_score": "banyak"}),
    ],
)
def test_anonymous_requests_get_401_whatever_their_input(client, method, path, body):
    response = client.open(path, method=method, json=body)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_wrong_role_gets_403_before_its_input_is_read(client, world: Cast):
    response = client.post("/api/v1/agencies", json={"name": "\x00", "kind": 7}, headers=world.headers("ppk"))
    assert response.status_code == 403
    response = client.get("/api/v1/outbox?cursor=%%%&limit=-1", headers=world.headers("commissioner"))
    assert response.status_code == 403


def test_the_right_role_gets_422_for_its_input(client, world: Cast):
    response = client.post("/api/v1/agencies", json={"code": "X", "kind": "entah"}, headers=world.headers("admin"))
    assert response.status_code == 422
    assert {"name", "kind"} <= set(response.get_json()["error"]["details"]["fields"])


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        ("GET", "/api/v1/cases?q=a%00b&status=reported", {}, "q"),
        ("GET", "/api/v1/agencies?q=%00", {}, "q"),
        ("GET", "/api/v1/index?year=2026&x%00=1", {}, "x\\x00"),
        ("PUT", "/api/v1/self-assessments/{agency_id}/2026/1%001", {"json": {"self_score": 1}}, "subcriterion"),
        ("PATCH", "/api/v1/cases/{case_id}", {"json": {"version": 1, "reporter": {"name": "a\x00"}}}, "reporter.name"),
        ("PATCH", "/api/v1/cases/{case_id}", {"json": {"version": 1, "tags": ["ok", "b\x00"]}}, "tags.1"),
        ("POST", "/api/v1/cases/{case_id}/attachments", {"data": {"purpose": "bukti\x00"}}, "purpose"),
    ],
)
def test_nul_characters_are_refused_with_the_envelope(client, world: Cast, method, path, kwargs, field):
    url = path.format(agency_id=world.agency.id, case_id=world.cases["reported"].id)
    response = client.open(url, method=method, headers=world.headers("commissioner"), **kwargs)
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert "NUL" in error["message"]
    assert field in error["details"]["fields"]


def test_a_nul_free_request_passes_the_guard(client, world: Cast):
    response = client.get("/api/v1/cases?q=Budi%20Santoso", headers=world.headers("commissioner"))
    assert response.status_code == 200


def test_path_ids_are_limited_to_the_integer_columns(client, world: Cast):
    spec = client.get(SPEC).get_json()
    parameters = [
        parameter
        for item in spec["paths"].values()
        for node in (item, *(item[m] for m in METHODS if m in item))
        for parameter in node.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"].endswith("_id")
    ]
    assert len(parameters) >= 10
    assert all(p["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID} for p in parameters)
    headers = world.headers("admin")
    for url in (
        f"/api/v1/agencies/{MAX_ROW_ID + 1}",
        f"/api/v1/cases/{2**64}",
        f"/api/v1/attachments/{MAX_ROW_ID + 1}",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert response.get_json()["error"]["code"] == "not_found"
    assert client.post(f"/api/v1/outbox/{MAX_ROW_ID}/retry", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/outbox?cursor={c_int4}", 422),
        ("/api/v1/outbox?cursor={c_zero}", 422),
        ("/api/v1/outbox?cursor={c_text}", 422),
        ("/api/v1/outbox?cursor=", 200),
        ("/api/v1/cases?cursor={c_negative}", 422),
        ("/api/v1/cases?cursor={c_beyond}", 200),
        ("/api/v1/agencies?cursor={c_negative}", 422),
    ],
)
def test_cursors_are_checked_by_the_query_schemas(client, world: Cast, url, status):
    from app.core.pagination import encode_cursor

    cursors = {
        "c_int4": encode_cursor([MAX_ROW_ID + 1]),
        "c_zero": encode_cursor([0]),
        "c_text": encode_cursor(["12"]),
        "c_negative": encode_cursor([-(2**40)]),
        "c_beyond": encode_cursor([2**40]),  # past every case: an empty page
    }
    response = client.get(url.format(**cursors), headers=world.headers("admin"))
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 422:
        assert response.get_json()["error"]["details"]["fields"]["cursor"] == ["Kursor halaman tidak sah."]
