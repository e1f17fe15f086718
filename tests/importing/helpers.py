"""Cases in any state for tests of exports, bundles, letters and backups: written through the importer."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.cases.importing import import_file
from app.db import db
from app.models.cases import Case

NIP = "198609262015051001"
SUMMARY = "Mengunggah foto bersama pasangan calon dengan simbol jari di media sosial."
COLUMNS = [
    "Referensi", "Kode Instansi", "Kategori", "Sumber", "Nama Terlapor", "NIP", "Jabatan", "Tanggal Kejadian",
    "Tanggal Laporan", "Uraian", "Nama Pelapor", "Kontak Pelapor", "Status", "Alasan", "Sanksi Rekomendasi",
    "Dasar Hukum", "Isi Rekomendasi", "Nomor Surat Rekomendasi", "Tanggal Rekomendasi", "Tenggat",
    "Tingkat Eskalasi", "Tanggal Eskalasi", "Nomor SK", "Tanggal SK", "Sanksi Dijatuhkan", "Tanggal Tindak Lanjut",
]  # fmt: skip
ISSUED = {
    "Sanksi Rekomendasi": "disiplin_sedang",
    "Dasar Hukum": "PP 94/2021 Pasal 5 huruf n",
    "Isi Rekomendasi": "Menjatuhkan hukuman disiplin sedang berupa pemotongan tunjangan kinerja.",
    "Nomor Surat Rekomendasi": "R-1194/KASN/4/2021",
    "Tanggal Rekomendasi": "2021-04-15",
}


def case_row(ref: str, agency: str, status: str = "reported", **values: str) -> dict[str, str]:
    row = {
        "Referensi": ref,
        "Kode Instansi": agency,
        "Kategori": "netralitas",
        "Sumber": "bawaslu",
        "Nama Terlapor": f"Terlapor {ref}",
        "NIP": NIP,
        "Jabatan": "Camat",
        "Tanggal Kejadian": "2021-03-01",
        "Tanggal Laporan": "2021-03-05",
        "Uraian": SUMMARY,
        "Nama Pelapor": "Pelapor Rahasia",
        "Kontak Pelapor": "rahasia@example.org",
        "Status": status,
    }
    row.update(values)
    return row


def import_rows(tmp_path: Path, rows: list[dict[str, str]], *, actor: Any | None = None) -> dict[str, Case]:
    path = tmp_path / f"seed-{len(rows)}-{id(rows)}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    result = import_file(path, actor=actor, report_path=tmp_path / "seed-errors.csv")
    db.session.commit()
    assert result.failed == 0, result.errors
    refs = [r["Referensi"] for r in rows]
    return {c.external_ref: c for c in db.session.scalars(select(Case).where(Case.external_ref.in_(refs)))}


def standard_cases(tmp_path: Path, agency_code: str, prefix: str = "") -> dict[str, Case]:
    """One case in each interesting state at `agency_code`: reported, open (escalated to level 2), completed.

    Keyed "R-1", "O-1", "C-1" (after `prefix`)."""
    escalated = {"Tingkat Eskalasi": "2", "Tanggal Eskalasi": "2021-05-13"}
    follow_up = {"Nomor SK": "800/1/2021", "Tanggal SK": "2021-04-30", "Sanksi Dijatuhkan": "disiplin_ringan"}
    cases = import_rows(
        tmp_path,
        [
            case_row(f"{prefix}R-1", agency_code),
            case_row(f"{prefix}O-1", agency_code, "awaiting_follow_up", **ISSUED, **escalated),
            case_row(f"{prefix}C-1", agency_code, "completed", **ISSUED, **follow_up),
        ],
    )
    return {ref.removeprefix(prefix): case for ref, case in cases.items()}
