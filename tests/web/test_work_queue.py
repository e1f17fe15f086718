"""Work that finds its owner: every case has an assigned investigator, reassigning is a history event in words,
"Antrean saya" per role (page and `GET /api/v1/me/queue`), bulk actions with a case that fails, and the report
edited in the browser with its version (tests of issue 21's queue part)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from app.audit.history import verify_case
from app.core.clock import utcnow
from app.db import db
from app.models.cases import Case, CaseHistory, Recommendation
from app.models.escalations import EscalationStep
from tests.factories import REPORTER, Cast, E, case_in, new_case_payload, payload_for
from tests.factories import S as St
from workflows import fire


def _rec(case: Case) -> Recommendation:
    return db.session.query(Recommendation).filter_by(case_id=case.id).one()


def _due_in(case: Case, delta: timedelta) -> None:
    rec = _rec(case)
    rec.due_at = utcnow() + delta
    db.session.commit()


def _assign(case: Case, user) -> None:
    db.session.execute(Case.__table__.update().where(Case.__table__.c.id == case.id).values(assignee_id=user.id))
    db.session.commit()


def _queue(api, user, **query) -> list[dict]:
    response = api(user).get("/api/v1/me/queue", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


# -- assignment --------------------------------------------------------------------------------------------------


def test_a_new_case_is_assigned_to_its_creator_unless_another_staff_member_is_named(api, world: Cast):
    mine = api(world.investigator).post("/api/v1/cases", json=new_case_payload(world.agency.id))
    assert mine.status_code == 201
    assert mine.get_json()["assignee"] == {"id": world.investigator.id, "name": "Ina Penyelidik"}
    named = api(world.investigator).post(
        "/api/v1/cases", json=new_case_payload(world.agency.id, assignee_id=world.commissioner.id)
    )
    assert named.status_code == 201 and named.get_json()["assignee"]["id"] == world.commissioner.id
    refused = api(world.investigator).post(
        "/api/v1/cases", json=new_case_payload(world.agency.id, assignee_id=world.ppk.id)
    )
    assert refused.status_code == 422
    assert "penyelidik" in refused.get_json()["error"]["details"]["fields"]["assignee_id"][0]
    # the report's edit does not take it: assignment has its own request, with a reason
    case_id = mine.get_json()["id"]
    patched = api(world.investigator).patch(
        f"/api/v1/cases/{case_id}", json={"version": 1, "assignee_id": world.commissioner.id}
    )
    assert patched.status_code == 422 and "assignee_id" in patched.get_json()["error"]["details"]["fields"]


def test_the_new_case_page_assigns_to_the_chosen_investigator(world: Cast, pages_for):
    pages = pages_for(world.investigator)
    html = pages.get("/cases/new").get_data(as_text=True)
    assert "Penanggung jawab (penyelidik)" in html and "Kurnia Komisioner (penanda tangan)" in html


def test_reassignment_is_an_event_of_the_history_with_who_to_whom_and_why(api, world: Cast, pages_for):
    case = case_in(world, St.AWAITING_FOLLOW_UP)
    version, status = case.version, case.status
    response = api(world.investigator).post(
        f"/api/v1/cases/{case.id}/assignee",
        json={"assignee_id": world.commissioner.id, "reason": "Penyelidik cuti melahirkan", "team": "Tim Pemilu"},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["assignee_id"] == world.commissioner.id and body["assignee_name"] == "Kurnia Komisioner"
    assert body["team"] == "Tim Pemilu" and body["version"] == version  # not a change of the report
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == status and case.version == version and case.assignee_id == world.commissioner.id
    row = db.session.query(CaseHistory).filter_by(case_id=case.id).order_by(CaseHistory.seq.desc()).first()
    assert row.event == "assigned" and row.from_status == row.to_status == status
    assert row.actor_id == world.investigator.id
    assert row.payload["from_assignee"]["id"] == world.investigator.id
    assert row.payload["to_assignee"]["id"] == world.commissioner.id
    assert row.payload["reason"] == "Penyelidik cuti melahirkan"
    assert verify_case(case.id) == (True, None)  # sealed in the chain like every row

    # the case page says it in words, for the authority's staff
    html = pages_for(world.investigator).get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Penanggung jawab perkara diganti" in html
    for words in ("Penanggung jawab sebelumnya", "Ina Penyelidik", "Penanggung jawab baru", "Kurnia Komisioner"):
        assert words in html
    assert "Penyelidik cuti melahirkan" in html and "Tim baru" in html and "Tim Pemilu" in html
    assert "assigned" not in re.sub(r"<[^>]+>", " ", html).split()  # never the key
    # the PPK reads neither the row nor the staff's names
    ppk_history = api(world.ppk).get(f"/api/v1/cases/{case.id}/history").get_json()["items"]
    assert "assigned" not in {r["event"] for r in ppk_history}
    ppk_case = api(world.ppk).get(f"/api/v1/cases/{case.id}").get_json()
    assert "assignee" not in ppk_case and "reporter" not in ppk_case
    ppk_page = pages_for(world.ppk).get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Penanggung jawab" not in ppk_page and "Kurnia Komisioner" not in ppk_page


def test_who_may_reassign_and_what_is_refused(api, world: Cast):
    case = case_in(world, St.AWAITING_FOLLOW_UP)
    url = f"/api/v1/cases/{case.id}/assignee"
    body = {"assignee_id": world.commissioner.id, "reason": "Beban kerja"}
    assert api(world.other_ppk).post(url, json=body).status_code == 404  # another agency: not even 403
    assert api(world.ppk).post(url, json=body).status_code == 403
    assert api(world.overseer).post(url, json=body).status_code == 404  # not escalated to its ministry
    same = api(world.investigator).post(url, json={"assignee_id": world.investigator.id, "reason": "Tetap"})
    assert same.status_code == 422 and "sudah ditangani" in same.get_json()["error"]["message"]
    no_reason = api(world.investigator).post(url, json={"assignee_id": world.commissioner.id})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["error"]["details"]["fields"]
    to_ppk = api(world.investigator).post(url, json={"assignee_id": world.ppk.id, "reason": "Salah"})
    assert to_ppk.status_code == 422


def test_the_reassignment_page_keeps_the_input_and_records_the_change(world: Cast, pages_for):
    case = case_in(world, St.UNDER_REVIEW)
    pages = pages_for(world.investigator)
    empty = pages.post(f"/cases/{case.id}/assignee", {"assignee_id": str(world.commissioner.id), "reason": ""})
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert 'id="reason-error"' in html and "Alasan 3–2000 karakter." in html
    assert f'<option value="{world.commissioner.id}" selected>' in html  # the choice is kept
    done = pages.post(
        f"/cases/{case.id}/assignee", {"assignee_id": str(world.commissioner.id), "reason": "Perlu pejabat"}
    )
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Case, case.id).assignee_id == world.commissioner.id
    assert pages_for(world.ppk).get(f"/cases/{case.id}/assignee").status_code == 404  # not issued: unseen


# -- the queue -----------------------------------------------------------------------------------------------------


def test_the_queue_of_each_role_says_why_and_puts_the_most_urgent_first(api, world: Cast):
    reported = case_in(world, St.REPORTED)
    reviewing = case_in(world, St.UNDER_REVIEW)
    drafted = case_in(world, St.RECOMMENDATION_DRAFTED)  # drafted by the investigator
    own_draft = case_in(world, St.UNDER_REVIEW)
    fire(own_draft, E.DRAFT_RECOMMENDATION, world.commissioner, payload_for(own_draft, E.DRAFT_RECOMMENDATION))
    db.session.commit()
    late = case_in(world, St.AWAITING_FOLLOW_UP)
    _due_in(late, timedelta(days=-3))
    near = case_in(world, St.AWAITING_FOLLOW_UP)
    _due_in(near, timedelta(days=2))
    far = case_in(world, St.AWAITING_FOLLOW_UP)
    _due_in(far, timedelta(days=30))
    objection = case_in(world, St.CLARIFICATION_REQUESTED)
    reported_fu = case_in(world, St.FOLLOW_UP_REPORTED)
    elsewhere = case_in(world, St.AWAITING_FOLLOW_UP, agency=world.other_agency)
    _due_in(elsewhere, timedelta(days=-5))
    someone_elses = case_in(world, St.REPORTED)
    _assign(someone_elses, world.commissioner2)

    items = _queue(api, world.investigator)
    reasons = {item["number"]: item["reason"] for item in items}
    assert reasons == {
        late.number: "deadline_passed",
        near.number: "deadline_near",
        objection.number: "clarification_to_answer",
        reported_fu.number: "follow_up_to_assess",
        reported.number: "to_review",
        reviewing.number: "to_draft",
        elsewhere.number: "deadline_passed",  # the investigator handles it: the authority's staff see all
    }
    assert far.number not in reasons and someone_elses.number not in reasons and drafted.number not in reasons
    numbers = [item["number"] for item in items]
    assert numbers[:3] == [elsewhere.number, late.number, near.number]  # running deadlines, earliest first
    first = items[1]
    assert first["case_id"] == late.id and first["reason_label"] == "Tenggat tindak lanjut PPK sudah lewat"
    assert "hari kerja" in first["reason_detail"] and first["overdue"] is True and first["due_at"]
    assert all("reporter" not in item for item in items)

    signer = {item["number"]: item["reason"] for item in _queue(api, world.commissioner)}
    assert signer[drafted.number] == "to_issue"  # drafted by someone else
    assert own_draft.number not in signer  # four eyes: another official issues it
    assert signer[objection.number] == "clarification_to_answer"
    assert reported.number not in signer  # not his case

    ppk = _queue(api, world.ppk)
    assert [(i["number"], i["reason"]) for i in ppk] == [
        (late.number, "follow_up_overdue"),
        (near.number, "follow_up_due"),
        (far.number, "follow_up_due"),
    ]
    assert all(i["agency"]["id"] == world.agency.id for i in ppk)  # never another agency's case
    assert all("reporter" not in i and "assignee" not in i for i in ppk)
    assert [i["number"] for i in _queue(api, world.other_ppk)] == [elsewhere.number]

    assert _queue(api, world.overseer) == []
    rec = _rec(late)
    db.session.add(
        EscalationStep(
            recommendation_id=rec.id, case_id=late.id, cycle=rec.cycle, level=2, reached_at=utcnow(),
            due_at=rec.due_at, body="kemendagri",
        )
    )  # fmt: skip
    rec.escalation_level = 2
    db.session.commit()
    overseer = _queue(api, world.overseer)
    assert [(i["number"], i["reason"], i["escalation_level"]) for i in overseer] == [(late.number, "escalated", 2)]
    assert "eskalasi tingkat 2" in overseer[0]["reason_detail"]
    assert _queue(api, world.admin) == []


def test_the_queue_pages_with_a_cursor_like_the_other_lists(api, world: Cast):
    cases = [case_in(world, St.AWAITING_FOLLOW_UP) for _ in range(3)] + [case_in(world, St.REPORTED) for _ in range(2)]
    _due_in(cases[0], timedelta(days=1))
    _due_in(cases[1], timedelta(days=-1))
    _due_in(cases[2], timedelta(days=-1))
    expected = [i["number"] for i in _queue(api, world.investigator, limit=100)]
    assert len(expected) == 5
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api(world.investigator).get("/api/v1/me/queue", query_string=query).get_json()
        seen += [i["number"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == expected
    bad = api(world.investigator).get("/api/v1/me/queue?cursor=bm9wZQ")
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "validation_error"
    assert api(world.investigator).get("/api/v1/me/queue?limit=0").status_code == 422


def test_the_queue_page_is_in_the_navigation_and_says_why(world: Cast, pages_for):
    late = case_in(world, St.AWAITING_FOLLOW_UP)
    _due_in(late, timedelta(days=-2))
    html = pages_for(world.ppk).get("/antrean").get_data(as_text=True)
    assert 'href="/antrean"' in html and "Antrean saya" in html
    assert late.number in html and "Tindak lanjut rekomendasi sudah lewat tenggat" in html
    assert REPORTER["name"] not in html
    other = pages_for(world.other_ppk).get("/antrean").get_data(as_text=True)
    assert late.number not in other and "Tidak ada yang menunggu Anda saat ini." in other


# -- bulk actions ----------------------------------------------------------------------------------------------------


def test_a_bulk_start_of_review_reports_the_case_that_fails_and_leaves_it_untouched(api, world: Cast):
    ready = [case_in(world, St.REPORTED) for _ in range(3)]
    moved_on = case_in(world, St.UNDER_REVIEW)
    before = moved_on.version
    hidden = 2**31 - 1
    ids = [ready[0].id, moved_on.id, ready[1].id, hidden, ready[2].id]
    response = api(world.investigator).post("/api/v1/cases/bulk", json={"action": "start_review", "case_ids": ids})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [d["case_id"] for d in body["done"]] == [c.id for c in ready]
    assert all(d["status"] == "under_review" for d in body["done"])
    failed = {f["case_id"]: f for f in body["failed"]}
    assert set(failed) == {moved_on.id, hidden}
    assert failed[moved_on.id]["number"] == moved_on.number
    assert failed[moved_on.id]["message"] == (
        "Tindakan \u201cMulai penelaahan\u201d tidak dapat dilakukan pada status Penelaahan / klarifikasi."
    )
    assert failed[hidden] == {
        "case_id": hidden,
        "number": None,
        "code": "not_found",
        "message": "Perkara tidak ditemukan.",
    }
    db.session.expire_all()
    assert db.session.get(Case, moved_on.id).version == before
    for case in ready:
        stored = db.session.get(Case, case.id)
        assert stored.status == "under_review"
        assert db.session.query(CaseHistory).filter_by(case_id=case.id, event="start_review").count() == 1
        assert verify_case(case.id) == (True, None)


def test_a_bulk_assignment_goes_case_by_case(api, world: Cast):
    first, second = case_in(world, St.REPORTED), case_in(world, St.UNDER_REVIEW)
    _assign(second, world.commissioner)
    body = {"action": "assign", "case_ids": [first.id, second.id], "assignee_id": world.commissioner.id,
            "reason": "Pembagian beban musim pemilu"}  # fmt: skip
    result = api(world.investigator).post("/api/v1/cases/bulk", json=body).get_json()
    assert [d["case_id"] for d in result["done"]] == [first.id]
    assert result["failed"][0]["case_id"] == second.id
    assert "sudah ditangani" in result["failed"][0]["message"]
    row = db.session.query(CaseHistory).filter_by(case_id=first.id, event="assigned").one()
    assert row.payload["reason"] == "Pembagian beban musim pemilu"
    # roles that may not: 403 before anything; an assignee who is not staff: 422 before any case
    assert api(world.ppk).post("/api/v1/cases/bulk", json=body).status_code == 403
    to_ppk = api(world.investigator).post("/api/v1/cases/bulk", json={**body, "assignee_id": world.ppk.id})
    assert to_ppk.status_code == 422
    missing = api(world.investigator).post("/api/v1/cases/bulk", json={"action": "assign", "case_ids": [first.id]})
    assert set(missing.get_json()["error"]["details"]["fields"]) == {"assignee_id", "reason"}


def test_a_bulk_export_holds_the_selected_cases_the_caller_may_see(api, world: Cast):
    issued = case_in(world, St.AWAITING_FOLLOW_UP)
    other = case_in(world, St.AWAITING_FOLLOW_UP)
    unseen = case_in(world, St.REPORTED)  # before issue: the PPK does not see it
    body = {"action": "export", "case_ids": [issued.id, unseen.id]}
    staff = api(world.investigator).post("/api/v1/cases/bulk", json=body)
    assert staff.status_code == 200 and staff.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(staff.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(r["Nomor Perkara"] for r in rows) == sorted([issued.number, unseen.number])
    assert other.number not in staff.get_data(as_text=True)
    ppk = api(world.ppk).post("/api/v1/cases/bulk", json=body).get_data(as_text=True)
    assert issued.number in ppk and unseen.number not in ppk and "Nama Pelapor" not in ppk


def test_the_case_list_offers_bulk_actions_to_staff_and_reports_per_case(world: Cast, pages_for):
    ready, moved_on = case_in(world, St.REPORTED), case_in(world, St.UNDER_REVIEW)
    pages = pages_for(world.investigator)
    html = pages.get("/cases").get_data(as_text=True)
    assert 'id="bulk-form"' in html and f'id="select-{ready.id}"' in html
    response = pages.post(
        "/cases/bulk", {"action": "start_review", "case_ids": [str(ready.id), str(moved_on.id)]}, page="/cases"
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    done = text.split('id="bulk-done"')[1].split("</section>")[0]
    failed = text.split('id="bulk-failed"')[1].split("</section>")[0]
    assert ready.number in done and moved_on.number in failed
    assert "tidak dapat dilakukan pada status Penelaahan / klarifikasi" in failed
    nothing = pages.post("/cases/bulk", {"action": "start_review"}, page="/cases")
    assert nothing.status_code == 422 and "Pilih 1" in nothing.get_data(as_text=True)
    exported = pages.post("/cases/bulk", {"action": "export", "case_ids": [str(ready.id)]}, page="/cases")
    assert exported.mimetype == "text/csv" and ready.number in exported.get_data(as_text=True)
    ppk_list = pages_for(world.ppk).get("/cases").get_data(as_text=True)
    assert 'id="bulk-form"' not in ppk_list


# -- the report edited in the browser ------------------------------------------------------------------------------


def test_the_report_is_edited_in_the_browser_and_the_change_is_in_the_history(world: Cast, pages_for):
    case = case_in(world, St.UNDER_REVIEW)
    pages = pages_for(world.investigator)
    form_html = pages.get(f"/cases/{case.id}/edit").get_data(as_text=True)
    assert "Mengunggah dukungan kepada bakal calon" in form_html
    assert f'name="version" value="{case.version}"' in form_html
    form = _form_fields(form_html)
    form["summary"] = "Mengunggah dukungan kepada bakal calon bupati di Facebook, tiga kali."
    saved = pages.post(f"/cases/{case.id}/edit", form)
    assert saved.status_code == 303, saved.get_data(as_text=True)[:2000]
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.summary.startswith("Mengunggah dukungan kepada bakal calon bupati")
    assert stored.reporter_name == REPORTER["name"]  # untouched fields stay
    row = db.session.query(CaseHistory).filter_by(case_id=case.id, event="update").one()
    assert set(row.payload["changed"]) == {"summary"}  # only what changed, never the reporter
    page = pages.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Data perkara diubah" in page and "Uraian kejadian" in page


def test_an_edit_that_meets_a_newer_case_says_what_changed_and_keeps_the_text(world: Cast, pages_for, api):
    case = case_in(world, St.UNDER_REVIEW)
    pages = pages_for(world.investigator)
    form = _form_fields(pages.get(f"/cases/{case.id}/edit").get_data(as_text=True))
    # meanwhile the commissioner edits the report through the API
    changed = api(world.commissioner).patch(
        f"/api/v1/cases/{case.id}", json={"version": case.version, "summary": "Versi komisioner dari uraian kejadian."}
    )
    assert changed.status_code == 200
    typed = "Uraian yang saya ketik dengan hati-hati dan tidak boleh hilang."
    form["summary"] = typed
    response = pages.post(f"/cases/{case.id}/edit", form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Perkara ini berubah sejak Anda membuka formulir ini." in html
    assert "Data perkara diubah" in html and "Kurnia Komisioner" in html
    assert typed in html
    assert f'name="version" value="{changed.get_json()["version"]}"' in html  # sent again, it goes through
    db.session.expire_all()
    assert db.session.get(Case, case.id).summary == "Versi komisioner dari uraian kejadian."
    issued = case_in(world, St.AWAITING_FOLLOW_UP)
    assert pages.get(f"/cases/{issued.id}/edit").status_code == 302  # only before issue
    assert pages_for(world.ppk).get(f"/cases/{issued.id}/edit").status_code == 403


def _form_fields(html: str) -> dict[str, str]:
    """The named fields of the edit form with their values, as a browser would send them."""
    form = html.split('id="edit-form"')[1].split("</form>")[0]
    values: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="checkbox"' in tag and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        values[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[name] = body
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = chosen.group(1) if chosen else ""
    return {k: v.replace("&#39;", "'").replace("&amp;", "&").replace("&quot;", '"') for k, v in values.items()}
