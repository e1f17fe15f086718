"""The letter register: the numbers the system gives the authority's letters, per authority and year.

A recommendation letter gets its number when the recommendation is issued (workflows/effects.py through
app/letters/numbering.py), an escalation letter (levels 2 and 3) when the sweep reaches its level (migration 0020):
the next of its authority's series for the year (one series for all the authority's letters about cases), from a
counter row that the issuing transaction locks (`letter_counters`), so the series has no gap (a refused or
rolled-back issue returns its number with its transaction) and no number twice (the counter, and the unique keys
of `issued_letters`). Each issued letter is one row of `issued_letters` with the signing official and title it
names.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db import Model

# The series a counter numbers (one per kind of letter that draws from it).
LETTER_SERIES = ("rekomendasi",)
LETTER_KINDS = ("recommendation", "escalation-2", "escalation-3")


class LetterCounter(Model):
    """The last number given in one series of one authority in one year (the letter's year, WIB)."""

    __tablename__ = "letter_counters"

    authority: Mapped[str] = mapped_column(String(40), primary_key=True)
    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)


class IssuedLetter(Model):
    """One letter the authority issued about a case, with its number and who signs it."""

    __tablename__ = "issued_letters"
    __table_args__ = (
        CheckConstraint("kind IN ('recommendation', 'escalation-2', 'escalation-3')", name="kind"),
        # one letter of a kind per case and cycle (a recommendation is issued once; a clarification restarts the
        # ladder, so a level's letter may come again in the next cycle)
        UniqueConstraint("case_id", "kind", "cycle"),
        # no number twice for one authority, whether the system gave it or an authority that numbers its
        # letters elsewhere typed it (`seq` is null then)
        UniqueConstraint("authority", "number"),
        UniqueConstraint("authority", "series", "year", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    cycle: Mapped[int] = mapped_column(default=0, server_default="0")
    # the issuing authority's short name, its series and the letter's year; `seq` is the number in the series
    authority: Mapped[str] = mapped_column(String(40))
    series: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    seq: Mapped[int | None]
    number: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # what the signature block says: the official's title, and name when the deployment or the issuer gives one
    signer_title: Mapped[str] = mapped_column(String(200))
    signer_name: Mapped[str | None] = mapped_column(String(200))
