"""`flask audit verify` and `flask audit checkpoint`: the integrity of the case history (docs/audit.md).

`verify` recomputes every case's keyed hash chain, holds each case's status and version against its last
history row and the history against every signed checkpoint, and names each broken case (exit 1).
`checkpoint` signs every case's head into a file outside the database (the scheduler does it daily).
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app

from app.audit.checkpoints import CheckpointError, Loaded, checkpoint_dir, write_checkpoint
from app.audit.heads import Problem
from app.audit.verify import Report, run_audit, verify_all
from app.core.clock import utcnow
from app.db import unit_of_work

__all__ = ["Report", "commands", "run_audit", "verify_all"]

MAX_LINES = 50


def _echo_problems(problems: list[Problem]) -> None:
    for problem in problems[:MAX_LINES]:
        click.echo(f"RUSAK: {problem.message}", err=True)
    if len(problems) > MAX_LINES:
        click.echo(f"RUSAK: … dan {len(problems) - MAX_LINES} masalah lain.", err=True)


def _describe_checkpoints(loaded: Loaded) -> None:
    directory = checkpoint_dir()
    if directory is None:
        click.echo("Checkpoint: tidak diperiksa (AUDIT_CHECKPOINT_DIR tidak diatur).")
        return
    newest = loaded.newest
    if newest is None:
        click.echo(
            f"PERINGATAN: belum ada checkpoint basis data ini di {directory}: jalankan `flask audit checkpoint` "
            "(penjadwal menulisnya saat mulai dan tiap AUDIT_CHECKPOINT_SECONDS)."
        )
    else:
        click.echo(
            f"Checkpoint: {len(loaded.valid)} berkas cocok; terbaru {newest.name} "
            f"({newest.created_at.isoformat(timespec='seconds')}), kepala global {newest.global_head}."
        )
        interval = int(current_app.config.get("AUDIT_CHECKPOINT_SECONDS") or 86400)
        age = utcnow() - newest.created_at
        if age > timedelta(seconds=2 * interval + 3600):
            click.echo(
                f"PERINGATAN: checkpoint terbaru berumur {age.total_seconds() / 3600:.0f} jam: apakah penjadwal "
                "berjalan, atau checkpoint yang lebih baru dihapus?"
            )
    if loaded.other_databases:
        click.echo(f"Catatan: {loaded.other_databases} berkas checkpoint basis data lain diabaikan.")


@click.group("audit", help="Pemeriksaan integritas riwayat perkara.")
def audit_group() -> None:
    pass


@audit_group.command("verify")
def verify() -> None:
    """Verify every case's keyed chain, its status and version against its last row, and every checkpoint;
    exit 1 naming every broken case."""
    report = run_audit()
    if not report.ok:
        _echo_problems(report.problems)
        cases = report.broken_cases
        named = ", ".join(cases[:20]) + (f" dan {len(cases) - 20} lainnya" if len(cases) > 20 else "")
        click.echo(f"RUSAK: {len(report.problems)} masalah; perkara terdampak: {named or '-'}.", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {report.rows} baris riwayat pada {report.cases} perkara utuh.")
    _describe_checkpoints(report.checkpoints)


@audit_group.command("checkpoint")
def checkpoint() -> None:
    """Sign every case's head into a new checkpoint file (AUDIT_CHECKPOINT_DIR); exit 1 without writing when
    the history went backwards since the newest checkpoint or a case disagrees with its last row."""
    try:
        with unit_of_work():  # the anchor email to AUDIT_CHECKPOINT_RECIPIENTS is an outbox row
            written = write_checkpoint()
    except CheckpointError as exc:
        _echo_problems(exc.problems)
        click.echo(f"RUSAK: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Checkpoint ditulis: {written.path}")
    click.echo(f"{written.cases} perkara; kepala global: {written.global_head}")


commands = [audit_group]
