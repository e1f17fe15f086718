"""Each case's head (its last history row) beside the case row, and the problems `flask audit verify` reports.

A case's status changes only with a history row (`workflows.fire`), and every change of the case row bumps its
version, so the last row of an intact history states the case's status (`to_status`) and, on keyed rows, its
version (`case_version`). A case with no history, or whose status or version disagrees with its last row, had
its history cut or was changed beside the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from app.db import db
from app.models.cases import Case, CaseHistory


@dataclass(frozen=True)
class Problem:
    """One finding: the case it concerns (None for a checkpoint file as a whole) and an Indonesian sentence."""

    number: str | None
    message: str
    seq: int | None = None


@dataclass(frozen=True)
class Head:
    case_id: int
    number: str
    status: str
    version: int
    seq: int | None  # None: the case has no history at all
    hash: str | None
    last_status: str | None
    last_version: int | None  # None on rows that do not record it (rows from before the chain was keyed)


def read_heads() -> list[Head]:
    """Every case with its last history row, in one statement (one snapshot of both tables)."""
    newest = (
        select(CaseHistory.case_id, func.max(CaseHistory.seq).label("seq")).group_by(CaseHistory.case_id).subquery()
    )
    last = aliased(CaseHistory)
    stmt = (
        select(
            Case.id,
            Case.number,
            Case.status,
            Case.version,
            last.seq,
            last.hash,
            last.to_status,
            last.case_version,
        )
        .outerjoin(newest, newest.c.case_id == Case.id)
        .outerjoin(last, and_(last.case_id == newest.c.case_id, last.seq == newest.c.seq))
        .order_by(Case.id)
    )
    return [Head(*row) for row in db.session.execute(stmt)]


def head_problems(heads: list[Head]) -> list[Problem]:
    """Cases without history, and cases whose status or version disagrees with their last history row."""
    problems = []
    for head in heads:
        if head.seq is None:
            problems.append(
                Problem(head.number, f"perkara {head.number} tidak punya riwayat sama sekali (riwayatnya dihapus).")
            )
            continue
        if head.status != head.last_status:
            problems.append(
                Problem(
                    head.number,
                    f"status perkara {head.number} ('{head.status}') tidak sama dengan baris terakhir riwayatnya "
                    f"(ke-{head.seq}: '{head.last_status}'): status diubah tanpa riwayat, atau riwayatnya dipotong.",
                    head.seq,
                )
            )
        if head.last_version is not None and head.version != head.last_version:
            problems.append(
                Problem(
                    head.number,
                    f"versi perkara {head.number} ({head.version}) tidak sama dengan baris terakhir riwayatnya "
                    f"(ke-{head.seq}: versi {head.last_version}): perkara diubah tanpa riwayat, atau riwayatnya "
                    "dipotong.",
                    head.seq,
                )
            )
    return problems
