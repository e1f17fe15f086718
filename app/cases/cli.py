"""`flask cases ...`: `import FILE [--report PATH] [--batch-size N]` (CSV or XLSX, DESIGN §7)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func, select

from app.cases.importing import ImportFileError, default_report_path, iter_import
from app.db import db
from app.models.auth import User


@click.group("cases", help="Perkara: impor dan pemeliharaan.")
def cases() -> None:
    pass


@cases.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--report",
    "report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Berkas laporan kesalahan per baris (bawaan: <nama berkas>-kesalahan.csv di sebelah berkas).",
)
@click.option("--batch-size", type=click.IntRange(1, 50_000), default=500, show_default=True, help="Baris per batch.")
@click.option("--user", "user_email", default=None, help="Email pengguna yang tercatat sebagai pengimpor.")
@click.option("--fail-on-errors", is_flag=True, help="Keluar dengan kode 2 bila ada baris yang gagal.")
def import_command(
    file: Path, report: Path | None, batch_size: int, user_email: str | None, fail_on_errors: bool
) -> None:
    """Import cases from FILE; good rows are written batch by batch, bad rows go to the error report.

    Rows already imported (same reference) are skipped, so the same file can be imported again safely.
    No email is sent for imported cases.
    """
    actor = None
    if user_email:
        actor = db.session.scalar(select(User).where(func.lower(User.email) == user_email.strip().lower()))
        if actor is None:
            raise click.ClickException(f"Pengguna {user_email} tidak ditemukan.")
    report_path = report or default_report_path(file)
    try:
        steps = iter_import(file, actor=actor, batch_size=batch_size, report_path=report_path)
        first = next(steps)  # reads the header: a bad file fails here, before anything is written
    except ImportFileError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    result = None
    done = 0
    try:
        with click.progressbar(length=first.total or 0, label="Mengimpor perkara", show_pos=True) as bar:
            progress = first
            while True:
                db.session.commit()
                bar.update(progress.processed - done)
                done = progress.processed
                try:
                    progress = next(steps)
                except StopIteration as stop:
                    result = stop.value
                    break
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    for warning in result.warnings:
        click.echo(f"Peringatan: {warning}", err=True)
    click.echo(
        f"Selesai: {result.total} baris dibaca, {result.imported} diimpor, "
        f"{result.skipped} dilewati (sudah pernah diimpor), {result.failed} gagal."
    )
    if result.report_path is not None:
        click.echo(f"Laporan kesalahan: {result.report_path} (perbaiki lalu impor ulang berkas itu).")
    if fail_on_errors and result.failed:
        raise SystemExit(2)


commands = [cases]
