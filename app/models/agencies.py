"""Agency model."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ColumnElement, Date, ForeignKey, String, and_, case
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.vocab import AgencyKind, Body
from app.db import Model

_KINDS = ", ".join(f"'{k.value}'" for k in AgencyKind)
_BODIES = ", ".join(f"'{b.value}'" for b in Body)
_REGIONAL_CHILDREN = (AgencyKind.KABUPATEN.value, AgencyKind.KOTA.value)


class Agency(Model):
    __tablename__ = "agencies"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS})", name="kind"),
        CheckConstraint(f"escalation_body IS NULL OR escalation_body IN ({_BODIES})", name="escalation_body"),
        CheckConstraint("successor_id IS NULL OR successor_id <> id", name="successor_not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")
    ppk_title: Mapped[str] = mapped_column(String(200), default="")
    ppk_email: Mapped[str | None] = mapped_column(String(254))
    # Province of a kabupaten/kota: its governor's office is copied on escalations.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    # Per-agency override of the escalation routing (NULL = decided by kind).
    escalation_body: Mapped[str | None] = mapped_column(String(16))
    # Source of the record (reference data file, admin, import).
    source: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    # An agency that ended (dissolved or merged, migration 0007): the first day it no longer exists, and the
    # agency that took over its functions and its open cases.
    ended_on: Mapped[date | None] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Agency | None] = relationship(
        remote_side=[id], lazy="joined", innerjoin=False, foreign_keys=[parent_id]
    )

    @hybrid_property
    def rollup_id(self) -> int:
        """The agency totals are grouped under: a kabupaten/kota's province (its parent), else the agency itself
        (a province, a central agency, or a kabupaten/kota whose province is not recorded)."""
        if self.kind in _REGIONAL_CHILDREN and self.parent_id is not None:
            return self.parent_id
        return self.id

    @rollup_id.inplace.expression
    @classmethod
    def _rollup_id(cls) -> ColumnElement[int]:
        return case((and_(cls.kind.in_(_REGIONAL_CHILDREN), cls.parent_id.is_not(None)), cls.parent_id), else_=cls.id)

    def __repr__(self) -> str:
        return f"<Agency {self.code} {self.name!r}>"
