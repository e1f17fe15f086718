"""Two imports of the same file at once (two CLI runs, or the CLI and the admin page) import each row once."""

from __future__ import annotations

import csv
import io
import threading

from sqlalchemy import func, select

from app.cases.importing import import_file, import_stream
from app.db import db
from app.models.cases import Case, CaseCounter, CaseHistory
from tests.importing.helpers import COLUMNS, case_row, import_rows


def test_concurrent_imports_of_one_file(app, make_agency, tmp_path):
    make_agency(code="KEMENAG", name="Kementerian Agama", kind="kementerian")
    rows = [case_row(f"P-{n:03d}", "KEMENAG") for n in range(60)]
    path = tmp_path / "same.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    results, errors = [], []

    def run() -> None:
        try:
            with app.app_context():
                results.append(import_file(path, batch_size=7, on_batch=lambda _p: db.session.commit()))
                db.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(r.imported for r in results) == 60
    assert sum(r.skipped for r in results) == 60
    assert db.session.scalar(select(func.count(Case.id))) == 60
    assert db.session.scalar(select(func.count(func.distinct(Case.number)))) == 60
    assert db.session.scalar(select(func.count(CaseHistory.id))) == 60
    assert db.session.scalar(select(CaseCounter.last_value).where(CaseCounter.year == 2021)) == 60


def test_import_from_an_uploaded_stream(make_agency, tmp_path):
    make_agency(code="KEMENAG", name="Kementerian Agama", kind="kementerian")
    import_rows(tmp_path, [case_row("U-0", "KEMENAG")])
    content = "Instansi;Kategori;Sumber;Nama Terlapor;NIP;Uraian;Tanggal Kejadian\n"
    content += (
        "Kementerian Agama;netralitas;media;Ani;198609262015051001;Uraian perkara yang cukup panjang;2022-01-03\n"
    )
    result = import_stream(io.BytesIO(content.encode()), "unggahan.csv", report_path=tmp_path / "r.csv")
    db.session.commit()
    assert (result.imported, result.failed) == (1, 0)
    case = db.session.scalar(select(Case).where(Case.reported_name == "Ani"))
    assert case.external_ref.startswith("imp-")
    payload = db.session.scalar(select(CaseHistory.payload).where(CaseHistory.case_id == case.id))
    assert payload["file"] == "unggahan.csv"
