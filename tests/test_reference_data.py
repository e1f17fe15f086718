"""The reference agencies: counts, provinces, time zones, idempotent loading and the CLI."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from app.agencies.reference import REFERENCE_CSV, ReferenceDataError, load_reference, read_reference
from app.db import db, unit_of_work
from app.models.agencies import Agency

WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96"}  # Maluku, Maluku Utara, the six Papua provinces
WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
PILOT_CODES = {
    "KEMENAG", "ATRBPN", "KEMENKEU", "KEMENHUB", "BPOM", "BSSN", "ANRI", "LAPAN",
    "PROV-11", "PROV-32", "PROV-34", "PROV-51", "PROV-31", "PROV-14", "PROV-19", "PROV-82",
}  # fmt: skip


@pytest.fixture(scope="module")
def rows():
    return read_reference()


def _province_of(row) -> str:
    code = row.code if row.kind == "provinsi" else row.parent_code
    return code.removeprefix("PROV-")


def test_thirty_eight_provinces_with_their_kemendagri_codes(rows):
    provinces = {r.code: r for r in rows if r.kind == "provinsi"}
    assert len(provinces) == 38
    assert provinces["PROV-32"].name == "Provinsi Jawa Barat"
    assert provinces["PROV-96"].name == "Provinsi Papua Barat Daya"
    assert {"PROV-93", "PROV-94", "PROV-95"} <= set(provinces)
    assert all(r.ppk_title == "Gubernur" and r.parent_code is None for r in provinces.values())


def test_five_hundred_eight_autonomous_kabupaten_and_kota(rows):
    kinds = Counter(r.kind for r in rows)
    assert kinds["kabupaten"] == 415
    assert kinds["kota"] == 93
    assert kinds["kabupaten"] + kinds["kota"] == 508
    # DKI Jakarta's administrative kabupaten and kota have no PPK of their own.
    assert not [r for r in rows if r.parent_code == "PROV-31"]


@pytest.mark.parametrize(
    ("province", "kabupaten", "kota"),
    [("32", 18, 9), ("33", 29, 6), ("35", 29, 9), ("91", 8, 1), ("11", 18, 5), ("12", 25, 8), ("96", 5, 1)],
)
def test_per_province_counts(rows, province, kabupaten, kota):
    regional = Counter(r.kind for r in rows if r.parent_code == f"PROV-{province}")
    assert (regional["kabupaten"], regional["kota"]) == (kabupaten, kota)


def test_codes_follow_the_kemendagri_scheme(rows):
    for r in rows:
        if r.kind == "kabupaten":
            assert r.code.startswith("KAB-")
            assert r.code[4:6] == r.parent_code[5:]
            assert len(r.code) == 8
            assert r.ppk_title == "Bupati"
        elif r.kind == "kota":
            assert r.code.startswith("KOTA-")
            assert r.code[5:7] == r.parent_code[5:]
            assert len(r.code) == 9
            assert r.ppk_title == "Wali Kota"
    by_code = {r.code: r for r in rows}
    assert by_code["KAB-3201"].name == "Kabupaten Bogor"
    assert by_code["KOTA-3273"].name == "Kota Bandung"


def test_time_zones_by_province(rows):
    for r in rows:
        if r.kind in ("kementerian", "lembaga"):
            assert r.timezone == "Asia/Jakarta", r.code
            continue
        province = _province_of(r)
        if province in WIT_PROVINCES:
            assert r.timezone == "Asia/Jayapura", r.code
        elif province in WITA_PROVINCES:
            assert r.timezone == "Asia/Makassar", r.code
        else:
            assert r.timezone in ("Asia/Jakarta", "Asia/Pontianak"), r.code


def test_codes_unique_and_pilot_agencies_present(rows):
    codes = [r.code for r in rows]
    assert len(codes) == len(set(codes))
    assert set(codes) >= PILOT_CODES
    central = Counter(r.kind for r in rows if r.kind in ("kementerian", "lembaga"))
    assert central["kementerian"] >= 34
    assert central["lembaga"] >= 30
    assert all(r.source for r in rows)


def test_load_sets_parents_and_is_idempotent(app):
    with unit_of_work():
        first = load_reference()
    assert first["created"] == first["total"] == db.session.scalar(select(func.count(Agency.id)))
    bogor = db.session.scalar(select(Agency).where(Agency.code == "KAB-3201"))
    assert bogor.parent.code == "PROV-32"
    assert bogor.timezone == "Asia/Jakarta"
    assert bogor.kind == "kabupaten"
    assert bogor.source

    orphan = db.session.scalar(
        select(func.count(Agency.id)).where(Agency.kind.in_(("kabupaten", "kota")), Agency.parent_id.is_(None))
    )
    assert orphan == 0

    # An admin sets the PPK's email and (by mistake) edits the zone: the reload restores the zone only.
    bogor.ppk_email = "ppk@bogorkab.go.id"
    bogor.timezone = "Asia/Makassar"
    db.session.commit()
    with unit_of_work():
        second = load_reference()
    assert second["created"] == 0
    assert second["updated"] == 1
    db.session.refresh(bogor)
    assert bogor.ppk_email == "ppk@bogorkab.go.id"
    assert bogor.timezone == "Asia/Jakarta"

    with unit_of_work():
        third = load_reference()
    assert (third["created"], third["updated"], third["unchanged"]) == (0, 0, third["total"])
    assert db.session.scalar(select(func.count(Agency.id))) == first["total"]


def test_malformed_file_is_refused(tmp_path):
    bad = tmp_path / "agencies.csv"
    lines = REFERENCE_CSV.read_text(encoding="utf-8").splitlines()[:3]
    bad.write_text("\n".join([*lines, "KAB-9999,Kabupaten Khayalan,kabupaten,Asia/Jakarta,PROV-00,Bupati,uji"]) + "\n")
    with pytest.raises(ReferenceDataError, match="PROV-00"):
        read_reference(bad)
    bad.write_text("\n".join([lines[0], "X,Nama,desa,Asia/Jakarta,,Kepala,uji"]) + "\n")
    with pytest.raises(ReferenceDataError, match="jenis"):
        read_reference(bad)


def test_cli_load_and_list(runner):
    result = runner.invoke(args=["agencies", "load-reference"])
    assert result.exit_code == 0, result.output
    assert "Pemerintah Provinsi" in result.output
    assert "   38\n" in result.output
    assert f"Baru {len(read_reference())}, diperbarui 0" in result.output
    again = runner.invoke(args=["agencies", "load-reference"])
    assert "Baru 0, diperbarui 0" in again.output
    listing = runner.invoke(args=["agencies", "list", "--kind", "provinsi"])
    assert listing.exit_code == 0
    assert "PROV-94" in listing.output
    assert "WIT" in listing.output
    assert "38 instansi." in listing.output
