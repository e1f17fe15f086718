"""The public channel by API (no sign-in): a time token from `GET /api/v1/public/reports/token` sent back in
`X-Report-Token` (refused missing, forged, too soon or too old), the fields of the form `/lapor`, evidence by
multipart through the case store's checks, the tracking code answered; the reporter optional and confidential;
`INTAKE_PUBLIC_PER_HOUR` per address (429 with Retry-After), and guessing tracking codes limited."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from app.db import db
from app.models.intake import IntakeFile, IntakeReport
from tests.clocked import SUITE_NOW
from tests.factories import NIPS, PDF_BYTES, make_cast

REPORTER = {"name": "Warga Peduli", "contact": "warga@contoh.org"}


def body(agency_id: int, **kw):
    data = {
        "reported_person": {"name": "Yusuf Maulana", "nip": NIPS[3]},
        "agency_id": agency_id,
        "category": "netralitas",
        "subcategory": "like_share_comment",
        "occurred_on": "2026-11-12",
        "summary": "Membagikan unggahan kampanye pasangan calon di grup WhatsApp dinas dan mengajak memilih.",
        "reporter": dict(REPORTER),
    }
    data.update(kw)
    return data


def token(client) -> str:
    answer = client.get("/api/v1/public/reports/token")
    assert answer.status_code == 200
    assert answer.get_json()["header"] == "X-Report-Token"
    return answer.get_json()["token"]


def test_a_public_report_by_api_gets_a_tracking_code_and_keeps_the_reporter_confidential(client, suite_clock):
    cast = make_cast()
    value = token(client)
    suite_clock.shift(timedelta(seconds=10))
    sent = client.post(
        "/api/v1/public/reports",
        data={"report": json.dumps(body(cast.agency.id)), "file": [(io.BytesIO(PDF_BYTES), "tangkapan.pdf")]},
        headers={"X-Report-Token": value},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 201, sent.get_json()
    out = sent.get_json()
    assert (out["status"], out["files"]) == ("received", 1)
    assert out["tracking_url"].endswith(f"/lacak/{out['tracking_code']}")
    assert "Warga" not in json.dumps(out) and "warga@" not in json.dumps(out)
    report = db.session.scalar(select(IntakeReport))
    assert (report.channel, report.reporter_name, report.forwarder_id) == ("public", "Warga Peduli", None)
    assert db.session.scalar(select(func.count(IntakeFile.id))) == 1
    tracked = client.get(f"/api/v1/tracking/{out['tracking_code']}").get_json()
    assert tracked["status"] == "received" and "Warga" not in json.dumps(tracked)

    # JSON without files, and without a reporter at all: the identity is optional.
    value = token(client)
    suite_clock.shift(timedelta(seconds=10))
    anonymous = client.post(
        "/api/v1/public/reports", json=body(cast.agency.id, reporter=None), headers={"X-Report-Token": value}
    )
    assert anonymous.status_code == 201, anonymous.get_json()
    assert anonymous.get_json()["tracking_code"] != out["tracking_code"]


def test_the_token_is_required_and_neither_hasty_nor_stale(client, suite_clock):
    cast = make_cast()
    missing = client.post("/api/v1/public/reports", json=body(cast.agency.id))
    assert missing.status_code == 422 and "token" in missing.get_json()["error"]["details"]["fields"]
    forged = client.post("/api/v1/public/reports", json=body(cast.agency.id), headers={"X-Report-Token": "abc.def"})
    assert forged.status_code == 422
    hasty = client.post("/api/v1/public/reports", json=body(cast.agency.id), headers={"X-Report-Token": token(client)})
    assert hasty.status_code == 422 and "terlalu cepat" in hasty.get_json()["error"]["message"]
    value = token(client)
    suite_clock.shift(timedelta(hours=5))
    stale = client.post("/api/v1/public/reports", json=body(cast.agency.id), headers={"X-Report-Token": value})
    assert stale.status_code == 422 and "kedaluwarsa" in stale.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count(IntakeReport.id))) == 0


def test_bad_fields_and_hostile_files_are_refused_in_indonesian(client, suite_clock):
    cast = make_cast()
    value = token(client)
    suite_clock.shift(timedelta(seconds=10))
    bad = client.post(
        "/api/v1/public/reports",
        json=body(cast.agency.id, summary="pendek", occurred_on="2030-01-01", external_ref="X-1"),
        headers={"X-Report-Token": value},
    )
    assert bad.status_code == 422
    fields = bad.get_json()["error"]["details"]["fields"]
    assert set(fields) >= {"summary", "occurred_on", "external_ref"}
    assert fields["occurred_on"] == ["Tanggal kejadian tidak boleh di masa depan."]
    assert fields["external_ref"] == ["Isian tidak dikenal pada laporan masyarakat."]
    hostile = client.post(
        "/api/v1/public/reports",
        data={"report": json.dumps(body(cast.agency.id)), "file": [(io.BytesIO(b"MZ\x90\x00binary"), "bukti.pdf")]},
        headers={"X-Report-Token": value},
        content_type="multipart/form-data",
    )
    assert hostile.status_code == 422 and "Jenis berkas tidak diizinkan" in json.dumps(hostile.get_json())
    not_json = client.post(
        "/api/v1/public/reports",
        data={"report": "{nama: x"},
        headers={"X-Report-Token": value},
        content_type="multipart/form-data",
    )
    assert not_json.status_code == 422 and "report" in not_json.get_json()["error"]["details"]["fields"]
    assert db.session.scalar(select(func.count(IntakeReport.id))) == 0
    assert db.session.scalar(select(func.count(IntakeFile.id))) == 0


def test_one_address_sends_at_most_the_hourly_limit_and_guessing_codes_is_limited(app, client, suite_clock):
    cast = make_cast()
    app.config["INTAKE_PUBLIC_PER_HOUR"] = 2
    app.config["INTAKE_TRACK_MISSES"] = 3
    try:
        answers = []
        for _ in range(3):
            value = token(client)
            suite_clock.shift(timedelta(seconds=5))
            answer = client.post("/api/v1/public/reports", json=body(cast.agency.id), headers={"X-Report-Token": value})
            answers.append(answer)
        assert [a.status_code for a in answers] == [201, 201, 429]
        assert int(answers[2].headers["Retry-After"]) > 0
        assert "per jam" in answers[2].get_json()["error"]["message"]
        assert db.session.scalar(select(func.count(IntakeReport.id))) == 2
        with time_machine.travel(SUITE_NOW + timedelta(hours=1, minutes=1), tick=False):
            value = token(client)
        with time_machine.travel(SUITE_NOW + timedelta(hours=1, minutes=2), tick=False):
            again = client.post("/api/v1/public/reports", json=body(cast.agency.id), headers={"X-Report-Token": value})
            assert again.status_code == 201

        code = answers[0].get_json()["tracking_code"]
        for guess in ("TDK-0000-0000-0000", "TDK-1111-1111-1111", "TDK-2222-2222-2222"):
            assert client.get(f"/api/v1/tracking/{guess}").status_code == 404
        limited = client.get(f"/api/v1/tracking/{code}")  # even the right code, once guessing is limited
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    finally:
        app.config.pop("INTAKE_PUBLIC_PER_HOUR")
        app.config.pop("INTAKE_TRACK_MISSES")
