"""The public form (no sign-in): guarded by a signed time token and a hidden field, limited per address and hour;
the reporter optional and confidential; files through the case store's checks. The tracking code's status in
plain words on the page and by API, the same "not found" for a wrong or malformed code, guessing limited."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from app.core.clock import utcnow
from app.db import db
from app.models.intake import IntakeFile, IntakeReport
from tests.factories import NIPS, PDF_BYTES, make_cast

TOKEN = re.compile(r'name="form_started" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def open_form(client) -> tuple[str, str]:
    html = client.get("/lapor").get_data(as_text=True)
    return TOKEN.search(html).group(1), CSRF.search(html).group(1)


def form_data(agency_id: int, token: str, csrf: str, **kw) -> dict:
    data = {
        "csrf_token": csrf,
        "form_started": token,
        "website": "",
        "reported_person.name": "Yusuf Maulana",
        "reported_person.nip": NIPS[3],
        "agency_id": str(agency_id),
        "category": "netralitas",
        "subcategory": "like_share_comment",
        "occurred_on": "2026-11-12",
        "summary": "Membagikan unggahan kampanye pasangan calon di grup WhatsApp dinas dan mengajak memilih.",
        "reporter.name": "Warga Peduli",
        "reporter.contact": "warga@contoh.org",
    }
    data.update(kw)
    return data


def send(client, data: dict, files: list | None = None):
    payload = dict(data)
    if files:
        payload["file"] = files
    return client.post("/lapor", data=payload, content_type="multipart/form-data")


def test_a_public_report_gets_a_tracking_code_and_shows_nothing_confidential(client, suite_clock):
    cast = make_cast()
    token, csrf = open_form(client)
    suite_clock.shift(timedelta(seconds=30))  # a person takes time to write
    sent = send(client, form_data(cast.agency.id, token, csrf), [(io.BytesIO(PDF_BYTES), "tangkapan.pdf")])
    assert sent.status_code == 201, sent.get_data(as_text=True)[:2000]
    code = re.search(r'id="tracking-code">(TDK-[0-9A-Z-]+)<', sent.get_data(as_text=True)).group(1)
    report = db.session.scalar(select(IntakeReport))
    assert (report.channel, report.tracking_code, report.reporter_name) == ("public", code, "Warga Peduli")
    assert db.session.scalar(select(func.count(IntakeFile.id))) == 1

    page = client.get(f"/lacak/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="tracking-status">Diterima<' in html
    for secret in ("Yusuf", NIPS[3], "Warga Peduli", "warga@contoh.org", cast.agency.name, "WhatsApp"):
        assert secret not in html, secret
    # Typed loosely (lower case, no dashes) it is the same code.
    assert client.get(f"/api/v1/tracking/{code.lower().replace('-', '')}").get_json()["tracking_code"] == code


def test_the_form_refuses_a_missing_forged_hasty_or_baited_submission(client, suite_clock):
    cast = make_cast()
    token, csrf = open_form(client)
    hasty = send(client, form_data(cast.agency.id, token, csrf))
    assert hasty.status_code == 422 and "terlalu cepat" in hasty.get_data(as_text=True)
    suite_clock.shift(timedelta(seconds=30))
    for bad in ({"form_started": ""}, {"form_started": token[:-2] + "xx"}, {"website": "http://spam.example"}):
        refused = send(client, form_data(cast.agency.id, token, csrf, **bad))
        assert refused.status_code == 422, bad
        assert "Formulir tidak dapat diterima" in refused.get_data(as_text=True)
    suite_clock.shift(timedelta(hours=5))
    stale = send(client, form_data(cast.agency.id, token, csrf))
    assert stale.status_code == 422 and "terlalu lama" in stale.get_data(as_text=True)
    assert 'value="Yusuf Maulana"' in stale.get_data(as_text=True)  # the typed text stays
    assert db.session.scalar(select(func.count(IntakeReport.id))) == 0


def test_every_error_of_the_form_at_once_in_indonesian(client, suite_clock):
    make_cast()
    token, csrf = open_form(client)
    suite_clock.shift(timedelta(seconds=30))
    data = form_data(0, token, csrf, **{"reported_person.name": "", "reported_person.nip": "123", "summary": "x"})
    data.pop("agency_id")
    refused = send(client, data, [(io.BytesIO(b"MZ\x90\x00binary"), "virus.exe")])
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    for field in ("reported_person-name", "reported_person-nip", "summary", "agency_id"):
        assert f'id="{field}-error"' in html, field
    assert db.session.scalar(select(func.count(IntakeReport.id))) == 0


def test_hostile_files_are_refused_like_the_case_form_does(client, suite_clock):
    cast = make_cast()
    token, csrf = open_form(client)
    suite_clock.shift(timedelta(seconds=30))
    refused = send(client, form_data(cast.agency.id, token, csrf), [(io.BytesIO(b"MZ\x90\x00binary"), "bukti.pdf")])
    assert refused.status_code == 422
    assert "Jenis berkas tidak diizinkan" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(IntakeReport.id))) == 0
    assert db.session.scalar(select(func.count(IntakeFile.id))) == 0


def test_one_address_sends_at_most_the_hourly_limit(app, client, suite_clock):
    cast = make_cast()
    app.config["INTAKE_PUBLIC_PER_HOUR"] = 2
    try:
        answers = []
        for _ in range(3):
            token, csrf = open_form(client)
            suite_clock.shift(timedelta(seconds=10))
            answers.append(send(client, form_data(cast.agency.id, token, csrf)).status_code)
        assert answers == [201, 201, 429]
        assert db.session.scalar(select(func.count(IntakeReport.id))) == 2
        with time_machine.travel(utcnow() + timedelta(hours=1, minutes=1), tick=False):
            token, csrf = open_form(client)
        with time_machine.travel(utcnow() + timedelta(hours=1, minutes=2), tick=False):
            assert send(client, form_data(cast.agency.id, token, csrf)).status_code == 201
    finally:
        app.config.pop("INTAKE_PUBLIC_PER_HOUR")


def test_a_wrong_code_is_not_found_like_an_unknown_one_and_guessing_is_limited(app, client):
    app.config["INTAKE_TRACK_MISSES"] = 3
    try:
        wrong = client.get("/api/v1/tracking/TDK-0000-0000-0000")
        malformed = client.get("/api/v1/tracking/abc")
        assert wrong.status_code == malformed.status_code == 404
        assert wrong.get_json() == malformed.get_json()
        assert client.get("/lacak/TDK-1111-1111-1111").status_code == 404
        limited = client.get("/api/v1/tracking/TDK-2222-2222-2222")
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0
        assert client.get("/lacak?kode=TDK-3333-3333-3333").status_code == 429
    finally:
        app.config.pop("INTAKE_TRACK_MISSES")
