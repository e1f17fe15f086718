"""Published (frozen) IM-NKK years: freezing a year into a snapshot, reading the snapshot in force back, lifting
a freeze, and the year's history of freezes and lifts.

A snapshot keeps every agency's full result, the method parameters and, per case, the indicators it counted
in (IndexSnapshotCase), so the published figures and the cases behind them never change afterwards. A freeze is
lifted by an administrator with a reason (who, when and why stay on the row): the year is live again, can be
frozen anew, and its page shows every freeze and lift.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, literal, select

from app.core.clock import utcnow
from app.db import db
from app.errors import Conflict, ValidationFailed
from app.index import queries
from app.index.access import check_admin, check_commissioner, check_year
from app.index.compute import agencies, compute_index
from app.index.method import Method, current_method
from app.index.scoring import completeness, criterion_labels
from app.models.auth import User
from app.models.index import IndexSnapshot, IndexSnapshotCase


def latest_snapshot(year: int) -> IndexSnapshot | None:
    """The year's freeze in force (the latest not lifted), or None: the year is live."""
    return db.session.scalar(
        select(IndexSnapshot)
        .where(IndexSnapshot.year == year, IndexSnapshot.lifted_at.is_(None))
        .order_by(IndexSnapshot.frozen_at.desc(), IndexSnapshot.id.desc())
        .limit(1)
    )


def snapshot_result(snapshot: IndexSnapshot) -> dict[str, Any]:
    """A snapshot in the shape of `compute_index`'s result. The published figures are as frozen; the category
    follows the one rule for incomplete agencies (`scoring.completeness`), also for snapshots older than it."""
    data = snapshot.data
    return {
        "year": snapshot.year,
        "method_version": snapshot.method_version,
        "frozen": True,
        "frozen_at": snapshot.frozen_at,
        "as_of": datetime.fromisoformat(data["as_of"]),
        "snapshot_id": snapshot.id,
        "items": published_items(data),
    }


def published_items(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of a snapshot's data, each a copy with its completeness said as the index says it today."""
    labels = criterion_labels(data.get("method"))
    return [completeness(dict(item), labels) for item in data["items"]]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def freeze_year(year: int, user: User | None, *, method: Method | None = None) -> IndexSnapshot:
    """Freeze (publish) the year's index under the current method; flushes.

    The snapshot keeps every agency's full result, the method parameters and, per case, the indicators
    it counted in, so the published figures and the cases behind them never change afterwards.
    Raises Conflict when the year is already frozen under this method version.
    """
    year = check_year(year)
    method = method or current_method()
    check_commissioner(user, "Hanya komisioner yang dapat membekukan (menetapkan) indeks.")
    exists = db.session.scalar(
        select(IndexSnapshot.id).where(
            IndexSnapshot.year == year,
            IndexSnapshot.method_version == method.version,
            IndexSnapshot.lifted_at.is_(None),
        )
    )
    if exists is not None:
        raise Conflict(f"Indeks tahun {year} sudah dibekukan dengan metode {method.version}.", code="already_frozen")
    result = compute_index(year, method=method)
    snapshot = IndexSnapshot(
        year=year,
        method_version=method.version,
        frozen_by_id=user.id if user is not None else None,
        data=_jsonable({"as_of": result["as_of"], "method": method.params, "items": result["items"]}),
    )
    db.session.add(snapshot)
    db.session.flush()
    flags = queries.flags_select(year, result["as_of"], {a["timezone"] for a in agencies(None)})
    flags_rows = flags.add_columns(literal(snapshot.id).label("snapshot_id"))
    db.session.execute(
        insert(IndexSnapshotCase).from_select(["agency_id", "case_id", "flags", "snapshot_id"], flags_rows)
    )
    db.session.flush()
    return snapshot


MAX_REASON = 2000


def lift_freeze(year: int, user: User | None, reason: str | None, *, now: datetime | None = None) -> IndexSnapshot:
    """Lift the year's freeze in force (administrator; no user: the CLI, trusted), with a reason; flushes.

    The snapshot stays, with who lifted it, when and why; the year is live again and may be frozen anew.
    Raises Forbidden (not an administrator), ValidationFailed (no reason), Conflict `not_frozen`.
    """
    year = check_year(year)
    check_admin(user, "Hanya administrator yang dapat mencabut pembekuan indeks.")
    text = (reason or "").strip()
    if not text or len(text) > MAX_REASON:
        message = "Alasan pencabutan wajib diisi." if not text else f"Alasan paling panjang {MAX_REASON} karakter."
        raise ValidationFailed(message, details={"fields": {"reason": [message]}})
    snapshot = db.session.scalar(
        select(IndexSnapshot)
        .where(IndexSnapshot.year == year, IndexSnapshot.lifted_at.is_(None))
        .order_by(IndexSnapshot.frozen_at.desc(), IndexSnapshot.id.desc())
        .limit(1)
        .with_for_update()
    )
    if snapshot is None:
        raise Conflict(f"Indeks tahun {year} tidak sedang dibekukan.", code="not_frozen")
    snapshot.lifted_at = now or utcnow()
    snapshot.lifted_by_id = user.id if user is not None else None
    snapshot.lift_reason = text
    db.session.flush()
    return snapshot


def freeze_history(year: int) -> list[dict[str, Any]]:
    """Every freeze of the year, newest first, with its lift when there is one: who (name and role), when, why."""
    snapshots = list(
        db.session.scalars(
            select(IndexSnapshot)
            .where(IndexSnapshot.year == year)
            .order_by(IndexSnapshot.frozen_at.desc(), IndexSnapshot.id.desc())
        )
    )
    ids = {s.frozen_by_id for s in snapshots} | {s.lifted_by_id for s in snapshots}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([i for i in ids if i])))}

    def who(user_id: int | None) -> dict[str, Any]:
        user = users.get(user_id) if user_id is not None else None
        return {"name": user.name if user else None, "role": user.role if user else None}

    return [
        {
            "id": s.id,
            "year": s.year,
            "method_version": s.method_version,
            "frozen_at": s.frozen_at,
            "frozen_by": who(s.frozen_by_id),
            "agencies": len(s.data.get("items", [])),
            "in_force": s.lifted_at is None,
            "lifted_at": s.lifted_at,
            "lifted_by": who(s.lifted_by_id),
            "lift_reason": s.lift_reason,
        }
        for s in snapshots
    ]


def freeze_preview(year: int, *, method: Method | None = None) -> dict[str, Any]:
    """What freezing the year now would publish (for the confirmation page): the data's moment, the method, how
    many agencies, ranked and complete, and the freeze it replaces, if any. Nothing is written."""
    year = check_year(year)
    method = method or current_method()
    result = compute_index(year, method=method)
    items = result["items"]
    current = latest_snapshot(year)
    return {
        "year": year,
        "as_of": result["as_of"],
        "method_version": method.version,
        "agencies": len(items),
        "ranked": sum(1 for i in items if i["rank"] is not None),
        "incomplete": sum(1 for i in items if not i["complete"]),
        "recommendations": sum(i["enforcement"]["received"] for i in items),
        "replaces": current,
        "already": current is not None and current.method_version == method.version,
    }
