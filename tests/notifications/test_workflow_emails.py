"""End to end through the public API: a user's action queues its email in the same transaction and succeeds
while SMTP is down; the email arrives once when the server is back, without the reporter's identity."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from app.core.clock import utcnow
from app.db import db
from app.models.outbox import OutboxMessage
from notifications.dispatcher import dispatch_all
from tests.factories import new_case_payload

REPORTER = {"name": "Siti Pelapor Rahasia", "contact": "siti.rahasia@contoh.org"}


def _fire(client, case_id: int, event: str, **payload):
    version = client.get(f"/api/v1/cases/{case_id}").get_json()["version"]
    response = client.post(f"/api/v1/cases/{case_id}/transitions", json={"event": event, "version": version, **payload})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_issuing_a_recommendation_while_smtp_is_down(smtp_server, api, make_agency, make_user):
    smtp_server.stop()
    agency = make_agency(timezone="Asia/Makassar", ppk_email="ppk@kotamakassar.go.id", name="Pemerintah Kota Makassar")
    investigator = api(make_user("investigator"))
    commissioner = api(make_user("commissioner"))
    ppk = api(make_user("ppk", agency=agency))

    created = investigator.post("/api/v1/cases", json=new_case_payload(agency.id, source="public", reporter=REPORTER))
    assert created.status_code == 201, created.get_json()
    case_id, number = created.get_json()["id"], created.get_json()["number"]
    _fire(investigator, case_id, "start_review")
    _fire(
        investigator,
        case_id,
        "draft_recommendation",
        sanction="disiplin_sedang",
        legal_basis="PP 94/2021 Pasal 5 huruf n",
        text="Menjatuhkan hukuman disiplin sedang.",
    )
    started = time.monotonic()
    issued = _fire(commissioner, case_id, "issue_recommendation")  # the system numbers the letter
    assert time.monotonic() - started < 5  # the action does not wait for SMTP
    assert issued["status"] == "awaiting_follow_up"

    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id)).all()
    assert [(r.kind, r.status) for r in rows if r.recipient == "ppk@kotamakassar.go.id"] == [
        ("recommendation_issued", "pending")
    ]

    now = utcnow()
    assert dispatch_all(now=now)["sent"] == 0  # still down: rows wait
    smtp_server.start()
    dispatch_all(now=now + timedelta(hours=1))

    to_ppk = smtp_server.to("ppk@kotamakassar.go.id")
    assert len(to_ppk) == 1
    message = to_ppk[0].message
    assert message["Subject"] == f"[Tindak] {number} — Rekomendasi KASN untuk ditindaklanjuti"
    body = to_ppk[0].raw.decode("utf-8", "replace")
    text = message.get_body(("plain",)).get_content()
    assert "WITA" in text and "R-1/KASN/11/2026" in text
    assert f"http://tindak.test/cases/{case_id}" in text
    assert REPORTER["name"] not in body and REPORTER["contact"] not in body

    # The PPK reports its follow-up: the investigators are told, once.
    _fire(
        ppk,
        case_id,
        "report_follow_up",
        decision_number="SK 862/45/2026",
        decision_date=utcnow().date().isoformat(),
        sanction_imposed="disiplin_ringan",
    )
    dispatch_all(now=now + timedelta(hours=2))
    reported = [d for d in smtp_server.deliveries if "PPK melaporkan tindak lanjut" in d.subject]
    assert reported, [d.subject for d in smtp_server.deliveries]
    assert all(number in d.subject for d in reported)
    counts = Counter(d.message_id for d in smtp_server.deliveries)
    assert set(counts.values()) == {1}
