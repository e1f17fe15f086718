"""The import itself: reads the file row by row, validates each, writes the valid ones in batches and reports the
others. `iter_import()` yields after each flushed batch so that the boundary (CLI command, admin page) commits
batch by batch; `import_file()` runs it to the end; `import_stream()` takes an uploaded file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from app.cases.importing.context import ImportContext, PreparedRow
from app.cases.importing.reading import clean_cell, map_columns, open_table
from app.cases.importing.report import ErrorReport
from app.cases.importing.validating import RowInvalid, RowValidator
from app.cases.importing.writing import write_new

DEFAULT_BATCH_SIZE = 500
MAX_ERRORS_KEPT = 1000  # in the result; the report file has them all


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
    report: ErrorReport | None = None
    try:
        mapping, warnings = map_columns(table.headers)
        ctx = ImportContext(actor, filename or Path(path).name)
        validator = RowValidator(ctx)
        bodies = {info.id: info.body for info in ctx.by_code.values()}
        report = ErrorReport(Path(report_path) if report_path else None, table.headers, table.delimiter)
        result = ImportResult(warnings=warnings)
        progress = ImportProgress(total=table.total)
        seen: set[str] = set()
        batch: list[PreparedRow] = []
        for line, raw in enumerate(table.rows, start=2):
            if raw is None or all(clean_cell(v) is None for v in raw):
                continue
            result.total += 1
            progress.processed += 1
            cells = {name: clean_cell(raw[index]) if index < len(raw) else None for name, index in mapping.items()}
            try:
                prepared = validator.prepare(line, cells)
            except RowInvalid as exc:
                _fail(result, report, line, raw, exc.messages)
            else:
                if prepared.external_ref in seen:
                    result.skipped += 1
                else:
                    seen.add(prepared.external_ref)
                    batch.append(prepared)
            if len(batch) >= batch_size:
                _write(ctx, batch, bodies, result)
                batch = []
            if progress.processed % batch_size == 0:  # a file of bad rows moves the progress bar too
                _sync(progress, result)
                yield progress
        if batch:
            _write(ctx, batch, bodies, result)
        _sync(progress, result)
        result.report_path = report.close()
        yield progress
        return result
    finally:
        if report is not None:
            report.release()
        table.close()


def _fail(result: ImportResult, report: ErrorReport, line: int, raw: list[Any], messages: list[str]) -> None:
    result.failed += 1
    if len(result.errors) < MAX_ERRORS_KEPT:
        result.errors.append(RowError(line, tuple(messages)))
    report.add(line, raw, messages)


def _sync(progress: ImportProgress, result: ImportResult) -> None:
    progress.imported, progress.skipped, progress.failed = result.imported, result.skipped, result.failed


def _write(ctx: ImportContext, batch: list[PreparedRow], bodies: dict[int, str], result: ImportResult) -> None:
    skipped, ids = write_new(ctx, batch, bodies)
    result.skipped += skipped
    result.imported += len(ids)
    result.case_ids.extend(ids)


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
    suffix = Path(filename).suffix.lower()
    fd, tmp = tempfile.mkstemp(suffix=suffix, prefix="tindak-import-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(1024 * 1024):
                out.write(chunk)
        return import_file(tmp, filename=filename, **kw)
    finally:
        Path(tmp).unlink(missing_ok=True)
