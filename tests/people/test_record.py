"""A person, not a string: cases link to the civil servant of their NIP (created from the case, kept up to date,
backfilled by migration 0015), a mistyped NIP merges into the right person with history, and the record
(`GET /api/v1/people/<nip>`) shows every case the caller may see, across agencies, with the role × agency rules
of app/cases/access.py: 404 for an unknown NIP or a person the caller may not see."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from app.audit.verify import run_audit
from app.db import db
from app.models.cases import Case, CaseHistory
from app.models.people import Person, RecordLookup, RecordLookupNip, link_cases
from tests.factories import NIP, S, case_in, make_cast, make_user, upload

OTHER_NIP = "197001011995031002"
TYPO_NIP = "198609262015051009"


def _person(nip: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.nip == nip))


def test_a_new_case_creates_its_person_and_a_later_case_updates_it():
    cast = make_cast()
    first = case_in(cast, S.REPORTED)
    person = _person(NIP)
    assert person is not None and first.person_id == person.id
    assert (person.name, person.position, person.agency_id, person.employment_type) == (
        "Budi Santoso", "Analis Kepegawaian", cast.agency.id, "pns",
    )  # fmt: skip
    moved = case_in(
        cast, S.REPORTED, agency=cast.other_agency,
        reported_person={"name": "Budi Santoso, S.H.", "nip": NIP, "position": "Kepala Bagian Umum"},
    )  # fmt: skip
    db.session.refresh(person)
    assert moved.person_id == person.id
    assert (person.name, person.position, person.agency_id) == ("Budi Santoso, S.H.", "Kepala Bagian Umum",
                                                                cast.other_agency.id)  # fmt: skip
    assert db.session.scalar(select(db.func.count()).select_from(Person)) == 1
    # Linking is no edit: the case's version and history did not move.
    assert first.version == 1
    assert [r.event for r in db.session.scalars(select(CaseHistory).where(CaseHistory.case_id == first.id))] == [
        "create"
    ]


def test_two_cases_of_one_nip_in_two_agencies_are_one_record(client):
    cast = make_cast()
    cast.issue_tokens()
    own = case_in(cast, S.COMPLETED)
    other = case_in(cast, S.AWAITING_FOLLOW_UP, agency=cast.other_agency)
    body = client.get(f"/api/v1/people/{NIP}", headers=cast.headers("investigator")).get_json()
    assert body["nip"] == NIP and body["name"] == "Budi Santoso"
    assert [item["number"] for item in body["items"]] == [other.number, own.number]
    assert {item["agency"]["id"] for item in body["items"]} == {cast.agency.id, cast.other_agency.id}
    done = body["items"][1]
    assert done["recommendation"]["sanction"] == "disiplin_sedang"
    assert done["sanctions_imposed"][0]["decision_number"] == "SK 862/45/2026"
    assert done["sanctions_imposed"][0]["verdict"] == "accepted"
    # A spaced NIP finds the same person.
    spaced = client.get("/api/v1/people/19860926%20201505%201%20001", headers=cast.headers("commissioner"))
    assert spaced.status_code == 200 and len(spaced.get_json()["items"]) == 2


def test_record_shows_blocks_with_dates(client):
    cast = make_cast()
    cast.issue_tokens()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    answer = client.post(
        f"/api/v1/cases/{case.id}/blocks", json={"scope": "data", "reference": "B-1/BKN/2026", "note": "internal"},
        headers=cast.headers("investigator"),
    )  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    staff = client.get(f"/api/v1/people/{NIP}", headers=cast.headers("investigator")).get_json()
    assert [(b["reference"], b["case_number"], b["active"]) for b in staff["blocks"]] == [
        ("B-1/BKN/2026", case.number, True)
    ]
    assert staff["blocks"][0]["requested_at"]
    ppk = client.get(f"/api/v1/people/{NIP}", headers=cast.headers("ppk")).get_json()
    assert ppk["blocks"][0]["note"] is None and ppk["blocks"][0]["requested_by"] is None


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("investigator", {"own_open", "own_issued", "other_issued"}),
        ("commissioner", {"own_open", "own_issued", "other_issued"}),
        ("admin", {"own_open", "own_issued", "other_issued"}),
        ("ppk", {"own_issued"}),
        ("other_ppk", {"other_issued"}),
        ("overseer", set()),
        ("panel", set()),
        ("forwarder", set()),
    ],
)
def test_role_by_agency_matrix(client, role, sees):
    cast = make_cast()
    cases = {
        "own_open": case_in(cast, S.UNDER_REVIEW),
        "own_issued": case_in(cast, S.AWAITING_FOLLOW_UP),
        "other_issued": case_in(cast, S.AWAITING_FOLLOW_UP, agency=cast.other_agency),
    }
    upload(cases["own_issued"], cast.investigator, purpose="evidence", name="bukti.pdf")
    users = {"panel": make_user("panel"), "forwarder": make_user("forwarder")}
    user = users.get(role) or cast.user(role)
    cast.issue_tokens(me=user)
    response = client.get(f"/api/v1/people/{NIP}", headers=cast.headers("me"))
    if not sees:
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
        return
    assert response.status_code == 200
    body = response.get_json()
    numbers = {item["number"] for item in body["items"]}
    assert numbers == {cases[key].number for key in sees}
    raw = response.get_data(as_text=True)
    assert "Siti Pelapor" not in raw and "siti@example.org" not in raw and "bukti.pdf" not in raw
    assert "summary" not in raw


def test_unknown_nip_and_garbage_are_404(client):
    cast = make_cast()
    cast.issue_tokens()
    case_in(cast, S.REPORTED)
    for nip in (OTHER_NIP, "abc", "1" * 40, "%00"):
        response = client.get(f"/api/v1/people/{nip}", headers=cast.headers("investigator"))
        assert response.status_code in (404, 422), nip
        assert response.status_code == 404 or nip == "%00"


def test_each_view_is_logged_and_shown_to_the_authority_and_administrators(client):
    cast = make_cast()
    cast.issue_tokens()
    case_in(cast, S.AWAITING_FOLLOW_UP)
    assert client.get(f"/api/v1/people/{NIP}", headers=cast.headers("ppk")).status_code == 200
    assert client.get(f"/api/v1/people/{NIP}", headers=cast.headers("other_ppk")).status_code == 404
    views = list(db.session.scalars(select(RecordLookup).where(RecordLookup.kind == "view")))
    assert [(v.user_id, v.role) for v in views] == [(cast.ppk.id, "ppk")]
    assert db.session.scalar(select(RecordLookupNip.nip).where(RecordLookupNip.lookup_id == views[0].id)) == NIP
    staff = client.get(f"/api/v1/people/{NIP}", headers=cast.headers("commissioner")).get_json()
    # The looks before this one (this one is logged with it).
    assert [(row["kind"], row["role"], row["user_name"]) for row in staff["lookups"]] == [
        ("view", "ppk", cast.ppk.name)
    ]
    # A PPK never reads who else looked.
    assert client.get(f"/api/v1/people/{NIP}", headers=cast.headers("ppk")).get_json()["lookups"] == []
    log = client.get("/api/v1/people/lookups", headers=cast.headers("admin"))
    assert log.status_code == 200
    assert [row["nips"] for row in log.get_json()["items"]] == [[NIP]] * 3
    assert client.get("/api/v1/people/lookups", headers=cast.headers("commissioner")).status_code == 403


def test_a_mistyped_nip_merges_into_the_right_person_with_history(client):
    cast = make_cast()
    cast.issue_tokens()
    right = case_in(cast, S.AWAITING_FOLLOW_UP)
    typo = case_in(cast, S.AWAITING_FOLLOW_UP, agency=cast.other_agency,
                   reported_person={"name": "Budi Santoso", "nip": TYPO_NIP})  # fmt: skip
    assert _person(TYPO_NIP) is not None
    refused = client.post("/api/v1/people/merges", json={"from_nip": TYPO_NIP, "into_nip": NIP},
                          headers=cast.headers("investigator"))  # fmt: skip
    assert refused.status_code == 422 and "reason" in refused.get_json()["error"]["details"]["fields"]
    assert client.post("/api/v1/people/merges", json={"from_nip": TYPO_NIP, "into_nip": NIP, "reason": "x"},
                       headers=cast.headers("ppk")).status_code == 403  # fmt: skip
    done = client.post(
        "/api/v1/people/merges",
        json={"from_nip": TYPO_NIP, "into_nip": NIP, "reason": "Salah ketik digit terakhir pada laporan Bawaslu"},
        headers=cast.headers("investigator"),
    )
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["case_ids"] == [typo.id]
    body = client.get(f"/api/v1/people/{NIP}", headers=cast.headers("investigator")).get_json()
    assert {item["number"] for item in body["items"]} == {right.number, typo.number}
    assert body["merged_nips"] == [TYPO_NIP]
    assert body["merges"][0]["reason"].startswith("Salah ketik")
    # The mistyped NIP leads to the right person, and the case's history says what happened.
    assert client.get(f"/api/v1/people/{TYPO_NIP}", headers=cast.headers("investigator")).get_json()["nip"] == NIP
    last = db.session.scalars(
        select(CaseHistory).where(CaseHistory.case_id == typo.id).order_by(CaseHistory.seq.desc())
    ).first()
    assert last.event == "person_merged" and last.payload["into_nip"] == NIP
    # A later case reported under the mistyped NIP joins the right person at once.
    later = case_in(cast, S.REPORTED, reported_person={"name": "Budi", "nip": TYPO_NIP})
    assert later.person_id == _person(NIP).id
    # The audit chain still verifies (status and version of each case against its last row).
    assert run_audit().ok


def test_link_cases_relinks_a_case_whose_person_is_gone():
    cast = make_cast()
    case = case_in(cast, S.REPORTED)
    db.session.execute(update(Case).where(Case.id == case.id).values(person_id=None))
    db.session.execute(text("DELETE FROM people"))
    db.session.commit()
    link_cases([case.id])
    db.session.commit()
    assert db.session.scalar(select(Case.person_id).where(Case.id == case.id)) == _person(NIP).id


def _migration():
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "20261207_0015_people.py"
    spec = importlib.util.spec_from_file_location("migration_0015", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_backfills_one_person_per_nip_named_after_the_newest_case():
    cast = make_cast()
    old = case_in(cast, S.REPORTED)
    new = case_in(cast, S.REPORTED, agency=cast.other_agency,
                  reported_person={"name": "Budi S.", "nip": NIP, "position": "Camat"})  # fmt: skip
    pppk = case_in(cast, S.REPORTED, reported_person={"name": "Ani", "nip": "199501012021212001", "pppk": True})
    db.session.execute(update(Case).values(person_id=None))
    db.session.execute(text("DELETE FROM people"))
    db.session.commit()
    migration = _migration()
    db.session.execute(text(migration.BACKFILL_PEOPLE))
    db.session.execute(text(migration.BACKFILL_LINKS))
    db.session.commit()
    person = _person(NIP)
    assert (person.name, person.position, person.agency_id, person.employment_type) == (
        "Budi S.", "Camat", cast.other_agency.id, "pns",
    )  # fmt: skip
    assert _person("199501012021212001").employment_type == "pppk"
    links = dict(db.session.execute(select(Case.id, Case.person_id)).all())
    assert links[old.id] == links[new.id] == person.id and links[pppk.id] != person.id


def test_a_corrected_nip_moves_the_case_to_its_person(client):
    cast = make_cast()
    cast.issue_tokens()
    case = case_in(cast, S.UNDER_REVIEW)
    answer = client.patch(
        f"/api/v1/cases/{case.id}",
        json={"version": case.version, "reported_person": {"name": "Budi Santoso", "nip": OTHER_NIP}},
        headers=cast.headers("investigator"),
    )
    assert answer.status_code == 200, answer.get_json()
    assert db.session.scalar(select(Case.person_id).where(Case.id == case.id)) == _person(OTHER_NIP).id


def test_ppk_office_holders_and_the_one_a_recommendation_was_addressed_to(client):
    cast = make_cast()
    cast.issue_tokens()
    url = f"/api/v1/agencies/{cast.agency.id}/ppk-holders"
    refused = client.post(url, json={"name": "", "started_on": "2026-13-01"}, headers=cast.headers("admin"))
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["details"]["fields"]) == {"name", "started_on"}
    assert client.post(url, json={"name": "X", "started_on": "2025-01-01"},
                       headers=cast.headers("commissioner")).status_code == 403  # fmt: skip
    for body in (
        {"name": "Ir. Lama", "title": "Menteri", "started_on": "2019-10-23", "ended_on": "2024-10-20"},
        {"name": "Drs. Baru", "title": "Menteri", "started_on": "2024-10-21"},
        {"name": "Plt. Sementara", "title": "Plt. Menteri", "started_on": "2026-11-01", "ended_on": "2026-12-31",
         "acting": True},
    ):  # fmt: skip
        assert client.post(url, json=body, headers=cast.headers("admin")).status_code == 201
    listed = client.get(url, headers=cast.headers("investigator")).get_json()["items"]
    assert [h["name"] for h in listed] == ["Plt. Sementara", "Drs. Baru", "Ir. Lama"]
    assert listed[0]["acting"] is True
    case_in(cast, S.AWAITING_FOLLOW_UP)
    body = client.get(f"/api/v1/people/{NIP}", headers=cast.headers("investigator")).get_json()
    # The definitive holder in office on the day of issue, before an acting one the same day.
    assert body["items"][0]["recommendation"]["addressed_to"]["name"] == "Drs. Baru"
