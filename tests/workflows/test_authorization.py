"""Authorization matrix: every case endpoint × every role × own and foreign agency (DESIGN §1)."""

from __future__ import annotations

import io

import pytest

from app.db import db
from app.models.escalations import EscalationStep
from tests.factories import PDF_BYTES, S, advance, case_in, make_cast, upload


def _endpoints(case, attachment_id):
    return [
        ("GET", f"/api/v1/cases/{case.id}", None),
        ("GET", f"/api/v1/cases/{case.id}/history", None),
        ("GET", f"/api/v1/cases/{case.id}/attachments", None),
        ("GET", f"/api/v1/attachments/{attachment_id}", None),
        ("POST", f"/api/v1/cases/{case.id}/transitions", {"event": "acknowledge", "version": case.version}),
        ("PATCH", f"/api/v1/cases/{case.id}", {"version": case.version, "summary": "Ringkasan baru sekali."}),
        ("POST", f"/api/v1/cases/{case.id}/attachments", "upload"),
    ]


def _call(client, method, url, body):
    if body == "upload":
        return client.post(
            url,
            data={"file": (io.BytesIO(PDF_BYTES), "sk.pdf"), "purpose": "follow_up"},
            content_type="multipart/form-data",
        )
    if method == "GET":
        return client.get(url)
    return getattr(client, method.lower())(url, json=body)


@pytest.mark.parametrize(
    "role",
    [
        "investigator",
        "commissioner",
        "admin",
        "ppk_own",
        "ppk_foreign",
        "overseer",
        "overseer_escalated",
        "overseer_other_body",
    ],
)
def test_matrix(role, api):
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    attachment = upload(case, cast.ppk, purpose="follow_up")
    if role in ("overseer_escalated", "overseer_other_body"):
        _escalate_to(case, "menpanrb")
    user = {
        "investigator": cast.investigator,
        "commissioner": cast.commissioner,
        "admin": cast.admin,
        "ppk_own": cast.ppk,
        "ppk_foreign": cast.other_ppk,
        "overseer": cast.overseer,
        "overseer_escalated": cast.overseer,
    }.get(role)
    if role == "overseer_other_body":
        from tests.factories import make_user

        user = make_user("overseer", body="kemendagri")
    client = api(user)
    results = {
        (m, u.split("/api/v1")[1].replace(str(case.id), "{id}").replace(str(attachment.id), "{a}")): _call(
            client, m, u, b
        ).status_code
        for m, u, b in _endpoints(case, attachment.id)
    }
    invisible = role in ("ppk_foreign", "overseer", "overseer_other_body")
    for (method, url), status in results.items():
        if invisible:
            assert status == 404, (role, method, url, status)
            continue
        if method == "GET":
            assert status == 200, (role, method, url, status)
        elif url.endswith("/transitions"):
            assert status == (200 if role == "ppk_own" else 403), (role, url, status)
        elif method == "PATCH":
            expected = 409 if role in ("investigator", "commissioner") else 403
            assert status == expected, (role, url, status)
        else:  # upload
            expected = 201 if role in ("investigator", "commissioner", "ppk_own") else 403
            assert status == expected, (role, url, status)


def test_ppk_sees_nothing_before_issue_and_listing_is_scoped(api):
    cast = make_cast()
    hidden = case_in(cast, S.RECOMMENDATION_DRAFTED)
    visible = case_in(cast, S.AWAITING_FOLLOW_UP)
    case_in(make_cast(), S.AWAITING_FOLLOW_UP)  # another agency
    ppk = api(cast.ppk)
    assert ppk.get(f"/api/v1/cases/{hidden.id}").status_code == 404
    assert [c["id"] for c in ppk.get("/api/v1/cases").get_json()["items"]] == [visible.id]
    assert api(cast.overseer).get("/api/v1/cases").get_json()["items"] == []
    assert len(api(cast.investigator).get("/api/v1/cases").get_json()["items"]) == 3


def test_history_hides_evidence_rows_from_ppk(api):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    upload(case, cast.investigator, purpose="evidence", name="tangkapan-layar-pelapor.pdf")
    advance(case, cast, S.AWAITING_FOLLOW_UP)
    kasn = api(cast.investigator).get(f"/api/v1/cases/{case.id}/history").get_json()["items"]
    ppk = api(cast.ppk).get(f"/api/v1/cases/{case.id}/history").get_json()["items"]
    assert any(r["event"] == "attachment_added" for r in kasn)
    assert not any(r["event"] == "attachment_added" for r in ppk)
    assert "tangkapan-layar-pelapor" not in str(ppk)
    # Everything else the PPK reads is what concerns it, from the issued recommendation on (issue 16, hole 8).
    from app.cases.services import PARTY_EVENTS

    expected = [r["seq"] for r in kasn if r["event"] in PARTY_EVENTS and r["event"] != "attachment_added"]
    assert [r["seq"] for r in ppk] == expected and expected


def test_ppk_history_and_files_agree_on_what_it_may_see(api):
    """A history row about a file appears to the PPK exactly when the PPK may open that file."""
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    upload(case, cast.investigator, purpose="other", name="catatan-internal.pdf")
    advance(case, cast, S.AWAITING_FOLLOW_UP)
    ppk = api(cast.ppk)
    files = ppk.get(f"/api/v1/cases/{case.id}/attachments").get_json()
    history = ppk.get(f"/api/v1/cases/{case.id}/history").get_json()["items"]
    assert files == []
    assert not any(r["event"] == "attachment_added" for r in history)
    assert "catatan-internal" not in str(history)


def test_huge_ids_are_404_or_422_never_500(api):
    cast = make_cast()
    user = api(cast.investigator)
    assert user.get(f"/api/v1/cases/{2**40}").status_code == 404
    assert user.get(f"/api/v1/attachments/{2**40}").status_code == 404
    assert user.get(f"/api/v1/agencies/{2**40}").status_code == 404
    assert user.get(f"/api/v1/cases?agency_id={2**40}").status_code == 422
    from app.core.pagination import encode_cursor

    assert user.get(f"/api/v1/cases?cursor={encode_cursor([2**40])}").status_code == 200


def _escalate_to(case, body: str) -> None:
    db.session.add(
        EscalationStep(
            recommendation_id=db.session.execute(
                db.text("select id from recommendations where case_id = :c"), {"c": case.id}
            ).scalar(),
            case_id=case.id,
            cycle=0,
            level=2,
            reached_at=case.issued_at,
            due_at=case.issued_at,
            body=body,
        )
    )
    db.session.commit()


def test_one_list_statement_serves_every_caller_with_their_own_values(api):
    """The list query of a visibility rule is built once and reused: each caller's values (agency, body,
    filters, cursor) must be the ones it runs with, whoever asked before."""
    from tests.factories import make_user

    first, second = make_cast(), make_cast()
    mine = [case_in(first, S.AWAITING_FOLLOW_UP) for _ in range(2)]
    theirs = case_in(second, S.AWAITING_FOLLOW_UP)
    _escalate_to(mine[0], "menpanrb")
    _escalate_to(theirs, "kemendagri")
    kemendagri = make_user("overseer", body="kemendagri")
    db.session.commit()
    expected = {
        first.ppk: [c.id for c in reversed(mine)],
        second.ppk: [theirs.id],
        first.overseer: [mine[0].id],
        kemendagri: [theirs.id],
    }
    for _ in range(2):  # every caller after every other, twice
        for user, ids in expected.items():
            assert [c["id"] for c in api(user).get("/api/v1/cases").get_json()["items"]] == ids, user.role
    staff = api(first.investigator)
    for cast, cases in ((first, mine), (second, [theirs]), (first, mine)):
        page = staff.get(f"/api/v1/cases?agency_id={cast.agency.id}&escalated=false").get_json()["items"]
        assert {c["id"] for c in page} == {c.id for c in cases if c not in (mine[0], theirs)}
    page = staff.get(f"/api/v1/cases?agency_id={first.agency.id}&limit=1").get_json()
    assert [c["id"] for c in page["items"]] == [mine[1].id]
    after = staff.get(f"/api/v1/cases?agency_id={first.agency.id}&limit=1&cursor={page['next_cursor']}").get_json()
    assert [c["id"] for c in after["items"]] == [mine[0].id]
    other = staff.get(f"/api/v1/cases?agency_id={second.agency.id}&limit=1&cursor={page['next_cursor']}").get_json()
    assert other["items"] == []  # the cursor's bound applies to this query too: theirs is newer than mine[1]
