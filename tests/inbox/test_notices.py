"""The bell: one notice per case event per person who should know of it, never the actor, never someone who may
not see the case; read per user; the page and the API (tests on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.history import Entry, append_history_many
from app.audit.notices import Fact, notify
from app.cases.assignment import assign_case
from app.cases.services import create_case
from app.db import db
from app.models.notifications import Notification
from tests.clocked import SUITE_NOW
from tests.factories import Cast, E, S, advance, case_in, make_cast, make_user, new_case_payload, payload_for
from workflows import fire


def _notices(user) -> list[tuple[str, int]]:
    rows = db.session.execute(
        select(Notification.kind, Notification.case_id).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    return [(kind, case_id) for kind, case_id in rows]


@pytest.fixture
def cast() -> Cast:
    return make_cast()


def test_a_draft_tells_every_commissioner_but_no_ppk(cast: Cast):
    case = case_in(cast, S.RECOMMENDATION_DRAFTED)
    assert _notices(cast.commissioner) == [("draft_waiting", case.id)]
    assert _notices(cast.commissioner2) == [("draft_waiting", case.id)]
    assert _notices(cast.ppk) == []  # not issued: the PPK may not see the case yet
    assert _notices(cast.investigator) == []  # the drafter acted
    assert _notices(cast.overseer) == []


def test_the_issue_tells_the_staff_and_the_agencys_ppk_only(cast: Cast):
    second_ppk = make_user("ppk", agency=cast.agency)
    retired_ppk = make_user("ppk", agency=cast.agency, is_active=False)
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    assert ("recommendation_issued", case.id) in _notices(cast.investigator)  # creator and drafter
    assert _notices(cast.ppk) == [("recommendation_issued", case.id)]
    assert _notices(second_ppk) == [("recommendation_issued", case.id)]
    assert _notices(retired_ppk) == []
    assert _notices(cast.other_ppk) == []
    # the issuer is not told of his own act
    assert ("recommendation_issued", case.id) not in _notices(cast.commissioner2)
    # one row per event per person
    pairs = db.session.execute(
        select(Notification.user_id, Notification.case_id, Notification.seq, func.count()).group_by(
            Notification.user_id, Notification.case_id, Notification.seq
        )
    ).all()
    assert pairs and all(count == 1 for *_, count in pairs)


def test_the_ppks_replies_tell_the_staff(cast: Cast):
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    fire(case, E.REQUEST_CLARIFICATION, cast.ppk, payload_for(case, E.REQUEST_CLARIFICATION), case.version)
    db.session.commit()
    assert ("clarification_requested", case.id) in _notices(cast.investigator)
    assert ("clarification_requested", case.id) in _notices(cast.commissioner2)  # the issuer
    assert ("clarification_requested", case.id) not in _notices(cast.ppk)
    fire(case, E.ANSWER_CLARIFICATION, cast.commissioner, payload_for(case, E.ANSWER_CLARIFICATION), case.version)
    db.session.commit()
    assert ("clarification_answered", case.id) in _notices(cast.ppk)
    fire(case, E.REPORT_FOLLOW_UP, cast.ppk, payload_for(case, E.REPORT_FOLLOW_UP), case.version)
    db.session.commit()
    assert ("follow_up_reported", case.id) in _notices(cast.investigator)
    advance(case, cast, S.COMPLETED)
    assert ("follow_up_accepted", case.id) in _notices(cast.ppk)
    assert _notices(cast.other_ppk) == []


def test_an_event_is_told_once_however_often_it_is_written(cast: Cast):
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    before = db.session.scalar(select(func.count()).select_from(Notification))
    last = db.session.scalar(
        select(Notification).where(Notification.case_id == case.id).order_by(Notification.seq.desc())
    )
    fact = Fact(case.id, last.seq, "issue_recommendation", cast.commissioner2.id, {}, SUITE_NOW)
    assert notify([fact, fact]) == 0
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == before


def test_an_escalation_tells_staff_ppk_and_the_ministry_it_reached(cast: Cast):
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    kemendagri = make_user("overseer", body="kemendagri")
    append_history_many(
        [
            Entry(case.id, "escalation_level_reached", case.status, case.status, payload={"level": 1}),
            Entry(
                case.id,
                "escalation_level_reached",
                case.status,
                case.status,
                payload={"level": 2, "body": "menpanrb"},
            ),
        ]
    )
    db.session.commit()
    assert [k for k, _ in _notices(cast.ppk)].count("escalated") == 2
    assert [k for k, _ in _notices(cast.investigator)].count("escalated") == 2
    assert _notices(cast.overseer) == [("escalated", case.id)]  # level 2 only, its own ministry
    assert _notices(kemendagri) == []


def test_an_assignment_tells_the_new_and_the_previous_assignee(cast: Cast):
    case = case_in(cast, S.UNDER_REVIEW)
    other = make_user("investigator")
    append_history_many(
        [
            Entry(
                case.id,
                "assigned",
                case.status,
                case.status,
                actor=cast.commissioner,
                payload={
                    "from_assignee": {"id": cast.investigator.id, "name": cast.investigator.name},
                    "to_assignee": {"id": other.id, "name": other.name},
                    "reason": "cuti",
                },
            )
        ]
    )
    db.session.commit()
    assert _notices(other) == [("case_assigned", case.id)]
    assert _notices(cast.investigator) == [("case_reassigned", case.id)]
    assert _notices(cast.commissioner) == []


def test_the_api_lists_marks_and_refuses_anothers_notice(api, cast: Cast):
    case_in(cast, S.AWAITING_FOLLOW_UP)
    case_in(cast, S.AWAITING_FOLLOW_UP)
    body = api(cast.ppk).get("/api/v1/me/notifications?limit=1").get_json()
    assert body["unread_count"] == 2 and len(body["items"]) == 1 and body["next_cursor"]
    item = body["items"][0]
    assert item["kind"] == "recommendation_issued" and item["label"] == "Rekomendasi diterbitkan" and item["unread"]
    rest = api(cast.ppk).get(f"/api/v1/me/notifications?cursor={body['next_cursor']}").get_json()
    assert len(rest["items"]) == 1 and rest["items"][0]["id"] != item["id"] and rest["next_cursor"] is None
    theirs = db.session.scalar(select(Notification.id).where(Notification.user_id == cast.investigator.id))
    refused = api(cast.ppk).post("/api/v1/me/notifications/read", json={"ids": [theirs]})
    assert refused.status_code == 404
    assert api(cast.ppk).post("/api/v1/me/notifications/read", json={}).status_code == 422
    done = api(cast.ppk).post("/api/v1/me/notifications/read", json={"ids": [item["id"]]}).get_json()
    assert done == {"marked": 1, "unread_count": 1}
    done = api(cast.ppk).post("/api/v1/me/notifications/read", json={"all": True}).get_json()
    assert done == {"marked": 1, "unread_count": 0}
    assert api(cast.ppk).get("/api/v1/me/notifications?unread=true").get_json()["items"] == []
    assert api(cast.investigator).get("/api/v1/me/notifications").get_json()["unread_count"] > 0


def test_a_ppk_moved_to_another_agency_reads_nothing_of_the_old_one(api, cast: Cast):
    case_in(cast, S.AWAITING_FOLLOW_UP)
    cast.ppk.agency_id = cast.other_agency.id
    db.session.commit()
    body = api(cast.ppk).get("/api/v1/me/notifications").get_json()
    assert body == {"items": [], "unread_count": 0, "next_cursor": None}


def test_a_new_case_given_to_someone_else_tells_them_and_a_team_change_tells_nobody(cast: Cast):
    case = case_in(cast, S.REPORTED)
    other = make_user("investigator")
    created = Fact(
        case.id, 90, "create", cast.investigator.id, {"assignee": {"id": other.id, "name": other.name}}, SUITE_NOW
    )
    own = Fact(case.id, 91, "create", cast.investigator.id, {"assignee": {"id": cast.investigator.id}}, SUITE_NOW)
    team = Fact(
        case.id,
        92,
        "assigned",
        cast.commissioner.id,
        {"from_assignee": {"id": other.id}, "to_assignee": {"id": other.id}, "to_team": "Tim B"},
        SUITE_NOW,
    )
    assert notify([created, own, team]) == 1
    db.session.commit()
    assert _notices(other) == [("case_assigned", case.id)]
    assert _notices(cast.investigator) == []


def test_the_work_queues_assignments_are_told(cast: Cast):
    other = make_user("investigator")
    case = create_case(new_case_payload(cast.agency.id, assignee_id=other.id), cast.investigator)
    db.session.commit()
    assert _notices(other) == [("case_assigned", case.id)]  # a new case given to someone else
    assign_case(case, {"assignee_id": cast.investigator.id, "reason": "Beban kerja dibagi ulang"}, cast.commissioner)
    db.session.commit()
    assert _notices(cast.investigator) == [("case_assigned", case.id)]
    assert _notices(other) == [("case_assigned", case.id), ("case_reassigned", case.id)]
    # who is in charge hears of the issue; the one who was no longer does
    advance(case, cast, S.AWAITING_FOLLOW_UP)
    assert ("recommendation_issued", case.id) in _notices(cast.investigator)
    assert ("recommendation_issued", case.id) not in _notices(other)
    assert _notices(cast.commissioner) == [("draft_waiting", case.id)]
