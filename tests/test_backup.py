"""Backup and restore: the database dropped and the attachments lost, then everything back, chain intact."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect, select, text

from app.audit.history import verify_case
from app.cases.attachments import add_attachment, attachment_path
from app.cases.listing import list_cases
from app.db import db
from app.models.auth import User
from app.models.cases import Attachment, Case
from tests.importing.helpers import standard_cases

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
PDF_BYTES = b"%PDF-1.4\n% bukti\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def drop_database() -> None:
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:  # every table, the migrations' own too (the full-text tables of 0027 are in no model)
        with db.engine.begin() as conn:
            db.metadata.drop_all(bind=conn)
            conn.exec_driver_sql("DROP TABLE alembic_version")
            virtual = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL%'").all()
            for (name,) in virtual:
                conn.exec_driver_sql(f'DROP TABLE "{name}"')
            left = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            assert left.all() == []
    db.engine.dispose()


@pytest.fixture
def schema_kept(app):
    """Whatever happens in the test, later tests find the schema in place."""
    yield
    db.session.remove()
    with db.engine.connect() as conn:
        missing = "cases" not in inspect(conn).get_table_names()
    if missing:
        upgrade(directory=MIGRATIONS)


@pytest.fixture
def data(app, make_agency, make_user, tmp_path):
    # The store is shared by the session: files of earlier tests (whose rows are gone) would be backed up too.
    shutil.rmtree(app.config["ATTACHMENT_DIR"], ignore_errors=True)
    province = make_agency(code="PROV-32", name="Provinsi Jawa Barat", kind="provinsi", ppk_title="Gubernur")
    make_agency(code="KAB-3201", name="Kabupaten Bogor", kind="kabupaten", parent_id=province.id)
    investigator = make_user("investigator")
    make_user("ppk")
    cases = standard_cases(tmp_path, "KAB-3201")
    from werkzeug.datastructures import FileStorage

    for n in range(3):
        content = PDF_BYTES + f"% lampiran {n}\n".encode()
        add_attachment(cases["O-1"], FileStorage(io.BytesIO(content), filename=f"bukti-{n}.pdf"), investigator)
    db.session.commit()
    return cases


def files_of_store() -> dict[str, bytes]:
    files = {a.storage_key: attachment_path(a.storage_key).read_bytes() for a in db.session.scalars(select(Attachment))}
    db.session.remove()  # SQLite: an open transaction holds the write lock the CLI commands need
    return files


def test_backup_drop_restore_brings_everything_back(data, tmp_path, runner, schema_kept):
    before = snapshot()
    files = files_of_store()
    assert len(files) == 3
    assert sum(len(rows) for rows in before.values()) > 20

    created = runner.invoke(args=["backup", "create", "--output", str(tmp_path)])
    assert created.exit_code == 0, created.output
    archive = next(tmp_path.glob("tindak-backup-*.tar"))
    assert "3 berkas lampiran" in created.output
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"]["tables"]["cases"] == 3
    assert manifest["database"]["revision"]

    drop_database()
    for key in files:
        attachment_path(key).unlink()

    restored = runner.invoke(args=["backup", "restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    assert "Semua tabel dan berkas sesuai" in restored.output

    assert snapshot() == before
    assert files_of_store() == files
    for case_id in db.session.scalars(select(Case.id)):
        assert verify_case(case_id) == (True, None)
    audit = runner.invoke(args=["audit", "verify"])
    assert audit.exit_code == 0, audit.output
    assert "3 perkara" in audit.output
    # the search's indexes came back with the rows (SQLite: the full-text tables are in the copied file)
    investigator = db.session.scalar(select(User).where(User.role == "investigator"))
    for case in db.session.scalars(select(Case)):
        items, _ = list_cases(investigator, {"q": case.number}, 25, None)
        assert [item["id"] for item in items] == [case.id]
    db.session.rollback()


def test_restore_refuses_a_non_empty_database_without_force(data, tmp_path, runner, schema_kept):
    originals = {c.number for c in data.values()}
    db.session.remove()
    archive = tmp_path / "cadangan.tar"
    assert runner.invoke(args=["backup", "create", "-o", str(archive)]).exit_code == 0
    # after the backup, a case is closed and another one is logged: the restore must not silently undo them
    extra = {c.number for c in standard_cases(tmp_path, "KAB-3201", prefix="X").values()}
    db.session.remove()
    before = snapshot()

    refused = runner.invoke(args=["backup", "restore", str(archive)])
    assert refused.exit_code == 1
    assert "tidak kosong" in refused.output
    assert snapshot() == before

    forced = runner.invoke(args=["backup", "restore", str(archive), "--force"])
    assert forced.exit_code == 0, forced.output
    numbers = set(db.session.scalars(select(Case.number)))
    assert numbers == originals
    assert not numbers & extra


def test_a_damaged_archive_is_refused_before_anything_changes(data, tmp_path, runner, schema_kept):
    db.session.remove()
    archive = tmp_path / "cadangan.tar"
    assert runner.invoke(args=["backup", "create", "-o", str(archive)]).exit_code == 0
    raw = bytearray(archive.read_bytes())
    spot = raw.find(b"% lampiran 1")
    assert spot > 0
    raw[spot + 2 : spot + 10] = b"DIUBAH!!"
    archive.write_bytes(bytes(raw))
    drop_database()
    damaged = runner.invoke(args=["backup", "restore", str(archive)])
    assert damaged.exit_code == 1
    assert "Cadangan rusak" in damaged.output
    with db.engine.connect() as conn:
        assert "cases" not in inspect(conn).get_table_names()  # nothing was restored
