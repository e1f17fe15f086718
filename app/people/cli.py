"""`flask people ...`: `import-register FILE` (the national register as CSV or XLSX, for agencies without access
to BKN's web services), `refresh-register [--limit N]` (ask the configured register now), `merge FROM INTO
--reason TEXT --user EMAIL` (a mistyped NIP into the right person), and `retention [--apply]` (personal data past
its retention period: reported, and pseudonymised when RETENTION_PSEUDONYMISE is on)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import click
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.core.clock import utcnow
from app.core.nip import InvalidNIP, normalize_nip, parse_nip
from app.db import db, unit_of_work
from app.errors import DomainError
from app.models.auth import User
from app.models.people import RegisterEntry
from app.people import register as registers
from app.people.retention import RETENTION, pseudonymise_due, retention_report
from app.people.services import merge_people

COLUMNS = {
    "nip": ("nip", "nip_baru", "nipbaru"),
    "name": ("nama", "name"),
    "position": ("jabatan", "jabatan_nama", "position"),
    "agency_name": ("instansi", "instansi_kerja", "unit_kerja", "agency"),
    "employment_type": ("jenis_pegawai", "jenis", "employment_type"),
    "status": ("kedudukan", "kedudukan_hukum", "status"),
    "retirement_on": ("tmt_pensiun", "pensiun", "retirement_on"),
}


def _rows(path: Path) -> list[list[Any]]:
    if path.suffix.lower() == ".xlsx":
        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        workbook.close()
        return rows
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text[:2048].count(";") > text[:2048].count(",") else ","
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def read_register_file(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The file's rows as register entries, and the errors (line numbers from 2, the header being line 1)."""
    rows = _rows(path)
    if not rows:
        return [], ["berkas kosong"]
    header = [str(c or "").strip().lower().replace(" ", "_") for c in rows[0]]
    index: dict[str, int] = {}
    for field, names in COLUMNS.items():
        for name in names:
            if name in header:
                index[field] = header.index(name)
                break
    missing = [COLUMNS[f][0] for f in ("nip", "name") if f not in index]
    if missing:
        return [], [f"kolom wajib tidak ada: {', '.join(missing)}"]
    entries, errors = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(str(c or "").strip() for c in row):
            continue

        def cell(field: str, row: list[Any] = row) -> Any:
            i = index.get(field)
            return row[i] if i is not None and i < len(row) else None

        nip = normalize_nip(str(cell("nip") or ""))
        try:
            parse_nip(nip, pppk=True)
        except InvalidNIP as exc:
            errors.append(f"baris {number}: {exc}")
            continue
        try:
            retirement = registers.parse_date(cell("retirement_on"))
        except ValueError as exc:
            errors.append(f"baris {number}: {exc}")
            continue
        name = str(cell("name") or "").strip()
        if not name:
            errors.append(f"baris {number}: nama kosong")
            continue
        entries.append(
            {
                "nip": nip,
                "name": name[:200],
                "position": registers.clean_text(cell("position")),
                "agency_name": registers.clean_text(cell("agency_name")),
                "employment_type": registers.employment_of(cell("employment_type")),
                "status": registers.clean_text(cell("status"), 100),
                "retirement_on": retirement,
            }
        )
    return entries, errors


@click.group("people", help="Orang (ASN): register nasional dan penggabungan NIP.")
def people() -> None:
    pass


@people.command("import-register")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_register(file: Path) -> None:
    """Import the national register from FILE (CSV or XLSX); a file with a bad row imports nothing."""
    entries, errors = read_register_file(file)
    if errors:
        raise click.ClickException("Berkas ditolak:\n" + "\n".join(errors[:50]))
    now = utcnow()
    with unit_of_work():
        for entry in entries:
            row = db.session.get(RegisterEntry, entry["nip"]) or RegisterEntry(nip=entry["nip"])
            for key, value in entry.items():
                setattr(row, key, value)
            row.source_file = file.name[:255]
            row.imported_at = now
            db.session.add(row)
    click.echo(f"Register diimpor: {len(entries)} baris dari {file.name}.")


@people.command("refresh-register")
@click.option("--limit", type=click.IntRange(1, 100_000), default=None, help="Paling banyak orang yang ditanyakan.")
def refresh_register(limit: int | None) -> None:
    """Ask the configured register (REGISTER_ADAPTER) about the people not asked recently."""
    register = registers.configured_register()
    if register is None:
        raise click.ClickException("Tidak ada register yang dikonfigurasi (REGISTER_ADAPTER).")
    with unit_of_work():
        report = registers.refresh_people(register, limit=limit)
    click.echo(
        f"Register {register.name}: ditanya {report.asked}, ditemukan {report.found}, tidak dikenal "
        f"{report.not_found}, gagal {report.failed}, dilewati {report.skipped}."
    )


@people.command("merge")
@click.argument("from_nip")
@click.argument("into_nip")
@click.option("--reason", required=True, help="Mengapa NIP ini digabungkan.")
@click.option("--user", "user_email", required=True, help="Email penyelidik atau pejabat yang menggabungkan.")
def merge(from_nip: str, into_nip: str, reason: str, user_email: str) -> None:
    """Merge the person of a mistyped NIP (FROM_NIP) into the right person (INTO_NIP)."""
    actor = db.session.scalar(select(User).where(func.lower(User.email) == user_email.strip().lower()))
    if actor is None:
        raise click.ClickException(f"Pengguna {user_email} tidak ditemukan.")
    try:
        with unit_of_work():
            row = merge_people(from_nip, into_nip, reason, actor)
            moved = len(row.case_ids.get("ids", []))
    except DomainError as exc:
        raise click.ClickException(f"{exc} {exc.details or ''}".strip()) from exc
    click.echo(f"NIP {from_nip} digabungkan ke {into_nip}: {moved} perkara dipindahkan.")


@people.command("retention")
@click.option(
    "--apply", "apply_", is_flag=True, help="Pseudonymise the records past their period (RETENTION_PSEUDONYMISE)."
)
def retention(apply_: bool) -> None:
    """Report, per kind of personal data, its retention period and how many records are past it; with --apply
    (refused unless RETENTION_PSEUDONYMISE is on) pseudonymise them, in batches of RETENTION_BATCH."""
    if apply_:
        if not current_app.config.get("RETENTION_PSEUDONYMISE"):
            raise click.ClickException(
                "Pseudonimisasi tidak diaktifkan: setel RETENTION_PSEUDONYMISE=1 untuk menjalankannya."
            )
        done = pseudonymise_due()
        labels = {row.key: row.label for row in RETENTION}
        for key, count in done.items():
            click.echo(f"{labels[key]}: dipseudonimkan {count}")
    for row in retention_report():
        click.echo(f"{row['label']}: {row['years']} tahun; melewati masa simpan: {row['past']}")
    if not apply_:
        state = "aktif" if current_app.config.get("RETENTION_PSEUDONYMISE") else "tidak aktif"
        click.echo(
            f"Pseudonimisasi ({state}): jalankan dengan --apply untuk mengganti data di atas dengan nama samaran."
        )


commands = [people]
