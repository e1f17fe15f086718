"""`flask escalations ...`: run the sweep or the weekly digest by hand, manage the targets' mailboxes (and
`flask calendar ...`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from app.calendar.cli import calendar_group
from app.core.clock import utcnow
from app.db import db, unit_of_work
from app.errors import DomainError
from app.escalations.digest import run_digest
from app.escalations.ladder import load_ladder
from app.escalations.routing import (
    TARGETS,
    ladder_targets,
    set_target_recipients,
    target_names,
    target_recipients,
    targets_without_mailbox,
)
from app.escalations.services import ESCALATED_LEVEL
from app.escalations.sweep import run_sweep


def parse_instant(value: str | None) -> datetime:
    """An ISO 8601 instant; without an offset it is read as UTC."""
    if not value:
        return utcnow()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"bukan waktu ISO 8601 yang sah: {value!r}", param_hint="--now") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@click.group("escalations", help="Tangga eskalasi: sapuan tenggat dan alamat tujuan eskalasi.")
def escalations_group() -> None:
    pass


@escalations_group.command("run", help="Jalankan sapuan eskalasi sekali (default: waktu sekarang).")
@click.option("--now", "now_text", metavar="ISO", help="Waktu sapuan, ISO 8601 (tanpa zona dibaca sebagai UTC).")
@click.option("--dry-run", is_flag=True, help="Tampilkan apa yang akan terjadi tanpa menyimpan apa pun.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Keluaran JSON.")
@with_appcontext
def run_command(now_text: str | None, dry_run: bool, batch_size: int, as_json: bool) -> None:
    now = parse_instant(now_text)
    report = run_sweep(now, dry_run=dry_run, batch_size=batch_size)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    ladder = load_ladder()
    title = "Uji coba sapuan eskalasi" if dry_run else "Sapuan eskalasi"
    click.echo(f"{title} pada {now.isoformat()}:")
    for rung in ladder:
        steps = report.levels.get(rung.level, 0)
        notified = report.notified.get(rung.level, 0)
        waiting = report.unaddressed.get(rung.level, 0)
        line = f"  level {rung.level} ({rung.label}): {steps} langkah"
        if steps != notified:
            line += f", {notified} dengan email, {steps - notified - waiting} terlewati tanpa email"
        if waiting:
            line += f", {waiting} menunggu alamat email"
        if report.sent_late.get(rung.level):
            line += f"; {report.sent_late[rung.level]} langkah tertunda kini terkirim"
        click.echo(line)
    click.echo(f"  perkara diperiksa: {report.examined}, perkara naik level: {len(report.cases)}")
    if report.targets_without_mailbox:
        click.echo(
            f"  tujuan eskalasi tanpa alamat email: {target_names(report.targets_without_mailbox)}; emailnya "
            "menunggu sampai alamat diisi (Admin → Penerima eskalasi, atau ESCALATION_RECIPIENTS_*)."
        )
    if dry_run:
        click.echo("  tidak ada yang disimpan (--dry-run).")
        for number in report.cases:
            click.echo(f"    {number}")
    else:
        click.echo(f"  email diantrekan: {report.emails}")


@escalations_group.command("digest", help="Antrekan ringkasan mingguan eskalasi tiap kementerian (sekali sepekan).")
@click.option("--now", "now_text", metavar="ISO", help="Waktu acuan, ISO 8601 (tanpa zona dibaca sebagai UTC).")
@click.option("--dry-run", is_flag=True, help="Tampilkan isi dan penerima tanpa mengantrekan apa pun.")
@click.option("--json", "as_json", is_flag=True, help="Keluaran JSON.")
@with_appcontext
def digest_command(now_text: str | None, dry_run: bool, as_json: bool) -> None:
    now = parse_instant(now_text)
    if dry_run:
        report = run_digest(now, dry_run=True)
        db.session.rollback()
    else:
        with unit_of_work():
            report = run_digest(now)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    title = "Uji coba ringkasan mingguan eskalasi" if dry_run else "Ringkasan mingguan eskalasi"
    click.echo(f"{title} pekan {report.week} ({now.isoformat()}):")
    for digest in report.bodies:
        line = (
            f"  {digest.body} ({digest.label}): {digest.open_total} perkara masih terbuka, "
            f"{digest.ended_total} berakhir sepekan terakhir, {len(digest.recipients)} penerima"
        )
        if digest.skipped:
            line += f"; tidak dikirim ({digest.skipped})"
        elif dry_run:
            line += f"; {len(digest.recipients) - digest.already_queued} email akan diantrekan"
        else:
            line += f"; {digest.queued} email diantrekan"
        if digest.already_queued:
            line += f", {digest.already_queued} sudah diantrekan sebelumnya"
        if digest.attachment_name:
            line += f"; lampiran {digest.attachment_name} ({digest.attachment_rows} perkara)"
        click.echo(line)
        if dry_run:  # what the email lists (DIGEST_TOP of each)
            for item in digest.open_cases + digest.ended_cases:
                click.echo(f"    {item.number}")
    if dry_run:
        click.echo("  tidak ada yang disimpan (--dry-run).")


@escalations_group.group("recipients", help="Alamat email resmi tujuan eskalasi (menpanrb, kemendagri, kasn, bkn).")
def recipients_group() -> None:
    pass


@recipients_group.command("list", help="Tampilkan alamat tiap tujuan eskalasi.")
@with_appcontext
def recipients_list() -> None:
    for target in TARGETS:
        emails = target_recipients(target)
        click.echo(f"{target}: {', '.join(emails) if emails else '(belum diatur)'}")


@recipients_group.command("set", help="Ganti alamat TARGET (tanpa EMAIL: kembali ke konfigurasi).")
@click.argument("target", type=click.Choice(TARGETS))
@click.argument("emails", nargs=-1)
@with_appcontext
def recipients_set(target: str, emails: tuple[str, ...]) -> None:
    try:
        with unit_of_work():
            saved = set_target_recipients(target, list(emails))
    except DomainError as exc:
        raise click.ClickException(f"{exc.message} {exc.details.get('fields', '')}".strip()) from exc
    if saved:
        click.echo(f"{target}: {', '.join(saved)}")
    else:
        fallback = target_recipients(target)
        click.echo(f"{target}: alamat dihapus; memakai konfigurasi ({', '.join(fallback) or 'kosong'}).")


def check_recipients_at_start(app: Flask) -> None:
    """`flask scheduler run` at start: name every escalation target the ladder writes to that has no mailbox
    (its emails wait, still due, until it has one). In production a missing mailbox of a level-2 target (the
    escalation to the ministry) stops the scheduler, unless ESCALATION_RECIPIENTS_OPTIONAL is true."""
    try:
        missing = targets_without_mailbox()
    except SQLAlchemyError:
        click.echo("Penjadwal: penerima eskalasi tidak dapat diperiksa (basis data tidak dapat dihubungi).")
        return
    finally:
        db.session.remove()
    if not missing:
        return
    settings = ", ".join(f"ESCALATION_RECIPIENTS_{t.upper()}" for t in missing)
    click.echo(
        f"Penjadwal: tujuan eskalasi tanpa alamat email: {target_names(missing)}. Emailnya menunggu (langkahnya "
        f"tetap jatuh tempo) dan dikirim pada sapuan pertama setelah alamat diisi: Admin → Penerima eskalasi, "
        f"`flask escalations recipients set`, atau {settings}."
    )
    required = [t for t in missing if t in ladder_targets(level=ESCALATED_LEVEL)]
    strict = app.config.get("TINDAK_ENV") == "production" and not app.config.get("ESCALATION_RECIPIENTS_OPTIONAL")
    if required and strict:
        raise click.ClickException(
            f"Penjadwal tidak dijalankan: eskalasi level {ESCALATED_LEVEL} ke {target_names(required)} tidak "
            "punya alamat email. Isi alamatnya, atau setel ESCALATION_RECIPIENTS_OPTIONAL=true untuk tetap "
            "menjalankan penjadwal (email eskalasi itu menunggu sampai alamatnya ada)."
        )


commands = [escalations_group, calendar_group]
