"""Evidence and documents of a case: checked by content (type, size, ZIP bombs) while streamed to the store
outside the static folder under a generated name, with their SHA-256; read back only by who may see them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Response, current_app, send_file
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from app.audit.history import append_history, lock_case
from app.cases.access import SHARED_PURPOSES, get_case_for, may_upload, sees_attachment
from app.core.uploads import refusal as _reject
from app.core.uploads import stage
from app.core.vocab import KASN_ROLES
from app.db import db, get_row
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models.auth import User
from app.models.cases import Attachment, Case

# Allowed evidence types, decided by the file's content (magic bytes), never by its name.
ALLOWED_TYPES = {
    "application/pdf": ("pdf",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
    "image/webp": ("webp",),
    "image/gif": ("gif",),
    "video/mp4": ("mp4",),
    "audio/mpeg": ("mp3",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.oasis.opendocument.text": ("odt",),
}
UPLOAD_PURPOSES = {"evidence", "follow_up", "clarification", "other"}
# What opens in the page (types decided by content at upload): images in an <img>, PDFs in the browser's viewer.
PREVIEW_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/webp", "image/gif"})


def attachment_dir() -> Path:
    path = Path(current_app.config["ATTACHMENT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def attachment_path(storage_key: str) -> Path:
    return attachment_dir() / storage_key[:2] / storage_key


@dataclass(frozen=True)
class StoredFile:
    """A file checked and moved into the evidence store: its name, type found by content, size, digest and key."""

    filename: str
    content_type: str
    size: int
    sha256: str
    storage_key: str


def store_evidence(file: FileStorage | None) -> StoredFile:
    """Check an uploaded file (present, not empty, within the limit, an allowed type by its content, a name that
    matches it, no ZIP bomb) and move it into the store under a generated key. The one set of checks for a case's
    files and a report's (app/intake)."""
    if file is None or not file.filename:
        raise _reject("Berkas wajib diunggah (field 'file').")
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 20 * 1024 * 1024
    staged = stage(file.stream, attachment_dir(), limit=limit)
    try:
        kind = staged.kind
        if kind is None or kind.mime not in ALLOWED_TYPES:
            raise _reject("Jenis berkas tidak diizinkan (PDF, gambar, video MP4, MP3, DOCX, XLSX, ODT).")
        name = secure_filename(file.filename) or f"berkas.{ALLOWED_TYPES[kind.mime][0]}"
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in ALLOWED_TYPES[kind.mime]:
            raise _reject(f"Nama berkas (.{extension or '?'}) tidak sesuai dengan isinya ({kind.extension}).")
        key = uuid.uuid4().hex
        staged.keep(attachment_path(key))
    finally:
        staged.discard()  # nothing left once kept
    return StoredFile(name, kind.mime, staged.size, staged.sha256, key)


def add_attachment(case: Case, file: FileStorage, actor: User, purpose: str = "evidence") -> Attachment:
    """Store an uploaded file under a generated name outside the static folder; record its sha256. Flushes."""
    if purpose not in UPLOAD_PURPOSES:
        raise ValidationFailed("Tujuan berkas tidak dikenal.", details={"fields": {"purpose": ["tidak dikenal"]}})
    if not may_upload(case, actor, purpose):
        raise Forbidden("Anda tidak dapat mengunggah berkas ke perkara ini sekarang.")
    stored = store_evidence(file)
    final = attachment_path(stored.storage_key)
    lock_case(case)  # before the INSERT below takes its foreign-key lock on the case row
    if not may_upload(case, actor, purpose):  # again, under the lock: the state may have moved meanwhile
        final.unlink(missing_ok=True)
        raise Forbidden("Anda tidak dapat mengunggah berkas ke perkara ini sekarang.")
    return record_stored(case, stored, actor, purpose)


def record_stored(case: Case, stored: StoredFile, actor: User | None, purpose: str = "evidence") -> Attachment:
    """A file already in the store (`store_evidence`) becomes the case's, with its history row; the caller holds
    the case's lock. Flushes."""
    attachment = Attachment(
        case_id=case.id,
        purpose=purpose,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
        uploaded_by_id=actor.id if actor is not None else None,
    )
    db.session.add(attachment)
    db.session.flush()
    append_history(
        case,
        "attachment_added",
        case.status,
        case.status,
        actor=actor,
        payload={
            "attachment_id": attachment.id,
            "filename": stored.filename,
            "sha256": attachment.sha256,
            "purpose": purpose,
        },
    )
    return attachment


# The files PPK offices and overseers may see: the PPK's own documents. KASN's evidence (and anything else)
# may reveal the reporter, so it stays with KASN roles.
def visible_attachments(case: Case, user: User) -> list[Attachment]:
    """The case's files `user` may see (see `sees_attachment`)."""
    stmt = select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
    if user.role not in KASN_ROLES:
        stmt = stmt.where(Attachment.purpose.in_(SHARED_PURPOSES))
    return list(db.session.scalars(stmt))


def attachment_for(user: User, attachment_id: int) -> tuple[Attachment, Path]:
    attachment = get_row(Attachment, attachment_id)
    if attachment is None or not sees_attachment(user, attachment.purpose):
        raise NotFound("Berkas tidak ditemukan.")
    get_case_for(user, attachment.case_id)  # and the case itself must be visible
    return attachment, attachment_path(attachment.storage_key)


def attachment_out(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.id,
        "filename": a.filename,
        "size": a.size,
        "sha256": a.sha256,
        "content_type": a.content_type,
        "purpose": a.purpose,
        "created_at": a.created_at,
    }


def preview_response(user: User, attachment_id: int) -> Response:
    """A file shown in the page (Content-Disposition inline, its type as found at upload) to who may see it;
    NotFound for a file the user may not see and for a type that does not preview (video, audio, office files).

    An image is only ever an <img> of the case page, so it keeps the download's sandbox. A PDF opens in the
    browser's viewer (in the page's frame or a tab of its own), which a sandbox or `object-src 'none'` blocks: its
    policy allows only its own origin to frame it and the viewer to run, and nothing else to load."""
    attachment, path = attachment_for(user, attachment_id)
    if attachment.content_type not in PREVIEW_TYPES:
        raise NotFound("Pratinjau tidak tersedia untuk jenis berkas ini.")
    response = send_file(
        path, mimetype=attachment.content_type, as_attachment=False, download_name=attachment.filename, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    if attachment.content_type == "application/pdf":
        response.headers["Content-Security-Policy"] = "default-src 'none'; object-src 'self'; frame-ancestors 'self'"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    else:
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
