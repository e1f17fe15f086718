"""`flask notifications digest [--now ISO] [--dry-run]`: the daily email of the bell's notices, once, by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from app.core.clock import utcnow
from app.db import unit_of_work
from app.inbox.digest import run_notice_digest


@click.group("notifications", help="Notifikasi pengguna (lonceng) dan email hariannya.")
def notifications_group() -> None:
    pass


@notifications_group.command(
    "digest",
    help="Antrekan email harian notifikasi bagi setiap orang yang waktunya hari ini sudah lewat (sekali sehari).",
)
@click.option("--now", "now_text", default=None, help="Waktu acuan ISO 8601 (bawaan: sekarang).")
@click.option("--dry-run", is_flag=True, help="Hanya hitung; tidak ada email yang diantrekan.")
def digest_command(now_text: str | None, dry_run: bool) -> None:
    try:
        now = datetime.fromisoformat(now_text) if now_text else utcnow()
    except ValueError as exc:
        raise click.BadParameter("bukan waktu ISO 8601", param_hint="--now") from exc
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    with unit_of_work():
        run = run_notice_digest(now, dry_run=dry_run)
    verb = "akan dikirimi" if dry_run else "dikirimi"
    click.echo(
        f"Email harian notifikasi: {run.people} orang pada waktunya, {run.emails} {verb} email "
        f"({run.notices} notifikasi)."
    )


commands = [notifications_group]
