"""What the import gives back besides the cases: the error report (the file's own columns plus the line number
and the errors of each bad row, ready to be fixed and imported as it is) and the blank template to download."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

REPORT_ROW = "Baris"
REPORT_ERRORS = "Kesalahan"


class ErrorReport:
    """The error report: the file's own columns plus line number and errors; opened at the first bad row."""

    def __init__(self, path: Path | None, headers: list[str], delimiter: str):
        self.path = path
        self.headers = headers
        self.delimiter = delimiter
        self._handle: Any = None
        self._writer: Any = None

    def add(self, line: int, raw: list[Any], messages: Iterable[str]) -> None:
        if self.path is None:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._handle, delimiter=self.delimiter)
            self._writer.writerow([*self.headers, REPORT_ROW, REPORT_ERRORS])
        cells = ["" if v is None else _cell_text(v) for v in raw]
        cells += [""] * (len(self.headers) - len(cells))
        self._writer.writerow([*cells[: len(self.headers)], line, "; ".join(messages)])

    def release(self) -> None:
        """Close the file if an import stops half-way (what was written stays)."""
        if self._handle is not None and not self._handle.closed:
            self._handle.close()

    def close(self) -> Path | None:
        if self._handle is not None:
            self._handle.close()
            return self.path
        if self.path is not None and self.path.exists():
            self.path.unlink()  # a stale report of an earlier run would mislead
        return None


def _cell_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time.min else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def default_report_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(f"{path.stem}-kesalahan.csv")


TEMPLATE_HEADERS = (
    "Referensi", "Kode Instansi", "Kategori", "Subkategori", "Sumber", "Nama Terlapor", "NIP", "Jabatan",
    "Jenis Pegawai", "Tanggal Kejadian", "Tanggal Laporan", "Uraian", "Nama Pelapor", "Kontak Pelapor", "Status",
    "Alasan", "Tanggal Selesai", "Sanksi Rekomendasi", "Bentuk Sanksi", "Dasar Hukum", "Isi Rekomendasi",
    "Nomor Surat Rekomendasi", "Tanggal Rekomendasi", "Tanggal Diterima PPK", "Tenggat", "Tingkat Eskalasi",
    "Tanggal Eskalasi", "Nomor Surat Sanggahan", "Alasan Sanggahan", "Tanggal Sanggahan", "Nomor SK",
    "Tanggal SK", "Sanksi Dijatuhkan", "Bentuk Sanksi Dijatuhkan", "Tanggal Tindak Lanjut", "Catatan Tindak Lanjut",
)  # fmt: skip


def import_template_csv() -> bytes:
    """A blank CSV with every column the importer reads (for the admin page's "download the template")."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(TEMPLATE_HEADERS)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
