"""Importing cases from CSV/XLSX: good rows in every state, every kind of bad row, the report, re-imports."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.audit.history import verify_case
from app.cases.importing import ImportFileError, import_file, parse_date
from app.db import db
from app.models.cases import Case, CaseHistory, Clarification, FollowUp, Recommendation
from app.models.escalations import EscalationStep
from app.models.outbox import OutboxMessage

HEADERS = [
    "Referensi", "Kode Instansi", "Kategori", "Subkategori", "Sumber", "Nama Terlapor", "NIP", "Jabatan",
    "Tanggal Kejadian (DD/MM/YYYY)", "Tanggal Laporan", "Uraian", "Nama Pelapor", "Kontak Pelapor", "Status",
    "Alasan", "Sanksi Rekomendasi", "Nomor Surat Rekomendasi", "Tanggal Rekomendasi", "Tenggat",
    "Tingkat Eskalasi", "Nomor Surat Sanggahan", "Nomor SK", "Tanggal SK", "Sanksi Dijatuhkan",
    "Tanggal Tindak Lanjut", "Keterangan Lain",
]  # fmt: skip
NIP = "198609262015051001"
NIP2 = "199001012019032002"
SUMMARY = "Mengunggah foto bersama pasangan calon dengan simbol jari di media sosial."


def row(**values: str) -> list[str]:
    base = {
        "Kode Instansi": "KAB-3201",
        "Kategori": "Netralitas ASN",
        "Sumber": "Bawaslu",
        "Nama Terlapor": "Budi Santoso",
        "NIP": NIP,
        "Jabatan": "Camat",
        "Tanggal Kejadian (DD/MM/YYYY)": "05/10/2020",
        "Tanggal Laporan": "2020-10-12",
        "Uraian": SUMMARY,
        "Status": "Laporan diterima",
    }
    base.update(values)
    return [base.get(h, "") for h in HEADERS]


ISSUED = {"Sanksi Rekomendasi": "disiplin_sedang", "Nomor Surat Rekomendasi": "R-1194/KASN/4/2020",
          "Tanggal Rekomendasi": "15 April 2021"}  # fmt: skip
SK = {"Nomor SK": "800/123/BKPSDM/2021", "Tanggal SK": "2021-05-03", "Sanksi Dijatuhkan": "Disiplin ringan"}

GOOD = [
    row(Referensi="H-001"),
    row(Referensi="H-002", Status="under_review", NIP="19860926 201505 1 001"),
    row(Referensi="H-003", Status="Dihentikan", Alasan="Tidak terbukti"),
    row(Referensi="H-004", Status="Draf rekomendasi", **{"Sanksi Rekomendasi": "berat"}),
    row(Referensi="H-005", Status="Menunggu tindak lanjut PPK", **ISSUED),
    row(Referensi="H-006", Status="awaiting_follow_up", **ISSUED, Tenggat="2021-05-20", **{"Tingkat Eskalasi": "2"}),
    row(Referensi="H-007", Status="Sanggahan / klarifikasi PPK", **ISSUED,
        **{"Nomor Surat Sanggahan": "800/45/2021"}),
    row(Referensi="H-008", Status="follow_up_reported", **ISSUED, **SK),
    row(Referensi="H-009", Status="Selesai", **ISSUED, **SK, **{"Tanggal Tindak Lanjut": "2021-06-30"}),
    row(Referensi="H-010", Status="Ditutup", Alasan="ASN pensiun", **ISSUED),
    row(Status="Laporan diterima", **{"Kode Instansi": "Kota Bandung", "NIP": NIP2, "Nama Pelapor": "Siti",
                                      "Kontak Pelapor": "0812-000"}),
]  # fmt: skip

BAD = {
    "NIP": row(Referensi="B-01", NIP="12345"),
    "8 digit pertama NIP": row(Referensi="B-02", NIP="198613262015051001"),
    "Tanggal kejadian: '31/02/2020'": row(Referensi="B-03", **{"Tanggal Kejadian (DD/MM/YYYY)": "31/02/2020"}),
    "Tanggal laporan: tidak boleh di masa depan": row(Referensi="B-04", **{"Tanggal Laporan": "2099-01-01"}),
    "instansi 'KAB-9999' tidak ditemukan": row(Referensi="B-05", **{"Kode Instansi": "KAB-9999"}),
    "Kategori: 'korupsi' tidak dikenal": row(Referensi="B-06", Kategori="korupsi"),
    "Sumber: 'surat kaleng' tidak dikenal": row(Referensi="B-07", Sumber="surat kaleng"),
    "Status: 'arsip' tidak dikenal": row(Referensi="B-08", Status="arsip"),
    "Alasan: wajib diisi": row(Referensi="B-09", Status="dismissed"),
    "Nomor SK: wajib diisi": row(Referensi="B-10", Status="completed", **ISSUED),
    "tidak boleh memiliki data rekomendasi": row(Referensi="B-11", **ISSUED),
    "Nomor surat rekomendasi: wajib diisi": row(
        Referensi="B-12", Status="awaiting_follow_up", **{**ISSUED, "Nomor Surat Rekomendasi": ""}
    ),
    "Tanggal SK: tidak boleh sebelum tanggal rekomendasi": row(
        Referensi="B-13", Status="follow_up_reported", **ISSUED, **{**SK, "Tanggal SK": "2021-01-02"}
    ),
    "Uraian: panjang harus 10 sampai 20000 karakter": row(Referensi="B-14", Uraian="singkat"),
    "Tingkat eskalasi: '7'": row(Referensi="B-15", Status="awaiting_follow_up", **ISSUED, **{"Tingkat Eskalasi": "7"}),
    "Sanksi dijatuhkan: 'teguran keras' tidak dikenal": row(
        Referensi="B-16", Status="completed", **ISSUED, **{**SK, "Sanksi Dijatuhkan": "teguran keras"}
    ),
    "nama instansi 'Bogor'": row(Referensi="B-17", **{"Kode Instansi": "Bogor"}),
}


@pytest.fixture
def agencies(make_agency):
    prov = make_agency(code="PROV-32", name="Provinsi Jawa Barat", kind="provinsi", ppk_title="Gubernur")
    return {
        "kab": make_agency(code="KAB-3201", name="Kabupaten Bogor", kind="kabupaten", parent_id=prov.id),
        "kota": make_agency(code="KOTA-3273", name="Kota Bandung", kind="kota", parent_id=prov.id),
        "bogor_kota": make_agency(code="KOTA-3271", name="Bogor", kind="kota", parent_id=prov.id),
        "also_bogor": make_agency(code="KAB-3299", name="bogor", kind="kabupaten", parent_id=prov.id),
        "prov": prov,
    }


def write_csv(path: Path, rows: list[list[str]], headers: list[str] = HEADERS, delimiter: str = ";") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def run_import(path: Path, **kw):
    result = import_file(path, on_batch=lambda _p: db.session.commit(), **kw)
    db.session.commit()
    return result


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_good_and_bad_rows_report_and_reimport(agencies, tmp_path, make_user):
    importer = make_user("investigator")
    source = write_csv(tmp_path / "perkara.csv", [*GOOD, *BAD.values(), GOOD[0]])
    report = tmp_path / "laporan.csv"

    result = run_import(source, actor=importer, batch_size=4, report_path=report)

    assert result.total == len(GOOD) + len(BAD) + 1
    assert result.imported == len(GOOD)
    assert result.failed == len(BAD)
    assert result.skipped == 1  # H-001 twice in the file
    assert result.warnings == ["Kolom 'Keterangan Lain' tidak dikenal dan diabaikan."]
    assert count(Case) == len(GOOD)
    assert count(OutboxMessage) == 0

    # the report: original columns, the file's line number and every problem, one row per bad row
    with report.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle, delimiter=";"))
    assert lines[0] == [*HEADERS, "Baris", "Kesalahan"]
    assert len(lines) == 1 + len(BAD)
    reported = {r[0]: r for r in lines[1:]}
    for (expected, original), line_no in zip(BAD.items(), range(len(GOOD) + 2, 100), strict=False):
        ref = original[0]
        assert ref in reported, ref
        assert reported[ref][len(HEADERS)] == str(line_no)
        assert expected in reported[ref][-1], (ref, reported[ref][-1])
        assert reported[ref][: len(HEADERS)] == original

    # the same file again adds nothing
    again = run_import(source, actor=importer, report_path=tmp_path / "lagi.csv")
    assert (again.imported, again.skipped, again.failed) == (0, len(GOOD) + 1, len(BAD))
    assert count(Case) == len(GOOD)
    assert count(CaseHistory) == len(GOOD)


def test_imported_cases_carry_their_state_dates_and_history(agencies, tmp_path, make_user):
    importer = make_user("investigator")
    run_import(write_csv(tmp_path / "p.csv", GOOD), actor=importer)
    cases = {c.external_ref: c for c in db.session.scalars(select(Case))}
    assert {c.status for c in cases.values()} == {
        "reported", "under_review", "dismissed", "recommendation_drafted", "awaiting_follow_up",
        "clarification_requested", "follow_up_reported", "completed", "closed",
    }  # fmt: skip
    assert all(c.number.startswith("NKK-2020-") for c in cases.values())
    assert len({c.number for c in cases.values()}) == len(cases)
    assert cases["H-002"].reported_nip == NIP
    assert cases["H-003"].dismiss_reason == "Tidak terbukti"
    assert cases["H-010"].close_reason == "ASN pensiun"
    assert cases["H-001"].created_at == datetime(2020, 10, 11, 17, 0, tzinfo=UTC)  # 12 Oct 2020 00:00 WIB

    def rec(ref: str) -> Recommendation:
        return db.session.scalar(select(Recommendation).where(Recommendation.case_id == cases[ref].id))

    drafted = rec("H-004")
    assert (drafted.sanction, drafted.issued_at, drafted.due_at, drafted.is_open) == (
        "disiplin_berat",
        None,
        None,
        False,
    )
    open_rec = rec("H-005")
    assert open_rec.is_open
    assert open_rec.letter_number == "R-1194/KASN/4/2020"
    assert open_rec.issued_at == datetime(2021, 4, 14, 17, 0, tzinfo=UTC)
    assert cases["H-005"].issued_at == open_rec.issued_at
    # 14 working days after Thursday 15 April 2021 (no holiday in between): Wednesday 5 May, end of day WIB
    assert open_rec.due_at == datetime(2021, 5, 5, 16, 59, 59, 999999, tzinfo=UTC)
    assert open_rec.due_calendar_version.startswith("holidays-")
    given = rec("H-006")
    assert given.due_at == datetime(2021, 5, 20, 16, 59, 59, 999999, tzinfo=UTC)
    assert given.escalation_level == 2
    steps = list(db.session.scalars(select(EscalationStep).where(EscalationStep.case_id == cases["H-006"].id)))
    assert sorted(s.level for s in steps) == [0, 1, 2]
    assert all(not s.notified for s in steps)
    assert {s.body for s in steps if s.level == 2} == {"kemendagri"}
    # open since 2021 without a level in the file: the levels its dates passed are recorded, never emailed
    passed = list(db.session.scalars(select(EscalationStep).where(EscalationStep.case_id == cases["H-005"].id)))
    assert sorted(s.level for s in passed) == [0, 1, 2, 3]
    assert open_rec.escalation_level == 3
    assert not any(s.notified for s in passed)
    assert min(s.reached_at for s in passed if s.level == 1) > open_rec.due_at
    assert rec("H-007").paused_at is not None
    assert not rec("H-007").is_open
    assert db.session.scalar(select(Clarification.letter_number)) == "800/45/2021"

    follow_ups = {f.case_id: f for f in db.session.scalars(select(FollowUp))}
    reported = follow_ups[cases["H-008"].id]
    assert reported.verdict is None
    assert reported.is_lighter  # ringan imposed for a sedang recommendation
    assert not reported.is_late  # 3 May 2021, before 5 May
    done = follow_ups[cases["H-009"].id]
    assert done.verdict == "accepted"
    assert done.is_late  # reported 30 June 2021
    assert done.working_days_taken > 14
    assert cases["H-009"].closed_at == done.reported_at
    assert rec("H-009").followed_up_at == done.reported_at
    assert not rec("H-010").is_open

    bandung = next(c for c in cases.values() if c.external_ref.startswith("imp-"))
    assert bandung.agency_id == agencies["kota"].id
    assert bandung.reporter_name == "Siti"

    for case in cases.values():
        rows = list(db.session.scalars(select(CaseHistory).where(CaseHistory.case_id == case.id)))
        assert [(r.event, r.from_status, r.to_status) for r in rows] == [("imported", None, case.status)]
        assert rows[0].actor_id == importer.id
        assert rows[0].payload["external_ref"] == case.external_ref
        assert "Siti" not in str(rows[0].payload)
        assert verify_case(case.id) == (True, None)
    assert count(OutboxMessage) == 0

    # the sweep afterwards: nothing for what the import recorded; the case the file put at level 2, still open
    # years after its deadline, goes on to level 3 (the file said how far it went, so the ladder continues)
    from app.core.clock import utcnow
    from app.escalations.sweep import run_sweep

    run_sweep(utcnow())
    mailed = set(db.session.scalars(select(OutboxMessage.case_id)))
    assert mailed == {cases["H-006"].id}
    assert set(db.session.scalars(select(OutboxMessage.kind))) == {"final_report"}


def test_fixed_report_imports_the_remaining_rows(agencies, tmp_path):
    source = write_csv(tmp_path / "p.csv", [GOOD[0], BAD["NIP"], BAD["Alasan: wajib diisi"]])
    report = tmp_path / "p-kesalahan.csv"
    first = run_import(source, report_path=report)
    assert (first.imported, first.failed) == (1, 2)

    with report.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle, delimiter=";"))
    nip, reason = HEADERS.index("NIP"), HEADERS.index("Alasan")
    for line in lines[1:]:
        line[nip] = NIP2 if line[0] == "B-01" else line[nip]
        line[reason] = "Di luar kewenangan" if line[0] == "B-09" else line[reason]
    write_csv(report, lines[1:], headers=lines[0])

    second = run_import(report, report_path=tmp_path / "kedua.csv")
    assert (second.imported, second.failed) == (2, 0)
    assert second.warnings == first.warnings  # the report's own columns (Baris, Kesalahan) are read past
    assert second.report_path is None
    assert not (tmp_path / "kedua.csv").exists()
    assert count(Case) == 3


def test_xlsx_with_english_headers_and_native_dates(agencies, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Reference", "Agency", "Category", "Source", "Reported name", "NIP", "Summary", "Occurred on",
                  "Status", "Sanction", "Letter number", "Issued on"])  # fmt: skip
    sheet.append(["X-1", "KAB-3201", "netralitas", "media", "Ani", NIP2, SUMMARY, datetime(2022, 3, 1),
                  "awaiting_follow_up", "disiplin_ringan", "B-1444/JP.01/04/2022", datetime(2022, 4, 12)])  # fmt: skip
    sheet.append(["X-2", "Kabupaten Bogor", "netralitas", "media", "Ani", NIP2, SUMMARY, "not a date"])
    # a NIP typed as a number: the spreadsheet keeps 15 significant digits, so it cannot be trusted
    sheet.append(["X-3", "KAB-3201", "netralitas", "media", "Ani", int(NIP2), SUMMARY, datetime(2022, 3, 1)])
    sheet.append([None] * 12)  # empty rows are skipped, not counted
    path = tmp_path / "data.xlsx"
    workbook.save(path)

    result = run_import(path, report_path=tmp_path / "r.csv")
    assert (result.total, result.imported, result.failed) == (3, 1, 2), result.errors
    assert "Tanggal kejadian: 'not a date'" in result.errors[0].messages[0]
    assert result.errors[1].row == 4
    assert "NIP: tersimpan sebagai angka" in result.errors[1].messages[0]
    case = db.session.scalar(select(Case).where(Case.external_ref == "X-1"))
    assert case.occurred_on == date(2022, 3, 1)
    assert case.reported_nip == NIP2
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    assert rec.issued_at == datetime(2022, 4, 11, 17, 0, tzinfo=UTC)


def test_file_level_errors_write_nothing(agencies, tmp_path):
    missing = write_csv(tmp_path / "m.csv", [["KAB-3201", "Budi"]], headers=["Instansi", "Nama Terlapor"])
    with pytest.raises(ImportFileError, match="Kolom wajib tidak ditemukan: Kategori, Sumber, NIP, Uraian"):
        run_import(missing)
    legacy = tmp_path / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ImportFileError, match=".xls"):
        run_import(legacy)
    assert count(Case) == 0


def test_windows_1252_comma_csv(agencies, tmp_path):
    path = tmp_path / "excel.csv"
    content = "Instansi,Kategori,Sumber,Nama Terlapor,NIP,Uraian,Tanggal Kejadian\n"
    content += f"KAB-3201,netralitas,media,Andr\xe9 Wijaya,{NIP},{SUMMARY},3 Agustus 2023\n"
    path.write_bytes(content.encode("cp1252"))
    result = run_import(path)
    assert result.imported == 1
    case = db.session.scalar(select(Case))
    assert case.reported_name == "André Wijaya"
    assert case.occurred_on == date(2023, 8, 3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-04-15", date(2021, 4, 15)),
        ("15/04/2021", date(2021, 4, 15)),
        ("15-4-2021", date(2021, 4, 15)),
        ("15 Apr 2021", date(2021, 4, 15)),
        ("3 Agt 2021", date(2021, 8, 3)),
        ("1 Desember 2020", date(2020, 12, 1)),
        (44301, date(2021, 4, 15)),
        ("2021-04-15T10:30:00+07:00", date(2021, 4, 15)),
    ],
)
def test_date_formats(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["04/15/2021", "kemarin", "15/04/21", "2021-13-01"])
def test_unrecognised_dates(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_cli_import_with_progress_and_report(agencies, tmp_path, runner):
    source = write_csv(tmp_path / "cli.csv", [GOOD[0], GOOD[4], BAD["NIP"]])
    result = runner.invoke(args=["cases", "import", str(source), "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "3 baris dibaca, 2 diimpor, 0 dilewati (sudah pernah diimpor), 1 gagal" in result.output
    assert (tmp_path / "cli-kesalahan.csv").exists()
    again = runner.invoke(args=["cases", "import", str(source), "--report", str(tmp_path / "x.csv"),
                                "--fail-on-errors"])  # fmt: skip
    assert again.exit_code == 2
    assert "0 diimpor, 2 dilewati" in again.output
    bad = runner.invoke(args=["cases", "import", str(write_csv(tmp_path / "h.csv", [], headers=["Instansi"]))])
    assert bad.exit_code == 1
    assert "Kolom wajib tidak ditemukan" in bad.output
    assert count(Case) == 2


def test_the_template_maps_every_field():
    from app.cases.importing import FIELD_ALIASES, import_template_csv, map_columns

    headers = import_template_csv().decode("utf-8-sig").strip().split(",")
    mapping, warnings = map_columns(headers)
    assert warnings == []
    assert set(mapping) == set(FIELD_ALIASES) - {"agency_name"}
