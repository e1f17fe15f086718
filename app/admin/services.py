"""Administration operations (flush only; the admin pages commit)."""

from __future__ import annotations

from typing import Any

from flask import g
from marshmallow import ValidationError
from sqlalchemy import func, or_, select

from app.admin.schemas import AuthoritySchema
from app.agencies.schemas import AgencySchema
from app.auth import services as auth_services
from app.auth import sessions as auth_sessions
from app.db import db, get_row
from app.errors import NotFound, ValidationFailed
from app.models.agencies import Agency
from app.models.auth import User
from app.models.core import OversightAuthority

PAGE_SIZE = 50


def _load(schema: Any, data: dict[str, Any], message: str) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(message, details={"fields": exc.messages}) from exc


def search_agencies(q: str | None, kind: str | None, offset: int) -> tuple[list[Agency], bool]:
    """Every agency (inactive ones too), by name; returns one page and whether there is more."""
    stmt = select(Agency)
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Agency.name).like(like), func.lower(Agency.code).like(like)))
    if kind:
        stmt = stmt.where(Agency.kind == kind)
    rows = list(db.session.scalars(stmt.order_by(Agency.name, Agency.id).offset(offset).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def get_agency(agency_id: int) -> Agency:
    agency = get_row(Agency, agency_id)
    if agency is None:
        raise NotFound("Instansi tidak ditemukan.")
    return agency


def update_agency(agency: Agency, data: dict[str, Any]) -> Agency:
    """Change an agency's fields (its code stays: cases, imports and users refer to it)."""
    clean = _load(AgencySchema(exclude=("code",)), data, "Data instansi tidak valid.")
    parent_id = clean.get("parent_id")
    if parent_id is not None and (parent_id == agency.id or get_row(Agency, parent_id) is None):
        message = "Instansi induk tidak sah."
        raise ValidationFailed(message, details={"fields": {"parent_id": [message]}})
    for key, value in clean.items():
        setattr(agency, key, value)
    db.session.flush()
    return agency


def set_agency_active(agency: Agency, active: bool) -> Agency:
    agency.is_active = active
    db.session.flush()
    return agency


def search_users(q: str | None, role: str | None, offset: int) -> tuple[list[User], bool]:
    stmt = select(User)
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.email).like(like), func.lower(User.name).like(like)))
    if role:
        stmt = stmt.where(User.role == role)
    rows = list(db.session.scalars(stmt.order_by(User.email).offset(offset).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def get_user(user_id: int) -> User:
    user = get_row(User, user_id)
    if user is None:
        raise NotFound("Pengguna tidak ditemukan.")
    return user


def set_user_active(user: User, active: bool, actor: User) -> User:
    """Disable (every session and API token of the user ends at once) or enable an account."""
    if user.id == actor.id and not active:
        raise ValidationFailed("Anda tidak dapat menonaktifkan akun Anda sendiri.")
    user.is_active = active
    if not active:
        auth_sessions.end_all_sessions(user)
    db.session.flush()
    return user


def reset_password(user: User, password: str) -> User:
    """Set a new password chosen by the administrator; unlocks the account and ends its sessions and tokens."""
    try:
        auth_services.check_password_policy(password)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, details={"fields": {"password": [exc.message]}}) from exc
    user.password_hash = auth_services.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    auth_sessions.end_all_sessions(user)
    return user


def list_authorities() -> list[OversightAuthority]:
    return list(db.session.scalars(select(OversightAuthority).order_by(OversightAuthority.valid_from.desc())))


def get_authority(authority_id: int) -> OversightAuthority:
    row = get_row(OversightAuthority, authority_id)
    if row is None:
        raise NotFound("Otoritas pengawas tidak ditemukan.")
    return row


def save_authority(data: dict[str, Any], authority: OversightAuthority | None = None) -> OversightAuthority:
    """Add an authority or change one; periods are data, so a change of law is a new row."""
    clean = _load(AuthoritySchema(), data, "Data otoritas pengawas tidak valid.")
    row = authority or OversightAuthority()
    for key, value in clean.items():
        setattr(row, key, value)
    if authority is None:
        db.session.add(row)
    db.session.flush()
    g.pop("_authority_profiles", None)  # what emails, letters and role names say of it changes now
    g.pop("_role_labels", None)
    return row
