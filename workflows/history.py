"""The tamper-evident case history: each row hashes its content and the previous row's hash."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import func, select

from app.cases.models import Case, CaseHistory
from app.db import utcnow
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
    """Add the next history row of `case` (flush, no commit). `actor=None` records the system."""
    # One writer per case at a time (the row lock; SQLite serialises writers anyway): two appends never read
    # the same last row and pick the same next number.
    db.session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    last = db.session.execute(
        select(CaseHistory.seq, CaseHistory.hash)
        .where(CaseHistory.case_id == case.id)
        .order_by(CaseHistory.seq.desc())
        .limit(1)
    ).first()
    seq = (last.seq + 1) if last else 1
    prev_hash = last.hash if last else GENESIS
    created_at = at or utcnow()
    clean = _json_safe(payload or {})
    actor_id = getattr(actor, "id", None)
    actor_label = getattr(actor, "email", None) or SYSTEM_ACTOR
    row = CaseHistory(
        case_id=case.id,
        seq=seq,
        event=event,
        from_status=from_status,
        to_status=to_status,
        actor_id=actor_id,
        actor_label=actor_label,
        payload=clean,
        request_id=g.get("request_id") if has_request_context() else None,
        created_at=created_at,
        prev_hash=prev_hash,
        hash=row_digest(
            case_id=case.id,
            seq=seq,
            event=event,
            from_status=from_status,
            to_status=to_status,
            actor_id=actor_id,
            actor_label=actor_label,
            payload=clean,
            created_at=created_at,
            prev_hash=prev_hash,
        ),
    )
    db.session.add(row)
    db.session.flush()
    return row


def verify_case(case_id: int) -> tuple[bool, int | None]:
    """Recompute the chain of one case; returns (ok, seq of the first broken row)."""
    prev = GENESIS
    expected_seq = 1
    for row in db.session.scalars(select(CaseHistory).where(CaseHistory.case_id == case_id).order_by(CaseHistory.seq)):
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
        if row.seq != expected_seq or row.prev_hash != prev or row.hash != digest:
            return False, row.seq
        prev = row.hash
        expected_seq += 1
    return True, None


def history_count(case_id: int) -> int:
    return db.session.scalar(select(func.count()).where(CaseHistory.case_id == case_id)) or 0
