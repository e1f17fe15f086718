"""An uploaded file written to the store: streamed to a temporary file beside its final place with its SHA-256,
refused past the size limit while it streams (never read whole into memory), an empty file refused, office
documents (ZIP containers) checked against ZIP bombs, then moved into place under a generated name. The one way
files enter the store, for a case's evidence (app.cases.attachments) and an IM-NKK answer's (app.index)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import filetype

from app.errors import ValidationFailed

CHUNK = 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_RATIO = 100
MAX_ZIP_UNPACKED = 200 * 1024 * 1024
ZIP_KINDS = frozenset({"zip", "docx", "xlsx", "odt", "pptx"})


def refusal(message: str) -> ValidationFailed:
    """The refusal of an upload: 422 naming the `file` field."""
    return ValidationFailed(message, details={"fields": {"file": [message]}})


@dataclass
class Staged:
    """A file streamed to its directory under a temporary name: its digest, size and guessed type."""

    path: Path
    sha256: str
    size: int
    kind: filetype.Type | None

    def keep(self, final: Path) -> None:
        """Move it to `final` (the store's name for it)."""
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, final)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def stage(stream: IO[bytes], directory: Path, *, limit: int) -> Staged:
    """Stream `stream` into `directory` (the store's own file system, so the final move is atomic), refusing it
    past `limit` bytes, empty, or a ZIP container that unpacks too large, too many or too compressed."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix=".upload-")
    path = Path(name)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise refusal("Berkas terlalu besar.")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise refusal("Berkas kosong.")
        kind = filetype.guess(str(path))
        if kind is not None and kind.extension in ZIP_KINDS:
            check_zip(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Staged(path, digest.hexdigest(), size, kind)


def check_zip(path: Path) -> None:
    """Office files are ZIPs: refuse zip bombs (too many entries, too large or too compressed)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise refusal("Berkas rusak atau bukan dokumen yang sah.") from exc
    unpacked = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    if len(infos) > MAX_ZIP_ENTRIES or unpacked > MAX_ZIP_UNPACKED or unpacked / packed > MAX_ZIP_RATIO:
        raise refusal("Berkas arsip ditolak: isi terlalu besar atau terlalu banyak (kemungkinan bom zip).")
