"""Agency model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.vocab import AgencyKind, Body
from app.extensions import db

_KINDS = ", ".join(f"'{k.value}'" for k in AgencyKind)
_BODIES = ", ".join(f"'{b.value}'" for b in Body)


class Agency(db.Model):
    __tablename__ = "agencies"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS})", name="kind"),
        CheckConstraint(f"escalation_body IS NULL OR escalation_body IN ({_BODIES})", name="escalation_body"),
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Agency | None] = relationship(remote_side=[id], lazy="joined", innerjoin=False)

    def __repr__(self) -> str:
        return f"<Agency {self.code} {self.name!r}>"
