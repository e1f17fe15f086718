"""The evidence bundle of a case: one ZIP a court or a ministry can check without Tindak.

Contents:
- `ringkasan.pdf` — the case summary with its timeline;
- `riwayat.json` — every history row with its hash and the previous row's hash (the chain can be recomputed);
- `surat/` — the recommendation letter and the escalation letters (levels 2 and 3) as PDF;
- `bukti/` — every evidence file from the attachment store, byte for byte;
- `manifest.json` — each file's path, size and SHA-256 (and, for evidence, the SHA-256 recorded at upload);
- `SHA256SUMS` — the same digests in the format of `sha256sum -c`; `PERIKSA.txt` says how to check.

The reporter's identity is left out unless a KASN user asks for it; for other users (a PPK, an overseer) only
the attachments they may see are included. History payloads never hold the identity, and are kept as stored so
the chain still verifies.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from werkzeug.utils import secure_filename

from app.agencies.authority import profile_for
from app.audit.history import GENESIS
from app.cases.access import sees_reporter
from app.cases.attachments import attachment_path, visible_attachments
from app.core.clock import utcnow
from app.db import db
from app.letters import render_case_summary, render_escalation_letter, render_recommendation_letter
from app.models.cases import Attachment, Case, CaseHistory, Recommendation
from app.models.escalations import EscalationStep

CHUNK = 1024 * 1024
HISTORY_FORMAT = (
    "Setiap baris: hash = SHA-256 dari JSON kanonik (kunci berurutan, pemisah ',' dan ':', UTF-8 tanpa escape) "
    "atas {case_id, seq, event, from, to, actor_id, actor, payload, at, prev}, dengan 'at' = created_at "
    "ISO 8601 berketelitian mikrodetik dan 'prev' = hash baris sebelumnya (baris pertama: 64 angka nol)."
)
README = """PEMERIKSAAN KEUTUHAN BERKAS PERKARA {number}

1. Keutuhan setiap berkas: jalankan di folder hasil ekstraksi
       sha256sum -c SHA256SUMS
   Semua baris harus berstatus OK. Daftar yang sama (ukuran dan SHA-256) ada di manifest.json.

2. Berkas bukti: untuk setiap berkas di bukti/, manifest.json juga memuat "sha256_recorded", yaitu
   SHA-256 yang dicatat saat berkas diunggah ke Tindak. Nilainya harus sama dengan "sha256".

3. Riwayat perkara (riwayat.json) berantai hash:
   {history_format}
   Hitung ulang hash setiap baris dan bandingkan dengan "hash"; "prev_hash" setiap baris harus sama dengan
   "hash" baris sebelumnya.

Dibuat {generated_at} oleh {generated_by}.
"""


@dataclass
class _Entry:
    path: str
    size: int
    sha256: str
    kind: str
    extra: dict[str, Any] = field(default_factory=dict)


class _Writer:
    """Adds files to the ZIP while hashing them."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.entries: list[_Entry] = []

    def add_bytes(self, path: str, data: bytes, kind: str, **extra: Any) -> None:
        self.archive.writestr(path, data)
        self.entries.append(_Entry(path, len(data), hashlib.sha256(data).hexdigest(), kind, extra))

    def add_file(self, path: str, source: Path, kind: str, **extra: Any) -> _Entry:
        digest = hashlib.sha256()
        size = 0
        with source.open("rb") as handle, self.archive.open(path, "w", force_zip64=True) as out:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        entry = _Entry(path, size, digest.hexdigest(), kind, extra)
        self.entries.append(entry)
        return entry


def history_rows(case: Case) -> list[dict[str, Any]]:
    """The case's history as stored, in the form written to riwayat.json."""
    rows = db.session.scalars(select(CaseHistory).where(CaseHistory.case_id == case.id).order_by(CaseHistory.seq))
    return [
        {
            "case_id": r.case_id,
            "seq": r.seq,
            "event": r.event,
            "from_status": r.from_status,
            "to_status": r.to_status,
            "actor_id": r.actor_id,
            "actor": r.actor_label,
            "payload": r.payload,
            "created_at": r.created_at.isoformat(timespec="microseconds"),
            "prev_hash": r.prev_hash,
            "hash": r.hash,
        }
        for r in rows
    ]


def _attachments_for(case: Case, user: Any | None) -> list[Attachment]:
    if user is not None:
        return visible_attachments(case, user)
    return list(db.session.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)))


def _stored_path(attachment: Attachment) -> Path:

    return attachment_path(attachment.storage_key)


def build_case_bundle(
    case: Case,
    *,
    user: Any | None = None,
    include_reporter: bool = False,
    dest: str | Path | None = None,
    now: datetime | None = None,
) -> Path:
    """Write the case's bundle to `dest` (default: a new temporary file, which the caller removes).

    `user` is who the bundle is for: without one (KASN use, the CLI), every attachment is included; a non-KASN
    user gets only what they may see and never the reporter. Returns the ZIP's path. A missing evidence file is
    listed in the manifest as missing (`"missing": true`) rather than failing the whole bundle.
    """

    include_reporter = include_reporter and (user is None or sees_reporter(user))
    now = now or utcnow()
    if dest is None:
        fd, name = tempfile.mkstemp(suffix=".zip", prefix=f"{case.number}-")
        os.close(fd)
        dest = name
    path = Path(dest)
    attachments = _attachments_for(case, user)
    history = history_rows(case)
    generated_by = getattr(user, "email", None) or "sistem"
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            writer = _Writer(archive)
            history_models = list(
                db.session.scalars(select(CaseHistory).where(CaseHistory.case_id == case.id).order_by(CaseHistory.seq))
            )
            summary = render_case_summary(
                case, include_reporter=include_reporter, attachments=attachments, history=history_models
            )
            writer.add_bytes("ringkasan.pdf", summary, "summary")
            timeline = {"case_number": case.number, "genesis": GENESIS, "format": HISTORY_FORMAT, "rows": history}
            writer.add_bytes("riwayat.json", _json(timeline), "timeline")
            _add_letters(writer, case, render_recommendation_letter, render_escalation_letter)
            missing = _add_evidence(writer, attachments)
            manifest = {
                "case_number": case.number,
                "case_id": case.id,
                "status": case.status,
                "generated_at": now.isoformat(timespec="seconds"),
                "generated_by": generated_by,
                # the authority that issued the recommendation (as on its day of issue), else the one in force
                **_issuing_authority(case, now),
                "includes_reporter": include_reporter,
                "history_rows": len(history),
                "history_head": history[-1]["hash"] if history else GENESIS,
                "files": [
                    {"path": e.path, "size": e.size, "sha256": e.sha256, "kind": e.kind, **e.extra}
                    for e in writer.entries
                ],
                "missing": missing,
            }
            writer.add_bytes("manifest.json", _json(manifest), "manifest")
            readme = README.format(
                number=case.number,
                history_format=HISTORY_FORMAT,
                generated_at=manifest["generated_at"],
                generated_by=generated_by,
            )
            writer.add_bytes("PERIKSA.txt", readme.encode("utf-8"), "readme")
            sums = "".join(f"{e.sha256}  {e.path}\n" for e in writer.entries)
            archive.writestr("SHA256SUMS", sums.encode("utf-8"))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode("utf-8")


def _add_letters(writer: _Writer, case: Case, recommendation: Any, escalation: Any) -> None:
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    if rec is None or rec.issued_at is None:
        return
    writer.add_bytes("surat/rekomendasi.pdf", recommendation(case), "letter")
    levels = db.session.scalars(
        select(EscalationStep.level)
        .where(EscalationStep.case_id == case.id, EscalationStep.level >= 2)
        .distinct()
        .order_by(EscalationStep.level)
    )
    for level in levels:
        writer.add_bytes(f"surat/eskalasi-tingkat-{level}.pdf", escalation(case, level), "letter")


def _add_evidence(writer: _Writer, attachments: list[Attachment]) -> list[dict[str, Any]]:
    missing: list[dict[str, Any]] = []
    for attachment in attachments:
        name = f"bukti/{attachment.id:05d}-{secure_filename(attachment.filename) or 'berkas'}"
        source = _stored_path(attachment)
        if not source.is_file():
            missing.append({"path": name, "attachment_id": attachment.id, "sha256_recorded": attachment.sha256})
            continue
        entry = writer.add_file(
            name,
            source,
            "evidence",
            attachment_id=attachment.id,
            purpose=attachment.purpose,
            original_filename=attachment.filename,
            uploaded_at=attachment.created_at.isoformat(timespec="seconds"),
            sha256_recorded=attachment.sha256,
        )
        entry.extra["matches_record"] = entry.sha256 == attachment.sha256
    return missing


__all__ = ["build_case_bundle", "history_rows"]


def _issuing_authority(case: Case, now: datetime) -> dict[str, str]:
    """`authority` (short name) and `authority_name` of the authority the bundle speaks for
    (app/agencies/authority.py)."""

    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    if rec is not None and rec.issued_at is not None:
        profile = profile_for(rec.authority_name, rec.issued_at.date())
    else:
        profile = profile_for(None, now.date())
    return {"authority": profile.short_name, "authority_name": profile.name}
