"""The check before a promotion: a selection panel sends its candidates' NIPs (JSON, or a CSV file) and the purpose,
and gets per candidate no record or the decided cases within the period the rules set (app/people/rules.py),
with state and sanctions, as JSON, CSV or PDF; every check is logged. The panel never reads a reporter, the
evidence, the summary, or a case the authority has not decided."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.db import db
from app.models.people import RecordLookup, RecordLookupNip
from tests.factories import NIP, S, advance, case_in, make_cast, make_user, upload

IN_PROCESS = "197001011995031002"
UNDER_REVIEW = "198512122010122003"
DISMISSED = "199003032019031004"
UNKNOWN = "198609262015051005"
OLD = "197505052000031001"
PURPOSE = "Seleksi terbuka JPT Pratama Sekretaris Daerah 2026"


def _person(nip: str, name: str = "Calon") -> dict:
    return {"name": name, "nip": nip, "position": "Kepala Dinas"}


@pytest.fixture
def world():
    cast = make_cast()
    done = case_in(cast, S.UNDER_REVIEW)
    upload(done, cast.investigator, purpose="evidence", name="bukti-rahasia.pdf")
    cases = {
        "done": advance(done, cast, S.COMPLETED),
        "in_process": case_in(cast, S.AWAITING_FOLLOW_UP, reported_person=_person(IN_PROCESS, "Dewi")),
        "review": case_in(cast, S.UNDER_REVIEW, reported_person=_person(UNDER_REVIEW)),
        "dismissed": case_in(cast, S.DISMISSED, reported_person=_person(DISMISSED)),
    }
    cast.cases = cases
    return cast


def _check(client, cast, nips, fmt="json", **extra):
    body = {"nips": nips, "purpose": PURPOSE, **extra}
    return client.post(f"/api/v1/people/checks?format={fmt}", json=body, headers=cast.headers("panel"))


def test_a_check_of_five_nips_answers_exactly_the_records_and_is_logged(client, world):
    panel = make_user("panel", name="Panitia Seleksi Nasional")
    world.issue_tokens(panel=panel)
    nips = [NIP, IN_PROCESS, UNDER_REVIEW, DISMISSED, UNKNOWN]
    response = _check(client, world, nips)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["scope"] == "national" and body["years"] == 3 and body["rule"] == "jpt"
    assert body["period_to"] == "2026-11-18" and body["period_from"] == "2023-11-18"
    assert body["sources"] and all(s["url"].startswith("http") for s in body["sources"])
    by_nip = {item["nip"]: item for item in body["items"]}
    assert [item["nip"] for item in body["items"]] == nips
    assert {nip for nip, item in by_nip.items() if item["has_record"]} == {NIP, IN_PROCESS}
    done = by_nip[NIP]["cases"]
    assert [c["number"] for c in done] == [world.cases["done"].number]
    assert done[0]["status"] == "completed" and done[0]["counts"] is True
    assert done[0]["sanctions_imposed"][0]["sanction"] == "disiplin_sedang"
    assert done[0]["serving_until"] == "2027-05-18" and done[0]["serving"] is True  # 6 months (PP 94/2021 Ps 8)
    process = by_nip[IN_PROCESS]["cases"][0]
    assert process["in_process"] is True and process["counts"] is True and process["sanctions_imposed"] == []
    for nip in (UNDER_REVIEW, DISMISSED, UNKNOWN):
        assert by_nip[nip] == {
            "nip": nip, "name": None, "has_record": False, "counts_against": False,
            "verdict_label": "Tidak ada catatan", "cases": [],
        }  # fmt: skip
    raw = response.get_data(as_text=True)
    for secret in ("Siti Pelapor", "siti@example.org", "bukti-rahasia", "Mengunggah dukungan", "summary"):
        assert secret not in raw
    lookup = db.session.scalar(select(RecordLookup).where(RecordLookup.kind == "check"))
    assert (lookup.user_id, lookup.role, lookup.purpose, lookup.nip_count) == (panel.id, "panel", PURPOSE, 5)
    asked = dict(db.session.execute(select(RecordLookupNip.nip, RecordLookupNip.had_record)).all())
    assert asked == {NIP: True, IN_PROCESS: True, UNDER_REVIEW: False, DISMISSED: False, UNKNOWN: False}
    # The person's record (for the authority) and the administrators' log show the check.
    world.issue_tokens(admin=world.admin, investigator=world.investigator)
    record = client.get(f"/api/v1/people/{NIP}", headers=world.headers("investigator")).get_json()
    assert [(r["kind"], r["purpose"], r["user_name"]) for r in record["lookups"]] == [
        ("check", PURPOSE, "Panitia Seleksi Nasional")
    ]
    log = client.get("/api/v1/people/lookups?kind=check", headers=world.headers("admin")).get_json()["items"]
    assert [(row["purpose"], row["nips"]) for row in log] == [(PURPOSE, sorted(nips))]


def test_the_period_is_data_and_a_case_outside_it_is_no_record(client, world):
    old = case_in(world, S.COMPLETED, at=datetime(2022, 3, 9, 3, 0, tzinfo=UTC), occurred_on="2022-02-01",
                  reported_person=_person(OLD))  # fmt: skip
    world.issue_tokens(panel=make_user("panel"))
    three = _check(client, world, [OLD]).get_json()["items"][0]
    assert three["has_record"] is False
    five = _check(client, world, [OLD], years=5).get_json()["items"][0]
    assert [c["number"] for c in five["cases"]] == [old.number]
    assert five["cases"][0]["serving"] is False
    bad = _check(client, world, [OLD], years=40)
    assert bad.status_code == 422 and "years" in bad.get_json()["error"]["details"]["fields"]


def test_an_agency_panel_reads_its_agency_and_the_people_now_in_it(client):
    cast = make_cast()
    moved = "197505052000031001"
    elsewhere = "198512122010122003"
    # Dewi's sanction was in the other agency; she has since moved to the panel's agency (her newest case).
    sanctioned = case_in(cast, S.COMPLETED, agency=cast.other_agency, reported_person=_person(moved, "Dewi"))
    case_in(cast, S.UNDER_REVIEW, reported_person=_person(moved, "Dewi"))
    stranger = case_in(cast, S.COMPLETED, agency=cast.other_agency, reported_person=_person(elsewhere, "Eko"))
    own = case_in(cast, S.AWAITING_FOLLOW_UP)
    cast.issue_tokens(panel=make_user("panel", agency=cast.agency), national=make_user("panel"))
    body = _check(client, cast, [moved, elsewhere, NIP]).get_json()
    assert body["scope"] == "agency" and body["scope_label"] == cast.agency.name
    found = {item["nip"]: [c["number"] for c in item["cases"]] for item in body["items"]}
    assert found == {moved: [sanctioned.number], elsewhere: [], NIP: [own.number]}
    national = client.post("/api/v1/people/checks", json={"nips": [elsewhere], "purpose": PURPOSE},
                           headers=cast.headers("national")).get_json()  # fmt: skip
    assert [c["number"] for c in national["items"][0]["cases"]] == [stranger.number]


@pytest.mark.parametrize("role", ["investigator", "commissioner", "admin", "ppk", "overseer", "forwarder"])
def test_only_a_panel_checks(client, world, role):
    user = make_user("forwarder") if role == "forwarder" else world.user(role)
    world.issue_tokens(me=user)
    response = client.post("/api/v1/people/checks", json={"nips": [NIP], "purpose": PURPOSE},
                           headers=world.headers("me"))  # fmt: skip
    assert response.status_code == 403
    assert db.session.scalar(select(RecordLookup)) is None


def test_bad_input_names_every_field(client, world):
    world.issue_tokens(panel=make_user("panel"))
    response = client.post("/api/v1/people/checks", json={"nips": ["123", NIP], "purpose": "", "rule": "x"},
                           headers=world.headers("panel"))  # fmt: skip
    assert response.status_code == 422
    fields = response.get_json()["error"]["details"]["fields"]
    assert set(fields) == {"nips", "purpose", "rule"}
    assert fields["nips"][0].startswith("123: NIP harus 18 digit")
    assert db.session.scalar(select(RecordLookup)) is None


def test_a_csv_of_nips_in_and_csv_and_pdf_out(client, world):
    world.issue_tokens(panel=make_user("panel"))
    upload_csv = f"nama,nip\nBudi,{NIP}\nDewi,{IN_PROCESS}\nEko,{UNKNOWN}\n"
    response = client.post(
        "/api/v1/people/checks?format=csv",
        data={"file": (io.BytesIO(upload_csv.encode()), "calon.csv"), "purpose": PURPOSE},
        content_type="multipart/form-data",
        headers=world.headers("panel"),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="pemeriksaan-rekam-jejak-')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["nip"], r["ada_catatan"], r["nomor_perkara"]) for r in rows] == [
        (NIP, "ya", world.cases["done"].number),
        (IN_PROCESS, "ya", world.cases["in_process"].number),
        (UNKNOWN, "tidak", ""),
    ]
    assert rows[0]["nomor_sk"] == "SK 862/45/2026" and rows[0]["menjalani_sampai"] == "2027-05-18"
    pdf = _check(client, world, [NIP, UNKNOWN], fmt="pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    squeezed = "".join(text.split())  # table cells wrap
    assert world.cases["done"].number in squeezed and UNKNOWN in squeezed and "Tidakadacatatan" in squeezed
    assert "Siti Pelapor" not in text
    assert db.session.scalar(select(db.func.count()).select_from(RecordLookup)) == 2
