"""Exports of a filtered case list to CSV and XLSX, streamed: rows are read with `yield_per` and written out
as they come, so a million rows never sit in memory.

What a user may export is what the user may see (`app.cases.services.visibility_clause`), and the reporter's
identity is a column only for KASN roles: an export made for a PPK or an overseer has no reporter columns at all.
The headers are those the importer reads, so an export is also a file another Tindak can import.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from app.cases.access import sees_reporter, visibility_clause
from app.cases.listing import apply_filters
from app.core.clock import utcnow
from app.core.spreadsheets import FORMULA_START, UTF8_BOM, csv_cell
from app.core.states import STATUS_LABELS, CaseStatus
from app.core.vocab import CATEGORY_LABELS, SANCTION_FORMS, SANCTION_LABELS, SOURCE_LABELS
from app.db import db
from app.models.agencies import Agency
from app.models.cases import Case, Clarification, FollowUp, Recommendation

YIELD_PER = 1000
CSV_CHUNK_ROWS = 500
XLSX_MAX_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, one of them the header
_ILLEGAL_XML = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # what openpyxl refuses in a cell


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    kasn_only: bool = False


def _label(labels: Mapping[Any, str], value: Any) -> Any:
    return labels.get(value, value) if value else None


def _local(instant: datetime | None, row: Any) -> datetime | None:
    return instant.astimezone(ZoneInfo(row.agency_timezone)) if instant is not None else None


def _yes(value: bool | None) -> str | None:
    return None if value is None else ("ya" if value else "tidak")


COLUMNS: tuple[Column, ...] = (
    Column("Referensi", lambda r: r.external_ref or r.number),
    Column("Nomor Perkara", lambda r: r.number),
    Column("Status", lambda r: STATUS_LABELS.get(CaseStatus(r.status), r.status)),
    Column("Kode Instansi", lambda r: r.agency_code),
    Column("Nama Instansi", lambda r: r.agency_name),
    Column("Kategori", lambda r: _label(CATEGORY_LABELS, r.category)),
    Column("Subkategori", lambda r: r.subcategory),
    Column("Sumber", lambda r: _label(SOURCE_LABELS, r.source)),
    Column("Nama Terlapor", lambda r: r.reported_name),
    Column("NIP", lambda r: r.reported_nip),
    Column("Jabatan", lambda r: r.reported_position),
    Column("Tanggal Kejadian", lambda r: r.occurred_on),
    Column("Tanggal Laporan", lambda r: _local(r.created_at, r)),
    Column("Uraian", lambda r: r.summary),
    Column("Nama Pelapor", lambda r: r.reporter_name, kasn_only=True),
    Column("Kontak Pelapor", lambda r: r.reporter_contact, kasn_only=True),
    Column("Alasan", lambda r: r.dismiss_reason or r.close_reason),
    Column("Tanggal Selesai", lambda r: _local(r.closed_at, r)),
    Column("Sanksi Rekomendasi", lambda r: _label(SANCTION_LABELS, r.sanction)),
    Column("Bentuk Sanksi", lambda r: _label(SANCTION_FORMS, r.sanction_form)),
    Column("Dasar Hukum", lambda r: r.legal_basis or None),
    Column("Isi Rekomendasi", lambda r: r.recommendation_text or None),
    Column("Nomor Surat Rekomendasi", lambda r: r.letter_number),
    Column("Tanggal Rekomendasi", lambda r: _local(r.issued_at, r)),
    Column("Tanggal Diterima PPK", lambda r: r.received_on),
    Column("Tenggat", lambda r: _local(r.due_at, r)),
    Column("Tingkat Eskalasi", lambda r: r.escalation_level),
    Column("Nomor Surat Sanggahan", lambda r: r.clarification_letter),
    Column("Tanggal Sanggahan", lambda r: _local(r.clarification_at, r)),
    Column("Nomor SK", lambda r: r.decision_number),
    Column("Tanggal SK", lambda r: r.decision_date),
    Column("Sanksi Dijatuhkan", lambda r: _label(SANCTION_LABELS, r.sanction_imposed)),
    Column("Bentuk Sanksi Dijatuhkan", lambda r: _label(SANCTION_FORMS, r.imposed_form)),
    Column("Tanggal Tindak Lanjut", lambda r: _local(r.followed_up_at, r)),
    Column("Sanksi Lebih Ringan", lambda r: _yes(r.is_lighter)),
    Column("Terlambat", lambda r: _yes(r.is_late)),
)


def columns_for(user: Any) -> list[Column]:
    """The export's columns for `user`: the reporter's identity only for KASN roles (DESIGN §1)."""
    return [c for c in COLUMNS if not c.kasn_only or sees_reporter(user)]


def export_filename(extension: str, now: datetime | None = None) -> str:
    return f"perkara-{(now or utcnow()):%Y%m%d-%H%M%S}.{extension}"


# -- the query ---------------------------------------------------------------------------------------------------


def export_query(query_or_filters: Select[Any] | Mapping[str, Any] | None, user: Any) -> Select[Any]:
    """One statement with every exported column; always restricted to what `user` may see.

    `query_or_filters` is a mapping of list filters, or a `select(Case)...` statement (its WHERE clauses are
    kept: the cases it selects are exported, in id order).
    """
    latest_fu = aliased(FollowUp)
    latest_cl = aliased(Clarification)
    # The follow-up that stands (not rejected) and the objection still pending, as the case's state says.
    fu_id = (
        select(func.max(FollowUp.id))
        .where(FollowUp.case_id == Case.id, or_(FollowUp.verdict.is_(None), FollowUp.verdict == "accepted"))
        .correlate(Case)
        .scalar_subquery()
    )
    cl_id = (
        select(func.max(Clarification.id))
        .where(Clarification.case_id == Case.id, Clarification.outcome.is_(None))
        .correlate(Case)
        .scalar_subquery()
    )
    stmt = (
        select(
            Case.id,
            Case.number,
            Case.external_ref,
            Case._status.label("status"),
            Case.category,
            Case.subcategory,
            Case.source,
            Case.reported_name,
            Case.reported_nip,
            Case.reported_position,
            Case.occurred_on,
            Case.created_at,
            Case.summary,
            Case.reporter_name,
            Case.reporter_contact,
            Case.dismiss_reason,
            Case.close_reason,
            Case.closed_at,
            Agency.code.label("agency_code"),
            Agency.name.label("agency_name"),
            Agency.timezone.label("agency_timezone"),
            Recommendation.sanction,
            Recommendation.sanction_form,
            Recommendation.legal_basis,
            Recommendation.text.label("recommendation_text"),
            Recommendation.letter_number,
            Recommendation.issued_at,
            Recommendation.received_on,
            Recommendation.due_at,
            Recommendation.escalation_level,
            latest_cl.letter_number.label("clarification_letter"),
            latest_cl.requested_at.label("clarification_at"),
            latest_fu.decision_number,
            latest_fu.decision_date,
            latest_fu.sanction_imposed,
            latest_fu.sanction_form.label("imposed_form"),
            latest_fu.reported_at.label("followed_up_at"),
            latest_fu.is_lighter,
            latest_fu.is_late,
        )  # fmt: skip
        .join(Agency, Agency.id == Case.agency_id)
        .outerjoin(Recommendation, Recommendation.case_id == Case.id)
        .outerjoin(latest_fu, and_(latest_fu.case_id == Case.id, latest_fu.id == fu_id))
        .outerjoin(latest_cl, and_(latest_cl.case_id == Case.id, latest_cl.id == cl_id))
        .where(visibility_clause(user))
        .order_by(Case.id)
    )
    if isinstance(query_or_filters, Select):
        return stmt.where(Case.id.in_(query_or_filters.with_only_columns(Case.id).order_by(None)))
    return apply_filters(stmt, query_or_filters or {}, utcnow())


def _rows(query_or_filters: Select[Any] | Mapping[str, Any] | None, user: Any) -> Iterator[Any]:
    result = db.session.execute(export_query(query_or_filters, user).execution_options(yield_per=YIELD_PER))
    try:
        yield from result
    finally:
        result.close()


# -- CSV -----------------------------------------------------------------------------------------------------------


def export_cases_csv(
    query_or_filters: Select[Any] | Mapping[str, Any] | None, user: Any, *, delimiter: str = ","
) -> Iterator[bytes]:
    """The cases as UTF-8 CSV (with a BOM, for spreadsheets), yielded in chunks of a few hundred rows."""
    columns = columns_for(user)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    first = True
    pending = 0
    for row in _rows(query_or_filters, user):
        writer.writerow([csv_cell(c.value(row)) for c in columns])
        pending += 1
        if pending >= CSV_CHUNK_ROWS:
            yield _take(buffer, bom=first)
            first, pending = False, 0
    if pending or first:
        yield _take(buffer, bom=first)


def _take(buffer: io.StringIO, *, bom: bool) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return (UTF8_BOM + data) if bom else data


# -- XLSX ----------------------------------------------------------------------------------------------------------


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # the agency's local time, to the second: spreadsheets know no zones, and would round 23:59:59.999999 up
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, str):
        value = _ILLEGAL_XML.sub("", value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


def export_cases_xlsx(
    query_or_filters: Select[Any] | Mapping[str, Any] | None, user: Any, *, chunk_size: int = 64 * 1024
) -> Iterator[bytes]:
    """The cases as an XLSX workbook (openpyxl write-only mode: rows go to disk as they are written), streamed
    from a temporary file. Instants are in each case's agency zone; past 1,048,575 rows a new sheet starts."""
    from openpyxl import Workbook  # deferred: openpyxl takes ~0.1 s to import and only the XLSX export uses it

    columns = columns_for(user)
    headers = [c.header + (" (waktu setempat)" if _is_instant(c) else "") for c in columns]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Perkara")
    sheet.append(headers)
    written = 0
    for row in _rows(query_or_filters, user):
        if written == XLSX_MAX_ROWS:
            sheet = workbook.create_sheet(f"Perkara ({len(workbook.worksheets) + 1})")
            sheet.append(headers)
            written = 0
        sheet.append([_xlsx_value(c.value(row)) for c in columns])
        written += 1
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="tindak-export-")
    os.close(fd)
    try:
        workbook.save(path)
        with open(path, "rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk
    finally:
        os.unlink(path)


_INSTANT_HEADERS = frozenset(
    {"Tanggal Laporan", "Tanggal Selesai", "Tanggal Rekomendasi", "Tenggat", "Tanggal Sanggahan",
     "Tanggal Tindak Lanjut"}
)  # fmt: skip


def _is_instant(column: Column) -> bool:
    return column.header in _INSTANT_HEADERS


__all__ = [
    "COLUMNS",
    "apply_filters",
    "columns_for",
    "export_cases_csv",
    "export_cases_xlsx",
    "export_filename",
    "export_query",
]
