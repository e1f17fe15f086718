"""The Bawaslu forwarding channel end to end, through the API: an office forwards a report, it waits in the intake
queue, an investigator accepts it as a case, the office reads the status change in plain words — in its list and
with the tracking code — and receives the two emails (recommendation issued, followed up) over a real SMTP
conversation, none naming anything of the case. A refused report's sender reads the reason, never the internal
note; a public tracking lookup shows nothing confidential."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.core.clock import utcnow
from app.db import db
from app.models.cases import Attachment, Case
from app.models.intake import IntakeReport
from notifications.dispatcher import dispatch_all
from tests.factories import NIPS, PDF_BYTES, REPORTER, S, advance, make_cast, make_user

SUMMARY = "Kepala dinas hadir dan berpidato dalam kampanye terbuka pasangan calon bupati di lapangan kota."


def report_payload(agency_id: int, **kw):
    payload = {
        "reported_person": {"name": "Rahmat Hidayat", "nip": NIPS[1], "position": "Kepala Dinas Pendidikan"},
        "agency_id": agency_id,
        "category": "netralitas",
        "subcategory": "menghadiri_deklarasi",
        "summary": SUMMARY,
        "occurred_on": "2026-11-10",
        "place": "Lapangan Merdeka",
        "reporter": dict(REPORTER),
        "external_ref": "001/LP/PB/Kab/12.01/XI/2026",
    }
    payload.update(kw)
    return payload


def fire(client, case_id: int, event: str, **payload):
    version = client.get(f"/api/v1/cases/{case_id}").get_json()["version"]
    response = client.post(f"/api/v1/cases/{case_id}/transitions", json={"event": event, "version": version, **payload})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_forwarded_report_becomes_a_case_and_its_office_follows_it(client, api, smtp_server):
    cast = make_cast()
    office = make_user("forwarder", email="bawaslu.kab@bawaslu.go.id", name="Bawaslu Kabupaten Uji")
    bawaslu = api(office)
    investigator, commissioner = api(cast.investigator), api(cast.commissioner2)

    sent = bawaslu.post("/api/v1/intake/reports", json=report_payload(cast.agency.id))
    assert sent.status_code == 201, sent.get_json()
    code = sent.get_json()["tracking_code"]
    assert sent.get_json()["status"] == "received"
    # The same register number again is the same report, not a second one.
    again = bawaslu.post("/api/v1/intake/reports", json=report_payload(cast.agency.id))
    assert again.status_code == 200 and again.get_json()["tracking_code"] == code
    report_id = sent.get_json()["id"]
    files = client.post(
        f"/api/v1/intake/reports/{report_id}/files",
        headers=bawaslu.headers,
        data={"file": [(__import__("io").BytesIO(PDF_BYTES), "kajian.pdf")]},
        content_type="multipart/form-data",
    )
    assert files.status_code == 201, files.get_json()

    # Not a case yet: it waits in the queue.
    assert db.session.scalar(select(func.count(Case.id))) == 0
    queue = investigator.get("/api/v1/intake/queue").get_json()["items"]
    assert [r["tracking_code"] for r in queue] == [code]
    assert queue[0]["reporter"]["name"] == REPORTER["name"]  # the authority's staff read the reporter

    tracked = client.get(f"/api/v1/tracking/{code}").get_json()
    assert (tracked["status"], tracked["status_label"]) == ("received", "Diterima")

    accepted = investigator.post(f"/api/v1/intake/reports/{report_id}/accept", json={})
    assert accepted.status_code == 201, accepted.get_json()
    case_id = accepted.get_json()["case_id"]
    case = db.session.get(Case, case_id)
    assert (case.source, case.reported_nip, case.reporter_name) == ("bawaslu", NIPS[1], REPORTER["name"])
    assert db.session.scalar(select(func.count(Attachment.id)).where(Attachment.case_id == case_id)) == 1

    def office_status() -> str:
        items = bawaslu.get("/api/v1/intake/forwarded").get_json()["items"]
        assert [i["tracking_code"] for i in items] == [code]
        return items[0]["status"]

    assert office_status() == "verifying"
    # A forwarder sees nothing of the case itself.
    assert bawaslu.get(f"/api/v1/cases/{case_id}").status_code == 404
    assert bawaslu.get("/api/v1/cases").get_json()["items"] == []
    assert bawaslu.get(f"/api/v1/intake/reports/{report_id}").status_code == 403

    fire(investigator, case_id, "start_review")
    fire(
        investigator,
        case_id,
        "draft_recommendation",
        sanction="disiplin_sedang",
        sanction_form="potong_tpp_25_6",
        legal_basis="PP 94/2021 Pasal 5 huruf n",
        text="Menjatuhkan hukuman disiplin sedang kepada terlapor.",
    )
    fire(commissioner, case_id, "issue_recommendation")
    assert office_status() == "recommendation_issued"
    now = utcnow()
    dispatch_all(now=now)
    to_office = smtp_server.to("bawaslu.kab@bawaslu.go.id")
    assert len(to_office) == 1
    assert code in to_office[0].subject and "rekomendasi diterbitkan" in to_office[0].subject

    ppk = api(cast.ppk)
    fire(
        ppk,
        case_id,
        "report_follow_up",
        decision_number="SK 862/45/2026",
        decision_date=utcnow().date().isoformat(),
        sanction_imposed="disiplin_sedang",
        sanction_form="potong_tpp_25_6",
    )
    assert office_status() == "followed_up"
    dispatch_all(now=now + timedelta(minutes=5))
    to_office = smtp_server.to("bawaslu.kab@bawaslu.go.id")
    assert [("ditindaklanjuti" in d.subject) for d in to_office] == [False, True]
    for delivery in to_office:
        body = delivery.raw.decode("utf-8", "replace")
        text = delivery.message.get_body(("plain",)).get_content()
        assert code in text and f"http://tindak.test/lacak/{code}" in text
        # Nothing of the case: no number, person, NIP, agency, sanction, decision or reporter.
        for secret in (case.number, "Rahmat", NIPS[1], cast.agency.name, "SK 862", "disiplin", REPORTER["name"]):
            assert secret not in body, secret

    tracked = client.get(f"/api/v1/tracking/{code}").get_json()
    assert tracked["status"] == "followed_up"
    _assert_nothing_confidential(tracked, case)


def _assert_nothing_confidential(answer: dict, case: Case) -> None:
    text = str(answer)
    for secret in (
        case.number,
        case.reported_name,
        case.reported_nip,
        REPORTER["name"],
        REPORTER["contact"],
        "Lapangan",
        "kampanye",
    ):
        assert secret not in text, secret
    assert set(answer) == {"tracking_code", "status", "status_label", "explanation", "reason", "received_at", "steps"}


def test_a_refused_report_tells_its_sender_the_reason_never_the_internal_note(client, api):
    cast = make_cast()
    office = make_user("forwarder")
    sent = api(office).post("/api/v1/intake/reports", json=report_payload(cast.agency.id, external_ref=None))
    code, report_id = sent.get_json()["tracking_code"], sent.get_json()["id"]
    refused = api(cast.investigator).post(
        f"/api/v1/intake/reports/{report_id}/refuse",
        json={"reason": "Terlapor bukan ASN (anggota DPRD).", "internal_note": "Dicek di SIASN oleh Budi, tidak ada."},
    )
    assert refused.status_code == 200, refused.get_json()
    tracked = client.get(f"/api/v1/tracking/{code}").get_json()
    assert (tracked["status"], tracked["reason"]) == ("closed", "Terlapor bukan ASN (anggota DPRD).")
    assert "SIASN" not in str(tracked) and "Budi" not in str(tracked)
    listed = api(office).get("/api/v1/intake/forwarded").get_json()["items"][0]
    assert listed["status"] == "closed" and "SIASN" not in str(listed)
    # Decided once: a second decision is a conflict.
    again = api(cast.investigator).post(f"/api/v1/intake/reports/{report_id}/accept", json={})
    assert again.status_code == 409


def test_another_office_sees_nothing_of_a_report_it_did_not_forward(api):
    cast = make_cast()
    first, second = make_user("forwarder"), make_user("forwarder")
    sent = api(first).post("/api/v1/intake/reports", json=report_payload(cast.agency.id))
    report_id = sent.get_json()["id"]
    assert api(second).get("/api/v1/intake/forwarded").get_json()["items"] == []
    upload = api(second).post(f"/api/v1/intake/reports/{report_id}/files", data={}, content_type="multipart/form-data")
    assert upload.status_code == 404
    # A PPK or an overseer has nothing to do with intake.
    assert api(cast.ppk).get("/api/v1/intake/queue").status_code == 403
    assert api(cast.ppk).post("/api/v1/intake/reports", json=report_payload(cast.agency.id)).status_code == 403


def test_a_report_is_validated_field_by_field_in_indonesian(api):
    cast = make_cast()
    office = api(make_user("forwarder"))
    response = office.post(
        "/api/v1/intake/reports",
        json={"reported_person": {"name": "X", "nip": "123"}, "summary": "pendek", "occurred_on": "2030-01-01"},
    )
    assert response.status_code == 422
    fields = response.get_json()["error"]["details"]["fields"]
    assert set(fields) >= {"reported_person", "summary", "occurred_on", "agency_id"}
    assert "masa depan" in fields["occurred_on"][0]
    assert "nip" in fields["reported_person"] and "name" in fields["reported_person"]
    assert db.session.scalar(select(func.count(IntakeReport.id))) == 0
    unknown_agency = office.post("/api/v1/intake/reports", json=report_payload(999999, external_ref=None))
    assert unknown_agency.status_code == 422
    assert unknown_agency.get_json()["error"]["details"]["fields"]["agency_id"] == ["Instansi tidak ditemukan."]
    del cast


def test_a_batch_takes_each_report_on_its_own(api):
    cast = make_cast()
    office = api(make_user("forwarder"))
    items = [report_payload(cast.agency.id, external_ref=f"REG-{n}") for n in range(3)]
    items.insert(1, {"summary": "kurang"})
    response = office.post("/api/v1/intake/reports/batch", json={"items": items})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["created"], body["refused"]) == (3, 1)
    assert body["items"][1]["errors"] and body["items"][1]["tracking_code"] is None
    assert db.session.scalar(select(func.count(IntakeReport.id))) == 3
    too_many = office.post("/api/v1/intake/reports/batch", json={"items": [{}] * 501})
    assert too_many.status_code == 422


def test_attach_joins_an_existing_case_and_the_sender_reads_its_status(api, client):
    cast = make_cast()
    from tests.factories import case_in  # noqa: PLC0415 - local: this test alone

    case = case_in(cast, S.REPORTED)
    advance(case, cast, S.AWAITING_FOLLOW_UP)
    office = api(make_user("forwarder"))
    sent = office.post("/api/v1/intake/reports", json=report_payload(cast.agency.id))
    attached = api(cast.investigator).post(
        f"/api/v1/intake/reports/{sent.get_json()['id']}/attach", json={"case_id": case.id}
    )
    assert attached.status_code == 200, attached.get_json()
    assert (
        client.get(f"/api/v1/tracking/{sent.get_json()['tracking_code']}").get_json()["status"]
        == "recommendation_issued"
    )
