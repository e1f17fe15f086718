"""A person's notices: the list (newest first, keyset pages), the unread count of the bell, marking read.

Every read goes through `app.cases.access.visibility_clause`: a notice about a case its reader may no longer
see (a PPK moved to another agency) is neither listed, counted nor emailed. Flush only; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update

from app.cases.access import visibility_clause
from app.core.clock import utcnow
from app.core.pagination import cursor_id, encode_cursor
from app.db import MAX_ROW_ID, db
from app.errors import NotFound
from app.inbox.words import detail, kind_label
from app.models.auth import User
from app.models.cases import Case
from app.models.notifications import Notification

PAGE_SIZE = 20


def _visible(user: User) -> Select[Notification, str]:
    """The user's notices about cases the user may see."""
    return (
        select(Notification, Case.number)
        .join(Case, Case.id == Notification.case_id)
        .where(Notification.user_id == user.id, visibility_clause(user))
    )


@dataclass(frozen=True)
class Notice:
    id: int
    kind: str
    label: str
    detail: str
    case_id: int
    case_number: str
    created_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None

    def dump(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "detail": self.detail,
            "case_id": self.case_id,
            "case_number": self.case_number,
            "created_at": self.created_at,
            "read_at": self.read_at,
            "unread": self.unread,
        }


def _notice(row: Notification, number: str) -> Notice:
    return Notice(
        row.id,
        row.kind,
        kind_label(row.kind),
        detail(row.kind, row.data or {}),
        row.case_id,
        number,
        row.created_at,
        row.read_at,
    )


def list_notices(
    user: User, *, unread_only: bool = False, limit: int = PAGE_SIZE, cursor: str | None = None
) -> tuple[list[Notice], str | None]:
    """The user's notices, newest first; keyset pages on the id (`next_cursor` or None)."""
    stmt = _visible(user)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    after = cursor_id(cursor)
    if after is not None and after <= MAX_ROW_ID:
        stmt = stmt.where(Notification.id < after)
    limit = max(1, int(limit))
    rows = list(db.session.execute(stmt.order_by(Notification.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor([rows[limit - 1][0].id]) if len(rows) > limit else None
    return [_notice(row, number) for row, number in rows[:limit]], next_cursor


def unread_count(user: User) -> int:
    stmt = (
        select(func.count())
        .select_from(Notification)
        .join(Case, Case.id == Notification.case_id)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None), visibility_clause(user))
    )
    return int(db.session.scalar(stmt) or 0)


def mark_read(user: User, ids: list[int] | None = None, *, now: datetime | None = None) -> int:
    """Mark the user's notices `ids` read (all unread ones when `ids` is None); returns how many changed. An id
    that is not the user's is NotFound (another person's notice is never confirmed)."""
    now = now or utcnow()
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        wanted = sorted({i for i in ids if 0 < i <= MAX_ROW_ID})
        mine = set(
            db.session.scalars(
                select(Notification.id).where(Notification.user_id == user.id, Notification.id.in_(wanted))
            )
        )
        if len(mine) != len(set(ids)):
            raise NotFound("Notifikasi tidak ditemukan.")
        if not wanted:
            return 0
        stmt = stmt.where(Notification.id.in_(wanted))
    result: Any = db.session.execute(stmt.values(read_at=now).execution_options(synchronize_session=False))
    db.session.flush()
    return int(result.rowcount or 0)


def set_digest(user: User, on: bool) -> None:
    """Turn the user's daily email on or off (their own choice, on the account page)."""
    user.notify_digest = bool(on)
    db.session.flush()
