"""The oversight authority in force on a date (KASN until 2024, then others): data with dates, not code."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import or_, select

from app.core.models import OversightAuthority
from app.extensions import db


def authority_on(day: date) -> OversightAuthority | None:
    return db.session.scalar(
        select(OversightAuthority)
        .where(
            OversightAuthority.valid_from <= day,
            or_(OversightAuthority.valid_to.is_(None), OversightAuthority.valid_to >= day),
        )
        .order_by(OversightAuthority.valid_from.desc())
        .limit(1)
    )


def authority_name_on(day: date) -> str:
    row = authority_on(day)
    return row.short_name if row is not None else current_app.config.get("OVERSIGHT_AUTHORITY_NAME", "KASN")
