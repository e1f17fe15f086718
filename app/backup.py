"""`flask backup create` / `flask backup restore`: the database and the attachment store in one archive.

- PostgreSQL is dumped with `pg_dump --format=custom` inside an exported snapshot, and the row counts recorded
  in the manifest are counted in that same snapshot; it is restored with `pg_restore --clean --if-exists
  --single-transaction` (all or nothing).
- SQLite is copied with the online backup API (`sqlite3.Connection.backup`), never as a file copy of a live
  database, and restored the same way into the configured database file.
- The attachment store (ATTACHMENT_DIR) goes in as it is, every file with its SHA-256.

The archive is a plain tar: `manifest.json` (format, database kind, migration revision, row counts per table,
SHA-256 of every member), `database.dump` or `database.sqlite3`, and `attachments/...`. A restore checks every
digest before it touches anything, refuses a non-empty database unless `--force`, then compares the restored
row counts and files with the manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import click
from flask import current_app
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection, make_url

from app.core.clock import utcnow
from app.db import db

FORMAT = 1
MANIFEST = "manifest.json"
ATTACHMENTS = "attachments"
CHUNK = 1024 * 1024
DB_MEMBERS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class BackupError(RuntimeError):
    """The backup or restore cannot go on (the message says why, in Indonesian)."""


@dataclass
class RestoreReport:
    tables: dict[str, int] = field(default_factory=dict)
    attachments: int = 0
    mismatches: list[str] = field(default_factory=list)
    revision: str | None = None


# -- helpers ---------------------------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _dialect() -> str:
    name = db.engine.dialect.name
    if name not in DB_MEMBERS:
        raise BackupError(f"Basis data {name} tidak didukung untuk pencadangan.")
    return name


def _table_names() -> list[str]:
    return [t.name for t in db.metadata.sorted_tables]


def _count_rows(conn: Connection, tables: list[str]) -> dict[str, int]:
    existing = set(inspect(conn).get_table_names())
    return {
        name: int(conn.execute(select(func.count()).select_from(db.metadata.tables[name])).scalar_one())
        for name in tables
        if name in existing
    }


def _revision(conn: Connection) -> str | None:
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _pg_target() -> tuple[str, dict[str, str]]:
    """A libpq URI without the password (given through PGPASSWORD instead, out of the process list)."""
    url = make_url(str(db.engine.url)).set(drivername="postgresql")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"Program {command[0]} tidak ditemukan: pasang klien PostgreSQL.") from exc
    if completed.returncode != 0:
        raise BackupError(f"{command[0]} gagal: {completed.stderr.strip()[-2000:]}")


def _sqlite_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("Basis data SQLite di memori tidak dapat dicadangkan.")
    return Path(database)


def _attachment_root() -> Path:
    return Path(current_app.config["ATTACHMENT_DIR"])


def _attachment_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith(".upload-"):
            yield path


class _HashingReader:
    """A file object for tarfile.addfile that hashes what it reads."""

    def __init__(self, handle: BinaryIO):
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


# -- create ----------------------------------------------------------------------------------------------------


@contextmanager
def _database_copy(workdir: Path) -> Iterator[tuple[Path, dict[str, int], str | None]]:
    """A consistent copy of the database in `workdir`, with its row counts and migration revision."""
    dialect = _dialect()
    tables = _table_names()
    target = workdir / DB_MEMBERS[dialect]
    if dialect == "sqlite":
        source = sqlite3.connect(_sqlite_path())
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            counts, revision = _sqlite_counts(copy, tables)
        finally:
            source.close()
            copy.close()
        yield target, counts, revision
        return
    uri, env = _pg_target()
    with db.engine.connect() as plain:
        conn = plain.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # The counts and the dump see the same snapshot, so the manifest says exactly what the dump holds.
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts, revision = _count_rows(conn, tables), _revision(conn)
            command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                       f"--file={target}", f"--dbname={uri}"]  # fmt: skip
            _run(command, env)
    yield target, counts, revision


def _sqlite_counts(conn: sqlite3.Connection, tables: list[str]) -> tuple[dict[str, int], str | None]:
    existing = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    counts = {
        name: int(conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])  # noqa: S608 - our own table names
        for name in tables
        if name in existing
    }
    revision = None
    if "alembic_version" in existing:
        found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = found[0] if found else None
    return counts, revision


def create_backup(output: str | Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Write a backup archive; returns its path and manifest. `output` may be a file or a directory."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    path = Path(output) if output else Path.cwd()
    if path.is_dir():
        path = path / f"tindak-backup-{stamp}.tar"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    db.session.commit()  # SQLite: the session's open transaction would hold the write lock
    try:
        manifest = _write_archive(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
    return path, manifest


def _write_archive(partial: Path) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="tindak-backup-") as tmp,
        _database_copy(Path(tmp)) as (dump, counts, revision),
        tarfile.open(partial, "w") as archive,
    ):
        members: dict[str, dict[str, Any]] = {}
        archive.add(dump, arcname=dump.name)
        members[dump.name] = {"size": dump.stat().st_size, "sha256": _sha256_file(dump)}
        root = _attachment_root()
        for file in _attachment_files(root):
            name = str(PurePosixPath(ATTACHMENTS, *file.relative_to(root).parts))
            info = archive.gettarinfo(str(file), arcname=name)
            with file.open("rb") as handle:
                reader = _HashingReader(handle)
                archive.addfile(info, reader)  # type: ignore[arg-type]
            members[name] = {"size": info.size, "sha256": reader.digest.hexdigest()}
        manifest = {
            "format": FORMAT,
            "created_at": utcnow().isoformat(timespec="seconds"),
            "database": {"dialect": _dialect(), "member": dump.name, "revision": revision, "tables": counts},
            "attachments": sum(1 for m in members if m.startswith(ATTACHMENTS + "/")),
            "members": members,
        }
        data = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mtime = int(utcnow().timestamp())
        archive.addfile(info, io.BytesIO(data))
    return manifest


# -- restore ---------------------------------------------------------------------------------------------------


def read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.getmember(MANIFEST)
    except KeyError as exc:
        raise BackupError("Arsip bukan cadangan Tindak: manifest.json tidak ada.") from exc
    handle = archive.extractfile(member)
    if handle is None:
        raise BackupError("manifest.json dalam arsip tidak dapat dibaca.")
    manifest = json.loads(handle.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Format cadangan {manifest.get('format')} tidak dikenal.")
    return manifest


def _safe_member_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"Nama berkas tidak aman dalam arsip: {name}")
    return path


def verify_archive(archive: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    """Every member listed in the manifest is present, a regular file, and has its recorded SHA-256."""
    members = manifest.get("members", {})
    present = {m.name: m for m in archive.getmembers()}
    for name, expected in members.items():
        _safe_member_name(name)
        member = present.get(name)
        if member is None or not member.isfile():
            raise BackupError(f"Cadangan rusak: {name} tidak ada dalam arsip.")
        handle = archive.extractfile(member)
        assert handle is not None
        digest = hashlib.sha256()
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
        if digest.hexdigest() != expected["sha256"]:
            raise BackupError(f"Cadangan rusak: isi {name} tidak sesuai dengan manifest.")


def database_is_empty() -> bool:
    """True when no table of the application holds a row (a migrated but unused database is empty)."""
    with db.engine.connect() as conn:
        return not any(_count_rows(conn, _table_names()).values())


def restore_backup(source: str | Path, *, force: bool = False) -> RestoreReport:
    """Restore an archive made by `create_backup` into the configured database and attachment store.

    Raises BackupError (nothing changed) when the archive is damaged, made from another kind of database, or the
    database is not empty and `force` is false.
    """
    source = Path(source)
    db.session.remove()
    with tarfile.open(source, "r") as archive:
        manifest = read_manifest(archive)
        verify_archive(archive, manifest)
        dialect = _dialect()
        if manifest["database"]["dialect"] != dialect:
            raise BackupError(f"Cadangan dibuat dari {manifest['database']['dialect']}, basis data tujuan {dialect}.")
        if not force and not database_is_empty():
            raise BackupError(
                "Basis data tujuan tidak kosong; pemulihan akan menimpanya. Ulangi dengan --force bila memang "
                "itu yang dimaksud."
            )
        with tempfile.TemporaryDirectory(prefix="tindak-restore-") as tmp:
            member = archive.getmember(manifest["database"]["member"])
            dump = Path(tmp) / member.name
            with archive.extractfile(member) as handle, dump.open("wb") as out:  # type: ignore[union-attr]
                shutil.copyfileobj(handle, out, CHUNK)
            _restore_database(dialect, dump)
        count = _restore_attachments(archive, manifest)
    return _check_restored(manifest, count)


def _restore_database(dialect: str, dump: Path) -> None:
    db.engine.dispose()
    if dialect == "postgresql":
        uri, env = _pg_target()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", f"--dbname={uri}", str(dump)], env)  # fmt: skip
        return
    target = _sqlite_path()
    source = sqlite3.connect(dump)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        source.close()
        destination.close()


def _restore_attachments(archive: tarfile.TarFile, manifest: dict[str, Any]) -> int:
    root = _attachment_root()
    count = 0
    for name in sorted(manifest["members"]):
        if not name.startswith(ATTACHMENTS + "/"):
            continue
        relative = _safe_member_name(name).relative_to(ATTACHMENTS)
        target = root.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".restore-{target.name}")
        with archive.extractfile(name) as handle, partial.open("wb") as out:  # type: ignore[union-attr]
            shutil.copyfileobj(handle, out, CHUNK)
        os.replace(partial, target)
        count += 1
    return count


def _check_restored(manifest: dict[str, Any], attachments: int) -> RestoreReport:
    report = RestoreReport(attachments=attachments)
    with db.engine.connect() as conn:
        report.tables = _count_rows(conn, list(manifest["database"]["tables"]))
        report.revision = _revision(conn)
    for table, expected in manifest["database"]["tables"].items():
        if report.tables.get(table) != expected:
            report.mismatches.append(f"tabel {table}: {report.tables.get(table)} baris, cadangan {expected}")
    root = _attachment_root()
    for name, expected in manifest["members"].items():
        if name.startswith(ATTACHMENTS + "/"):
            path = root.joinpath(*PurePosixPath(name).relative_to(ATTACHMENTS).parts)
            if not path.is_file() or _sha256_file(path) != expected["sha256"]:
                report.mismatches.append(f"berkas {name} tidak sama dengan cadangan")
    return report


# -- CLI -------------------------------------------------------------------------------------------------------


@click.group("backup", help="Pencadangan dan pemulihan basis data beserta berkas lampiran.")
def backup() -> None:
    pass


@backup.command("create")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Berkas arsip, atau folder tempat arsip bernama tindak-backup-<waktu>.tar (bawaan: folder kerja).",
)
def create_command(output: Path | None) -> None:
    """Back up the database (pg_dump / SQLite online backup) and the attachment store to one archive."""
    try:
        path, manifest = create_backup(output)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(manifest["database"]["tables"].values())
    click.echo(
        f"Cadangan dibuat: {path} ({manifest['database']['dialect']}, {rows} baris dalam "
        f"{len(manifest['database']['tables'])} tabel, {manifest['attachments']} berkas lampiran)."
    )


@backup.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Timpa basis data yang tidak kosong.")
def restore_command(archive: Path, force: bool) -> None:
    """Restore ARCHIVE; refuses a non-empty database without --force."""
    try:
        report = restore_backup(archive, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(v for v in report.tables.values() if v)
    click.echo(f"Dipulihkan: {rows} baris dalam {len(report.tables)} tabel, {report.attachments} berkas lampiran.")
    if report.mismatches:
        for line in report.mismatches:
            click.echo(f"TIDAK SESUAI: {line}", err=True)
        raise SystemExit(1)
    click.echo("Semua tabel dan berkas sesuai dengan manifest cadangan.")
    click.echo(f"Revisi skema: {report.revision or '-'}. Jalankan `flask db upgrade` bila aplikasi lebih baru.")


commands = [backup]
