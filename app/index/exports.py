"""The columns of the IM-NKK ranking as a flat table: the CSV and XLSX downloads and the CLI's table and CSV."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.index.scoring import INCOMPLETE


@dataclass(frozen=True)
class ExportColumn:
    header: str
    key: str


EXPORT_COLUMNS = (
    ExportColumn("Peringkat", "rank"),
    ExportColumn("Kode", "agency_code"),
    ExportColumn("Instansi", "agency_name"),
    ExportColumn("Penetapan", "criteria.penetapan"),
    ExportColumn("Penerapan", "criteria.penerapan"),
    ExportColumn("Penegakan", "criteria.penegakan"),
    ExportColumn("Kesinambungan", "criteria.kesinambungan"),
    ExportColumn("Skor (dari 300)", "score"),
    ExportColumn("Indeks", "index"),
    ExportColumn("Kategori", "category"),
    ExportColumn("Lengkap", "complete"),
    ExportColumn("Kriteria belum terukur", "missing_criteria"),
    ExportColumn("Rekomendasi diterima", "enforcement.received"),
    ExportColumn("Ditindaklanjuti", "enforcement.followed_up"),
    ExportColumn("Tepat waktu", "enforcement.on_time"),
    ExportColumn("Sanksi lebih ringan", "enforcement.lighter_sanction"),
    ExportColumn("Eskalasi level 2+", "enforcement.escalated"),
    ExportColumn("Masih terbuka", "enforcement.open"),
    ExportColumn("Median hari kerja", "enforcement.median_working_days"),
)


def export_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    """Flat rows for CSV/XLSX exports and the CLI table, in EXPORT_COLUMNS order."""
    rows = []
    for item in items:
        row = []
        for column in EXPORT_COLUMNS:
            value: Any = item
            for part in column.key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if column.key == "index" and value is not None:
                value = round(value, 4)
            if column.key == "complete":
                value = "ya" if value else "tidak"
            if column.key == "category" and value is None:
                value = INCOMPLETE  # no category for an agency measured on fewer than all four criteria
            if column.key == "missing_criteria":
                value = "; ".join(c["label"] for c in value or [])
            row.append(value)
        rows.append(row)
    return rows
