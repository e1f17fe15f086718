"""Uploads that lie: random bytes under any allowed name, disguised HTML and SVG, zip bombs, broken archives,
hostile file names. The answer is 201 only for content that really is an allowed type, 422 otherwise, never 5xx."""

from __future__ import annotations

import io
import os
import zipfile

import filetype
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cases.attachments import ALLOWED_TYPES
from app.core.uploads import MAX_ZIP_ENTRIES
from app.db import db
from app.models.cases import Attachment
from tests.factories import PDF_BYTES, Cast

LONG = os.environ.get("TINDAK_LONG_TESTS") == "1"
EXTENSIONS = sorted({ext for exts in ALLOWED_TYPES.values() for ext in exts})
DOCX_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def post(client, world: Cast, content: bytes, name: str):
    case = world.cases["reported"]
    return client.post(
        f"/api/v1/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        headers=world.headers("investigator"),
    )


def docx(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", DOCX_TYPES)
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


PREFIXES = [b"", PDF_BYTES[:8], b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"PK\x03\x04", b"GIF89a", b"<html>"]


@settings(
    max_examples=200 if LONG else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=2048), extension=st.sampled_from(EXTENSIONS))
def test_random_content_under_an_allowed_name_is_stored_only_when_it_is_what_it_says(
    client, world: Cast, prefix, body, extension
):
    content = prefix + body
    response = post(client, world, content, f"berkas.{extension}")
    assert response.status_code in (201, 422), (response.status_code, response.get_json())
    kind = filetype.guess(content) if content else None
    if response.status_code == 201:
        stored = db.session.get(Attachment, response.get_json()["id"])
        assert kind is not None and stored.content_type == kind.mime
        assert extension in ALLOWED_TYPES[kind.mime]
    else:
        assert "file" in response.get_json()["error"]["details"]["fields"]
    db.session.rollback()


def test_html_and_svg_in_disguise_are_refused(client, world: Cast):
    html = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/cases')</script></body></html>"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    for content, name in [(html, "surat.pdf"), (html, "foto.jpg"), (svg, "foto.png"), (svg, "gambar.svg"),
                          (html, "laporan.docx"), (html, "laporan.html")]:  # fmt: skip
        response = post(client, world, content, name)
        assert response.status_code == 422, (name, response.get_json())


def test_zip_bombs_and_broken_archives_are_refused(client, world: Cast):
    by_ratio = docx({"word/document.xml": b"<w:document/>", "word/media/isi.bin": b"\0" * (30 * 1024 * 1024)})
    assert len(by_ratio) < 200 * 1024  # small on the wire, 30 MB unpacked
    by_count = docx({f"word/media/{n}.xml": b"<x/>" for n in range(MAX_ZIP_ENTRIES + 1)})
    valid = docx({"word/document.xml": b"<w:document>" + b"Isi laporan. " * 200 + b"</w:document>"})
    truncated = valid[: len(valid) // 2]
    corrupt_directory = valid[:-22] + b"PK\x05\x06" + b"\xff" * 18
    for content, name in [
        (by_ratio, "bom-rasio.docx"),
        (by_count, "bom-jumlah.docx"),
        (truncated, "terpotong.docx"),
        (corrupt_directory, "rusak.docx"),
    ]:
        response = post(client, world, content, name)
        assert response.status_code == 422, (name, response.status_code, response.get_json())
    assert post(client, world, valid, "laporan.docx").status_code == 201  # the checks refuse bombs, not documents


def test_a_hostile_file_name_is_neutralised(client, world: Cast, app):
    response = post(client, world, PDF_BYTES, "../../../etc/passwd.pdf")
    assert response.status_code == 201
    stored = db.session.get(Attachment, response.get_json()["id"])
    assert "/" not in stored.filename and ".." not in stored.filename
    assert stored.storage_key not in stored.filename
    download = client.get(f"/api/v1/attachments/{stored.id}", headers=world.headers("investigator"))
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "/" not in disposition


def test_an_upload_over_the_limit_is_413_and_stores_nothing(client, world: Cast, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    before = db.session.query(Attachment).count()
    response = post(client, world, PDF_BYTES + os.urandom(128 * 1024), "besar.pdf")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert db.session.query(Attachment).count() == before
