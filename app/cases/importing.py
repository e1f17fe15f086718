"""Import cases from a spreadsheet (CSV or XLSX): historical cases in any state, never twice, never an email.

How a file is read:
- columns are mapped by their header, Indonesian or English (`FIELD_ALIASES`); the case, spacing and
  punctuation of a header do not matter, and a hint in parentheses ("Tanggal Kejadian (DD/MM/YYYY)") is ignored;
- each row is validated on its own (NIP, dates, agency by code or name, category, source, status, sanctions and
  the fields each status needs); a bad row never stops the others;
- good rows are written in batches, each in a savepoint: the case with its final status, its recommendation
  (issue date, due date, letter number), clarification, follow-up and escalation levels as given, and one
  `imported` history row (hash-chained like every other history row). No outbox row is written;
- every row has a stable external reference (the file's reference column, else a hash of the fields that
  identify the violation), unique in the database: importing the same file twice adds nothing;
- bad rows go to an error report with the original columns plus `Baris` and `Kesalahan`; the user fixes the
  report and imports it as it is.

`iter_import()` yields after each flushed batch so that the boundary (CLI command, admin page) commits batch
by batch; `import_file()` wraps it for callers that only want the result.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from app.cases.schemas import NewCaseSchema
from app.core.clock import utcnow
from app.core.states import STATUS_LABELS, CaseStatus
from app.core.vocab import (
    CATEGORY_LABELS,
    CENTRAL_KINDS,
    SANCTION_FORMS,
    SANCTION_LABELS,
    SOURCE_LABELS,
    AgencyKind,
    Body,
    Category,
    Sanction,
    Source,
    is_lighter,
)
from app.extensions import db
from app.models.agencies import Agency
from app.models.cases import Case, CaseCounter, CaseHistory, Clarification, FollowUp, Recommendation
from app.models.escalations import EscalationStep
from workflows.history import GENESIS, SYSTEM_ACTOR, chained_row

IMPORT_EVENT = "imported"
DEFAULT_BATCH_SIZE = 500
MAX_ERRORS_KEPT = 1000  # in the result; the report file has them all
REPORT_ROW = "Baris"
REPORT_ERRORS = "Kesalahan"

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
ISSUED_STATUSES = frozenset({ST.AWAITING_FOLLOW_UP, ST.CLARIFICATION_REQUESTED, ST.FOLLOW_UP_REPORTED, ST.COMPLETED})
RECOMMENDATION_FIELDS = ("sanction", "sanction_form", "legal_basis", "recommendation_text", "letter_number",
                         "issued_on", "received_on", "due_on", "escalation_level", "escalated_on")  # fmt: skip
FOLLOW_UP_FIELDS = ("decision_number", "decision_date", "sanction_imposed", "imposed_form", "followed_up_on",
                    "follow_up_note")  # fmt: skip
CLARIFICATION_FIELDS = ("clarification_letter", "clarification_reason", "clarification_on")

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


# -- small parsers ---------------------------------------------------------------------------------------------


def normalize_header(header: Any) -> str:
    text = unicodedata.normalize("NFKD", str(header or "")).encode("ascii", "ignore").decode()
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)  # format hints
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _norm_value(value: str) -> str:
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _vocabulary(values: Iterable[str], labels: dict[Any, str], extra: dict[str, str]) -> dict[str, str]:
    table: dict[str, str] = {}
    for value in values:
        table[_norm_value(value)] = value
    for key, text in labels.items():
        table[_norm_value(text)] = getattr(key, "value", key)
    for text, value in extra.items():
        table[_norm_value(text)] = value
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


def _clean(value: Any) -> Any:
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


def stable_reference(agency_code: str, nip: str, occurred_on: date, category: str, subcategory: str | None) -> str:
    """The external reference of a row without one: a hash of the fields that identify the violation."""
    key = "|".join([agency_code.upper(), nip, occurred_on.isoformat(), category, subcategory or ""])
    return "imp-" + hashlib.sha256(key.encode()).hexdigest()[:40]


# -- reading files ---------------------------------------------------------------------------------------------


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
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

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


# -- results -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # line number in the file (the header is line 1)
    messages: tuple[str, ...]


@dataclass
class ImportProgress:
    processed: int = 0
    imported: int = 0
    skipped: int = 0
    failed: int = 0
    total: int | None = None


@dataclass
class ImportResult:
    total: int = 0
    imported: int = 0
    skipped: int = 0  # already imported (same reference), in the database or earlier in the file
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    report_path: Path | None = None
    case_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0


# -- row validation --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AgencyInfo:
    id: int
    code: str
    timezone: str
    kind: str
    escalation_body: str | None = None

    @property
    def body(self) -> str:
        """The ministry its escalations go to (its override, else by kind), as `routed_body` decides."""
        if self.escalation_body:
            return self.escalation_body
        return Body.MENPANRB.value if AgencyKind(self.kind) in CENTRAL_KINDS else Body.KEMENDAGRI.value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class _RowInvalid(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class _Prepared:
    line: int
    external_ref: str
    year: int
    case: dict[str, Any]
    recommendation: dict[str, Any] | None = None
    clarification: dict[str, Any] | None = None
    follow_up: dict[str, Any] | None = None
    escalation_level: int | None = None
    escalation_reached: list[datetime] = field(default_factory=list)  # per level, 0..escalation_level
    payload: dict[str, Any] = field(default_factory=dict)


class _Context:
    """What validating rows needs, loaded once per import: agencies, the calendar, rules, authorities."""

    def __init__(self, actor: Any | None, filename: str):
        self.actor_id = getattr(actor, "id", None)
        self.actor_label = getattr(actor, "email", None) or SYSTEM_ACTOR
        self.filename = filename
        self.now = utcnow()
        self.by_code: dict[str, _AgencyInfo] = {}
        self.by_name: dict[str, list[_AgencyInfo]] = {}
        columns = (Agency.id, Agency.code, Agency.name, Agency.timezone, Agency.kind, Agency.escalation_body)
        for row in db.session.execute(select(*columns)):
            info = _AgencyInfo(row.id, row.code, row.timezone or "Asia/Jakarta", row.kind, row.escalation_body)
            self.by_code[row.code.upper()] = info
            self.by_name.setdefault(_norm_value(row.name), []).append(info)
        from app.calendar.working_days import Calendar

        self.calendar = Calendar.load(all_agencies=True)
        self._zones = {info.id: info.timezone for info in self.by_code.values()}
        self._rules: dict[date, tuple[int, str]] = {}
        self._authorities: dict[date, str] = {}
        from app.calendar.working_days import FOLLOW_UP_RULE
        from app.models.calendar import DeadlineRule
        from app.models.core import OversightAuthority

        self._rule_rows = db.session.execute(
            select(DeadlineRule.days, DeadlineRule.code, DeadlineRule.valid_from, DeadlineRule.valid_to)
            .where(DeadlineRule.code == FOLLOW_UP_RULE, DeadlineRule.unit == "working_days")
            .order_by(DeadlineRule.valid_from.desc(), DeadlineRule.id.desc())
        ).all()
        self._authority_rows = db.session.execute(
            select(OversightAuthority.short_name, OversightAuthority.valid_from, OversightAuthority.valid_to).order_by(
                OversightAuthority.valid_from.desc()
            )
        ).all()

    def agency(self, code: Any, name: Any) -> _AgencyInfo:
        found: _AgencyInfo | None = None
        if code is not None:
            text = str(code).strip()
            found = self.by_code.get(text.upper())
            if found is None:
                found = self._by_name(text)
        if name is not None:
            by_name = self._by_name(str(name))
            if found is not None and by_name.id != found.id:
                raise ValueError("kode dan nama instansi menunjuk instansi yang berbeda")
            found = found or by_name
        if found is None:
            raise ValueError("instansi wajib diisi")
        return found

    def _by_name(self, text: str) -> _AgencyInfo:
        matches = self.by_name.get(_norm_value(text), [])
        if not matches:
            raise ValueError(f"instansi '{text}' tidak ditemukan (gunakan kode atau nama resmi)")
        if len(matches) > 1:
            raise ValueError(f"nama instansi '{text}' tidak tunggal; gunakan kodenya")
        return matches[0]

    def passed_levels(self, agency: _AgencyInfo, due_at: datetime) -> list[datetime]:
        """When each escalation level was reached for a recommendation due at `due_at`, for the levels the
        ladder (in the agency's calendar) puts before now; computed as the sweep does."""
        from app.calendar.working_days import end_of_day, local_date
        from app.escalations.sweep import demanded_level, level_days

        days = level_days(self.ladder, self.calendar, local_date(due_at, agency.timezone), agency.id)
        target = demanded_level(days, local_date(self.now, agency.timezone))
        return [end_of_day(days[level], agency.timezone) for level in range(target + 1)]

    @cached_property
    def ladder(self) -> Any:
        from app.escalations.ladder import load_ladder

        return load_ladder()

    def timezone_of(self, agency_id: int) -> str:
        return self._zones[agency_id]

    def rule(self, on: date) -> tuple[int, str]:
        """(working days, rule code) for a recommendation received on `on`, as `follow_up_rule` decides."""
        found = self._rules.get(on)
        if found is None:
            found = self._rules[on] = self._pick_rule(on)
        return found

    def _pick_rule(self, on: date) -> tuple[int, str]:
        for row in self._rule_rows:  # newest start first, as `follow_up_rule` orders them
            if row.valid_from <= on and (row.valid_to is None or row.valid_to >= on):
                return row.days, row.code
        return self._default_rule

    @cached_property
    def _default_rule(self) -> tuple[int, str]:
        from app.calendar.working_days import follow_up_rule

        days, code, _ = follow_up_rule(date.min)  # no rule row applies: the configured default
        return days, code

    def authority(self, on: date) -> str:
        """The authority's short name on `on`, as `authority_name_on` decides (one query per import)."""
        found = self._authorities.get(on)
        if found is None:
            found = self._authorities[on] = self._pick_authority(on)
        return found

    def _pick_authority(self, on: date) -> str:
        for row in self._authority_rows:
            if row.valid_from <= on and (row.valid_to is None or row.valid_to >= on):
                return row.short_name
        return str(current_app.config.get("OVERSIGHT_AUTHORITY_NAME") or "KASN")  # as authority_name_on


_SCHEMA = NewCaseSchema()
_SCHEMA_FIELDS = {
    "agency_id": "agency",
    "category": "category",
    "subcategory": "subcategory",
    "source": "source",
    "summary": "summary",
    "occurred_on": "occurred_on",
    "name": "reported_name",
    "nip": "reported_nip",
    "position": "reported_position",
    "reporter": "reporter_name",
}


# marshmallow's own English messages, said in Indonesian.
_SCHEMA_MESSAGES = (
    (re.compile(r"Shorter than minimum length (\d+)\."), r"terlalu pendek (minimal \1 karakter)"),
    (re.compile(r"Longer than maximum length (\d+)\."), r"terlalu panjang (maksimal \1 karakter)"),
    (re.compile(r"Length must be between (\d+) and (\d+)\."), r"panjang harus \1 sampai \2 karakter"),
    (re.compile(r"Not a valid string\."), "bukan teks yang sah"),
    (re.compile(r"Not a valid date\."), "bukan tanggal yang sah"),
    (re.compile(r"Missing data for required field\."), "wajib diisi"),
    (re.compile(r"Field may not be null\."), "wajib diisi"),
    (re.compile(r"Unknown field\."), "kolom tidak dikenal"),
)


def _indonesian(message: str) -> str:
    for pattern, replacement in _SCHEMA_MESSAGES:
        if pattern.fullmatch(message):
            return pattern.sub(replacement, message)
    return message


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = _SCHEMA_FIELDS.get(str(key))
            label = FIELD_LABELS.get(name, str(key)) if name else prefix or str(key)
            out += _flatten(value, label if name else prefix or label)
    elif isinstance(messages, list | tuple):
        for item in messages:
            out += _flatten(item, prefix)
    else:
        text = _indonesian(str(messages))
        out.append(f"{prefix}: {text}" if prefix else text)
    return out


class _RowValidator:
    """Turns one row (field -> cell) into the values to insert, or raises _RowInvalid with every problem."""

    def __init__(self, ctx: _Context):
        self.ctx = ctx

    def prepare(self, line: int, cells: dict[str, Any]) -> _Prepared:
        errors: list[str] = []
        agency: _AgencyInfo | None = None
        try:
            agency = self.ctx.agency(cells.get("agency"), cells.get("agency_name"))
        except ValueError as exc:
            errors.append(f"Instansi: {exc}")
        core = self._core(cells, agency, errors)
        status = self._status(cells, errors)
        tz = agency.tz if agency else ZoneInfo("Asia/Jakarta")
        dates = self._dates(cells, tz, errors)
        if errors or agency is None or core is None or status is None:
            raise _RowInvalid(errors or ["baris tidak valid"])
        prepared = self._assemble(line, cells, agency, core, status, dates, errors)
        if errors:
            raise _RowInvalid(errors)
        return prepared

    # core fields: the same schema as a case logged through the API
    def _core(self, cells: dict[str, Any], agency: _AgencyInfo | None, errors: list[str]) -> dict[str, Any] | None:
        category = _lookup(CATEGORY_VALUES, cells.get("category"), "category", errors, required=True)
        source = _lookup(SOURCE_VALUES, cells.get("source"), "source", errors, required=True)
        occurred: date | None = None
        if cells.get("occurred_on") is None:
            errors.append("Tanggal kejadian: wajib diisi")
        else:
            try:
                occurred = parse_date(cells["occurred_on"])
            except ValueError:
                errors.append(f"Tanggal kejadian: '{cells['occurred_on']}' bukan tanggal yang dikenali")
        nip_cell = cells.get("reported_nip")
        if isinstance(nip_cell, int | float) and not isinstance(nip_cell, bool):
            # A spreadsheet number keeps 15 significant digits: the last digits of an 18-digit NIP are lost.
            errors.append("NIP: tersimpan sebagai angka sehingga digit terakhir hilang; format kolom NIP sebagai teks")
        reporter = None
        if cells.get("reporter_name") or cells.get("reporter_contact"):
            reporter = {"name": _str(cells.get("reporter_name")), "contact": _str(cells.get("reporter_contact"))}
        # Fields already found wrong above get a stand-in, so each problem is reported once.
        payload = {
            "agency_id": agency.id if agency else 0,
            "category": category or Category.KODE_ETIK_LAINNYA.value,
            "subcategory": _str(cells.get("subcategory")),
            "source": source or Source.MONITORING.value,
            "reported_person": {
                "name": _str(cells.get("reported_name")) or "",
                "nip": _str(cells.get("reported_nip")) or "",
                "position": _str(cells.get("reported_position")),
                "pppk": _norm_value(str(cells.get("employee_type") or "")) == "pppk",
            },
            "summary": _str(cells.get("summary")) or "",
            "occurred_on": (occurred or date(2000, 1, 1)).isoformat(),
            "reporter": reporter,
        }
        try:
            clean = _SCHEMA.load(payload)
        except ValidationError as exc:
            errors.extend(_flatten(exc.messages))
            return None
        return None if errors else clean

    def _status(self, cells: dict[str, Any], errors: list[str]) -> CaseStatus | None:
        raw = cells.get("status")
        if raw is None:
            return ST.REPORTED
        value = STATUS_VALUES.get(_norm_value(str(raw)))
        if value is None:
            errors.append(f"Status: '{raw}' tidak dikenal")
            return None
        return CaseStatus(value)

    def _dates(self, cells: dict[str, Any], tz: ZoneInfo, errors: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("reported_on", "issued_on", "closed_on", "escalated_on", "clarification_on", "followed_up_on"):
            if cells.get(name) is not None:
                try:
                    out[name] = parse_instant(cells[name], tz)
                except ValueError:
                    errors.append(f"{FIELD_LABELS[name]}: '{cells[name]}' bukan tanggal yang dikenali")
        if cells.get("due_on") is not None:
            try:
                out["due_on"] = parse_instant(cells["due_on"], tz, end_of_day=True)
            except ValueError:
                errors.append(f"Tenggat: '{cells['due_on']}' bukan tanggal yang dikenali")
        for name in ("received_on", "decision_date"):
            if cells.get(name) is not None:
                try:
                    out[name] = parse_date(cells[name])
                except ValueError:
                    errors.append(f"{FIELD_LABELS[name]}: '{cells[name]}' bukan tanggal yang dikenali")
        for name, value in out.items():
            instant = value if isinstance(value, datetime) else datetime.combine(value, time.min, tzinfo=tz)
            if instant > self.ctx.now + timedelta(days=1) and name != "due_on":
                errors.append(f"{FIELD_LABELS[name]}: tidak boleh di masa depan")
        return out

    def _assemble(
        self,
        line: int,
        cells: dict[str, Any],
        agency: _AgencyInfo,
        core: dict[str, Any],
        status: CaseStatus,
        dates: dict[str, Any],
        errors: list[str],
    ) -> _Prepared:
        ctx = self.ctx
        tz = agency.tz
        person = core["reported_person"]
        reporter = core.get("reporter") or {}
        occurred: date = core["occurred_on"]
        created_at: datetime = dates.get("reported_on") or ctx.now
        if dates.get("reported_on") and dates["reported_on"].astimezone(tz).date() < occurred:
            errors.append("Tanggal laporan: tidak boleh sebelum tanggal kejadian")
        external_ref = _str(cells.get("external_ref")) or stable_reference(
            agency.code, person["nip"], occurred, core["category"], core.get("subcategory")
        )
        if len(external_ref) > 100:
            errors.append("Referensi: paling banyak 100 karakter")
        case: dict[str, Any] = {
            "agency_id": agency.id,
            "category": core["category"],
            "subcategory": core.get("subcategory"),
            "source": core["source"],
            "reported_name": person["name"],
            "reported_nip": person["nip"],
            "reported_position": person.get("position"),
            "summary": core["summary"],
            "occurred_on": occurred,
            "reporter_name": reporter.get("name"),
            "reporter_contact": reporter.get("contact"),
            "status": status.value,
            "version": 1,
            "dismiss_reason": None,
            "close_reason": None,
            "external_ref": external_ref,
            "created_by_id": ctx.actor_id,
            "created_at": created_at,
            "updated_at": ctx.now,
            "issued_at": None,
            "closed_at": None,
        }
        prepared = _Prepared(line=line, external_ref=external_ref, year=created_at.astimezone(tz).year, case=case)

        self._status_parts(prepared, cells, agency, status, dates, errors)
        prepared.payload = {
            "external_ref": external_ref,
            "file": ctx.filename,
            "row": line,
            "status": status.value,
            "agency_id": agency.id,
            "category": case["category"],
            "source": case["source"],
            "has_reporter": bool(reporter.get("name") or reporter.get("contact")),
            "reported_on": created_at.isoformat() if dates.get("reported_on") else None,
        }
        return prepared

    def _status_parts(
        self,
        prepared: _Prepared,
        cells: dict[str, Any],
        agency: _AgencyInfo,
        status: CaseStatus,
        dates: dict[str, Any],
        errors: list[str],
    ) -> None:
        """What each status needs (reason, recommendation, clarification, follow-up) and what it may not have."""
        case = prepared.case
        has_rec = any(cells.get(f) is not None for f in RECOMMENDATION_FIELDS)
        has_fu = any(cells.get(f) is not None for f in FOLLOW_UP_FIELDS)
        has_cl = any(cells.get(f) is not None for f in CLARIFICATION_FIELDS)
        reason = _str(cells.get("status_reason"))
        if status in (ST.DISMISSED, ST.CLOSED) and not reason:
            errors.append(f"Alasan: wajib diisi untuk status {STATUS_LABELS[status]}")
        if status == ST.DISMISSED:
            case["dismiss_reason"] = reason
        elif status == ST.CLOSED:
            case["close_reason"] = reason
        if status in (ST.REPORTED, ST.UNDER_REVIEW, ST.DISMISSED) and (has_rec or has_fu or has_cl):
            errors.append(f"Status {STATUS_LABELS[status]} tidak boleh memiliki data rekomendasi atau tindak lanjut")
            return
        if status in (ST.RECOMMENDATION_DRAFTED, *ISSUED_STATUSES) or (status == ST.CLOSED and has_rec):
            self._recommendation(prepared, cells, agency, status, dates, errors)
        if has_fu and status not in (ST.FOLLOW_UP_REPORTED, ST.COMPLETED, ST.CLOSED):
            errors.append(f"Status {STATUS_LABELS[status]} tidak boleh memiliki data tindak lanjut (SK)")
        elif status in (ST.FOLLOW_UP_REPORTED, ST.COMPLETED) or has_fu:
            self._follow_up(prepared, cells, status, dates, errors)
        if has_cl and status != ST.CLARIFICATION_REQUESTED:
            errors.append(f"Status {STATUS_LABELS[status]} tidak boleh memiliki data sanggahan")
        elif status == ST.CLARIFICATION_REQUESTED:
            self._clarification(prepared, cells, dates, errors)
        if status in (ST.DISMISSED, ST.CLOSED, ST.COMPLETED):
            fallback = (prepared.follow_up or {}).get("reported_at") or case["created_at"]
            case["closed_at"] = dates.get("closed_on") or fallback

    def _recommendation(
        self,
        prepared: _Prepared,
        cells: dict[str, Any],
        agency: _AgencyInfo,
        status: CaseStatus,
        dates: dict[str, Any],
        errors: list[str],
    ) -> None:
        ctx = self.ctx
        case = prepared.case
        sanction = _lookup(SANCTION_VALUES, cells.get("sanction"), "sanction", errors, required=True)
        form = _lookup(FORM_VALUES, cells.get("sanction_form"), "sanction_form", errors)
        letter = _str(cells.get("letter_number"))
        issued_at: datetime | None = dates.get("issued_on")
        issued = status in ISSUED_STATUSES or (status == ST.CLOSED and issued_at is not None)
        if status == ST.RECOMMENDATION_DRAFTED and (letter or issued_at or cells.get("due_on") is not None):
            errors.append("Status Draf rekomendasi: nomor surat, tanggal rekomendasi dan tenggat belum boleh diisi")
            issued = False
        if issued and not letter:
            errors.append("Nomor surat rekomendasi: wajib diisi untuk rekomendasi yang telah terbit")
        if issued and issued_at is None:
            errors.append("Tanggal rekomendasi: wajib diisi untuk rekomendasi yang telah terbit")
        rec: dict[str, Any] = {
            "sanction": sanction,
            "sanction_form": form,
            "legal_basis": _str(cells.get("legal_basis")) or "",
            "text": _str(cells.get("recommendation_text")) or "",
            "drafted_by_id": ctx.actor_id,
            "drafted_at": issued_at or case["created_at"],
            "letter_number": letter if issued else None,
            "authority_name": None,
            "issued_by_id": ctx.actor_id if issued else None,
            "issued_at": None,
            "received_on": None,
            "working_days": None,
            "due_at": None,
            "due_calendar_version": None,
            "deadline_rule_code": None,
            "cycle": 0,
            "escalation_level": None,
            "is_open": False,
            "paused_at": None,
            "followed_up_at": None,
        }
        prepared.recommendation = rec
        if not issued or issued_at is None or sanction is None:
            return
        tz = agency.tz
        issued_day = issued_at.astimezone(tz).date()
        if issued_day < case["occurred_on"]:
            errors.append("Tanggal rekomendasi: tidak boleh sebelum tanggal kejadian")
        received: date = dates.get("received_on") or issued_day
        if received < issued_day:
            errors.append("Tanggal diterima PPK: tidak boleh sebelum tanggal rekomendasi")
        days, rule_code = ctx.rule(received)
        if dates.get("due_on") is not None:
            due_at, version = dates["due_on"], "impor"
        else:
            due_at, version = ctx.calendar.due_at(agency, received, days)
        if due_at < issued_at:
            errors.append("Tenggat: tidak boleh sebelum tanggal rekomendasi")
        rec.update(
            {
                "authority_name": ctx.authority(issued_day),
                "issued_at": issued_at,
                "received_on": received,
                "working_days": days,
                "due_at": due_at,
                "due_calendar_version": version,
                "deadline_rule_code": rule_code,
                "is_open": status == ST.AWAITING_FOLLOW_UP,
            }
        )
        case["issued_at"] = issued_at
        self._escalation(prepared, cells, agency, status, dates, errors)

    def _escalation(
        self,
        prepared: _Prepared,
        cells: dict[str, Any],
        agency: _AgencyInfo,
        status: CaseStatus,
        dates: dict[str, Any],
        errors: list[str],
    ) -> None:
        rec = prepared.recommendation
        assert rec is not None
        due_at: datetime = rec["due_at"]
        ctx = self.ctx
        level_raw = cells.get("escalation_level")
        if level_raw is not None:
            try:
                level = int(float(str(level_raw).strip()))
            except ValueError:
                level = -1
            if not 0 <= level <= 3:
                errors.append(f"Tingkat eskalasi: '{level_raw}' harus 0, 1, 2 atau 3")
            else:
                rec["escalation_level"] = level
                prepared.escalation_level = level
                prepared.escalation_reached = [dates.get("escalated_on") or due_at] * (level + 1)
        elif status == ST.AWAITING_FOLLOW_UP:
            # Still open, and the file does not say how far it went: the levels its dates have already passed
            # are recorded as reached (never emailed), so the sweep escalates only what falls due from now on.
            reached = ctx.passed_levels(agency, due_at)
            if reached:
                rec["escalation_level"] = prepared.escalation_level = len(reached) - 1
                prepared.escalation_reached = reached

    def _follow_up(
        self, prepared: _Prepared, cells: dict[str, Any], status: CaseStatus, dates: dict[str, Any], errors: list[str]
    ) -> None:
        rec = prepared.recommendation
        if rec is None or rec.get("issued_at") is None:
            errors.append("Tindak lanjut (SK) memerlukan rekomendasi yang telah terbit (nomor dan tanggal rekomendasi)")
            return
        number = _str(cells.get("decision_number"))
        if not number:
            errors.append("Nomor SK: wajib diisi")
        decided: date | None = dates.get("decision_date")
        if cells.get("decision_date") is None:
            errors.append("Tanggal SK: wajib diisi")
        imposed = _lookup(SANCTION_VALUES, cells.get("sanction_imposed"), "sanction_imposed", errors, required=True)
        form = _lookup(FORM_VALUES, cells.get("imposed_form"), "imposed_form", errors)
        if decided is None or imposed is None or not number or rec["sanction"] is None:
            return
        tz = ZoneInfo(self.ctx.timezone_of(prepared.case["agency_id"]))
        issued_day = rec["issued_at"].astimezone(tz).date()
        if decided < issued_day:
            errors.append("Tanggal SK: tidak boleh sebelum tanggal rekomendasi")
        reported_at: datetime = dates.get("followed_up_on") or datetime.combine(decided, time.min, tzinfo=tz)
        if reported_at < rec["issued_at"]:
            errors.append("Tanggal tindak lanjut: tidak boleh sebelum tanggal rekomendasi")
        taken = self.ctx.calendar.working_days_between(
            rec["received_on"], reported_at.astimezone(tz).date(), prepared.case["agency_id"]
        )
        verdict = "accepted" if status == ST.COMPLETED else None
        prepared.follow_up = {
            "decision_number": number,
            "decision_date": decided,
            "sanction_imposed": imposed,
            "sanction_form": form,
            "note": _str(cells.get("follow_up_note")),
            "is_lighter": is_lighter(imposed, rec["sanction"]),
            "is_late": reported_at > rec["due_at"],
            "working_days_taken": taken,
            "document_id": None,
            "reported_by_id": None,
            "reported_at": reported_at,
            "verdict": verdict,
            "verdict_reason": None,
            "verdict_by_id": self.ctx.actor_id if verdict else None,
            "verdict_at": (dates.get("closed_on") or reported_at) if verdict else None,
        }
        rec["followed_up_at"] = reported_at

    def _clarification(
        self, prepared: _Prepared, cells: dict[str, Any], dates: dict[str, Any], errors: list[str]
    ) -> None:
        letter = _str(cells.get("clarification_letter"))
        if not letter:
            errors.append("Nomor surat sanggahan: wajib diisi untuk status Sanggahan / klarifikasi PPK")
            return
        rec = prepared.recommendation or {}
        requested_at = dates.get("clarification_on") or rec.get("issued_at") or prepared.case["created_at"]
        prepared.clarification = {
            "letter_number": letter,
            "reason": _str(cells.get("clarification_reason")) or "(diimpor tanpa uraian)",
            "document_id": None,
            "requested_by_id": None,
            "requested_at": requested_at,
            "outcome": None,
        }
        if prepared.recommendation is not None:
            prepared.recommendation["paused_at"] = requested_at


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _lookup(table: dict[str, str], raw: Any, name: str, errors: list[str], *, required: bool = False) -> str | None:
    if raw is None:
        if required:
            errors.append(f"{FIELD_LABELS[name]}: wajib diisi")
        return None
    value = table.get(_norm_value(str(raw)))
    if value is None:
        errors.append(f"{FIELD_LABELS.get(name, name)}: '{raw}' tidak dikenal")
    return value


# -- writing ------------------------------------------------------------------------------------------------------


def _allocate_numbers(year: int, count: int) -> list[str]:
    """`count` consecutive case numbers of `year` from the shared per-year counter (row-locked until commit)."""
    last = db.session.execute(
        update(CaseCounter)
        .where(CaseCounter.year == year)
        .values(last_value=CaseCounter.last_value + count)
        .returning(CaseCounter.last_value)
    ).scalar()
    if last is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(CaseCounter).values(year=year, last_value=count))
            last = count
        except IntegrityError:  # created meanwhile by another transaction
            return _allocate_numbers(year, count)
    first = last - count + 1
    return [f"NKK-{year}-{n:06d}" for n in range(first, last + 1)]


def _history_row(ctx: _Context, case_id: int, status: str, payload: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The first history row of an imported case, chained like every other row."""
    return chained_row(
        case_id=case_id,
        seq=1,
        prev_hash=GENESIS,
        event=IMPORT_EVENT,
        from_status=None,
        to_status=status,
        actor_id=ctx.actor_id,
        actor_label=ctx.actor_label,
        payload=payload,
        created_at=at,
    )


def _escalation_steps(
    item: _Prepared, case_id: int, rec_id: int, bodies: dict[int, str], now: datetime
) -> list[dict[str, Any]]:
    """The levels an imported recommendation had reached: recorded (the index counts them), never emailed."""
    rec = item.recommendation
    if item.escalation_level is None or rec is None:
        return []
    return [
        {
            "recommendation_id": rec_id,
            "case_id": case_id,
            "cycle": 0,
            "level": level,
            "reached_at": item.escalation_reached[level],
            "recorded_at": now,
            "due_at": rec["due_at"],
            "body": bodies[item.case["agency_id"]] if level >= 2 else None,
            "notified": False,
            "resolved_at": rec["followed_up_at"] if level >= 2 else None,
        }
        for level in range(item.escalation_level + 1)
    ]


def _assign_numbers(batch: list[_Prepared]) -> None:
    by_year: dict[int, list[_Prepared]] = {}
    for item in batch:
        by_year.setdefault(item.year, []).append(item)
    for year, items in sorted(by_year.items()):
        for item, number in zip(items, _allocate_numbers(year, len(items)), strict=True):
            item.case["number"] = number
            item.payload["number"] = number


def _write_batch(ctx: _Context, batch: list[_Prepared], bodies: dict[int, str]) -> list[int]:
    """Insert the batch's rows (flush-level statements, a handful per batch); returns the new case ids."""
    _assign_numbers(batch)
    # executemany without RETURNING (one multi-row statement per page on every backend), then the new ids
    # by the unique reference: far cheaper than RETURNING in parameter order, which SQLite does row by row.
    db.session.execute(insert(Case.__table__), [item.case for item in batch])
    refs = [item.external_ref for item in batch]
    id_by_ref = dict(db.session.execute(select(Case.external_ref, Case.id).where(Case.external_ref.in_(refs))).all())
    ids = [id_by_ref[ref] for ref in refs]
    recs, rec_items = [], []
    clarifications, follow_ups, history = [], [], []
    now = utcnow()
    for item, case_id in zip(batch, ids, strict=True):
        if item.recommendation is not None:
            recs.append({**item.recommendation, "case_id": case_id, "agency_id": item.case["agency_id"]})
            rec_items.append((item, case_id))
        if item.clarification is not None:
            clarifications.append({**item.clarification, "case_id": case_id})
        if item.follow_up is not None:
            follow_ups.append({**item.follow_up, "case_id": case_id})
        history.append(_history_row(ctx, case_id, item.case["status"], item.payload, now))
    steps: list[dict[str, Any]] = []
    if recs:
        db.session.execute(insert(Recommendation.__table__), recs)
        escalated = [(item, case_id) for item, case_id in rec_items if item.escalation_level is not None]
        if escalated:
            case_ids = [case_id for _, case_id in escalated]
            rec_ids = dict(
                db.session.execute(
                    select(Recommendation.case_id, Recommendation.id).where(Recommendation.case_id.in_(case_ids))
                ).all()
            )
            for item, case_id in escalated:
                steps += _escalation_steps(item, case_id, rec_ids[case_id], bodies, now)
    for model, rows in ((Clarification, clarifications), (FollowUp, follow_ups), (EscalationStep, steps),
                        (CaseHistory, history)):  # fmt: skip
        if rows:
            db.session.execute(insert(model.__table__), rows)
    return ids


# -- the import ---------------------------------------------------------------------------------------------------


class _Report:
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


def iter_import(
    path: str | Path,
    *,
    actor: Any | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    report_path: str | Path | None = None,
    filename: str | None = None,
) -> Generator[ImportProgress, None, ImportResult]:
    """Import `path`, yielding after each flushed batch (the caller commits there); returns the result.

    Raises ImportFileError before writing anything when the file cannot be read or lacks a required column.
    Each batch runs in a savepoint: if another import inserted the same references meanwhile, the batch is
    rolled back and retried without them.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    table = open_table(path)
    report: _Report | None = None
    try:
        mapping, warnings = map_columns(table.headers)
        ctx = _Context(actor, filename or Path(path).name)
        validator = _RowValidator(ctx)
        bodies = {info.id: info.body for info in ctx.by_code.values()}
        report = _Report(Path(report_path) if report_path else None, table.headers, table.delimiter)
        result = ImportResult(warnings=warnings)
        progress = ImportProgress(total=table.total)
        seen: set[str] = set()
        batch: list[_Prepared] = []
        for line, raw in enumerate(table.rows, start=2):
            if raw is None or all(_clean(v) is None for v in raw):
                continue
            result.total += 1
            progress.processed += 1
            cells = {name: _clean(raw[index]) if index < len(raw) else None for name, index in mapping.items()}
            try:
                prepared = validator.prepare(line, cells)
            except _RowInvalid as exc:
                _fail(result, report, line, raw, exc.messages)
            else:
                if prepared.external_ref in seen:
                    result.skipped += 1
                else:
                    seen.add(prepared.external_ref)
                    batch.append(prepared)
            if len(batch) >= batch_size:
                _flush(ctx, batch, bodies, result)
                batch = []
            if progress.processed % batch_size == 0:  # a file of bad rows moves the progress bar too
                _sync(progress, result)
                yield progress
        if batch:
            _flush(ctx, batch, bodies, result)
        _sync(progress, result)
        result.report_path = report.close()
        yield progress
        return result
    finally:
        if report is not None:
            report.release()
        table.close()


def _fail(result: ImportResult, report: _Report, line: int, raw: list[Any], messages: list[str]) -> None:
    result.failed += 1
    if len(result.errors) < MAX_ERRORS_KEPT:
        result.errors.append(RowError(line, tuple(messages)))
    report.add(line, raw, messages)


def _sync(progress: ImportProgress, result: ImportResult) -> None:
    progress.imported, progress.skipped, progress.failed = result.imported, result.skipped, result.failed


def _flush(ctx: _Context, batch: list[_Prepared], bodies: dict[int, str], result: ImportResult) -> None:
    """Write the batch's new rows in a savepoint. A unique-reference conflict means another import committed some
    of these rows meanwhile: the savepoint is rolled back and the batch written again without them. A retry is
    made only when more references exist than before, so this ends, and any other integrity error is raised."""
    refs = [item.external_ref for item in batch]
    known: set[str] | None = None
    conflict: IntegrityError | None = None
    while True:
        existing = set(db.session.scalars(select(Case.external_ref).where(Case.external_ref.in_(refs))))
        if conflict is not None and known is not None and existing <= known:
            raise conflict
        todo = [item for item in batch if item.external_ref not in existing]
        try:
            with db.session.begin_nested():
                ids = _write_batch(ctx, todo, bodies) if todo else []
        except IntegrityError as exc:
            conflict = exc
            known = existing
            continue
        result.skipped += len(batch) - len(todo)
        result.imported += len(ids)
        result.case_ids.extend(ids)
        return


def import_file(
    path: str | Path,
    *,
    actor: Any | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    report_path: str | Path | None = None,
    filename: str | None = None,
    on_batch: Callable[[ImportProgress], None] | None = None,
) -> ImportResult:
    """Run `iter_import` to the end. The boundary passes `on_batch=lambda p: db.session.commit()` (plus any
    progress display) so that each batch is durable; without it, everything stays in one transaction."""
    generator = iter_import(path, actor=actor, batch_size=batch_size, report_path=report_path, filename=filename)
    while True:
        try:
            progress = next(generator)
        except StopIteration as stop:
            return stop.value
        if on_batch is not None:
            on_batch(progress)


def import_stream(stream: BinaryIO, filename: str, **kw: Any) -> ImportResult:
    """Import an uploaded file (admin page): saved to a temporary file with its extension, then imported."""
    import os
    import tempfile

    suffix = Path(filename).suffix.lower()
    fd, tmp = tempfile.mkstemp(suffix=suffix, prefix="tindak-import-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(1024 * 1024):
                out.write(chunk)
        return import_file(tmp, filename=filename, **kw)
    finally:
        Path(tmp).unlink(missing_ok=True)


# The headers of a blank import template (the same as an export's), required ones first.
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


__all__ = [
    "FIELD_ALIASES",
    "ImportFileError",
    "ImportProgress",
    "ImportResult",
    "RowError",
    "TEMPLATE_HEADERS",
    "default_report_path",
    "import_template_csv",
    "import_file",
    "import_stream",
    "iter_import",
    "open_table",
    "parse_date",
]
