"""Case creation, reading, editing, listing (filters, search, keyset pagination, constant SQL), attachments."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import event

from app.db import db
from tests.factories import NIPS, PDF_BYTES, S, advance, case_in, make_cast, new_case_payload, upload


def test_create_case_contract(api):
    cast = make_cast()
    response = api(cast.investigator).post("/api/v1/cases", json=new_case_payload(cast.agency.id))
    body = response.get_json()
    assert response.status_code == 201, body
    assert body["number"].startswith("NKK-") and len(body["number"]) == len("NKK-2026-000123")
    assert body["status"] == "reported" and body["version"] == 1 and body["id"]
    assert body["reporter"] == {"name": "Siti Pelapor", "contact": "siti@example.org"}
    second = api(cast.investigator).post("/api/v1/cases", json=new_case_payload(cast.agency.id)).get_json()
    assert int(second["number"][-6:]) == int(body["number"][-6:]) + 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reported_person": {"name": "Budi", "nip": "19860926201505100"}}, "reported_person"),
        ({"reported_person": {"name": "Budi", "nip": "198602302015051001"}}, "reported_person"),
        ({"category": "korupsi"}, "category"),
        ({"source": "mimpi"}, "source"),
        ({"occurred_on": "2999-01-01"}, "occurred_on"),
        ({"agency_id": 999999}, "agency_id"),
        ({"summary": ""}, "summary"),
        ({"subcategory": "tidak_ada"}, "subcategory"),
    ],
)
def test_create_case_validation(change, field, api):
    cast = make_cast()
    payload = new_case_payload(cast.agency.id)
    payload.update(change)
    response = api(cast.investigator).post("/api/v1/cases", json=payload)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["details"]["fields"]


def test_only_kasn_staff_create_cases(api):
    cast = make_cast()
    for user in (cast.ppk, cast.overseer, cast.admin):
        response = api(user).post("/api/v1/cases", json=new_case_payload(cast.agency.id))
        assert response.status_code == 403


def test_edit_before_issue_only(api):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    response = api(cast.investigator).patch(
        f"/api/v1/cases/{case.id}", json={"version": case.version, "summary": "Ringkasan yang diperbaiki."}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["summary"] == "Ringkasan yang diperbaiki."
    stale = api(cast.investigator).patch(f"/api/v1/cases/{case.id}", json={"version": 1, "summary": "Lagi lagi lagi."})
    assert stale.status_code == 409
    issued = case_in(cast, S.AWAITING_FOLLOW_UP)
    late = api(cast.investigator).patch(
        f"/api/v1/cases/{issued.id}", json={"version": issued.version, "summary": "Terlambat diubah."}
    )
    assert late.status_code == 409


def test_list_filters_search_and_pagination(api):
    cast = make_cast()
    reported = [case_in(cast, S.REPORTED) for _ in range(3)]
    awaiting = case_in(cast, S.AWAITING_FOLLOW_UP, reported_person={"name": "Rahmat Hidayat", "nip": NIPS[1]})
    user = api(cast.investigator)
    page = user.get("/api/v1/cases?status=reported").get_json()
    assert {c["id"] for c in page["items"]} == {c.id for c in reported}
    both = user.get("/api/v1/cases?status=reported,awaiting_follow_up").get_json()
    assert len(both["items"]) == 4
    assert [c["id"] for c in user.get("/api/v1/cases?q=rahmat").get_json()["items"]] == [awaiting.id]
    assert [c["id"] for c in user.get(f"/api/v1/cases?q={NIPS[1][:10]}").get_json()["items"]] == [awaiting.id]
    assert [c["id"] for c in user.get(f"/api/v1/cases?q={awaiting.number}").get_json()["items"]] == [awaiting.id]
    assert user.get("/api/v1/cases?overdue=true").get_json()["items"] == []
    assert user.get("/api/v1/cases?escalated=true").get_json()["items"] == []
    assert len(user.get(f"/api/v1/cases?agency_id={cast.other_agency.id}").get_json()["items"]) == 0
    assert user.get("/api/v1/cases?status=nonsense").status_code == 422
    assert user.get("/api/v1/cases?limit=101").status_code == 422
    seen, cursor = [], None
    while True:
        page = user.get("/api/v1/cases?limit=3" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == 4


def test_listing_uses_a_constant_number_of_statements(api):
    cast = make_cast()
    for status in (S.REPORTED, S.AWAITING_FOLLOW_UP, S.COMPLETED, S.UNDER_REVIEW, S.FOLLOW_UP_REPORTED) * 4:
        case_in(cast, status)
    client = api(cast.investigator)
    counts = {}
    for limit in (2, 20):
        statements: list[str] = []

        def _count(conn, cursor, statement, parameters, context, executemany, _s=statements):
            _s.append(statement)

        client.get("/api/v1/cases?limit=1")  # warm the token lookup path
        event.listen(db.engine, "before_cursor_execute", _count)
        try:
            response = client.get(f"/api/v1/cases?limit={limit}")
        finally:
            event.remove(db.engine, "before_cursor_execute", _count)
        assert response.status_code == 200 and len(response.get_json()["items"]) == limit
        counts[limit] = len(statements)
    assert counts[2] == counts[20], counts
    assert counts[20] <= 4, counts


def test_attachment_upload_and_download(api, client):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    kasn = api(cast.investigator)
    response = kasn.post(
        f"/api/v1/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(PDF_BYTES), "bukti.pdf")},
        content_type="multipart/form-data",
    )
    body = response.get_json()
    assert response.status_code == 201, body
    import hashlib

    assert body["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest() and body["size"] == len(PDF_BYTES)
    download = kasn.get(f"/api/v1/attachments/{body['id']}")
    assert download.status_code == 200 and download.data == PDF_BYTES
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("laporan.pdf", b"<html><script>alert(1)</script></html>"),
        ("gambar.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        ("kosong.pdf", b""),
        ("skrip.sh", b"#!/bin/sh\nrm -rf /\n"),
    ],
)
def test_uploads_that_lie_are_refused(name, content, api):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    response = api(cast.investigator).post(
        f"/api/v1/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.get_json()
    assert "file" in response.get_json()["error"]["details"]["fields"]


def test_zip_bomb_docx_is_refused(api):
    import zipfile

    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/bomb.bin", b"\x00" * (50 * 1024 * 1024))
    response = api(cast.investigator).post(
        f"/api/v1/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(buffer.getvalue()), "dokumen.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.get_json()


def test_too_large_upload_is_413_json(app, api):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = api(cast.investigator).post(
            f"/api/v1/cases/{case.id}/attachments",
            data={"file": (io.BytesIO(PDF_BYTES + b"0" * 4096), "besar.pdf")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_ppk_sees_follow_up_documents_not_evidence(api):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    evidence = upload(case, cast.investigator, purpose="evidence", name="bukti.pdf")
    advance(case, cast, S.AWAITING_FOLLOW_UP)
    sk = upload(case, cast.ppk, purpose="follow_up", name="sk.pdf")
    ppk = api(cast.ppk)
    listed = {a["id"] for a in ppk.get(f"/api/v1/cases/{case.id}/attachments").get_json()}
    assert listed == {sk.id}
    assert ppk.get(f"/api/v1/attachments/{evidence.id}").status_code == 404
    assert ppk.get(f"/api/v1/attachments/{sk.id}").status_code == 200
    assert api(cast.other_ppk).get(f"/api/v1/attachments/{sk.id}").status_code == 404


def test_export_and_bundle_endpoints(api):
    import zipfile

    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    csv_response = api(cast.investigator).get("/api/v1/cases/export?format=csv&status=awaiting_follow_up")
    assert csv_response.status_code == 200
    text = csv_response.get_data(as_text=True)
    assert case.number in text and "Siti Pelapor" in text
    ppk_csv = api(cast.ppk).get("/api/v1/cases/export?format=csv").get_data(as_text=True)
    assert case.number in ppk_csv and "Siti Pelapor" not in ppk_csv
    xlsx = api(cast.investigator).get("/api/v1/cases/export?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert api(cast.investigator).get("/api/v1/cases/export?format=pdf").status_code == 422
    bundle = api(cast.investigator).get(f"/api/v1/cases/{case.id}/bundle")
    assert bundle.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(bundle.data)).namelist()
    bundle.close()  # the file is sent from disk; closing the response removes it
    assert "manifest.json" in names
    assert api(cast.ppk).get(f"/api/v1/cases/{case.id}/bundle").status_code == 403
    assert api(cast.other_ppk).get(f"/api/v1/cases/{case.id}/bundle").status_code == 404


def test_list_item_fields_come_from_their_own_columns(api):
    """A list row is unpacked by position: every field must hold the value of the column of its name."""
    from app.models.agencies import Agency
    from app.models.cases import Recommendation

    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP, reported_person={"name": "Rahmat Hidayat", "nip": NIPS[1],
                                                                "position": "Kepala Seksi"})  # fmt: skip
    rec = db.session.scalar(db.select(Recommendation).where(Recommendation.case_id == case.id))
    agency = db.session.get(Agency, case.agency_id)
    item = api(cast.investigator).get("/api/v1/cases").get_json()["items"][0]
    iso = lambda value: value.isoformat() if value is not None else None  # noqa: E731
    assert item == {
        "id": case.id,
        "number": case.number,
        "status": case.status,
        "status_label": "Menunggu tindak lanjut PPK",
        "version": case.version,
        "agency_id": agency.id,
        "agency": {
            "id": agency.id,
            "code": agency.code,
            "name": agency.name,
            "kind": agency.kind,
            "timezone": agency.timezone,
        },
        "category": case.category,
        "subcategory": case.subcategory,
        "source": case.source,
        "reported_person": {"name": "Rahmat Hidayat", "nip": NIPS[1], "position": "Kepala Seksi"},
        "summary": case.summary,
        "occurred_on": case.occurred_on.isoformat(),
        "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at),
        "issued_at": iso(case.issued_at),
        "due_at": iso(rec.due_at),
        "escalation_level": rec.escalation_level,
        "overdue": False,
    }
    assert len({item["created_at"], item["issued_at"], item["due_at"]}) == 3


def test_list_rows_and_loaded_cases_give_the_same_item(api):
    """The list's recommendation part (due instant once issued, level, overdue at now) is computed by the
    database; pages holding loaded objects compute it with `case_summary`: both forms agree on every kind of case."""
    from datetime import timedelta

    import orjson

    from app.cases.listing import case_summary
    from app.core.clock import utcnow
    from app.models.agencies import Agency
    from app.models.cases import Case, Recommendation

    cast = make_cast()
    cases = {
        "no recommendation": case_in(cast, S.REPORTED),
        "drafted, not issued": case_in(cast, S.RECOMMENDATION_DRAFTED),
        "issued, clock running": case_in(cast, S.AWAITING_FOLLOW_UP),
        "issued, past due": case_in(cast, S.AWAITING_FOLLOW_UP),
        "followed up (clock stopped)": case_in(cast, S.FOLLOW_UP_REPORTED),
    }
    late = db.session.scalar(db.select(Recommendation).where(Recommendation.case_id == cases["issued, past due"].id))
    late.due_at = utcnow() - timedelta(days=3)
    late.escalation_level = 2
    stopped = cases["followed up (clock stopped)"]
    db.session.execute(
        db.update(Recommendation)
        .where(Recommendation.case_id == stopped.id)
        .values(due_at=utcnow() - timedelta(days=3))
    )
    db.session.commit()

    listed = {item["id"]: item for item in api(cast.investigator).get("/api/v1/cases?limit=100").get_json()["items"]}
    now = utcnow()
    for label, listed_case in cases.items():
        case = db.session.get(Case, listed_case.id)
        rec = db.session.scalar(db.select(Recommendation).where(Recommendation.case_id == case.id))
        loaded = orjson.loads(orjson.dumps(case_summary(case, db.session.get(Agency, case.agency_id), rec, now)))
        assert listed[case.id] == loaded, label
    assert listed[cases["no recommendation"].id]["due_at"] is None
    assert listed[cases["drafted, not issued"].id]["due_at"] is None
    assert listed[cases["issued, clock running"].id]["due_at"] is not None
    assert [listed[c.id]["overdue"] for c in cases.values()] == [False, False, False, True, False]
    assert listed[cases["issued, past due"].id]["escalation_level"] == 2
