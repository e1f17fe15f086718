"""API keys of forwarding offices (a Bawaslu office's own system sending reports).

An administrator creates a key for an account of the `forwarder` role; the key (`tdk_` and 43 random characters,
256 bits) is shown once and only its SHA-256 is kept, with its first characters to tell keys apart. The key is sent
as `X-API-Key: tdk_…` or `Authorization: Bearer tdk_…` (the prefix tells it from a session token) and is accepted by
the forwarder endpoints only (`app.api.security.accepts_office_key`); anywhere else it answers 401. A revoked key,
or a key whose account is disabled or no longer a forwarder, answers 401. Each use records `last_used_at`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from app.auth.services import TokenCaller
from app.core.clock import utcnow
from app.core.vocab import Role
from app.db import db, get_row
from app.errors import NotFound, ValidationFailed
from app.models.auth import OfficeApiKey, User

KEY_PREFIX = "tdk_"
SHOWN_PREFIX = 10  # "tdk_" and 6 characters: enough to tell keys apart on the page, far from enough to use one
MAX_KEYS = 20


def is_office_key(value: str) -> bool:
    return value.startswith(KEY_PREFIX)


def _digest(key: str) -> str:
    return hashlib.sha256(f"tindak-office-key:{key}".encode()).hexdigest()


def key_out(row: OfficeApiKey) -> dict[str, Any]:
    return {
        "id": row.id,
        "user_id": row.user_id,
        "label": row.label,
        "prefix": row.prefix,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
        "revoked_at": row.revoked_at,
        "active": row.revoked_at is None,
    }


def keys_of(user: User) -> list[OfficeApiKey]:
    return list(
        db.session.scalars(select(OfficeApiKey).where(OfficeApiKey.user_id == user.id).order_by(OfficeApiKey.id.desc()))
    )


def create_key(user: User, label: str, actor: User) -> tuple[OfficeApiKey, str]:
    """A new key for a forwarder account: (its row, the key in clear — to show once). Flushes."""
    label = (label or "").strip()
    errors: dict[str, list[str]] = {}
    if user.role != Role.FORWARDER:
        errors["user_id"] = ["Kunci API hanya untuk akun penerus laporan (kantor Bawaslu)."]
    if not 2 <= len(label) <= 100:
        errors["label"] = ["Nama kunci 2 sampai 100 karakter (mis. nama sistem atau kantor yang memakainya)."]
    active = [k for k in keys_of(user) if k.revoked_at is None]
    if len(active) >= MAX_KEYS:
        errors["label"] = [f"Akun ini sudah memiliki {MAX_KEYS} kunci aktif: cabut yang tidak dipakai dahulu."]
    if errors:
        raise ValidationFailed("Kunci API tidak dapat dibuat.", details={"fields": errors})
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = OfficeApiKey(
        user_id=user.id, label=label, prefix=key[:SHOWN_PREFIX], key_hash=_digest(key), created_by_id=actor.id
    )
    db.session.add(row)
    db.session.flush()
    return row, key


def key_for(key_id: int, user: User | None = None) -> OfficeApiKey:
    row = get_row(OfficeApiKey, key_id)
    if row is None or (user is not None and row.user_id != user.id):
        raise NotFound("Kunci API tidak ditemukan.")
    return row


def revoke_key(row: OfficeApiKey, actor: User, now: datetime | None = None) -> OfficeApiKey:
    """Revoke a key for good (a second revoke changes nothing). Flushes."""
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        row.revoked_by_id = actor.id
        db.session.flush()
    return row


_CALLER_FOR_KEY = (
    select(OfficeApiKey.id, User.id, User.role, User.agency_id, User.body)
    .join(User, User.id == OfficeApiKey.user_id)
    .where(
        OfficeApiKey.key_hash == bindparam("key_hash"),
        OfficeApiKey.revoked_at.is_(None),
        User.is_active.is_(True),
        User.role == Role.FORWARDER.value,
    )
)


def caller_for_key(key: str) -> TokenCaller | None:
    """The forwarder account holding this key while the key is not revoked (and the account active and still a
    forwarder); records the key's use, committed at once (the request may write nothing else)."""
    row = db.session.connection().execute(_CALLER_FOR_KEY, {"key_hash": _digest(key)}).first()
    if row is None:
        return None
    key_id, *caller = row
    db.session.execute(update(OfficeApiKey).where(OfficeApiKey.id == key_id).values(last_used_at=utcnow()))
    db.session.commit()
    return TokenCaller(*caller)
