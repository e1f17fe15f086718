"""What `flask audit verify` checks: every chain link, every case against its last row, every checkpoint.

1. Each case has a history, numbered from 1 without gaps, each row linked to the one before, carrying the
   hash of its content and sealed under the key it names (app/audit/history.py).
2. Each case's status and version agree with its last history row (app/audit/heads.py).
3. Every checkpoint file of this database is signed under a configured key and the history still holds every
   head it recorded, with the same hash (app/audit/checkpoints.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.audit.checkpoints import (
    Checkpoint,
    Entry,
    Loaded,
    changed_row,
    load_checkpoints,
    missing_case,
    missing_row,
)
from app.audit.heads import Problem, head_problems, read_heads
from app.audit.history import GENESIS, chain_keys, link_problem
from app.db import db
from app.models.cases import CaseHistory


@dataclass
class Report:
    cases: int = 0
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    checkpoints: Loaded = field(default_factory=Loaded)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def broken_cases(self) -> list[str]:
        return sorted({p.number for p in self.problems if p.number is not None})


def run_audit() -> Report:
    """Check everything; streams the history rows."""
    report = Report(checkpoints=load_checkpoints())
    loaded = report.checkpoints
    report.problems += loaded.problems
    heads = read_heads()
    report.cases = len(heads)
    numbers = {head.case_id: head.number for head in heads}
    report.problems += head_problems(heads)
    # The heads every checkpoint recorded: (case id, seq) → {hash: (entry, checkpoint)}, the first that said so.
    anchored: dict[tuple[int, int], dict[str, tuple[Entry, Checkpoint]]] = {}
    for checkpoint in loaded.valid:
        for entry in checkpoint.entries:
            anchored.setdefault((entry.case_id, entry.seq), {}).setdefault(entry.hash, (entry, checkpoint))
    found = _check_chains(report, numbers, set(anchored))
    for (case_id, seq), recorded in anchored.items():
        actual = found.get((case_id, seq))
        for digest, (entry, checkpoint) in recorded.items():
            if actual == digest:
                continue
            if case_id not in numbers:
                report.problems.append(missing_case(entry, checkpoint))
            elif actual is None:
                report.problems.append(missing_row(entry, checkpoint))
            else:
                report.problems.append(changed_row(entry, checkpoint))
    return report


def _check_chains(report: Report, numbers: dict[int, str], wanted: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Walk every chain (first broken link of each case into `report`); returns the hashes of the `wanted`
    (case id, seq) rows that exist."""
    keys = chain_keys()
    found: dict[tuple[int, int], str] = {}
    stmt = select(CaseHistory).order_by(CaseHistory.case_id, CaseHistory.seq).execution_options(yield_per=2000)
    current_case, prev, expected, broken = None, GENESIS, 1, False
    for row in db.session.scalars(stmt):
        if row.case_id != current_case:
            current_case, prev, expected, broken = row.case_id, GENESIS, 1, False
        report.rows += 1
        if (row.case_id, row.seq) in wanted:
            found[(row.case_id, row.seq)] = row.hash
        if broken:
            continue
        reason = link_problem(row, prev, expected, keys)
        if reason is not None:
            number = numbers.get(row.case_id, str(row.case_id))
            report.problems.append(
                Problem(number, f"rantai riwayat perkara {number} putus pada baris ke-{row.seq}: {reason}.", row.seq)
            )
            broken = True
            continue
        prev, expected = row.hash, expected + 1
    return found


def verify_all() -> tuple[int, int, Problem | None]:
    """(cases checked, rows checked, the first problem or None)."""
    report = run_audit()
    return report.cases, report.rows, report.problems[0] if report.problems else None
