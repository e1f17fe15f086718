"""Published (frozen) IM-NKK years: freezing a year into a snapshot, and reading the latest snapshot back.

A snapshot keeps every agency's full result, the method parameters and, per case, the indicators it counted
in (IndexSnapshotCase), so the published figures and the cases behind them never change afterwards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, literal, select

from app.db import db
from app.errors import Conflict
from app.index import queries
from app.index.access import check_commissioner, check_year
from app.index.compute import agencies, compute_index
from app.index.method import Method, current_method
from app.index.scoring import completeness, criterion_labels
from app.models.auth import User
from app.models.index import IndexSnapshot, IndexSnapshotCase


def latest_snapshot(year: int) -> IndexSnapshot | None:
    return db.session.scalar(
        select(IndexSnapshot)
        .where(IndexSnapshot.year == year)
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
        select(IndexSnapshot.id).where(IndexSnapshot.year == year, IndexSnapshot.method_version == method.version)
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
