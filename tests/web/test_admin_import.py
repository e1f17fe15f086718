"""The admin import page runs the same importer as `flask cases import` and shows the row report."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.cases.importing import import_template_csv
from app.db import db
from app.models.cases import Case
from tests.factories import make_agency, make_user


def test_admin_imports_a_file_and_sees_the_report(app, pages):
    admin = make_user("admin")
    agency = make_agency(code="KEMENAG")
    header = import_template_csv().decode("utf-8-sig").splitlines()[0]
    columns = header.split(",")
    good = dict.fromkeys(columns, "")
    good.update(
        {
            "Referensi": "IMP-1",
            "Kode Instansi": agency.code,
            "Kategori": "netralitas",
            "Sumber": "bawaslu",
            "Nama Terlapor": "Budi Santoso",
            "NIP": "198609262015051001",
            "Tanggal Kejadian": "2024-02-01",
            "Uraian": "Mengunggah dukungan di media sosial.",
            "Status": "reported",
        }
    )
    bad = dict(good, Referensi="IMP-2", NIP="123")
    lines = [header] + [",".join(row[c] for c in columns) for row in (good, bad)]
    pages.login(admin)
    response = pages.post(
        "/admin/import",
        data={"file": (io.BytesIO("\n".join(lines).encode()), "perkara.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "diimpor: 1" in text and "gagal: 1" in text
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
