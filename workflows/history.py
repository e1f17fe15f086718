"""The tamper-evident case history: each row hashes its content and the previous row's hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import and_, func, insert, select

from app.cases.models import Case, CaseHistory
from app.core.clock import utcnow
from app.db import in_chunks
from app.extensions import db

GENESIS = "0" * 64
SYSTEM_ACTOR = "system"


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
) -> dict[str, Any]:
    """The column values of a history row numbered `seq` after `prev_hash`, with its digest (for writers that
    insert rows themselves, like the importer)."""
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
    request_id = g.get("request_id") if has_request_context() else None
    return content | {"request_id": request_id, "hash": row_digest(**content)}


def _chained(entry: Entry, seq: int, prev_hash: str) -> dict[str, Any]:
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
    seq, prev_hash = _last_links([case.id]).get(case.id, (0, GENESIS))
    entry = Entry(case.id, event, from_status, to_status, actor, payload, at)
    row = CaseHistory(**_chained(entry, seq + 1, prev_hash))
    db.session.add(row)
    db.session.flush()
    return row


def append_history_many(entries: list[Entry]) -> int:
    """Append `entries` (several cases, in order) with one lookup of the cases' last rows and one INSERT.

    For batch writers that already hold the cases' row locks (the escalation sweep claims its cases
    `FOR UPDATE`; SQLite serialises writers). Flushes; returns the number of rows added."""
    if not entries:
        return 0
    db.session.flush()
    last = _last_links(sorted({entry.case_id for entry in entries}))
    values = []
    for entry in entries:
        seq, prev_hash = last.get(entry.case_id, (0, GENESIS))
        row = _chained(entry, seq + 1, prev_hash)
        values.append(row)
        last[entry.case_id] = (seq + 1, row["hash"])
    db.session.execute(insert(CaseHistory), values)
    return len(values)


def _last_links(case_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Each case's last history row as (seq, hash); cases without history are absent."""
    last: dict[int, tuple[int, str]] = {}
    for chunk in in_chunks(case_ids):
        newest = (
            select(CaseHistory.case_id, func.max(CaseHistory.seq).label("seq"))
            .where(CaseHistory.case_id.in_(chunk))
            .group_by(CaseHistory.case_id)
            .subquery()
        )
        rows = db.session.execute(
            select(CaseHistory.case_id, CaseHistory.seq, CaseHistory.hash).join(
                newest, and_(CaseHistory.case_id == newest.c.case_id, CaseHistory.seq == newest.c.seq)
            )
        )
        last.update({case_id: (seq, digest) for case_id, seq, digest in rows})
    return last


def links_to(row: CaseHistory, prev_hash: str, expected_seq: int) -> bool:
    """Whether `row` is the intact next link after `prev_hash`: its number, its back link and its own hash."""
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
    return row.seq == expected_seq and row.prev_hash == prev_hash and row.hash == digest


def verify_case(case_id: int) -> tuple[bool, int | None]:
    """Recompute the chain of one case; returns (ok, seq of the first broken row)."""
    prev, expected = GENESIS, 1
    for row in db.session.scalars(select(CaseHistory).where(CaseHistory.case_id == case_id).order_by(CaseHistory.seq)):
        if not links_to(row, prev, expected):
            return False, row.seq
        prev, expected = row.hash, expected + 1
    return True, None
