"""Authorization over every API endpoint, taken from the routes and the OpenAPI document (not from a list
kept by hand): a new endpoint is covered the day it is added.

- every route under /api/v1 is documented, and every documented operation exists;
- only the allow-listed operations are public; every other one refuses a request without a token, with a
  malformed header, with an unknown token and with a revoked one: 401 (the JSON error), before it looks at
  its arguments (an empty body or query never turns that into 422);
- the administrator-only operations answer 403 to every other role, before validating the body;
- a PPK of another agency gets 404 from every operation addressing a case or an attachment (the per-role
  matrix of each case endpoint is in tests/workflows/test_authorization.py).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.core.clock import utcnow
from app.db import db
from app.models.auth import ApiToken
from tests.factories import Cast, upload

PUBLIC = {
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/workflow"),
    ("GET", "/api/v1/tracking/{code}"),  # a report's sender reads its status with the code (app/intake/tracking.py)
    # the public figures (issue 24): no sign-in
    ("GET", "/api/v1/public"),
    ("GET", "/api/v1/public/years/{year}/figures.json"),
    ("GET", "/api/v1/public/years/{year}/figures.csv"),
    ("GET", "/api/v1/public/years/{year}/versions/{version}/figures.json"),
    ("GET", "/api/v1/public/years/{year}/versions/{version}/figures.csv"),
    ("GET", "/api/v1/public/dictionary"),
    ("GET", "/api/v1/public/catalog.jsonld"),
    ("GET", "/api/v1/public/index-snapshots/{snapshot_id}"),
    ("GET", "/api/v1/public/elections/{election_id}/figures.json"),
    ("GET", "/api/v1/public/elections/{election_id}/figures.csv"),
    ("GET", "/api/v1/public/elections/{election_id}/versions/{version}/figures.json"),
    ("GET", "/api/v1/public/elections/{election_id}/versions/{version}/figures.csv"),
    # a report from the public by API (issue 22): its time token, then the report (app/intake/guard.py)
    ("GET", "/api/v1/public/reports/token"),
    ("POST", "/api/v1/public/reports"),
}
ADMIN_ONLY = {
    ("GET", "/api/v1/outbox"),
    ("POST", "/api/v1/outbox/{message_id}/retry"),
    ("POST", "/api/v1/agencies"),
    ("GET", "/api/v1/people/lookups"),
    ("POST", "/api/v1/elections"),
    ("POST", "/api/v1/public/years/{year}/publication"),
    ("POST", "/api/v1/public/elections/{election_id}/publication"),
    ("GET", "/api/v1/reporter-views"),
    ("GET", "/api/v1/admin/audit"),
    ("GET", "/api/v1/admin/users/{user_id}/api-keys"),
    ("POST", "/api/v1/admin/users/{user_id}/api-keys"),
    ("POST", "/api/v1/admin/users/{user_id}/api-keys/{key_id}/revoke"),
}
NOT_OPERATIONS = {"/api/v1/openapi.json", "/api/v1/docs"}
METHODS = ("get", "post", "put", "patch", "delete")


def spec_operations(client: Any) -> dict[tuple[str, str], dict]:
    spec = client.get("/api/v1/openapi.json").get_json()
    return {
        (method.upper(), path): op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def concrete(path: str, ids: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)


@pytest.fixture
def ids(world: Cast) -> dict[str, Any]:
    case = world.cases["awaiting"]
    attachment = upload(case, world.ppk, purpose="follow_up")
    db.session.commit()
    return {
        "case_id": case.id,
        "attachment_id": attachment.id,
        "agency_id": world.agency.id,
        "year": 2026,
        "subcriterion": "1.1",
        "message_id": 1,
        "report_id": 1,
        "election_id": 1,
        "event_id": 1,
        "code": "TDK-0000-0000-0000",
    }


def test_every_api_route_is_documented_and_every_documented_operation_exists(app, client):
    routes = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        if not path.startswith("/api/") or path in NOT_OPERATIONS:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method, path))
    documented = set(spec_operations(client))
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "documented operations without a route"


def test_only_the_allow_listed_operations_are_public(client):
    public = {key for key, op in spec_operations(client).items() if not op.get("security")}
    assert public == PUBLIC


# Bodies that pass validation, so that what is checked is the authorization, not the schema.
VALID_BODIES = {
    ("POST", "/api/v1/agencies"): {"code": "UJI-X", "name": "Instansi Uji X", "kind": "kementerian"},
    ("POST", "/api/v1/cases/{case_id}/transitions"): {"event": "acknowledge", "version": 1},
    ("PATCH", "/api/v1/cases/{case_id}"): {"version": 1, "summary": "Ringkasan yang diubah oleh penguji."},
    ("POST", "/api/v1/elections"): {
        "name": "Pilkada Serentak Uji",
        "kind": "pilkada",
        "starts_on": "2026-08-27",
        "ends_on": "2026-12-31",
    },
    ("PUT", "/api/v1/cases/{case_id}/election"): {"election_id": None},
    ("POST", "/api/v1/public/years/{year}/publication"): {"published": False, "reason": "Uji otorisasi"},
    ("POST", "/api/v1/public/elections/{election_id}/publication"): {"published": False, "reason": "Uji otorisasi"},
}


def _call(client: Any, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    if body is None and method != "GET":
        body = {}
    return client.open(path, method=method, headers=headers, json=body)


def _unauthenticated_answers(client: Any, world: Cast, ids: dict[str, Any]) -> list[tuple[str, int, dict]]:
    revoked_user = world.commissioner
    revoked = world.tokens["commissioner"]
    db.session.query(ApiToken).filter(ApiToken.user_id == revoked_user.id).update({"revoked_at": utcnow()})
    db.session.commit()
    variants = {
        "none": {},
        "malformed": {"Authorization": "Token " + world.tokens["investigator"]},
        "empty": {"Authorization": "Bearer "},
        "unknown": {"Authorization": "Bearer tidak-dikenal-0123456789abcdef"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
    }
    answers = []
    for (method, path), _ in sorted(spec_operations(client).items()):
        if (method, path) in PUBLIC:
            continue
        url = concrete(path, ids)
        for name, headers in variants.items():
            response = _call(client, method, url, headers)
            answers.append((f"{method} {url} [{name}]", response.status_code, response.get_json(silent=True) or {}))
    return answers


def test_every_secured_operation_refuses_requests_without_a_valid_token(client, world: Cast, ids):
    answers = _unauthenticated_answers(client, world, ids)
    assert len(answers) >= 5 * 20
    wrong = [f"{label}: {status} {str(body)[:120]}" for label, status, body in answers if status != 401]
    assert not wrong, "\n".join(wrong)
    for label, _, body in answers:
        assert set(body) == {"error"}, label
        assert body["error"]["code"] in ("unauthorized", "invalid_token"), label


def test_authentication_comes_before_validation(client, world: Cast, ids):
    answers = _unauthenticated_answers(client, world, ids)
    early = sorted({label.rsplit(" [", 1)[0] for label, status, _ in answers if status == 422})
    assert not early, "anonymous requests answered 422 (their schema) instead of 401:\n" + "\n".join(early)


@pytest.mark.parametrize("role", ["investigator", "commissioner", "ppk", "overseer", "forwarder"])
def test_admin_only_operations_refuse_every_other_role(client, world: Cast, ids, role):
    operations = spec_operations(client)
    for method, path in sorted(ADMIN_ONLY):
        assert (method, path) in operations
        body = VALID_BODIES.get((method, path))
        response = _call(client, method, concrete(path, ids), world.headers(role), body)
        assert response.status_code == 403, (role, method, path, response.status_code)
        assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("role", ["investigator", "commissioner", "ppk", "overseer", "forwarder"])
def test_authorization_comes_before_validation(client, world: Cast, role):
    response = client.post("/api/v1/agencies", json={}, headers=world.headers(role))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    bad_query = client.get("/api/v1/outbox?limit=0&status=entah", headers=world.headers(role))
    assert bad_query.status_code == 403
    assert bad_query.get_json()["error"]["code"] == "forbidden"


def test_validation_follows_for_the_right_role(client, world: Cast):
    response = client.post("/api/v1/agencies", json={}, headers=world.headers("admin"))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
    assert {"code", "name", "kind"} <= set(response.get_json()["error"]["details"]["fields"])


def test_admin_only_operations_answer_the_administrator(client, world: Cast, ids):
    assert client.get("/api/v1/outbox", headers=world.headers("admin")).status_code == 200
    assert client.post("/api/v1/outbox/999999/retry", headers=world.headers("admin")).status_code == 404


def test_a_ppk_of_another_agency_gets_404_from_everything_about_the_case(client, world: Cast, ids):
    headers = world.headers("other_ppk")
    operations = [key for key in spec_operations(client) if "{case_id}" in key[1] or "{attachment_id}" in key[1]]
    assert len(operations) >= 6
    for method, path in operations:
        response = _call(client, method, concrete(path, ids), headers, VALID_BODIES.get((method, path)))
        assert response.status_code == 404, (method, path, response.status_code)
        assert (
            "Perkara" in response.get_json()["error"]["message"] or "Berkas" in response.get_json()["error"]["message"]
        )


def test_a_forwarder_sees_nothing_of_any_case(client, world: Cast, ids):
    """A Bawaslu office reads the plain status of what it forwarded (tests/intake), never a case: every operation
    addressing a case or a file answers 404 (403 where the route is for other roles), and the case list is empty."""
    headers = world.headers("forwarder")
    operations = [key for key in spec_operations(client) if "{case_id}" in key[1] or "{attachment_id}" in key[1]]
    for method, path in operations:
        response = _call(client, method, concrete(path, ids), headers, VALID_BODIES.get((method, path)))
        assert response.status_code in (403, 404), (method, path, response.status_code)
        assert world.cases["awaiting"].number not in response.get_data(as_text=True)
    listed = client.get("/api/v1/cases", headers=headers)
    assert listed.status_code == 200 and listed.get_json()["items"] == []
    exported = client.get("/api/v1/cases/export?format=csv", headers=headers)
    assert world.cases["awaiting"].number not in exported.get_data(as_text=True)
    for path in ("/api/v1/intake/queue", "/api/v1/intake/reports/1", "/api/v1/elections", "/api/v1/events/1"):
        assert client.get(path, headers=headers).status_code == 403, path
