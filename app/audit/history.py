"""The tamper-evident case history: each row hashes its content and the previous row's hash, and is sealed
with a key.

`hash` is the SHA-256 of the row's content and the previous row's hash: anyone can recompute the chain (the
evidence bundle's riwayat.json says how), so it shows that the rows fit together, not who wrote them. `mac`
seals each row: an HMAC-SHA256, under a secret that is not in the database (`AUDIT_CHAIN_KEYS`, from the
environment), of the row's hash (which covers every earlier row), the key's id and the case's version after the
event (`case_version`, which lets verify hold each case's version against its last row). Whoever can write the
tables but does not hold the key can edit a row and recompute every hash after it, and still cannot seal the
result. The row names its key (`key_id`), so keys rotate: the first configured key seals new rows, the others
still verify the rows they sealed. The rows written before the chain was keyed were sealed as they stood by
migration 0002 (their version unknown: NULL), so no row without a seal is genuine (docs/audit.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from app.audit.notices import Fact, notify
from app.core.clock import utcnow
from app.db import db, in_chunks
from app.models.cases import Case, CaseHistory
from config import ConfigError, parse_chain_keys

GENESIS = "0" * 64
SYSTEM_ACTOR = "system"
# Outside production without AUDIT_CHAIN_KEYS: one key derived from SECRET_KEY under this id.
DEV_KEY_ID = "dev"


@dataclass(frozen=True)
class ChainKey:
    id: str
    secret: bytes = field(repr=False)


@dataclass(frozen=True)
class ChainKeys:
    """The configured keys: `current` seals new rows and signs checkpoints, every key of `by_id` verifies."""

    current: ChainKey
    by_id: Mapping[str, ChainKey]


def chain_keys() -> ChainKeys:
    """The chain's keys from the app's configuration (parsed once per configuration value)."""
    config = current_app.config
    raw = config.get("AUDIT_CHAIN_KEYS")
    if raw is not None and not isinstance(raw, str):
        raw = ",".join(str(item) for item in raw)
    return _chain_keys(raw or None, str(config.get("SECRET_KEY") or ""), config.get("TINDAK_ENV") == "production")


def dev_chain_keys(secret_key: str) -> str:
    """The AUDIT_CHAIN_KEYS value used outside production when none is set: one key, `dev`, derived from
    SECRET_KEY (so processes sharing a SECRET_KEY share it; a production setting may name it explicitly)."""
    derived = hmac.new(secret_key.encode(), b"tindak-audit-chain", hashlib.sha256).hexdigest()
    return f"{DEV_KEY_ID}:{derived}"


@lru_cache(maxsize=8)
def _chain_keys(raw: str | None, secret_key: str, production: bool) -> ChainKeys:
    if not raw:
        if production or not secret_key:
            raise ConfigError("AUDIT_CHAIN_KEYS must be set in production (TINDAK_ENV=production): see docs/audit.md")
        raw = dev_chain_keys(secret_key)
    keys = [ChainKey(key_id, secret.encode()) for key_id, secret in parse_chain_keys(raw)]
    return ChainKeys(current=keys[0], by_id={key.id: key for key in keys})


def _canonical(row: dict[str, Any]) -> bytes:
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def row_digest(
    *,
    case_id: int,
    seq: int,
    event: str,
    from_status: str | None,
    to_status: str,
    actor_id: int | None,
    actor_label: str,
    payload: dict[str, Any],
    created_at: datetime,
    prev_hash: str,
) -> str:
    """A row's public hash: SHA-256 of its content and the previous row's hash (no key: anyone can check it)."""
    content = {
        "case_id": case_id,
        "seq": seq,
        "event": event,
        "from": from_status,
        "to": to_status,
        "actor_id": actor_id,
        "actor": actor_label,
        "payload": payload,
        "at": created_at.isoformat(timespec="microseconds"),
        "prev": prev_hash,
    }
    return hashlib.sha256(_canonical(content)).hexdigest()


def row_mac(row_hash: str, key: ChainKey, case_version: int | None) -> str:
    """A row's seal: HMAC-SHA256 under `key` of its hash, the key's id and the case's version after the event."""
    sealed = {"hash": row_hash, "key": key.id, "version": case_version}
    return hmac.new(key.secret, _canonical(sealed), hashlib.sha256).hexdigest()


def _json_safe(payload: dict[str, Any]) -> dict[str, Any]:
    """Round-trip through JSON so the hashed payload equals the stored one (dates become strings)."""
    return json.loads(json.dumps(payload, default=str))


def lock_case(case: Case) -> None:
    """Take the case's row lock as the first write step of a transaction and reload the case under it.

    Every writer of a case (transitions, edits, uploads, the sweep) locks the case row before it writes
    anything that references it. Locking later — after an INSERT whose foreign key already took a KEY SHARE
    lock on the row — lets two writers each hold a lock the other waits for (PostgreSQL deadlock). Pending
    changes are flushed first (so none is lost by the reload). SQLite serialises writers anyway."""
    db.session.flush()
    db.session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    db.session.refresh(case)  # a new statement: under READ COMMITTED it reads what the last writer committed


@dataclass(frozen=True)
class Entry:
    """One history row to append (see `append_history_many`)."""

    case_id: int
    event: str
    from_status: str | None
    to_status: str
    actor: Any | None = None
    payload: dict[str, Any] | None = None
    at: datetime | None = None


def chained_row(
    *,
    case_id: int,
    seq: int,
    prev_hash: str,
    event: str,
    from_status: str | None,
    to_status: str,
    actor_id: int | None,
    actor_label: str,
    payload: dict[str, Any],
    created_at: datetime,
    case_version: int | None = None,
) -> dict[str, Any]:
    """The column values of a history row numbered `seq` after `prev_hash`, with its hash and its seal under the
    current chain key (for writers that insert rows themselves, like the importer). `case_version` is the case's
    version after the event; a case's first row is written as the case is created, at version 1."""
    if case_version is None and seq == 1:
        case_version = 1
    content = {
        "case_id": case_id,
        "seq": seq,
        "event": event,
        "from_status": from_status,
        "to_status": to_status,
        "actor_id": actor_id,
        "actor_label": actor_label,
        "payload": _json_safe(payload),
        "created_at": created_at,
        "prev_hash": prev_hash,
    }
    key = chain_keys().current
    digest = row_digest(**content)
    request_id = g.get("request_id") if has_request_context() else None
    return content | {
        "request_id": request_id,
        "hash": digest,
        "key_id": key.id,
        "mac": row_mac(digest, key, case_version),
        "case_version": case_version,
    }


def _chained(entry: Entry, seq: int, prev_hash: str, case_version: int | None) -> dict[str, Any]:
    return chained_row(
        case_id=entry.case_id,
        seq=seq,
        prev_hash=prev_hash,
        event=entry.event,
        from_status=entry.from_status,
        to_status=entry.to_status,
        actor_id=getattr(entry.actor, "id", None),
        actor_label=getattr(entry.actor, "email", None) or SYSTEM_ACTOR,
        payload=entry.payload or {},
        created_at=entry.at or utcnow(),
        case_version=case_version,
    )


def append_history(
    case: Case,
    event: str,
    from_status: str | None,
    to_status: str,
    *,
    actor: Any | None,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseHistory:
    """Add the next history row of `case` (flush, no commit). `actor=None` records the system.

    The caller holds the case's row lock (`lock_case`, taken by every writer of an existing case before it
    writes), so two appends never read the same last row and pick the same next number; a case created in
    this transaction is not visible to any other writer yet."""
    seq, prev_hash, _ = _last_links([case.id]).get(case.id, (0, GENESIS, None))
    entry = Entry(case.id, event, from_status, to_status, actor, payload, at)
    values = _chained(entry, seq + 1, prev_hash, case.version)
    row = CaseHistory(**values)
    db.session.add(row)
    db.session.flush()
    notify([_fact(values)])
    return row


def append_history_many(entries: list[Entry]) -> int:
    """Append `entries` (several cases, in order) with one lookup of the cases' last rows and one INSERT.

    For batch writers that already hold the cases' row locks (the escalation sweep claims its cases
    `FOR UPDATE`; SQLite serialises writers) and do not change the case rows themselves: each row records the
    case's version as stored. Flushes; returns the number of rows added."""
    if not entries:
        return 0
    db.session.flush()
    last = _last_links(sorted({entry.case_id for entry in entries}))
    values = []
    for entry in entries:
        seq, prev_hash, version = last.get(entry.case_id, (0, GENESIS, None))
        row = _chained(entry, seq + 1, prev_hash, version)
        values.append(row)
        last[entry.case_id] = (seq + 1, row["hash"], version)
    db.session.execute(insert(CaseHistory), values)
    notify([_fact(row) for row in values])
    return len(values)


def _fact(row: dict[str, Any]) -> Fact:
    """A written row as the notifier reads it (app/audit/notices.py: who is told of it in the app)."""
    return Fact(row["case_id"], row["seq"], row["event"], row["actor_id"], row["payload"], row["created_at"])


def _last_links(case_ids: list[int]) -> dict[int, tuple[int, str, int]]:
    """Each case's last history row as (seq, hash, the case's stored version); cases without history are
    absent."""
    last: dict[int, tuple[int, str, int]] = {}
    for chunk in in_chunks(case_ids):
        newest = (
            select(CaseHistory.case_id, func.max(CaseHistory.seq).label("seq"))
            .where(CaseHistory.case_id.in_(chunk))
            .group_by(CaseHistory.case_id)
            .subquery()
        )
        rows = db.session.execute(
            select(CaseHistory.case_id, CaseHistory.seq, CaseHistory.hash, Case.version)
            .join(newest, and_(CaseHistory.case_id == newest.c.case_id, CaseHistory.seq == newest.c.seq))
            .join(Case, Case.id == CaseHistory.case_id)
        )
        last.update({case_id: (seq, digest, version) for case_id, seq, digest, version in rows})
    return last


def link_problem(row: CaseHistory, prev_hash: str, expected_seq: int, keys: ChainKeys) -> str | None:
    """Why `row` is not the intact next link after `prev_hash` (Indonesian, for `flask audit verify`), or
    None: its number, its back link, its own hash, and its seal under the key it names."""
    if row.seq != expected_seq:
        return f"nomor baris tidak berurutan (seharusnya ke-{expected_seq})"
    if row.prev_hash != prev_hash:
        return "tautannya ke baris sebelumnya tidak cocok"
    digest = row_digest(
        case_id=row.case_id,
        seq=row.seq,
        event=row.event,
        from_status=row.from_status,
        to_status=row.to_status,
        actor_id=row.actor_id,
        actor_label=row.actor_label,
        payload=row.payload,
        created_at=row.created_at,
        prev_hash=row.prev_hash,
    )
    if row.hash != digest:
        return "hash baris tidak cocok dengan isinya"
    if row.key_id is None or row.mac is None:
        return "baris tanpa segel (ditulis tanpa kunci rantai)"
    key = keys.by_id.get(row.key_id)
    if key is None:
        return f"disegel dengan kunci '{row.key_id}' yang tidak ada di AUDIT_CHAIN_KEYS"
    if not hmac.compare_digest(row.mac, row_mac(row.hash, key, row.case_version)):
        return "segel (HMAC) baris tidak cocok: ditulis ulang tanpa kunci rantai"
    return None


def links_to(row: CaseHistory, prev_hash: str, expected_seq: int) -> bool:
    """Whether `row` is the intact next link after `prev_hash`: its number, its back link, its hash, its seal."""
    return link_problem(row, prev_hash, expected_seq, chain_keys()) is None


def verify_case(case_id: int) -> tuple[bool, int | None]:
    """Recompute the chain of one case; returns (ok, seq of the first broken row). The chain only: the case's
    status, version and the checkpoints are `flask audit verify`'s (app/audit)."""
    keys = chain_keys()
    prev, expected = GENESIS, 1
    for row in db.session.scalars(select(CaseHistory).where(CaseHistory.case_id == case_id).order_by(CaseHistory.seq)):
        if link_problem(row, prev, expected, keys) is not None:
            return False, row.seq
        prev, expected = row.hash, expected + 1
    return True, None


def seal_unsealed_rows(connection: Connection, key: ChainKey, batch: int = 5000) -> int:
    """Seal, under `key`, every row without a seal, as it stands (version unknown: NULL). For migration 0002
    only, which runs it once on the rows written before the chain was keyed; returns the rows sealed."""
    table = CaseHistory.__table__
    stmt = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(key_id=key.id, mac=bindparam("row_mac"), case_version=None)
    )
    sealed, last_id = 0, 0
    while True:
        rows = connection.execute(
            select(table.c.id, table.c.hash)
            .where(table.c.id > last_id, table.c.mac.is_(None))
            .order_by(table.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return sealed
        connection.execute(stmt, [{"row_id": row_id, "row_mac": row_mac(digest, key, None)} for row_id, digest in rows])
        sealed, last_id = sealed + len(rows), rows[-1][0]
