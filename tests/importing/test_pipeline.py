"""The import validates rows in a thread of its own while it writes the previous batch: that thread never speaks
to the database, an error it meets reaches the importer, and an import given up ends it."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, func, select

from app.cases.importing import import_file, iter_import, reading
from app.db import db
from app.models.cases import Case, CaseHistory
from tests.importing.test_import import BAD, GOOD, ISSUED, SK, row, write_csv


@pytest.fixture
def agency(make_agency):
    return make_agency(code="KAB-3201", name="Kabupaten Bogor", kind="kabupaten")


def _many(n: int) -> list[list[str]]:
    """`n` good rows in several states, each with its own reference."""
    shapes = [{}, {"Status": "Menunggu tindak lanjut PPK", **ISSUED}, {"Status": "follow_up_reported", **ISSUED, **SK}]
    return [row(Referensi=f"T-{n:04d}", **shapes[n % 3]) for n in range(n)]


def test_rows_are_validated_off_the_database_and_written_in_order(agency, tmp_path):
    threads: list[str] = []

    def record(*_args):
        threads.append(threading.current_thread().name)

    path = write_csv(tmp_path / "many.csv", _many(250) + [BAD["NIP"], GOOD[0]])
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = import_file(path, batch_size=40, on_batch=lambda _p: db.session.commit())
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert threads and set(threads) == {threading.current_thread().name}  # every statement from the importer
    assert (result.total, result.imported, result.failed) == (252, 251, 1)
    assert result.errors[0].row == 252  # the bad row's own line, after 250 good ones and the header
    refs = db.session.scalars(select(Case.external_ref).order_by(Case.id)).all()
    assert refs == [f"T-{n:04d}" for n in range(250)] + ["H-001"]  # file order, batch after batch
    assert db.session.scalar(select(func.count()).select_from(CaseHistory)) == 251
    assert not [t for t in threading.enumerate() if t.name == "import-validate"]


def test_an_error_while_reading_reaches_the_importer_and_nothing_of_its_batch_is_written(agency, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "broken.csv", _many(120))
    calls = {"n": 0}
    original = reading.clean_cell

    def failing(value):
        calls["n"] += 1
        if calls["n"] > 26 * 90:  # in the 91st row (26 columns each)
            raise OSError("disk gone")
        return original(value)

    monkeypatch.setattr("app.cases.importing.pipeline.clean_cell", failing)
    with pytest.raises(OSError, match="disk gone"):
        import_file(path, batch_size=50, on_batch=lambda _p: db.session.commit())
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 50  # the first batch, committed
    assert not [t for t in threading.enumerate() if t.name == "import-validate"]


def test_an_import_given_up_ends_its_thread(agency, tmp_path):
    path = write_csv(tmp_path / "long.csv", _many(3000))
    progress = iter_import(path, batch_size=100)
    first = next(progress)
    assert first.processed == 100
    progress.close()  # the page or command stops reading
    db.session.rollback()
    assert not [t for t in threading.enumerate() if t.name == "import-validate"]
