"""Reading a spreadsheet: the file (CSV or XLSX, its encoding and delimiter sniffed), its headers (mapped to
fields by their Indonesian or English aliases) and its cells (dates, instants and the words of each vocabulary,
as people write them).

Nothing here touches the database: `open_table` and `map_columns` raise ImportFileError for a file that cannot
be imported at all; the cell parsers raise ValueError (or note a message) for one bad cell.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from app.core.sanction_rules import EMPLOYEE_LABELS, Employee
from app.core.states import STATUS_LABELS, CaseStatus
from app.core.vocab import (
    CATEGORY_LABELS,
    NEUTRALITY_SUBCATEGORIES,
    SANCTION_FORMS,
    SANCTION_LABELS,
    SOURCE_LABELS,
    Category,
    Sanction,
    Source,
)

# -- headers -------------------------------------------------------------------------------------------------------

# canonical field -> accepted headers (normalised: lower case, words joined by "_").
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "external_ref": ("referensi", "no_referensi", "nomor_referensi", "kode_referensi", "ref", "reference",
                     "external_ref", "external_reference"),
    "agency": ("kode_instansi", "instansi", "agency_code", "agency"),
    "agency_name": ("nama_instansi", "agency_name"),
    "category": ("kategori", "kategori_pelanggaran", "jenis_pelanggaran", "category"),
    "subcategory": ("subkategori", "sub_kategori", "subcategory"),
    "source": ("sumber", "sumber_laporan", "source"),
    "reported_name": ("nama_terlapor", "terlapor", "reported_name", "reported_person_name"),
    "reported_nip": ("nip", "nip_terlapor", "reported_nip"),
    "reported_position": ("jabatan", "jabatan_terlapor", "reported_position", "position"),
    "employee_type": ("jenis_pegawai", "status_kepegawaian", "employee_type"),
    "summary": ("uraian", "uraian_pelanggaran", "ringkasan", "kronologi", "summary", "description"),
    "occurred_on": ("tanggal_kejadian", "tgl_kejadian", "occurred_on"),
    "reported_on": ("tanggal_laporan", "tgl_laporan", "tanggal_laporan_diterima", "reported_on", "reported_at"),
    "reporter_name": ("nama_pelapor", "pelapor", "reporter_name"),
    "reporter_contact": ("kontak_pelapor", "reporter_contact"),
    "status": ("status", "status_perkara", "tahap"),
    "status_reason": ("alasan", "alasan_penghentian", "alasan_penutupan", "reason"),
    "closed_on": ("tanggal_selesai", "tanggal_ditutup", "closed_on", "closed_at"),
    "sanction": ("sanksi_rekomendasi", "rekomendasi_sanksi", "recommended_sanction", "sanction"),
    "sanction_form": ("bentuk_sanksi", "bentuk_sanksi_rekomendasi", "sanction_form"),
    "legal_basis": ("dasar_hukum", "legal_basis"),
    "recommendation_text": ("isi_rekomendasi", "recommendation_text"),
    "letter_number": ("nomor_surat_rekomendasi", "nomor_rekomendasi", "no_surat_rekomendasi", "letter_number"),
    "issued_on": ("tanggal_rekomendasi", "tanggal_terbit_rekomendasi", "tgl_rekomendasi", "issued_on", "issued_at"),
    "received_on": ("tanggal_diterima_ppk", "tanggal_tanda_terima", "received_on"),
    "due_on": ("tenggat", "batas_waktu", "tenggat_tindak_lanjut", "due_on", "due_at"),
    "escalation_level": ("tingkat_eskalasi", "escalation_level"),
    "escalated_on": ("tanggal_eskalasi", "escalated_on"),
    "clarification_letter": ("nomor_surat_sanggahan", "nomor_sanggahan", "clarification_letter_number"),
    "clarification_reason": ("alasan_sanggahan", "clarification_reason"),
    "clarification_on": ("tanggal_sanggahan", "clarification_on"),
    "decision_number": ("nomor_sk", "no_sk", "nomor_keputusan", "decision_number"),
    "decision_date": ("tanggal_sk", "tgl_sk", "tanggal_keputusan", "decision_date"),
    "sanction_imposed": ("sanksi_dijatuhkan", "sanction_imposed"),
    "imposed_form": ("bentuk_sanksi_dijatuhkan", "imposed_sanction_form"),
    "followed_up_on": ("tanggal_tindak_lanjut", "tanggal_laporan_tindak_lanjut", "followed_up_on"),
    "follow_up_note": ("catatan_tindak_lanjut", "follow_up_note"),
}  # fmt: skip
REQUIRED_FIELDS = ("agency", "category", "source", "reported_name", "reported_nip", "summary", "occurred_on")
# Columns an export or an error report adds that the importer reads past without a warning.
INFORMATIVE_HEADERS = frozenset(
    {"baris", "kesalahan", "nomor_perkara", "sanksi_lebih_ringan", "terlambat", "status_label", "number"}
)

# Indonesian names of the fields, for messages.
FIELD_LABELS: dict[str, str] = {
    "external_ref": "Referensi",
    "agency": "Instansi",
    "agency_name": "Nama instansi",
    "category": "Kategori",
    "subcategory": "Subkategori",
    "source": "Sumber",
    "reported_name": "Nama terlapor",
    "reported_nip": "NIP",
    "reported_position": "Jabatan",
    "employee_type": "Jenis pegawai",
    "summary": "Uraian",
    "occurred_on": "Tanggal kejadian",
    "reported_on": "Tanggal laporan",
    "status": "Status",
    "status_reason": "Alasan",
    "closed_on": "Tanggal selesai",
    "sanction": "Sanksi rekomendasi",
    "sanction_form": "Bentuk sanksi",
    "letter_number": "Nomor surat rekomendasi",
    "issued_on": "Tanggal rekomendasi",
    "received_on": "Tanggal diterima PPK",
    "due_on": "Tenggat",
    "escalation_level": "Tingkat eskalasi",
    "escalated_on": "Tanggal eskalasi",
    "clarification_letter": "Nomor surat sanggahan",
    "clarification_on": "Tanggal sanggahan",
    "decision_number": "Nomor SK",
    "decision_date": "Tanggal SK",
    "sanction_imposed": "Sanksi dijatuhkan",
    "imposed_form": "Bentuk sanksi dijatuhkan",
    "followed_up_on": "Tanggal tindak lanjut",
}

ST = CaseStatus
# Month names and abbreviations, Indonesian and English, as dates are written in cells ("12 April 2022").
MONTHS = {
    "januari": 1, "jan": 1, "january": 1, "februari": 2, "feb": 2, "pebruari": 2, "february": 2, "maret": 3,
    "mar": 3, "march": 3, "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6, "jun": 6, "june": 6, "juli": 7,
    "jul": 7, "july": 7, "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "august": 8, "september": 9,
    "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "oct": 10, "october": 10, "november": 11, "nov": 11,
    "nopember": 11, "desember": 12, "des": 12, "dec": 12, "december": 12,
}  # fmt: skip
EXCEL_EPOCH = date(1899, 12, 30)


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (format, encoding, missing columns); nothing was written."""


# -- cells -------------------------------------------------------------------------------------------------------


def normalize_header(header: Any) -> str:
    text = unicodedata.normalize("NFKD", str(header or "")).encode("ascii", "ignore").decode()
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)  # format hints
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def normalize_value(value: str) -> str:
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _vocabulary(values: Iterable[str], labels: dict[Any, str], extra: dict[str, str]) -> dict[str, str]:
    table: dict[str, str] = {}
    for value in values:
        table[normalize_value(value)] = value
    for key, text in labels.items():
        table[normalize_value(text)] = getattr(key, "value", key)
    for text, value in extra.items():
        table[normalize_value(text)] = value
    return table


STATUS_VALUES = _vocabulary(
    [s.value for s in CaseStatus],
    dict(STATUS_LABELS),
    {
        "laporan": ST.REPORTED, "diterima": ST.REPORTED, "baru": ST.REPORTED, "penelaahan": ST.UNDER_REVIEW,
        "klarifikasi": ST.UNDER_REVIEW, "review": ST.UNDER_REVIEW, "under review": ST.UNDER_REVIEW,
        "dihentikan": ST.DISMISSED, "tidak terbukti": ST.DISMISSED, "draf rekomendasi": ST.RECOMMENDATION_DRAFTED,
        "menunggu tindak lanjut": ST.AWAITING_FOLLOW_UP, "rekomendasi terbit": ST.AWAITING_FOLLOW_UP,
        "sanggahan": ST.CLARIFICATION_REQUESTED, "tindak lanjut dilaporkan": ST.FOLLOW_UP_REPORTED,
        "ditindaklanjuti": ST.COMPLETED, "selesai": ST.COMPLETED, "ditutup": ST.CLOSED,
    },
)  # fmt: skip
CATEGORY_VALUES = _vocabulary(
    [c.value for c in Category],
    dict(CATEGORY_LABELS),
    {"netralitas": Category.NETRALITAS, "neutrality": Category.NETRALITAS, "kode etik": Category.KODE_ETIK_LAINNYA,
     "perselingkuhan": Category.MASALAH_RUMAH_TANGGA, "rumah tangga": Category.MASALAH_RUMAH_TANGGA},
)  # fmt: skip
SOURCE_VALUES = _vocabulary(
    [s.value for s in Source],
    dict(SOURCE_LABELS),
    {"masyarakat": Source.PUBLIC, "pengaduan": Source.PUBLIC, "publik": Source.PUBLIC, "lapor": Source.PUBLIC,
     "sp4n lapor": Source.PUBLIC, "media sosial": Source.MEDIA, "berita": Source.MEDIA,
     "pemantauan": Source.MONITORING, "inisiatif kasn": Source.MONITORING, "instansi": Source.AGENCY,
     "laporan ppk": Source.AGENCY},
)  # fmt: skip
SANCTION_VALUES = _vocabulary(
    [s.value for s in Sanction],
    dict(SANCTION_LABELS),
    {"moral tertutup": Sanction.SANKSI_MORAL_TERTUTUP, "pernyataan tertutup": Sanction.SANKSI_MORAL_TERTUTUP,
     "moral terbuka": Sanction.SANKSI_MORAL_TERBUKA, "pernyataan terbuka": Sanction.SANKSI_MORAL_TERBUKA,
     "ringan": Sanction.DISIPLIN_RINGAN, "disiplin ringan": Sanction.DISIPLIN_RINGAN,
     "hukuman disiplin ringan": Sanction.DISIPLIN_RINGAN, "sedang": Sanction.DISIPLIN_SEDANG,
     "disiplin sedang": Sanction.DISIPLIN_SEDANG, "berat": Sanction.DISIPLIN_BERAT,
     "disiplin berat": Sanction.DISIPLIN_BERAT, "pemberhentian tidak dengan hormat": Sanction.PTDH},
)  # fmt: skip
FORM_VALUES = _vocabulary(list(SANCTION_FORMS), dict(SANCTION_FORMS), {})
# A neutrality sub-type by its key or its label; the employee type as the column "jenis pegawai" writes it.
SUBCATEGORY_VALUES = _vocabulary(list(NEUTRALITY_SUBCATEGORIES), dict(NEUTRALITY_SUBCATEGORIES), {})
EMPLOYEE_VALUES = _vocabulary(
    [e.value for e in Employee],
    dict(EMPLOYEE_LABELS),
    {"pegawai negeri sipil": Employee.PNS, "cpns": Employee.PNS, "p3k": Employee.PPPK,
     "pegawai pemerintah dengan perjanjian kerja": Employee.PPPK},
)  # fmt: skip


def employee_in_row(cells: dict[str, Any], errors: list[str] | None = None) -> Employee | None:
    """PNS or PPPK as the row's "jenis pegawai" says (None when empty; an unknown word goes to `errors`)."""
    raw = cells.get("employee_type")
    if raw is None:
        return None
    value = EMPLOYEE_VALUES.get(normalize_value(str(raw)))
    if value is None and errors is not None:
        errors.append(f"{FIELD_LABELS['employee_type']}: '{raw}' tidak dikenal (PNS atau PPPK)")
    return Employee(value) if value else None


def clean_cell(value: Any) -> Any:
    """Strip strings (and the quote an export puts before a formula-like cell); None for empty cells."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
            text = text[1:]
        return text or None
    return value


def parse_date(value: Any) -> date:
    """A calendar day from a cell: a date/datetime, an Excel serial, ISO, DD/MM/YYYY or '12 April 2022'."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 200000:
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T].*)?", text):
        return date.fromisoformat(text[:10])
    match = re.fullmatch(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})", text)
    if match:
        return date(int(match[1]), int(match[2]), int(match[3]))
    match = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text)
    if match:
        return date(int(match[3]), int(match[2]), int(match[1]))
    match = re.fullmatch(r"(\d{1,2})[\s\-]+([A-Za-z]+)\.?[\s\-]+(\d{4})", text)
    if match and match[2].lower() in MONTHS:
        return date(int(match[3]), MONTHS[match[2].lower()], int(match[1]))
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    raise ValueError


def parse_instant(value: Any, tz: ZoneInfo, *, end_of_day: bool = False) -> datetime:
    """An aware UTC instant: a full timestamp as written (naive = the agency's local time), or a day taken at
    the start of the day in the agency's zone (its end with `end_of_day`, as for a deadline)."""
    if isinstance(value, datetime) and (value.hour or value.minute or value.second or value.tzinfo):
        local = value if value.tzinfo else value.replace(tzinfo=tz)
        return local.astimezone(UTC)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}.*", value.strip()):
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).astimezone(UTC)
    day = parse_date(value)
    return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=tz).astimezone(UTC)


def optional_text(value: Any) -> str | None:
    """A cell as stripped text (a whole float without its ".0"), or None when empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def lookup_value(
    table: dict[str, str], raw: Any, name: str, errors: list[str], *, required: bool = False
) -> str | None:
    """The vocabulary value a cell names (None, with a message in `errors`, when unknown or missing)."""
    if raw is None:
        if required:
            errors.append(f"{FIELD_LABELS[name]}: wajib diisi")
        return None
    value = table.get(normalize_value(str(raw)))
    if value is None:
        errors.append(f"{FIELD_LABELS.get(name, name)}: '{raw}' tidak dikenal")
    return value


# -- files -------------------------------------------------------------------------------------------------------


@dataclass
class Table:
    """A spreadsheet's header and a lazy iterator over its rows (lists of cell values)."""

    headers: list[str]
    rows: Iterator[list[Any]]
    total: int | None
    format: str
    delimiter: str = ","
    _close: Callable[[], None] | None = None

    def close(self) -> None:
        if self._close is not None:
            self._close()


def _sniff_encoding(head: bytes) -> str:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut multi-byte character at the end of the sample is still UTF-8.
        if exc.start < len(head) - 3:
            return "cp1252"
    return "utf-8-sig"


def _open_csv(path: Path) -> Table:
    with path.open("rb") as probe:
        head = probe.read(256 * 1024)
    encoding = _sniff_encoding(head)
    first_line = head.decode(encoding, errors="replace").splitlines()[0] if head else ""
    delimiter = max((";", ",", "\t", "|"), key=first_line.count) if first_line else ","
    if first_line.count(delimiter) == 0:
        delimiter = ","
    with path.open("r", encoding=encoding, newline="") as counter:
        total = max(sum(1 for _ in csv.reader(counter, delimiter=delimiter)) - 1, 0)
    handle = path.open("r", encoding=encoding, newline="")
    reader = csv.reader(handle, delimiter=delimiter)
    headers = next(reader, None)
    if headers is None:
        handle.close()
        raise ImportFileError("Berkas kosong: baris judul kolom tidak ditemukan.")
    return Table(headers, reader, total, "csv", delimiter, handle.close)


def _open_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook  # deferred: a fifth of a second to import, and only XLSX files need it
    from openpyxl.utils.exceptions import InvalidFileException  # deferred: as above

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ImportFileError("Berkas XLSX tidak dapat dibaca.") from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    headers = next(rows, None)
    if headers is None:
        workbook.close()
        raise ImportFileError("Lembar kerja kosong: baris judul kolom tidak ditemukan.")
    total = (sheet.max_row - 1) if sheet.max_row else None
    return Table([str(h) if h is not None else "" for h in headers], (list(r) for r in rows), total, "xlsx",
                 _close=workbook.close)  # fmt: skip


def open_table(path: str | Path) -> Table:
    """Open a CSV (UTF-8 or Windows-1252, comma, semicolon or tab) or XLSX file; raises ImportFileError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _open_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _open_xlsx(path)
    if suffix == ".xls":
        raise ImportFileError("Format .xls lama tidak didukung: simpan ulang sebagai .xlsx atau .csv.")
    raise ImportFileError("Format berkas tidak didukung: gunakan CSV atau XLSX.")


def map_columns(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """(field -> column index, warnings); raises ImportFileError when a required column is missing."""
    lookup = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
    mapping: dict[str, int] = {}
    warnings: list[str] = []
    for index, header in enumerate(headers):
        key = normalize_header(header)
        if not key:
            continue
        name = lookup.get(key)
        if name is None:
            if key not in INFORMATIVE_HEADERS:
                warnings.append(f"Kolom '{header}' tidak dikenal dan diabaikan.")
            continue
        if name in mapping:
            warnings.append(f"Kolom '{header}' mengulang {FIELD_LABELS.get(name, name)} dan diabaikan.")
            continue
        mapping[name] = index
    missing = [f for f in REQUIRED_FIELDS if f not in mapping and not (f == "agency" and "agency_name" in mapping)]
    if missing:
        names = ", ".join(FIELD_LABELS[f] for f in missing)
        raise ImportFileError(f"Kolom wajib tidak ditemukan: {names}.")
    return mapping, warnings
