"""Agency queries, creation and escalation routing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from app.core.pagination import cursor_id, encode_cursor
from app.core.vocab import CENTRAL_KINDS, AgencyKind, Body
from app.db import MAX_ROW_ID, db, get_row
from app.errors import NotFound, ValidationFailed
from app.models.agencies import Agency
from app.models.auth import User


def routed_body(agency: Agency) -> str:
    """Ministry that receives this agency's escalations: the override, else by kind (DESIGN §4)."""
    if agency.escalation_body:
        return agency.escalation_body
    return Body.MENPANRB.value if AgencyKind(agency.kind) in CENTRAL_KINDS else Body.KEMENDAGRI.value


def get_agency(agency_id: int) -> Agency:
    agency = get_row(Agency, agency_id)
    if agency is None:
        raise NotFound("Instansi tidak ditemukan.")
    return agency


def list_agencies(
    *, kind: str | None, q: str | None, limit: int, cursor: str | None
) -> tuple[list[Agency], str | None]:
    stmt = select(Agency).where(Agency.is_active.is_(True))
    if kind:
        stmt = stmt.where(Agency.kind == kind)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(Agency.name).like(like), func.lower(Agency.code).like(like)))
    after = cursor_id(cursor)
    if after is not None:
        stmt = stmt.where(Agency.id > min(after, MAX_ROW_ID))
    rows = list(db.session.scalars(stmt.order_by(Agency.id).limit(limit + 1)))
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def create_agency(data: dict[str, Any], *, source: str = "admin") -> Agency:
    if db.session.scalar(select(Agency.id).where(Agency.code == data["code"])) is not None:
        raise ValidationFailed("Kode instansi sudah dipakai.", details={"fields": {"code": ["sudah dipakai"]}})
    if data.get("parent_id") is not None and get_row(Agency, data["parent_id"]) is None:
        raise ValidationFailed(
            "Instansi induk tidak ditemukan.", details={"fields": {"parent_id": ["tidak ditemukan"]}}
        )
    agency = Agency(source=source, **data)
    db.session.add(agency)
    db.session.flush()
    return agency


def agency_dump(agency: Agency) -> dict[str, Any]:
    return {
        "id": agency.id,
        "code": agency.code,
        "name": agency.name,
        "kind": agency.kind,
        "timezone": agency.timezone,
        "ppk_title": agency.ppk_title,
        "ppk_email": agency.ppk_email,
        "parent_id": agency.parent_id,
        "escalation_body": agency.escalation_body,
        "routed_to": routed_body(agency),
        "is_active": agency.is_active,
    }


def ppk_recipients(agency: Agency) -> list[str]:
    """The PPK's emails go to `ppk_email` and its active users (DESIGN §7)."""
    emails = [agency.ppk_email] if agency.ppk_email else []
    emails += list(
        db.session.scalars(
            select(User.email).where(User.agency_id == agency.id, User.role == "ppk", User.is_active.is_(True))
        )
    )
    return sorted(set(emails))
