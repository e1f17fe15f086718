"""Exports of the case list to CSV and XLSX: streamed, scoped to what the user may see, reporter hidden."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import delete, func, select

from app.cases.access import scoped_cases
from app.cases.exports import export_cases_csv, export_cases_xlsx
from app.cases.importing import import_file
from app.db import db
from app.models.cases import Case, CaseHistory, Clarification, FollowUp, Recommendation
from app.models.escalations import EscalationStep
from tests.importing.helpers import case_row, import_rows, standard_cases


def parse_csv(chunks) -> list[dict[str, str]]:
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def world(make_agency, make_user, tmp_path):
    province = make_agency(code="PROV-32", name="Provinsi Jawa Barat", kind="provinsi", ppk_title="Gubernur")
    bogor = make_agency(code="KAB-3201", name="Kabupaten Bogor", kind="kabupaten", parent_id=province.id)
    kemenag = make_agency(code="KEMENAG", name="Kementerian Agama", kind="kementerian")
    cases = {f"B{k}": v for k, v in standard_cases(tmp_path, "KAB-3201", prefix="B").items()}
    cases.update({f"K{k}": v for k, v in standard_cases(tmp_path, "KEMENAG", prefix="K").items()})
    return {
        "cases": cases,
        "bogor": bogor,
        "kemenag": kemenag,
        "investigator": make_user("investigator"),
        "ppk": make_user("ppk", agency=bogor),
        "kemendagri": make_user("overseer", body="kemendagri"),
        "menpanrb": make_user("overseer", body="menpanrb"),
    }


def refs(rows) -> set[str]:
    return {r["Referensi"] for r in rows}


def test_kasn_export_has_every_case_and_the_reporter(world):
    rows = parse_csv(export_cases_csv({}, world["investigator"]))
    assert refs(rows) == {"BR-1", "BO-1", "BC-1", "KR-1", "KO-1", "KC-1"}
    open_case = next(r for r in rows if r["Referensi"] == "BO-1")
    assert open_case["Nomor Perkara"] == world["cases"]["BO-1"].number
    assert open_case["Status"] == "Menunggu tindak lanjut PPK"
    assert open_case["Kode Instansi"] == "KAB-3201"
    assert open_case["NIP"] == "198609262015051001"
    assert open_case["Tanggal Rekomendasi"] == "2021-04-15T00:00:00+07:00"
    assert open_case["Tenggat"] == "2021-05-05T23:59:59+07:00"
    assert open_case["Tingkat Eskalasi"] == "2"
    assert open_case["Nama Pelapor"] == "Pelapor Rahasia"
    done = next(r for r in rows if r["Referensi"] == "BC-1")
    assert (done["Nomor SK"], done["Sanksi Lebih Ringan"], done["Terlambat"]) == ("800/1/2021", "ya", "tidak")


def test_ppk_export_is_its_own_issued_cases_without_the_reporter(world):
    data = b"".join(export_cases_csv({}, world["ppk"]))
    assert b"Pelapor Rahasia" not in data
    assert b"rahasia@example.org" not in data
    rows = parse_csv([data])
    assert "Nama Pelapor" not in rows[0]
    assert "Kontak Pelapor" not in rows[0]
    assert refs(rows) == {"BO-1", "BC-1"}  # not the unissued BR-1, nothing of another agency


def test_overseer_export_is_the_cases_escalated_to_its_ministry(world):
    assert refs(parse_csv(export_cases_csv({}, world["kemendagri"]))) == {"BO-1"}
    assert refs(parse_csv(export_cases_csv({}, world["menpanrb"]))) == {"KO-1"}
    assert b"Pelapor" not in b"".join(export_cases_csv({}, world["menpanrb"]))


def test_filters_and_statements(world):
    user = world["investigator"]
    assert refs(parse_csv(export_cases_csv({"status": "completed"}, user))) == {"BC-1", "KC-1"}
    assert refs(parse_csv(export_cases_csv({"agency_id": world["kemenag"].id}, user))) == {"KR-1", "KO-1", "KC-1"}
    assert refs(parse_csv(export_cases_csv({"q": "terlapor bo-1"}, user))) == {"BO-1"}
    assert refs(parse_csv(export_cases_csv({"escalated": "true"}, user))) == {"BO-1", "KO-1"}
    stmt = scoped_cases(user).where(Case.agency_id == world["bogor"].id, Case._status != "reported")
    assert refs(parse_csv(export_cases_csv(stmt, user))) == {"BO-1", "BC-1"}
    # a statement never widens what a user may see
    assert refs(parse_csv(export_cases_csv(select(Case), world["ppk"]))) == {"BO-1", "BC-1"}


def test_csv_is_streamed_in_chunks(make_agency, make_user, tmp_path):
    make_agency(code="KEMENAG", name="Kementerian Agama", kind="kementerian")
    import_rows(tmp_path, [case_row(f"S-{n:04d}", "KEMENAG") for n in range(1200)])
    chunks = list(export_cases_csv({}, make_user("commissioner")))
    assert len(chunks) == 3  # 500 + 500 + 200 rows, the header with the first
    assert chunks[0].startswith(b"\xef\xbb\xbfReferensi,")
    assert not chunks[1].startswith(b"\xef\xbb\xbf")
    assert len(parse_csv(chunks)) == 1200


def test_formula_cells_are_neutralised(make_agency, make_user, tmp_path):
    make_agency(code="KEMENAG", name="Kementerian Agama", kind="kementerian")
    import_rows(tmp_path, [case_row("F-1", "KEMENAG", Uraian='=HYPERLINK("http://x.example","klik di sini")')])
    rows = parse_csv(export_cases_csv({}, make_user("investigator")))
    assert rows[0]["Uraian"] == "'" + '=HYPERLINK("http://x.example","klik di sini")'


def test_xlsx_export(world):
    from openpyxl import load_workbook

    data = b"".join(export_cases_xlsx({"agency_id": world["bogor"].id}, world["investigator"]))
    book = load_workbook(io.BytesIO(data), read_only=True)
    sheet = book["Perkara"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert "Nama Pelapor" in header
    assert "Tenggat (waktu setempat)" in header
    by_ref = {r[header.index("Referensi")]: r for r in rows[1:]}
    assert set(by_ref) == {"BR-1", "BO-1", "BC-1"}
    due = by_ref["BO-1"][header.index("Tenggat (waktu setempat)")]
    assert due == datetime(2021, 5, 5, 23, 59, 59)
    ppk = load_workbook(io.BytesIO(b"".join(export_cases_xlsx({}, world["ppk"]))), read_only=True)
    ppk_rows = list(ppk["Perkara"].iter_rows(values_only=True))
    assert "Nama Pelapor" not in ppk_rows[0]
    assert len(ppk_rows) == 3


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_back(world, tmp_path, fmt):
    user = world["investigator"]
    before = {
        (c.external_ref, c.status, c.reported_nip, c.agency_id, c.occurred_on) for c in db.session.scalars(select(Case))
    }
    due_before = dict(
        db.session.execute(
            select(Case.external_ref, Recommendation.due_at).join(Recommendation, Recommendation.case_id == Case.id)
        ).all()
    )
    export = export_cases_csv if fmt == "csv" else export_cases_xlsx
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(b"".join(export({}, user)))
    for model in (EscalationStep, CaseHistory, FollowUp, Clarification, Recommendation, Case):
        db.session.execute(delete(model))
    db.session.commit()

    result = import_file(path, report_path=tmp_path / "r.csv")
    db.session.commit()
    assert (result.imported, result.failed, result.warnings) == (6, 0, []), result.errors
    after = {
        (c.external_ref, c.status, c.reported_nip, c.agency_id, c.occurred_on) for c in db.session.scalars(select(Case))
    }
    assert after == before
    due_after = dict(
        db.session.execute(
            select(Case.external_ref, Recommendation.due_at).join(Recommendation, Recommendation.case_id == Case.id)
        ).all()
    )
    assert {k: v.replace(microsecond=0) if v else v for k, v in due_before.items()} == due_after
    assert db.session.scalar(select(func.count()).select_from(EscalationStep)) == 6  # levels 0-2, twice


# -- the evidence bundle ---------------------------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n% bukti uji\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489") + b"\x00" * 64


def recompute_chain(rows: list[dict]) -> bool:
    """Check riwayat.json the way an outsider would, from its documented format, with hashlib only."""
    import hashlib
    import json

    prev = "0" * 64
    for row in rows:
        content = {
            "case_id": row["case_id"], "seq": row["seq"], "event": row["event"], "from": row["from_status"],
            "to": row["to_status"], "actor_id": row["actor_id"], "actor": row["actor"], "payload": row["payload"],
            "at": row["created_at"], "prev": row["prev_hash"],
        }  # fmt: skip
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        if row["prev_hash"] != prev or hashlib.sha256(canonical).hexdigest() != row["hash"]:
            return False
        prev = row["hash"]
    return True


@pytest.fixture
def evidence(world):
    from werkzeug.datastructures import FileStorage

    from app.cases.attachments import add_attachment

    case = world["cases"]["BO-1"]
    first = add_attachment(case, FileStorage(io.BytesIO(PDF_BYTES), filename="foto bukti.pdf"),
                           world["investigator"], "evidence")  # fmt: skip
    second = add_attachment(case, FileStorage(io.BytesIO(PNG_BYTES), filename="tangkapan layar.png"),
                            world["investigator"], "other")  # fmt: skip
    db.session.commit()
    return case, [first, second]


def test_bundle_has_summary_timeline_letters_evidence_and_manifest(world, evidence, tmp_path):
    import hashlib
    import json
    import zipfile

    from app.cases.bundle import build_case_bundle

    case, attachments = evidence
    path = build_case_bundle(case, dest=tmp_path / "bundle.zip")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        files = {name: archive.read(name) for name in names}
    assert {"ringkasan.pdf", "riwayat.json", "manifest.json", "SHA256SUMS", "PERIKSA.txt",
            "surat/rekomendasi.pdf", "surat/eskalasi-tingkat-2.pdf"} <= names  # fmt: skip
    evidence_names = sorted(n for n in names if n.startswith("bukti/"))
    assert evidence_names == [f"bukti/{attachments[0].id:05d}-foto_bukti.pdf",
                              f"bukti/{attachments[1].id:05d}-tangkapan_layar.png"]  # fmt: skip
    assert files[evidence_names[0]] == PDF_BYTES
    assert files[evidence_names[1]] == PNG_BYTES

    manifest = json.loads(files["manifest.json"])
    assert manifest["case_number"] == case.number
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == names - {"manifest.json", "SHA256SUMS", "PERIKSA.txt"}
    for name, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest()
        assert entry["size"] == len(files[name])
    assert listed[evidence_names[0]]["sha256_recorded"] == attachments[0].sha256
    assert listed[evidence_names[0]]["matches_record"] is True
    assert manifest["missing"] == []

    sums = dict(line.split("  ", 1)[::-1] for line in files["SHA256SUMS"].decode().splitlines())
    assert set(sums) == names - {"SHA256SUMS"}
    assert all(sums[n] == hashlib.sha256(files[n]).hexdigest() for n in sums)

    timeline = json.loads(files["riwayat.json"])
    assert [r["event"] for r in timeline["rows"]] == ["imported", "attachment_added", "attachment_added"]
    assert recompute_chain(timeline["rows"])
    assert manifest["history_head"] == timeline["rows"][-1]["hash"]
    tampered = json.loads(files["riwayat.json"])["rows"]
    tampered[0]["payload"]["status"] = "completed"
    assert not recompute_chain(tampered)

    everything = b"".join(files.values())
    assert b"Pelapor Rahasia" not in everything
    assert manifest["includes_reporter"] is False


def test_bundle_for_a_ppk_and_with_a_lost_file(world, evidence, tmp_path):
    import json
    import zipfile

    from app.cases.attachments import attachment_path
    from app.cases.bundle import build_case_bundle

    case, attachments = evidence
    ppk_zip = build_case_bundle(case, user=world["ppk"], include_reporter=True, dest=tmp_path / "ppk.zip")
    with zipfile.ZipFile(ppk_zip) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        summary = archive.read("ringkasan.pdf")
    assert not [n for n in names if n.startswith("bukti/")]  # evidence may reveal the reporter
    assert manifest["includes_reporter"] is False
    assert b"Pelapor Rahasia" not in summary

    kasn_zip = build_case_bundle(case, user=world["investigator"], include_reporter=True, dest=tmp_path / "k.zip")
    from tests.test_letters import pdf_text

    with zipfile.ZipFile(kasn_zip) as archive:
        assert "Pelapor Rahasia" in pdf_text(archive.read("ringkasan.pdf"))

    attachment_path(attachments[0].storage_key).unlink()
    lost = build_case_bundle(case, dest=tmp_path / "lost.zip")
    with zipfile.ZipFile(lost) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert [m["attachment_id"] for m in manifest["missing"]] == [attachments[0].id]


def test_export_memory_stays_flat_as_rows_grow(make_agency, make_user, tmp_path, monkeypatch):
    """Four times the rows, about the same peak memory: rows are streamed, never all loaded. (XLSX reads the
    same row stream and writes it in openpyxl's write-only mode, which spools rows to disk.)"""
    import tracemalloc

    from app.cases import exports
    from app.models.auth import User

    monkeypatch.setattr(exports, "YIELD_PER", 50)
    monkeypatch.setattr(exports, "CSV_CHUNK_ROWS", 50)
    make_agency(code="KEMENAG", name="Kementerian Agama", kind="kementerian")
    user_id = make_user("investigator").id
    long_summary = "Uraian perkara yang panjang untuk mengukur memori ekspor. " * 10

    def peak(export) -> tuple[int, int]:
        db.session.expunge_all()
        user = db.session.get(User, user_id)
        tracemalloc.start()
        size = sum(len(chunk) for chunk in export({}, user))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top, size

    import_rows(tmp_path, [case_row(f"A-{n:04d}", "KEMENAG", Uraian=long_summary) for n in range(250)])
    peak(export_cases_csv)  # warm-up: imports, compiled statements
    csv_small, csv_small_size = peak(export_cases_csv)
    import_rows(tmp_path, [case_row(f"B-{n:04d}", "KEMENAG", Uraian=long_summary) for n in range(750)])
    csv_large, csv_large_size = peak(export_cases_csv)
    assert csv_large_size > 3.5 * csv_small_size
    assert csv_large < 1.5 * csv_small, (csv_small, csv_large)
