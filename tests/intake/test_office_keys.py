"""A forwarding office's API key: an administrator creates it (shown once, stored hashed) and revokes it; the office's
system forwards with it (`X-API-Key` or `Authorization: Bearer tdk_…`), its last use is recorded, a revoked key
answers 401, and the key reaches no endpoint but the forwarder's (a case, the queue, the token endpoint: 401)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from app.db import db
from app.models.auth import OfficeApiKey
from app.models.intake import IntakeReport
from tests.factories import make_cast, make_user
from tests.intake.test_forwarding import report_payload


def _new_key(admin, office, label="Sistem register Bawaslu Kab. Uji"):
    created = admin.post(f"/api/v1/admin/users/{office.id}/api-keys", json={"label": label})
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def test_an_office_key_forwards_is_recorded_and_once_revoked_answers_401(client, api, suite_clock):
    cast = make_cast()
    office = make_user("forwarder", email="bawaslu.kab@bawaslu.go.id", name="Bawaslu Kabupaten Uji")
    admin = api(make_user("admin", email="admin@tindak.test"))
    body = _new_key(admin, office)
    key = body["key"]
    assert key.startswith("tdk_") and len(key) > 40 and body["prefix"] == key[:10]
    # Stored hashed: neither the key nor its plain SHA-256 is in the table.
    row = db.session.scalar(select(OfficeApiKey))
    assert key not in (row.key_hash, row.prefix) and row.key_hash != hashlib.sha256(key.encode()).hexdigest()
    assert row.last_used_at is None
    # Listed without the key.
    listed = admin.get(f"/api/v1/admin/users/{office.id}/api-keys").get_json()["items"]
    assert [(k["id"], k["active"], "key" in k) for k in listed] == [(body["id"], True, False)]

    suite_clock.shift(timedelta(minutes=5))
    sent = client.post("/api/v1/intake/reports", json=report_payload(cast.agency.id), headers={"X-API-Key": key})
    assert sent.status_code == 201, sent.get_json()
    report = db.session.get(IntakeReport, sent.get_json()["id"])
    assert (report.channel, report.forwarder_id) == ("forwarder", office.id)
    db.session.expire_all()
    assert db.session.get(OfficeApiKey, body["id"]).last_used_at is not None
    # The same key as a bearer token (its prefix tells it from a session token): the office's list.
    mine = client.get("/api/v1/intake/forwarded", headers={"Authorization": f"Bearer {key}"})
    assert mine.status_code == 200 and [r["id"] for r in mine.get_json()["items"]] == [report.id]
    batch = client.post(
        "/api/v1/intake/reports/batch",
        json={"items": [report_payload(cast.agency.id, external_ref="002/LP/XI/2026")]},
        headers={"X-API-Key": key},
    )
    assert batch.status_code == 201 and batch.get_json()["created"] == 1

    revoked = admin.post(f"/api/v1/admin/users/{office.id}/api-keys/{body['id']}/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["active"] is False
    refused = client.post(
        "/api/v1/intake/reports", json=report_payload(cast.agency.id, external_ref="003"), headers={"X-API-Key": key}
    )
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "invalid_api_key"
    assert client.get("/api/v1/intake/forwarded", headers={"X-API-Key": key}).status_code == 401
    # A made-up key in the same shape is as unknown.
    assert client.get("/api/v1/intake/forwarded", headers={"X-API-Key": "tdk_" + "A" * 43}).status_code == 401


def test_an_office_key_reaches_no_case_queue_or_admin_endpoint(client, api):
    office = make_user("forwarder", email="bawaslu.prov@bawaslu.go.id")
    admin = api(make_user("admin", email="admin@tindak.test"))
    key = _new_key(admin, office)["key"]
    for method, url in [
        ("get", "/api/v1/cases"),
        ("post", "/api/v1/cases"),
        ("get", "/api/v1/intake/queue"),
        ("get", f"/api/v1/admin/users/{office.id}/api-keys"),
        ("get", "/api/v1/me/filters"),
    ]:
        for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
            answer = getattr(client, method)(url, headers=headers, json={} if method == "post" else None)
            assert answer.status_code == 401, (method, url, answer.get_json())
            assert answer.get_json()["error"]["code"] == "office_key_not_accepted"
    # The same key on a forwarder endpoint is accepted: the refusals above are the key's reach, not the key.
    assert client.get("/api/v1/intake/forwarded", headers={"X-API-Key": key}).status_code == 200


def test_only_an_administrator_creates_keys_and_only_for_a_forwarder(api):
    cast = make_cast()
    office = make_user("forwarder", email="bawaslu.kota@bawaslu.go.id")
    admin = api(make_user("admin", email="admin@tindak.test"))
    assert (
        api(cast.commissioner).post(f"/api/v1/admin/users/{office.id}/api-keys", json={"label": "X1"}).status_code
        == 403
    )
    assert api(office).post(f"/api/v1/admin/users/{office.id}/api-keys", json={"label": "X1"}).status_code == 403
    wrong = admin.post(f"/api/v1/admin/users/{cast.investigator.id}/api-keys", json={"label": "Kunci uji"})
    assert wrong.status_code == 422
    assert "penerus laporan" in wrong.get_json()["error"]["details"]["fields"]["user_id"][0]
    short = admin.post(f"/api/v1/admin/users/{office.id}/api-keys", json={"label": "x"})
    assert short.status_code == 422 and "label" in short.get_json()["error"]["details"]["fields"]
    # Another account's key id answers 404.
    key_id = _new_key(admin, office)["id"]
    other = make_user("forwarder", email="bawaslu.lain@bawaslu.go.id")
    assert admin.post(f"/api/v1/admin/users/{other.id}/api-keys/{key_id}/revoke").status_code == 404


def test_a_key_dies_with_its_account(client, api):
    cast = make_cast()
    office = make_user("forwarder", email="bawaslu.kab2@bawaslu.go.id")
    admin = api(make_user("admin", email="admin@tindak.test"))
    key = _new_key(admin, office)["key"]
    office.is_active = False
    db.session.commit()
    sent = client.post("/api/v1/intake/reports", json=report_payload(cast.agency.id), headers={"X-API-Key": key})
    assert sent.status_code == 401
