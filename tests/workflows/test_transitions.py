"""Every transition and every refusal of DESIGN §2, through the API contract of DESIGN §7."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.db import db
from app.models.cases import CaseHistory, FollowUp, Recommendation
from tests.factories import E, S, case_in, make_cast, payload_for
from workflows.transitions import TRANSITIONS

ROLES = ("investigator", "commissioner", "ppk", "overseer", "admin")


def _post(api, cast, case, event, role=None, user=None, version=None, **payload):
    actor = user or (cast.user(role) if role else cast.actor_for(event))
    body = {"event": event.value, "version": case.version if version is None else version}
    body.update(payload if payload else payload_for(case, event))
    return api(actor).post(f"/api/v1/cases/{case.id}/transitions", json=body)


@pytest.mark.parametrize("status", list(S))
def test_refusals_from_every_state(status, api):
    """Wrong state → 409 invalid_transition with the allowed events; wrong role → 403; nothing changes."""
    cast = make_cast()
    case = case_in(cast, status)
    before = (case.status, case.version)
    history_before = db.session.scalar(select(func.count()).where(CaseHistory.case_id == case.id))
    for event, transition in TRANSITIONS.items():
        for role in ROLES:
            user = cast.user(role)
            role_ok = role in {r.value for r in transition.roles}
            state_ok = status in transition.sources
            if role_ok and state_ok:
                continue  # allowed: covered by test_every_allowed_transition
            if role == "ppk" and case.issued_at is None or role == "overseer":
                # the case is invisible to them: 404, never 403 (do not confirm that it exists)
                response = _post(api, cast, case, event, user=user)
                assert response.status_code == 404, (status, event, role, response.get_json())
                continue
            response = _post(api, cast, case, event, user=user)
            body = response.get_json()
            if not role_ok:
                assert response.status_code == 403, (status, event, role, body)
                assert body["error"]["code"] == "forbidden"
            else:
                assert response.status_code == 409, (status, event, role, body)
                assert body["error"]["code"] == "invalid_transition"
                assert "allowed_events" in body["error"]["details"]
    db.session.expire_all()
    assert (case.status, case.version) == before
    assert db.session.scalar(select(func.count()).where(CaseHistory.case_id == case.id)) == history_before


ALLOWED = [(event, source, role.value) for event, t in TRANSITIONS.items() for source in t.sources for role in t.roles]


@pytest.mark.parametrize(("event", "source", "role"), ALLOWED, ids=[f"{e.value}-{s.value}-{r}" for e, s, r in ALLOWED])
def test_every_allowed_transition(event, source, role, api):
    cast = make_cast()
    case = case_in(cast, source)
    actor = cast.user(role)
    if event == E.ISSUE_RECOMMENDATION:
        actor = cast.commissioner2  # four eyes: not the drafter
    response = _post(api, cast, case, event, user=actor)
    body = response.get_json()
    assert response.status_code == 200, body
    expected = TRANSITIONS[event].target_from(source).value
    assert body["status"] == expected
    assert body["version"] == case.version + 1 or body["version"] > 1
    history = api(cast.investigator).get(f"/api/v1/cases/{case.id}/history").get_json()["items"]
    assert history[-1]["event"] == event.value
    assert history[-1]["from_status"] == source.value and history[-1]["to_status"] == expected
    assert history[-1]["actor"] == actor.email


def test_stale_version_is_a_conflict(api):
    cast = make_cast()
    case = case_in(cast, S.REPORTED)
    ok = _post(api, cast, case, E.START_REVIEW)
    assert ok.status_code == 200
    stale = _post(api, cast, case, E.CLOSE, version=1, reason="x")
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "version_conflict"
    assert stale.get_json()["error"]["details"]["current_version"] == ok.get_json()["version"]


@pytest.mark.parametrize(
    ("event", "payload", "field"),
    [
        (E.DRAFT_RECOMMENDATION, {"sanction": "hukuman_mati", "legal_basis": "x", "text": "y"}, "sanction"),
        (E.DRAFT_RECOMMENDATION, {"sanction": "ptdh", "text": "y"}, "legal_basis"),
        (E.DRAFT_RECOMMENDATION, {"sanction": "ptdh", "legal_basis": "x", "text": "y", "warna": 1}, "warna"),
    ],
)
def test_bad_payload_names_the_field(event, payload, field, api):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    response = _post(api, cast, case, event, **payload)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]


def test_missing_event_or_version_is_422(api):
    cast = make_cast()
    case = case_in(cast, S.REPORTED)
    response = api(cast.investigator).post(f"/api/v1/cases/{case.id}/transitions", json={"event": "start_review"})
    assert response.status_code == 422 and "version" in response.get_json()["error"]["details"]["fields"]
    response = api(cast.investigator).post(f"/api/v1/cases/{case.id}/transitions", json={"event": "fly", "version": 1})
    assert response.status_code == 422 and "event" in response.get_json()["error"]["details"]["fields"]


def test_four_eyes(api):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    drafted = _post(api, cast, case, E.DRAFT_RECOMMENDATION, user=cast.commissioner)
    assert drafted.status_code == 200
    assert "issue_recommendation" not in drafted.get_json()["allowed_events"]
    case.version = drafted.get_json()["version"]
    refused = _post(api, cast, case, E.ISSUE_RECOMMENDATION, user=cast.commissioner)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "four_eyes"
    other = api(cast.commissioner2).get(f"/api/v1/cases/{case.id}").get_json()
    assert "issue_recommendation" in other["allowed_events"]


def test_full_life_with_clarification_and_rejection(api):
    cast = make_cast(kind="kabupaten", timezone="Asia/Makassar")
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    ppk = api(cast.ppk)
    seen = ppk.get(f"/api/v1/cases/{case.id}").get_json()
    assert seen["status"] == "awaiting_follow_up" and seen["due_at"] is not None
    assert "reporter" not in seen  # the whistle-blower stays hidden from the PPK
    assert seen["working_days_left"] is not None
    first_due = seen["due_at"]

    r = _post(api, cast, case, E.REQUEST_CLARIFICATION, user=cast.ppk, version=seen["version"])
    assert r.status_code == 200 and r.get_json()["status"] == "clarification_requested"
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    db.session.refresh(rec)
    assert rec.is_open is False and rec.paused_at is not None  # the clock pauses

    r = _post(
        api,
        cast,
        case,
        E.ANSWER_CLARIFICATION,
        user=cast.commissioner,
        version=r.get_json()["version"],
        outcome="revised",
        letter_number="B-1/KASN/2026",
        sanction="disiplin_ringan",
    )
    body = r.get_json()
    assert r.status_code == 200 and body["status"] == "awaiting_follow_up"
    assert body["recommendation"]["sanction"] == "disiplin_ringan"
    assert body["recommendation"]["cycle"] == 1
    assert body["due_at"] >= first_due

    r = _post(
        api,
        cast,
        case,
        E.REPORT_FOLLOW_UP,
        user=cast.ppk,
        version=body["version"],
        decision_number="SK 1/2026",
        decision_date="2026-11-18",  # the day of issue (the suite's clock): an SK is not older than it
        sanction_imposed="sanksi_moral_terbuka",
    )
    body = r.get_json()
    assert r.status_code == 200 and body["follow_up"]["is_lighter"] is True

    r = _post(
        api,
        cast,
        case,
        E.REJECT_FOLLOW_UP,
        user=cast.investigator,
        version=body["version"],
        reason="Sanksi lebih ringan dari rekomendasi",
    )
    body = r.get_json()
    assert body["status"] == "awaiting_follow_up" and body["recommendation"]["cycle"] == 2

    r = _post(
        api,
        cast,
        case,
        E.REPORT_FOLLOW_UP,
        user=cast.ppk,
        version=body["version"],
        decision_number="SK 2/2026",
        decision_date="2026-11-18",
        sanction_imposed="disiplin_sedang",
    )
    assert r.get_json()["follow_up"]["is_lighter"] is False
    r = _post(api, cast, case, E.ACCEPT_FOLLOW_UP, user=cast.commissioner, version=r.get_json()["version"])
    assert r.get_json()["status"] == "completed" and r.get_json()["allowed_events"] == []
    rows = db.session.scalars(select(FollowUp).where(FollowUp.case_id == case.id).order_by(FollowUp.id)).all()
    assert [f.verdict for f in rows] == ["rejected", "accepted"]
    events = [h["event"] for h in api(cast.investigator).get(f"/api/v1/cases/{case.id}/history").get_json()["items"]]
    assert events == [
        "create",
        "start_review",
        "draft_recommendation",
        "issue_recommendation",
        "request_clarification",
        "answer_clarification",
        "report_follow_up",
        "reject_follow_up",
        "report_follow_up",
        "accept_follow_up",
    ]


def test_receipt_and_extension_recompute_the_deadline(api):
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    before = api(cast.investigator).get(f"/api/v1/cases/{case.id}").get_json()
    r = _post(api, cast, case, E.EXTEND_DEADLINE, user=cast.commissioner, version=before["version"])
    after = r.get_json()
    assert r.status_code == 200
    assert after["due_at"] > before["due_at"]
    assert after["recommendation"]["working_days"] == before["recommendation"]["working_days"] + 5
    history = api(cast.investigator).get(f"/api/v1/cases/{case.id}/history").get_json()["items"]
    assert history[-1]["event"] == "extend_deadline"
    assert history[-1]["payload"]["working_days"] == 5 and "due_at" in history[-1]["payload"]


def test_acknowledge_only_once(api):
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    first = _post(api, cast, case, E.ACKNOWLEDGE, user=cast.ppk)
    assert first.status_code == 200
    assert "acknowledge" not in first.get_json()["allowed_events"]
    case.version = first.get_json()["version"]
    again = _post(api, cast, case, E.ACKNOWLEDGE, user=cast.ppk)
    assert again.status_code == 409
