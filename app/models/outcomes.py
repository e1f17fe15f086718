"""Outcomes of a case beyond its status: a block of the civil servant's personnel data and/or services in SIASN.

A block is what the oversight authority asked BKN to do (or, in BKN's own era, what BKN did) when the PPK does
not follow a recommendation up: Peraturan BKN 1/2023 (under Perpres 116/2022 Ps 20(4)) calls it "pemblokiran
data kepegawaian dan/atau layanan kepegawaian pada SIASN" and defines it as the temporary suspension of part or
all of the personnel data and/or services. It is recorded with who asked, when, under which letter and what it
covers, and lifted (when, by whom, under which letter) once the PPK has acted. The person's NIP is copied from the
case so the record of the person (every block of one NIP) is one indexed look-up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db import Model

# What a block covers (Peraturan BKN 1/2023: data kepegawaian dan/atau layanan kepegawaian).
BLOCK_SCOPES = ("data", "layanan", "data_dan_layanan")
BLOCK_SCOPE_LABELS = {
    "data": "Data kepegawaian",
    "layanan": "Layanan kepegawaian",
    "data_dan_layanan": "Data dan layanan kepegawaian",
}


class DataBlock(Model):
    __tablename__ = "data_blocks"
    __table_args__ = (
        CheckConstraint("scope IN ('data', 'layanan', 'data_dan_layanan')", name="scope"),
        # Lifted means lifted under a letter, at a moment.
        CheckConstraint("(lifted_at IS NULL) = (lift_reference IS NULL)", name="lifted"),
        # At most one block in force per recommendation: a second request while one stands is refused.
        Index(
            "uq_data_blocks_active_recommendation",
            "recommendation_id",
            unique=True,
            sqlite_where=text("lifted_at IS NULL"),
            postgresql_where=text("lifted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id", ondelete="CASCADE"))
    # The person blocked (the case's reported NIP when the block was asked for): the person's record reads it.
    nip: Mapped[str] = mapped_column(String(18), index=True)
    # The authority that asked (its short name: the recommendation's issuing authority).
    authority: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(120))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_reference: Mapped[str | None] = mapped_column(String(120))
    lift_note: Mapped[str | None] = mapped_column(Text)

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None
