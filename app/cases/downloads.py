"""The two downloads of the case register, as HTTP responses shared by the API and the web pages.

- the filtered case list as CSV or XLSX, streamed row by row (a million rows never sit in memory);
- a case's evidence bundle (ZIP with summary PDF, timeline, letters, files and a sha256 manifest), written
  to a temporary file that is opened, unlinked and streamed from the open file.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Response, send_file, stream_with_context
from sqlalchemy import Select

from app.cases.bundle import build_case_bundle
from app.cases.exports import export_cases_csv, export_cases_xlsx, export_filename
from app.cases.reporter_views import log_export
from app.core.vocab import KASN_ROLES
from app.db import unit_of_work
from app.errors import Forbidden, ValidationFailed
from app.models.cases import Case

# Media types without parameters: the response adds `charset=utf-8` to a text type itself (written here as
# well, the header said it twice).
EXPORT_FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_response(
    filters: Mapping[str, Any] | Select[Any], user: Any, fmt: str | None, *, chosen: list[int] | None = None
) -> Response:
    """The visible cases matching `filters` (the list's filters, or a `select(Case)…` of the `chosen` cases: the
    bulk export of a selection) as a streamed CSV or XLSX attachment. An export with the reporter's columns (the
    authority's staff) is logged as one view of the reporters, with its filters or chosen cases."""
    fmt = (fmt or "csv").lower()
    if fmt not in EXPORT_FORMATS:
        raise ValidationFailed("Format tidak dikenal.", details={"fields": {"format": ["pilih csv atau xlsx"]}})
    clean: Mapping[str, Any] | Select[Any] = (
        filters
        if isinstance(filters, Select)
        else {k: v for k, v in filters.items() if k not in ("limit", "cursor", "format")}
    )
    with unit_of_work():
        log_export(user, {"case_ids": chosen or []} if isinstance(clean, Select) else clean)
    body = export_cases_csv(clean, user) if fmt == "csv" else export_cases_xlsx(clean, user)
    response = Response(stream_with_context(body), mimetype=EXPORT_FORMATS[fmt])
    response.headers["Content-Disposition"] = f"attachment; filename={export_filename(fmt)}"
    response.headers["Cache-Control"] = "no-store"
    return response


def bundle_response(case: Case, user: Any) -> Response:
    """The evidence bundle of `case` for `user` (KASN roles only: it holds every evidence file)."""
    if user.role not in KASN_ROLES:
        raise Forbidden("Berkas perkara lengkap hanya untuk KASN.")
    directory = Path(tempfile.mkdtemp(prefix="tindak-bundle-"))
    try:
        path = build_case_bundle(case, user=user, dest=directory / f"{case.number}.zip")
        stream = open(path, "rb")  # noqa: SIM115 - handed to the response, which closes it
    finally:
        # Removed at once: the open file stays readable until the response closes it (POSIX), and nothing is
        # left on disk even when a client never finishes reading.
        shutil.rmtree(directory, ignore_errors=True)
    response = send_file(
        stream, mimetype="application/zip", as_attachment=True, download_name=f"{case.number}.zip", max_age=0
    )
    response.headers["Cache-Control"] = "no-store"
    return response
