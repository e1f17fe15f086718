"""Duplicates caught on intake and on case creation, shown before saving, saving anyway recorded; the API's
`Idempotency-Key` returns the first case for the same key, also when two requests arrive at once (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.cases.duplicates import word_similarity
from app.db import db
from app.models.cases import Case
from app.models.intake import DuplicateOverride
from tests.factories import NIPS, S, case_in, make_cast, make_user, new_case_payload
from tests.intake.test_forwarding import SUMMARY, report_payload


def test_a_report_shows_its_likely_duplicates_before_it_becomes_a_case(api):
    cast = make_cast()
    existing = case_in(cast, S.REPORTED, reported_person={"name": "Rahmat Hidayat", "nip": NIPS[1]})
    office = api(make_user("forwarder"))
    sent = office.post("/api/v1/intake/reports", json=report_payload(cast.agency.id)).get_json()
    investigator = api(cast.investigator)

    shown = investigator.get(f"/api/v1/intake/reports/{sent['id']}").get_json()["duplicates"]
    assert [(d["kind"], d["label"]) for d in shown] == [("case", existing.number)]
    assert set(shown[0]["reasons"]) == {"nip", "name_agency"}
    assert "NIP sama" in shown[0]["reason_labels"]

    refused = investigator.post(f"/api/v1/intake/reports/{sent['id']}/accept", json={})
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "possible_duplicates"
    assert [c["label"] for c in error["details"]["candidates"]] == [existing.number]
    assert db.session.scalar(select(func.count(Case.id))) == 1

    anyway = investigator.post(f"/api/v1/intake/reports/{sent['id']}/accept", json={"allow_duplicates": True})
    assert anyway.status_code == 201, anyway.get_json()
    override = db.session.scalar(select(DuplicateOverride))
    assert override.case_id == anyway.get_json()["case_id"] and override.report_id == sent["id"]
    assert override.actor_id == cast.investigator.id
    assert [c["label"] for c in override.candidates] == [existing.number]


def test_the_same_event_described_alike_within_days_is_a_likely_duplicate(api):
    cast = make_cast()
    first = case_in(
        cast,
        S.REPORTED,
        summary=SUMMARY,
        occurred_on="2026-11-09",
        reported_person={"name": "Siti Aminah", "nip": NIPS[2]},
    )
    check = api(cast.investigator).post(
        "/api/v1/intake/duplicates",
        json={
            "name": "Andi Wijaya",
            "agency_id": cast.other_agency.id,
            "summary": "Kepala dinas hadir dan berpidato dalam kampanye terbuka pasangan calon bupati di lapangan.",
            "occurred_on": "2026-11-10",
        },
    )
    assert check.status_code == 200, check.get_json()
    body = check.get_json()
    assert body["method"] == ("pg_trgm" if db.engine.dialect.name == "postgresql" else "words")
    assert [(c["label"], c["reasons"]) for c in body["items"]] == [(first.number, ["similar_event"])]
    assert body["items"][0]["similarity"] >= 0.4
    # Outside the window, or about something else: not a duplicate.
    far = (
        api(cast.investigator)
        .post("/api/v1/intake/duplicates", json={"summary": SUMMARY, "occurred_on": "2026-10-01"})
        .get_json()
    )
    assert far["items"] == []
    other = (
        api(cast.investigator)
        .post(
            "/api/v1/intake/duplicates",
            json={
                "summary": "Mengunggah foto bersama simbol jari calon gubernur di akun pribadi.",
                "occurred_on": "2026-11-10",
            },
        )
        .get_json()
    )
    assert other["items"] == []


def test_the_fallback_compares_shared_words():
    assert word_similarity("Kepala dinas hadir kampanye", "kepala DINAS hadir kampanye!") == 1.0
    assert word_similarity("Kepala dinas hadir kampanye", "foto bersama simbol jari") == 0.0
    assert word_similarity("", "apa saja") == 0.0


def test_case_creation_records_the_duplicates_it_was_created_beside(api):
    cast = make_cast()
    first = case_in(cast, S.REPORTED)
    created = api(cast.investigator).post("/api/v1/cases", json=new_case_payload(cast.agency.id))
    assert created.status_code == 201, created.get_json()
    assert created.headers["X-Possible-Duplicates"] == "1"
    override = db.session.scalar(select(DuplicateOverride).where(DuplicateOverride.case_id == created.get_json()["id"]))
    assert override is not None and [c["label"] for c in override.candidates] == [first.number]


def test_the_new_case_form_shows_duplicates_before_saving_and_saves_when_confirmed(app):
    from tests.factories import PASSWORD, csrf_token  # noqa: PLC0415
    from tests.quality.conftest import Pages  # noqa: PLC0415 - the page client of the quality suite

    cast = make_cast()
    first = case_in(cast, S.REPORTED)
    pages = Pages(app.test_client(), PASSWORD)
    pages.login(cast.investigator)
    page = pages.get("/cases/new").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(page),
        "agency_id": str(cast.agency.id),
        "category": "netralitas",
        "source": "public",
        "reported_person.name": "Budi Santoso",
        "reported_person.nip": NIPS[0],
        "summary": "Mengunggah dukungan kepada bakal calon di media sosial.",
        "occurred_on": "2026-09-14",
    }
    shown = pages.post("/cases/new", form)
    assert shown.status_code == 409
    html = shown.get_data(as_text=True)
    assert "Kemungkinan duplikat" in html and first.number in html
    assert db.session.scalar(select(func.count(Case.id))) == 1
    saved = pages.post("/cases/new", {**form, "csrf_token": csrf_token(html), "allow_duplicates": "1"})
    assert saved.status_code == 303
    assert db.session.scalar(select(func.count(Case.id))) == 2
    assert db.session.scalar(select(func.count(DuplicateOverride.id))) == 1


def test_the_same_idempotency_key_twice_returns_one_case(api):
    cast = make_cast()
    investigator = api(cast.investigator)
    headers = {"Idempotency-Key": "laporan-bawaslu-2026-0001"}
    first = investigator.post("/api/v1/cases", json=new_case_payload(cast.agency.id), headers=headers)
    second = investigator.post(
        "/api/v1/cases", json=new_case_payload(cast.agency.id, summary="Dikirim ulang oleh klien."), headers=headers
    )
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert db.session.scalar(select(func.count(Case.id))) == 1
    # Another key, or another user with the same key: another case.
    other = investigator.post("/api/v1/cases", json=new_case_payload(cast.agency.id), headers={"Idempotency-Key": "x"})
    colleague = api(cast.commissioner).post("/api/v1/cases", json=new_case_payload(cast.agency.id), headers=headers)
    assert len({first.get_json()["id"], other.get_json()["id"], colleague.get_json()["id"]}) == 3
    bad = investigator.post(
        "/api/v1/cases", json=new_case_payload(cast.agency.id), headers={"Idempotency-Key": "x" * 201}
    )
    assert bad.status_code == 422
    assert "Idempotency-Key" in bad.get_json()["error"]["details"]["fields"]


@pytest.mark.postgres
def test_the_same_idempotency_key_at_once_creates_one_case(app, token_for):
    """Eight requests with one key, released together from eight threads (eight connections): one case, and every
    answer names it."""
    cast = make_cast()
    token = token_for(cast.investigator)
    payload = new_case_payload(cast.agency.id)
    barrier = threading.Barrier(8)
    answers: list[tuple[int, int | None]] = []
    lock = threading.Lock()

    def send() -> None:
        client = app.test_client()
        barrier.wait()
        with app.app_context():
            response = client.post(
                "/api/v1/cases",
                json=payload,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "gelombang-1"},
            )
            with lock:
                answers.append((response.status_code, (response.get_json() or {}).get("id")))
            db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [status for status, _ in answers] == [201] * 8, answers
    assert len({case_id for _, case_id in answers}) == 1
    assert db.session.scalar(select(func.count(Case.id))) == 1
