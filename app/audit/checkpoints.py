"""Signed checkpoints of the case history, written outside the database (docs/audit.md).

A checkpoint is a JSON file in AUDIT_CHECKPOINT_DIR: every case's head (id, number, last seq, last hash,
status, version), the global head (SHA-256 over every case's id, seq and hash), the database it describes and
an HMAC-SHA256 signature under the current chain key. Whoever can write the tables can
delete a case's last rows or its whole history; they cannot make a checkpoint forget the head it recorded,
nor sign a new one without the key. `flask audit verify` holds the history against every checkpoint.

The writer (`flask audit checkpoint`, the scheduler's `audit_checkpoint` job) refuses to sign a history that
went backwards since the newest checkpoint, or whose cases disagree with their last rows: such a history is
never anchored, and the job's failure shows on the health endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select, tuple_

from app.audit.heads import Head, Problem, head_problems, read_heads
from app.audit.history import ChainKeys, chain_keys
from app.core.clock import utcnow
from app.db import db, in_chunks
from app.i18n import format_instant
from app.letters.mail import enqueue
from app.models.cases import CaseHistory
from config import INSTANCE_DIR

FORMAT = "tindak-audit-checkpoint/1"
PATTERN = "checkpoint-*.json"


class CheckpointError(RuntimeError):
    """No checkpoint was written (the message, in Indonesian, says why; `problems` lists what was found)."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class Entry:
    """One case's head as a checkpoint records it."""

    case_id: int
    number: str
    seq: int
    hash: str
    status: str
    version: int


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    created_at: datetime
    key_id: str
    global_head: str
    entries: list[Entry]

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Loaded:
    """The checkpoint files of this database that verify, the problems of the others of this database, and
    how many files describe another database (ignored)."""

    valid: list[Checkpoint] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    other_databases: int = 0

    @property
    def newest(self) -> Checkpoint | None:
        return max(self.valid, key=lambda cp: (cp.created_at, cp.name), default=None)


def checkpoint_dir() -> Path | None:
    """AUDIT_CHECKPOINT_DIR; unset: instance/audit-checkpoints, and none under TESTING (a test names its own,
    so that no test reads or writes the instance folder)."""
    value = current_app.config.get("AUDIT_CHECKPOINT_DIR")
    if value:
        return Path(value)
    if current_app.testing:
        return None
    return INSTANCE_DIR / "audit-checkpoints"


def database_label() -> str:
    """The database a checkpoint describes: its URL without the password (not a value stored in it)."""
    return db.engine.url.render_as_string(hide_password=True)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def global_head(entries: Iterable[Entry]) -> str:
    """SHA-256 over every case's (id, last seq, last hash), by case id: one value that pins the whole history."""
    heads = sorted([e.case_id, e.seq, e.hash] for e in entries)
    return hashlib.sha256(_canonical(heads)).hexdigest()


def _signature(document: dict[str, Any], secret: bytes) -> str:
    body = {k: v for k, v in document.items() if k != "signature"}
    return hmac.new(secret, _canonical(body), hashlib.sha256).hexdigest()


def _parse(path: Path, keys: ChainKeys, database: str) -> Checkpoint | str | None:
    """The checkpoint in `path`; None when it describes another database; why it is not valid otherwise."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"tidak terbaca ({type(exc).__name__})"
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return "bukan berkas checkpoint Tindak"
    if document.get("database") != database:
        return None
    key = keys.by_id.get(str(document.get("key_id")))
    if key is None:
        return f"ditandatangani dengan kunci '{document.get('key_id')}' yang tidak ada di AUDIT_CHAIN_KEYS"
    if not hmac.compare_digest(str(document.get("signature", "")), _signature(document, key.secret)):
        return "tanda tangannya tidak cocok dengan isinya (berkas diubah)"
    try:
        entries = [Entry(int(c), str(n), int(s), str(h), str(st), int(v)) for c, n, s, h, st, v in document["cases"]]
        checkpoint = Checkpoint(
            path=path,
            created_at=datetime.fromisoformat(document["created_at"]),
            key_id=key.id,
            global_head=str(document["global_head"]),
            entries=entries,
        )
    except (KeyError, TypeError, ValueError):
        return "isinya tidak lengkap"
    if global_head(entries) != checkpoint.global_head:
        return "kepala globalnya tidak sesuai dengan daftar perkaranya"
    return checkpoint


def load_checkpoints(directory: Path | None = None) -> Loaded:
    """Every checkpoint file of the directory (default `checkpoint_dir()`), checked: signature under the key
    it names, format, global head. Files of another database are counted and skipped."""
    loaded = Loaded()
    directory = directory if directory is not None else checkpoint_dir()
    if directory is None or not directory.is_dir():
        return loaded
    keys, database = chain_keys(), database_label()
    for path in sorted(directory.glob(PATTERN)):
        result = _parse(path, keys, database)
        if result is None:
            loaded.other_databases += 1
        elif isinstance(result, str):
            loaded.problems.append(Problem(None, f"checkpoint {path.name} tidak sah: {result}."))
        else:
            loaded.valid.append(result)
    return loaded


# -- what a checkpoint says about the history -----------------------------------------------------------------


def missing_case(entry: Entry, checkpoint: Checkpoint) -> Problem:
    return Problem(
        entry.number,
        f"perkara {entry.number} yang tercatat di checkpoint {checkpoint.name} tidak ada lagi: perkaranya dihapus.",
        entry.seq,
    )


def missing_row(entry: Entry, checkpoint: Checkpoint) -> Problem:
    return Problem(
        entry.number,
        f"baris ke-{entry.seq} riwayat perkara {entry.number} yang tercatat di checkpoint {checkpoint.name} tidak "
        "ada lagi: riwayatnya dipotong.",
        entry.seq,
    )


def changed_row(entry: Entry, checkpoint: Checkpoint) -> Problem:
    return Problem(
        entry.number,
        f"baris ke-{entry.seq} riwayat perkara {entry.number} berbeda dari yang tercatat di checkpoint "
        f"{checkpoint.name}: riwayatnya ditulis ulang.",
        entry.seq,
    )


def _rows_at(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The hash of each (case id, seq) row that exists."""
    found: dict[tuple[int, int], str] = {}
    for chunk in in_chunks(pairs, 250):
        rows = db.session.execute(
            select(CaseHistory.case_id, CaseHistory.seq, CaseHistory.hash).where(
                tuple_(CaseHistory.case_id, CaseHistory.seq).in_(chunk)
            )
        )
        found.update({(case_id, seq): digest for case_id, seq, digest in rows})
    return found


def regressions(checkpoint: Checkpoint, heads: dict[int, Head]) -> list[Problem]:
    """Where the history no longer holds a head `checkpoint` recorded (the writer's check before it signs)."""
    problems: list[Problem] = []
    later: list[Entry] = []
    for entry in checkpoint.entries:
        head = heads.get(entry.case_id)
        if head is None:
            problems.append(missing_case(entry, checkpoint))
        elif head.seq is None:
            continue  # a case without history: head_problems reports it
        elif head.seq < entry.seq:
            problems.append(missing_row(entry, checkpoint))
        elif head.seq == entry.seq:
            if head.hash != entry.hash:
                problems.append(changed_row(entry, checkpoint))
        else:
            later.append(entry)
    found = _rows_at([(e.case_id, e.seq) for e in later])
    for entry in later:
        digest = found.get((entry.case_id, entry.seq))
        if digest is None:
            problems.append(missing_row(entry, checkpoint))
        elif digest != entry.hash:
            problems.append(changed_row(entry, checkpoint))
    return problems


# -- writing ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    path: Path
    cases: int
    global_head: str


def write_checkpoint(now: datetime | None = None) -> Written:
    """Sign every case's head into a new file of the checkpoint directory (read only in the database).

    Raises CheckpointError, writing nothing, without a directory, when a checkpoint file of this database is
    not valid, when a case has no history or disagrees with its last row, or when the history no longer holds
    a head the newest checkpoint recorded."""
    directory = checkpoint_dir()
    if directory is None:
        raise CheckpointError("Direktori checkpoint tidak diatur (AUDIT_CHECKPOINT_DIR).")
    now = now or utcnow()
    key = chain_keys().current
    loaded = load_checkpoints(directory)
    heads = read_heads()
    problems = list(loaded.problems) + head_problems(heads)
    previous = loaded.newest
    if previous is not None:
        problems += regressions(previous, {head.case_id: head for head in heads})
    if problems:
        raise CheckpointError("Checkpoint tidak ditulis: riwayat tidak utuh.", problems)
    entries = [
        Entry(h.case_id, h.number, h.seq, h.hash, h.status, h.version)
        for h in heads
        if h.seq is not None and h.hash is not None
    ]
    document: dict[str, Any] = {
        "format": FORMAT,
        "created_at": now.isoformat(timespec="microseconds"),
        "database": database_label(),
        "key_id": key.id,
        "global_head": global_head(entries),
        "cases": [[e.case_id, e.number, e.seq, e.hash, e.status, e.version] for e in entries],
    }
    document["signature"] = _signature(document, key.secret)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"checkpoint-{now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.json"
    _write_atomically(path, _canonical(document) + b"\n")
    _send_anchor(path, document, len(entries), now)
    return Written(path=path, cases=len(entries), global_head=document["global_head"])


def _send_anchor(path: Path, document: dict[str, Any], cases: int, now: datetime) -> None:
    """Queue the global head to AUDIT_CHECKPOINT_RECIPIENTS, mailboxes outside this system's reach (the
    database and the checkpoint directory may both be on hosts one administrator controls; a mailbox held by
    another office is not). In the caller's transaction, through the outbox (once per checkpoint file)."""
    recipients = list(current_app.config.get("AUDIT_CHECKPOINT_RECIPIENTS") or [])
    if not recipients:
        return
    extra = {
        "at": format_instant(now),
        "cases": cases,
        "global_head": document["global_head"],
        "key_id": document["key_id"],
        "file": path.name,
    }
    enqueue("audit_checkpoint", case=None, recipients=recipients, key=f"audit_checkpoint:{path.name}", extra=extra)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write a temporary file beside `path`, flush it to disk, rename it into place (all or nothing)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-checkpoint-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def run_checkpoint_job(now: datetime) -> Written | None:
    """The scheduler's job: write a checkpoint (nothing when no directory is configured). A refusal raises, so
    the job's heartbeat records it and the health endpoint reports it."""
    if checkpoint_dir() is None:
        return None
    try:
        return write_checkpoint(now)
    except CheckpointError as exc:
        detail = "; ".join(p.message for p in exc.problems[:5])
        raise CheckpointError(f"{exc} {detail}".strip(), exc.problems) from None
