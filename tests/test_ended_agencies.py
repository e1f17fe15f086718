"""Agencies that ended (issue 19): the reference data carries their end and successor; a new case for an agency
that ended by the reporting day is refused (API, page, import) naming the rule and the successor; its open cases
keep working and say who took over; the admin form sets both; the IM-NKK does not rank it in the years after."""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from app.agencies.reference import REFERENCE_CSV, ReferenceDataError, load_reference, read_reference
from app.cases.importing import import_file
from app.core.states import CaseStatus
from app.db import db, unit_of_work
from app.index import services as index_services
from app.models.agencies import Agency
from app.models.cases import Case
from tests import factories
from tests.importing.helpers import COLUMNS, case_row
from tests.index.builders import at, followed
from tests.web.conftest import Pages

S = CaseStatus


def _text(response) -> str:
    return response.get_data(as_text=True)


def _signed_in(app, user) -> Pages:
    pages = Pages(app.test_client())
    assert pages.login(user).status_code == 302
    return pages


@pytest.fixture
def ended(make_agency):
    """BRIN, and LAPAN that ended into it on 1 September 2021 (as the reference data says)."""
    brin = make_agency(code="BRIN-T", name="Badan Riset dan Inovasi Nasional", kind="lembaga")
    lapan = make_agency(
        code="LAPAN-T",
        name="Lembaga Penerbangan dan Antariksa Nasional",
        kind="lembaga",
        ended_on=date(2021, 9, 1),
        successor_id=brin.id,
    )
    return lapan, brin


# -- the reference data -------------------------------------------------------------------------------------------


def test_the_reference_data_names_the_agencies_that_ended_and_who_took_over():
    rows = {r.code: r for r in read_reference()}
    for code in ("LAPAN", "LIPI", "BPPT", "BATAN"):  # Perpres 33/2021 and 78/2021: integrated on 1 September 2021
        assert (rows[code].ended_on, rows[code].successor_code) == (date(2021, 9, 1), "BRIN"), code
    assert (rows["BP2MI"].ended_on, rows["BP2MI"].successor_code) == (date(2024, 10, 21), "KP2MI")
    assert (rows["SETKAB"].ended_on, rows["SETKAB"].successor_code) == (date(2024, 10, 21), "KEMENSETNEG")
    assert (rows["KASN"].ended_on, rows["KASN"].successor_code) == (date(2024, 8, 23), "BKN")  # authorities.json
    assert rows["KEMENKUMHAM"].successor_code == "KEMENKUM" and rows["KEMENKUMHAM"].ended_on == date(2024, 10, 21)
    ended = [r for r in rows.values() if r.ended_on]
    assert all(r.successor_code in rows and r.successor_code != r.code for r in ended)
    assert all("Perpres" in r.source or "UU" in r.source for r in ended)
    # The heads the PPK rule names beside ministers and LPNK heads (PP 11/2017 jo. PP 17/2020 Ps 3).
    assert {"BIN", "POLRI", "KPPU"} <= set(rows)
    assert all(len(r.source) <= 200 and r.source for r in rows.values())
    current = [r for r in rows.values() if not r.ended_on]
    assert sum(r.kind == "kementerian" for r in current) == 48  # Kabinet Merah Putih
    assert len(current) == 38 + 508 + 48 + 46


def test_loading_sets_the_end_and_keeps_an_end_an_admin_recorded():
    with unit_of_work():
        first = load_reference()
    assert first["ended"] == sum(1 for r in read_reference() if r.ended_on)
    lapan = db.session.scalar(select(Agency).where(Agency.code == "LAPAN"))
    brin = db.session.scalar(select(Agency).where(Agency.code == "BRIN"))
    assert (lapan.ended_on, lapan.successor_id) == (date(2021, 9, 1), brin.id)
    assert lapan.is_active  # its cases keep working

    bnpb = db.session.scalar(select(Agency).where(Agency.code == "BNPB"))
    bnpb.ended_on, bnpb.successor_id = date(2030, 1, 1), brin.id  # an admin's record; the file says nothing
    db.session.commit()
    with unit_of_work():
        again = load_reference()
    assert (again["created"], again["updated"]) == (0, 0)
    db.session.refresh(bnpb)
    assert (bnpb.ended_on, bnpb.successor_id) == (date(2030, 1, 1), brin.id)


def test_an_end_without_a_date_or_with_an_unknown_successor_is_refused(tmp_path):
    header = REFERENCE_CSV.read_text(encoding="utf-8").splitlines()[0]
    bad = tmp_path / "agencies.csv"
    bad.write_text(
        f"{header}\nX1,Instansi Satu,lembaga,Asia/Jakarta,,Kepala,uji,,X2\nX2,Dua,lembaga,Asia/Jakarta,,K,uji,,\n"
    )
    with pytest.raises(ReferenceDataError, match="tanpa tanggal berakhir"):
        read_reference(bad)
    bad.write_text(f"{header}\nX1,Instansi Satu,lembaga,Asia/Jakarta,,Kepala,uji,2021-09-01,NOPE\n")
    with pytest.raises(ReferenceDataError, match="NOPE"):
        read_reference(bad)
    bad.write_text(f"{header}\nX1,Instansi Satu,lembaga,Asia/Jakarta,,Kepala,uji,1-9-2021,\n")
    with pytest.raises(ReferenceDataError, match="tanggal berakhir"):
        read_reference(bad)


def test_the_cli_says_how_many_ended_and_marks_them(runner):
    result = runner.invoke(args=["agencies", "load-reference"])
    assert result.exit_code == 0, result.output
    assert "di antaranya berakhir" in result.output
    listing = runner.invoke(args=["agencies", "list", "--kind", "lembaga"])
    assert "LAPAN" in listing.output and "(berakhir 2021-09-01)" in listing.output


# -- new cases ----------------------------------------------------------------------------------------------------


def test_the_api_refuses_a_new_case_for_an_ended_agency_naming_the_rule_and_the_successor(api, ended):
    lapan, brin = ended
    cast = factories.make_cast(agency=lapan)
    response = api(cast.investigator).post("/api/v1/cases", json=factories.new_case_payload(lapan.id))

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["details"]["rule"] == "agency_ended"
    assert error["details"]["successor"] == {"id": brin.id, "code": brin.code, "name": brin.name}
    assert error["details"]["ended_on"] == "2021-09-01"
    assert "sudah berakhir sejak 1 September 2021" in error["message"]
    assert "aturan: instansi berakhir" in error["message"]
    assert f"diambil alih oleh {brin.name}" in error["message"]
    assert "agency_id" in error["details"]["fields"]
    assert db.session.scalar(select(func.count(Case.id))) == 0
    assert api(cast.investigator).post("/api/v1/cases", json=factories.new_case_payload(brin.id)).status_code == 201


def test_the_end_is_the_reporting_day_in_the_agencys_own_zone(api, make_agency):
    """Ending on 19 November: at 00.30 WIT on that day a Jayapura agency is gone, a Jakarta one (22.30 WIB on the
    18th) still takes the case; the day before, both do."""
    wit = make_agency(timezone="Asia/Jayapura", kind="provinsi", ended_on=date(2026, 11, 19))
    wib = make_agency(ended_on=date(2026, 11, 19))
    client = api(factories.make_user("investigator"))
    assert client.post("/api/v1/cases", json=factories.new_case_payload(wit.id)).status_code == 201
    with time_machine.travel(datetime(2026, 11, 18, 15, 30, tzinfo=UTC), tick=False):
        client = api(factories.make_user("investigator"))  # a token of that moment
        refused = client.post("/api/v1/cases", json=factories.new_case_payload(wit.id))
        taken = client.post("/api/v1/cases", json=factories.new_case_payload(wib.id))
    assert refused.status_code == 422 and "Tidak ada instansi pengganti" in refused.get_json()["error"]["message"]
    assert taken.status_code == 201


def test_the_new_case_page_does_not_offer_an_ended_agency_and_refuses_one(app, ended):
    lapan, brin = ended
    cast = factories.make_cast(agency=brin)
    pages = _signed_in(app, cast.investigator)
    html = _text(pages.get("/cases/new"))
    picker = re.search(r'<select[^>]*name="agency_id".*?</select>', html, re.S)  # not the assignee's list
    assert picker is not None
    assert f'value="{brin.id}"' in picker.group(0) and f'value="{lapan.id}"' not in picker.group(0)

    form = {
        "agency_id": str(lapan.id),
        "category": "netralitas",
        "subcategory": "kampanye_medsos",
        "source": "bawaslu",
        "reported_person.name": "Budi Santoso",
        "reported_person.nip": factories.NIP,
        "summary": "Mengunggah dukungan kepada bakal calon di media sosial.",
        "occurred_on": "2026-09-14",
    }
    refused = pages.post("/cases/new", form, page="/cases/new")
    assert refused.status_code == 422
    assert "sudah berakhir sejak 1 September 2021" in _text(refused)
    assert brin.name in _text(refused)
    # The case list's filter still names it (its cases stay), marked as ended.
    assert f"{lapan.name} (berakhir)" in _text(pages.get("/cases"))


def test_the_import_refuses_a_row_reported_after_the_end_and_takes_one_reported_before(tmp_path, ended):
    lapan, brin = ended
    path = tmp_path / "lapan.csv"
    rows = [
        case_row("L-1", lapan.code, **{"Tanggal Laporan": "2021-08-31"}),
        case_row("L-2", lapan.code, **{"Tanggal Laporan": "2021-09-01", "Tanggal Kejadian": "2021-08-30"}),
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    result = import_file(path, actor=None, report_path=tmp_path / "errors.csv")
    db.session.commit()

    assert (result.imported, result.failed) == (1, 1)
    (error,) = result.errors
    message = " ".join(error.messages)
    assert error.row == 3 and "sudah berakhir sejak 1 September 2021" in message and brin.name in message


# -- open cases of an ended agency ---------------------------------------------------------------------------------


def test_open_cases_keep_working_and_name_the_successor(app, api, make_agency):
    bp2mi = make_agency(code="BP2MI-T", name="Badan Pelindungan Pekerja Migran Indonesia", kind="lembaga")
    kp2mi = make_agency(code="KP2MI-T", name="Kementerian Pelindungan Pekerja Migran Indonesia")
    cast = factories.make_cast(agency=bp2mi)
    case = factories.case_in(cast, S.AWAITING_FOLLOW_UP, at=datetime(2026, 10, 1, 3, tzinfo=UTC))
    bp2mi.ended_on, bp2mi.successor_id = date(2026, 11, 1), kp2mi.id
    db.session.commit()

    detail = api(cast.investigator).get(f"/api/v1/cases/{case.id}").get_json()
    assert detail["agency"]["ended_on"] == "2026-11-01"
    assert detail["agency"]["successor"] == {"id": kp2mi.id, "code": kp2mi.code, "name": kp2mi.name}
    html = _text(_signed_in(app, cast.investigator).get(f"/cases/{case.id}"))
    assert 'id="agency-successor"' in html
    assert f"tugasnya diambil alih oleh {kp2mi.name}" in html and "1 November 2026" in html

    factories.advance(case, cast, S.FOLLOW_UP_REPORTED)  # the PPK still reports the follow-up
    factories.advance(case, cast, S.COMPLETED)
    assert case.status == S.COMPLETED.value


def test_the_api_agency_list_says_the_end_and_can_leave_ended_agencies_out(api, ended):
    lapan, brin = ended
    user = factories.make_user("investigator")
    items = api(user).get("/api/v1/agencies?limit=100").get_json()["items"]
    by_id = {i["id"]: i for i in items}
    assert by_id[lapan.id]["ended_on"] == "2021-09-01"
    assert by_id[lapan.id]["successor"] == {"id": brin.id, "code": brin.code, "name": brin.name}
    assert by_id[brin.id]["ended_on"] is None and by_id[brin.id]["successor"] is None
    current = api(user).get("/api/v1/agencies?limit=100&current=true").get_json()["items"]
    assert brin.id in {i["id"] for i in current} and lapan.id not in {i["id"] for i in current}


# -- the admin form -----------------------------------------------------------------------------------------------


def test_the_admin_form_sets_the_end_and_the_successor(app, make_agency):
    brin = make_agency(code="BRIN-A", name="Badan Riset dan Inovasi Nasional", kind="lembaga")
    batan = make_agency(code="BATAN-A", name="Badan Tenaga Nuklir Nasional", kind="lembaga")
    pages = _signed_in(app, factories.make_user("admin"))
    url = f"/admin/agencies/{batan.id}"
    page = _text(pages.get(url))
    assert 'name="ended_on"' in page and 'name="successor_id"' in page
    assert f'<option value="{batan.id}"' not in page  # never its own successor

    base = {"name": batan.name, "kind": "lembaga", "timezone": "Asia/Jakarta", "ppk_title": "Kepala BATAN"}
    alone = pages.post(url, {**base, "successor_id": str(brin.id)}, page=url)
    assert alone.status_code == 422 and "bersama tanggal berakhir" in _text(alone)
    itself = pages.post(url, {**base, "ended_on": "2021-09-01", "successor_id": str(batan.id)}, page=url)
    assert itself.status_code == 422 and "Instansi pengganti tidak sah." in _text(itself)

    done = pages.post(url, {**base, "ended_on": "2021-09-01", "successor_id": str(brin.id)}, page=url)
    assert done.status_code == 303
    db.session.expire_all()
    batan = db.session.get(Agency, batan.id)
    assert (batan.ended_on, batan.successor_id) == (date(2021, 9, 1), brin.id)
    assert "Berakhir 1 September 2021" in _text(pages.get("/admin/agencies?q=nuklir"))


# -- IM-NKK -------------------------------------------------------------------------------------------------------


def test_the_index_does_not_rank_an_agency_in_the_years_after_its_end(make_agency):
    as_of = datetime(2027, 3, 1, tzinfo=UTC)
    kept = make_agency(name="Instansi Tetap")
    gone = make_agency(name="Instansi Lebur", ended_on=date(2025, 7, 1))
    gone_new_year = make_agency(name="Instansi Lebur Awal Tahun", ended_on=date(2026, 1, 1))
    for agency in (kept, gone, gone_new_year):
        followed(agency, at(2025, 2, 1))
    followed(gone, at(2026, 3, 1))  # a case reported before its end, recommended after it

    in_2025 = {i["agency_id"]: i for i in index_services.compute_index(2025, as_of=as_of)["items"]}
    assert in_2025[gone.id]["rank"] == 1 and not in_2025[gone.id]["ended"]  # it ended during 2025: ranked
    assert in_2025[gone_new_year.id]["rank"] == 1  # still existed on every day of 2025

    in_2026 = {i["agency_id"]: i for i in index_services.compute_index(2026, as_of=as_of)["items"]}
    assert gone_new_year.id not in in_2026  # no data, no longer there
    assert in_2026[gone.id]["ended"] and in_2026[gone.id]["rank"] is None  # listed for its data, never ranked
    assert in_2026[gone.id]["ended_on"] == "2025-07-01"
    assert in_2026[kept.id]["rank"] is None and not in_2026[kept.id]["ended"]  # nothing in 2026: listed, unranked
    in_2027 = {i["agency_id"] for i in index_services.compute_index(2027, as_of=as_of)["items"]}
    assert gone.id not in in_2027 and kept.id in in_2027
