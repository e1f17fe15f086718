"""`flask audit verify`: recompute every case's hash chain and report the first broken link."""

from __future__ import annotations

import click
from sqlalchemy import select

from app.cases.models import Case, CaseHistory
from app.extensions import db
from workflows.history import GENESIS, links_to


def verify_all() -> tuple[int, int, tuple[str, int] | None]:
    """Returns (cases checked, rows checked, first broken (case number, seq) or None). Streams the rows."""
    numbers = dict(db.session.execute(select(Case.id, Case.number)).all())
    stmt = select(CaseHistory).order_by(CaseHistory.case_id, CaseHistory.seq).execution_options(yield_per=2000)
    current_case, prev, expected, cases, rows = None, GENESIS, 1, 0, 0
    for row in db.session.scalars(stmt):
        if row.case_id != current_case:
            current_case, prev, expected = row.case_id, GENESIS, 1
            cases += 1
        rows += 1
        if not links_to(row, prev, expected):
            return cases, rows, (numbers.get(row.case_id, str(row.case_id)), row.seq)
        prev, expected = row.hash, expected + 1
    return cases, rows, None


@click.group("audit", help="Pemeriksaan integritas riwayat perkara.")
def audit() -> None:
    pass


@audit.command("verify")
def verify() -> None:
    """Verify the hash chain of every case's history; exit 1 at the first broken link."""
    cases, rows, broken = verify_all()
    if broken is not None:
        number, seq = broken
        click.echo(f"RUSAK: rantai riwayat perkara {number} putus pada baris ke-{seq}.", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {rows} baris riwayat pada {cases} perkara utuh.")


commands = [audit]
