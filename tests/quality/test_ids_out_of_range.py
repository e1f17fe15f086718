"""Ids no row can have — 0, beyond PostgreSQL's `integer` columns (2**31), beyond SQLite's (2**64) — answer 404
from every route that takes one (the API and the pages, taken from the URL map: a new route is covered the day it
is added), and a client error, never a 500, from the forms and payloads that carry one (issue 16, item 6).
PostgreSQL refuses 2**31 as an `integer` and SQLite 2**64 as an INTEGER: the suite runs on both."""

from __future__ import annotations

import re
from typing import Any

import pytest
from werkzeug.routing import IntegerConverter

from app.db import db
from tests.factories import PASSWORD, Cast, csrf_token, upload
from tests.quality.conftest import Pages

BAD_IDS = (0, 2**31, 2**64)
# Values for the other parts of the paths (each route's own id parameters get the bad id).
FILLERS = {
    "year": "2026",
    "event": "acknowledge",
    "action": "disable",
    "indicator": "received",
    "subcriterion": "1.1",
    "fmt": "csv",
    "key": "recommendation",  # a case's letter
    "decision": "verify",  # an intake report's decision (app/intake/pages.py)
    "version": "1",  # a version of the public figures (app/public/api.py)
}
API_ADMIN_PREFIXES = ("/api/v1/outbox", "/api/v1/agencies")


def id_routes(app: Any) -> list[tuple[str, str, list[str]]]:
    """(method, rule, id parameters) of every route with an integer `…_id` parameter."""
    found = []
    for rule in app.url_map.iter_rules():
        ids = [
            name
            for name, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter) and name.endswith("_id")
        ]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if ids:
                found.append((method, rule.rule, ids))
    return sorted(found, key=lambda r: (r[1], r[0]))


def concrete(rule: str, ids: list[str], bad: int) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(bad) if name in ids else FILLERS[name]

    return re.sub(r"<(?:\w+:)?(\w+)>", value, rule)


def signed_in(app: Any, user: Any) -> tuple[Pages, str]:
    """A browser-less client signed in as `user`, and a CSRF token of its session (any form's)."""
    pages = Pages(app.test_client(), PASSWORD)
    assert pages.login(user).status_code == 302
    form_page = "/admin/recipients" if user.role == "admin" else "/cases/new"
    return pages, csrf_token(pages.get(form_page).get_data(as_text=True))


def test_the_url_map_has_the_routes_of_the_report(app):
    routes = {(method, rule) for method, rule, _ in id_routes(app)}
    assert {
        ("GET", "/admin/users/<int:user_id>"),
        ("POST", "/admin/calendar/<int:override_id>/delete"),
        ("GET", "/api/v1/cases/<id:case_id>/attachments"),
        ("PATCH", "/api/v1/cases/<id:case_id>"),
    } <= routes
    assert len(routes) > 30


def test_every_route_answers_404_for_an_id_no_row_can_have(app, world: Cast):
    web = {role: signed_in(app, world.user(role)) for role in ("admin", "commissioner")}
    api = app.test_client()
    failures = []
    checked = 0
    for method, rule, ids in id_routes(app):
        for bad in BAD_IDS:
            path = concrete(rule, ids, bad)
            if path.startswith("/api/"):
                role = "admin" if path.startswith(API_ADMIN_PREFIXES) else "commissioner"
                response = api.open(path, method=method, headers=world.headers(role), json={})
            else:
                pages, token = web["admin" if path.startswith("/admin/") else "commissioner"]
                assert method in ("GET", "POST"), (method, rule)
                response = pages.get(path) if method == "GET" else pages.post(path, {"csrf_token": token})
            checked += 1
            if response.status_code != 404:
                failures.append(f"{method} {path}: {response.status_code}")
            elif path.startswith("/api/"):
                assert response.get_json()["error"]["code"] == "not_found", (method, path)
    assert not failures, "\n".join(failures)
    assert checked > 90


@pytest.mark.parametrize("bad", BAD_IDS)
def test_the_reported_requests_answer_404(app, client, world: Cast, bad):
    headers = world.headers("commissioner")
    assert client.get(f"/api/v1/cases/{bad}/attachments", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/cases/{bad}", headers=headers, json={"version": 1}).status_code == 404
    pages, token = signed_in(app, world.admin)
    assert pages.get(f"/admin/users/{bad}").status_code == 404
    assert pages.post(f"/admin/calendar/{bad}/delete", {"csrf_token": token}).status_code == 404
    assert pages.post(f"/admin/users/{bad}/disable", {"csrf_token": token}).status_code == 404
    assert pages.get(f"/admin/agencies/{bad}").status_code == 404
    assert pages.get(f"/admin/authorities/{bad}").status_code == 404


def test_a_real_id_still_reaches_its_page(app, client, world: Cast):
    """The 404s above come from the ids, not from routes that no longer match."""
    case = world.cases["awaiting"]
    assert client.get(f"/api/v1/cases/{case.id}/attachments", headers=world.headers("commissioner")).status_code == 200
    pages, _ = signed_in(app, world.admin)
    assert pages.get(f"/admin/users/{world.ppk.id}").status_code == 200
    assert pages.get(f"/admin/agencies/{world.agency.id}").status_code == 200
    # A method a route does not have is still 405, for any id.
    assert client.delete(f"/api/v1/cases/{case.id}", headers=world.headers("commissioner")).status_code == 405


@pytest.mark.parametrize("bad", [2**31, 2**64, 0, -1])
@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("request_clarification", {"letter_number": "800/12/2026", "reason": "Sanksi tidak sesuai."}),
        (
            "report_follow_up",
            {"decision_number": "SK-1/2026", "decision_date": "2026-11-18", "sanction_imposed": "disiplin_sedang"},
        ),
    ],
)
def test_a_document_id_no_row_can_have_in_a_payload_is_an_unknown_document(client, world: Cast, event, payload, bad):
    """Any PPK can send it: the answer is the one for a document that is not the case's (422 naming the field),
    never a 500, and nothing changes."""
    case = world.cases["awaiting"]
    version = case.version
    response = client.post(
        f"/api/v1/cases/{case.id}/transitions",
        headers=world.headers("ppk"),
        json={"event": event, "version": version, **payload, "document_id": bad},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"]["fields"]["document_id"] == ["Dokumen tidak ditemukan pada perkara ini."]
    db.session.expire_all()
    assert db.session.get(type(case), case.id).version == version


def test_a_document_of_the_case_is_still_accepted(client, world: Cast):
    case = world.cases["awaiting"]
    document = upload(case, world.ppk, purpose="follow_up")
    db.session.commit()
    response = client.post(
        f"/api/v1/cases/{case.id}/transitions",
        headers=world.headers("ppk"),
        json={
            "event": "request_clarification",
            "version": case.version,
            "letter_number": "800/12/2026",
            "reason": "Sanksi tidak sesuai.",
            "document_id": document.id,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "clarification_requested"


@pytest.mark.parametrize("bad", [2**31, 2**64])
def test_an_agency_id_no_row_can_have_in_the_calendar_form_is_refused(app, world: Cast, bad):
    pages, token = signed_in(app, world.admin)
    response = pages.post(
        "/admin/calendar",
        {
            "csrf_token": token,
            "day": "2026-12-24",
            "kind": "closed",
            "description": "Cuti bersama Natal",
            "agency_id": str(bad),
        },
    )
    assert response.status_code == 422, response.status_code


def test_the_openapi_document_has_one_request_schema_per_event(client):
    from workflows.transitions import TRANSITIONS

    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/api/v1/cases/{case_id}/transitions"]["post"]["requestBody"]["content"]["application/json"]
    refs = [branch["$ref"] for branch in body["schema"]["oneOf"]]
    assert body["schema"]["discriminator"]["propertyName"] == "event"
    assert set(body["schema"]["discriminator"]["mapping"].values()) == set(refs)
    by_event = {}
    for ref in refs:
        schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        (event,) = schema["properties"]["event"]["enum"]
        by_event[event] = schema
    assert set(by_event) == {event.value for event in TRANSITIONS}
    for event, transition in TRANSITIONS.items():
        schema = by_event[event.value]
        payload = transition.schema()
        assert set(schema["properties"]) == set(payload.fields) | {"event", "version"}, event
        required = {name for name, field in payload.fields.items() if field.required} | {"event", "version"}
        assert set(schema["required"]) == required, event
        assert schema["additionalProperties"] is False, event
    report = by_event["report_follow_up"]["properties"]
    assert report["document_id"]["type"] == "integer"
    assert report["decision_date"]["format"] == "date"
