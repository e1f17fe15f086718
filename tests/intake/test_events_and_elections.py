"""One event, many civil servants: three cases of three agencies grouped under one rally get three recommendations
in one action each for drafting and issuing (one per case, four eyes kept), and the event shows each PPK's
follow-up. Elections are rows an administrator keeps; a neutrality report received during a period is linked to
it, with its verification due date."""

from __future__ import annotations

from sqlalchemy import func, select

from app.db import db
from app.models.cases import Recommendation
from app.models.intake import CaseElection, IntakeReport
from app.models.outbox import OutboxMessage
from tests.clocked import SUITE_NOW
from tests.factories import NIPS, S, case_in, make_agency, make_cast, make_user
from tests.intake.test_forwarding import fire, report_payload


def test_one_rally_three_civil_servants_three_agencies_three_recommendations_in_one_action(api):
    cast = make_cast()
    agencies = [cast.agency, cast.other_agency, make_agency(kind="kabupaten", ppk_email="bupati@kab.go.id")]
    cases = [
        case_in(cast, S.REPORTED, agency=agency, reported_person={"name": f"ASN {n}", "nip": NIPS[n]})
        for n, agency in enumerate(agencies)
    ]
    investigator, commissioner = api(cast.investigator), api(cast.commissioner2)
    created = investigator.post(
        "/api/v1/events",
        json={
            "title": "Kampanye akbar pasangan calon di Stadion Kota",
            "occurred_on": "2026-11-08",
            "place": "Stadion Kota",
            "case_ids": [c.id for c in cases],
        },
    )
    assert created.status_code == 201, created.get_json()
    event_id = created.get_json()["id"]
    assert [c["number"] for c in created.get_json()["cases"]] == [c.number for c in cases]

    drafted = investigator.post(
        f"/api/v1/events/{event_id}/actions",
        json={
            "event": "draft_recommendation",
            "sanction": "disiplin_sedang",
            "sanction_form": "potong_tpp_25_6",
            "legal_basis": "PP 94/2021 Pasal 5 huruf n",
            "text": "Menjatuhkan hukuman disiplin sedang karena menghadiri kampanye.",
            "per_case": {str(cases[2].id): {"sanction": "disiplin_ringan", "sanction_form": "teguran_tertulis"}},
        },
    )
    assert drafted.status_code == 200, drafted.get_json()
    assert drafted.get_json()["done"] == [c.id for c in cases] and drafted.get_json()["skipped"] == []

    # Four eyes: the investigator who drafted cannot issue (the role never may), nor the drafter among commissioners.
    assert (
        investigator.post(f"/api/v1/events/{event_id}/actions", json={"event": "issue_recommendation"}).get_json()[
            "done"
        ]
        == []
    )
    issued = commissioner.post(f"/api/v1/events/{event_id}/actions", json={"event": "issue_recommendation"})
    assert issued.status_code == 200, issued.get_json()
    assert issued.get_json()["done"] == [c.id for c in cases]
    recs = db.session.scalars(select(Recommendation).order_by(Recommendation.case_id)).all()
    assert len(recs) == 3 and all(r.issued_at is not None and r.letter_number for r in recs)
    assert [r.sanction for r in recs] == ["disiplin_sedang", "disiplin_sedang", "disiplin_ringan"]
    assert len({r.letter_number for r in recs}) == 3
    # Each PPK gets its own recommendation email.
    kinds = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.kind == "recommendation_issued")).all()
    assert len(kinds) >= 3

    fire(
        api(cast.ppk),
        cases[0].id,
        "report_follow_up",
        decision_number="SK 01/2026",
        decision_date=recs[0].received_on.isoformat(),
        sanction_imposed="disiplin_sedang",
        sanction_form="potong_tpp_25_6",
    )
    shown = investigator.get(f"/api/v1/events/{event_id}").get_json()["cases"]
    assert shown[0]["follow_up"]["decision_number"] == "SK 01/2026"
    assert shown[1]["follow_up"] is None and shown[1]["recommendation_letter"] == recs[1].letter_number


def test_a_case_belongs_to_one_event(api):
    cast = make_cast()
    case = case_in(cast, S.REPORTED)
    staff = api(cast.investigator)
    assert (
        staff.post(
            "/api/v1/events", json={"title": "Rapat A", "occurred_on": "2026-11-01", "case_ids": [case.id]}
        ).status_code
        == 201
    )
    again = staff.post("/api/v1/events", json={"title": "Rapat B", "occurred_on": "2026-11-01", "case_ids": [case.id]})
    assert again.status_code == 422 and case.number in str(again.get_json())


def test_elections_are_data_and_a_report_in_a_period_is_linked_with_its_verification_due(api, client):
    cast = make_cast()
    admin = api(cast.admin)
    election = admin.post(
        "/api/v1/elections",
        json={
            "name": "Pilkada Serentak 2026 (uji)",
            "kind": "pilkada",
            "region": None,
            "starts_on": "2026-09-01",
            "ends_on": "2026-12-31",
            "verify_days": 7,
            "stages": [{"name": "Kampanye", "starts_on": "2026-09-25", "ends_on": "2026-11-23"}],
        },
    )
    assert election.status_code == 201, election.get_json()
    election_id = election.get_json()["id"]
    assert api(cast.investigator).post("/api/v1/elections", json={}).status_code == 403
    bad = admin.post(
        "/api/v1/elections", json={"name": "X", "kind": "pileg", "starts_on": "2026-02-01", "ends_on": "2026-01-01"}
    )
    assert bad.status_code == 422
    assert {"name", "kind"} <= set(bad.get_json()["error"]["details"]["fields"])

    office = api(make_user("forwarder"))
    sent = office.post("/api/v1/intake/reports", json=report_payload(cast.agency.id)).get_json()
    report = db.session.get(IntakeReport, sent["id"])
    assert report.election_id == election_id
    assert (report.verify_due_at - report.created_at).days == 7
    accepted = api(cast.investigator).post(f"/api/v1/intake/reports/{sent['id']}/accept", json={})
    case_id = accepted.get_json()["case_id"]
    assert db.session.get(CaseElection, case_id).election_id == election_id
    listed = api(cast.investigator).get(f"/api/v1/elections/{election_id}/cases").get_json()["cases"]
    assert [c["case_id"] for c in listed] == [case_id]
    # Unlinked and linked again by hand.
    headers = api(cast.investigator).headers
    unlinked = client.put(f"/api/v1/cases/{case_id}/election", json={"election_id": None}, headers=headers)
    assert unlinked.status_code == 200
    assert db.session.scalar(select(func.count(CaseElection.case_id))) == 0
    linked = client.put(f"/api/v1/cases/{case_id}/election", json={"election_id": election_id}, headers=headers)
    assert linked.status_code == 200 and linked.get_json() == {"election_id": election_id}


def test_a_late_verification_is_escalated_to_the_signing_officials_once(api):
    from datetime import timedelta  # noqa: PLC0415 - this test alone

    from app.intake.deadlines import escalate_late_verifications  # noqa: PLC0415

    cast = make_cast()
    admin = api(cast.admin)
    admin.post(
        "/api/v1/elections",
        json={"name": "Pemilu Uji", "kind": "pemilu", "starts_on": "2026-01-01", "ends_on": "2026-12-31"},
    )
    office = api(make_user("forwarder"))
    late = office.post("/api/v1/intake/reports", json=report_payload(cast.agency.id, external_ref="A")).get_json()
    decided = office.post("/api/v1/intake/reports", json=report_payload(cast.agency.id, external_ref="B")).get_json()
    api(cast.investigator).post(
        f"/api/v1/intake/reports/{decided['id']}/refuse", json={"reason": "Bukan pelanggaran netralitas ASN."}
    )
    now = SUITE_NOW  # the suite's moment: the reports above were received in its first seconds
    assert escalate_late_verifications(now + timedelta(days=6)) == 0  # not due yet
    assert escalate_late_verifications(now + timedelta(days=8)) == 1
    db.session.commit()
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "intake_verification_late")).all()
    assert sorted(r.recipient for r in rows) == sorted([cast.commissioner.email, cast.commissioner2.email])
    assert late["tracking_code"] in rows[0].body_text and decided["tracking_code"] not in rows[0].body_text
    assert escalate_late_verifications(now + timedelta(days=9)) == 0  # told once
