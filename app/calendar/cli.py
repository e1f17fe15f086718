"""`flask calendar ...`: explain a deadline, manage overrides and deadline rules.

Registered through `app.escalations.cli.commands`.
"""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.calendar.services import add_override, add_rule, list_overrides, list_rules, remove_override
from app.calendar.working_days import (
    deadline_gaps,
    due_at_for,
    ensure_default_rules,
    explain_deadline,
    follow_up_rule,
    non_working_reason,
)
from app.db import db, unit_of_work
from app.errors import DomainError
from app.i18n import day_name, format_day, format_instant
from app.models.agencies import Agency


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"bukan tanggal YYYY-MM-DD: {value!r}", param_hint=name) from exc


def _agency(code: str | None) -> Agency | None:
    if code is None:
        return None
    agency = db.session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise click.ClickException(f"Instansi dengan kode {code!r} tidak ditemukan.")
    return agency


def _fail(exc: DomainError) -> click.ClickException:
    fields = exc.details.get("fields")
    return click.ClickException(f"{exc.message} {fields}" if fields else exc.message)


@click.group("calendar", help="Kalender hari kerja: penjelasan tenggat, pengecualian, aturan tenggat.")
def calendar_group() -> None:
    pass


@calendar_group.command("explain", help="Jelaskan tenggat: hari yang dihitung dan yang dilewati beserta alasannya.")
@click.option("--received", "received_text", required=True, metavar="YYYY-MM-DD", help="Tanggal rekomendasi diterima.")
@click.option("--agency", "agency_code", metavar="KODE", help="Kode instansi (zona waktu dan pengecualiannya).")
@click.option("--days", type=click.IntRange(1, 365), help="Jumlah hari kerja (default: aturan yang berlaku).")
@with_appcontext
def explain_command(received_text: str, agency_code: str | None, days: int | None) -> None:
    received = _day(received_text, "--received")
    agency = _agency(agency_code)
    target = agency if agency is not None else _NationalAgency()
    if days is None:
        days, code, source = follow_up_rule(received)
        click.echo(f"Aturan {code}: {days} hari kerja — {source}")
    for row in explain_deadline(target, received, days):
        day = row["day"]
        label = f"{day_name(day.weekday()):<7} {day.isoformat()}"
        if row["counted"]:
            click.echo(f"  {label}  hari kerja ke-{row['number']}")
        else:
            click.echo(f"  {label}  dilewati: {row['reason']}")
    due_at, version = due_at_for(target, received, days)
    click.echo(f"Tenggat: {format_instant(due_at, target.timezone)} (kalender {version})")
    for gap in deadline_gaps(target, received, days):
        click.echo(f"Perhatian: {gap.message}")


class _NationalAgency:
    """No agency: the national calendar in WIB."""

    id = None
    timezone = "Asia/Jakarta"


@calendar_group.command("check", help="Apakah DAY hari kerja? (dengan alasan bila bukan)")
@click.argument("day_text", metavar="DAY")
@click.option("--agency", "agency_code", metavar="KODE")
@with_appcontext
def check_command(day_text: str, agency_code: str | None) -> None:
    day = _day(day_text, "DAY")
    agency = _agency(agency_code)
    reason = non_working_reason(day, agency.id if agency else None)
    name = format_day(day, weekday=True)
    click.echo(f"{name}: hari kerja" if reason is None else f"{name}: bukan hari kerja — {reason}")


@calendar_group.group("override", help="Pengecualian kalender (hari libur/kerja tambahan dari keputusan baru).")
def override_group() -> None:
    pass


@override_group.command("add", help="Tambah pengecualian pada DAY (YYYY-MM-DD).")
@click.argument("day_text", metavar="DAY")
@click.option("--kind", type=click.Choice(["closed", "open"]), required=True, help="closed = libur, open = hari kerja.")
@click.option("--description", required=True, help="Keterangan, mis. 'Cuti bersama Idul Fitri (tambahan)'.")
@click.option("--decree", help="Keputusan yang menetapkannya, mis. 'SKB 3 Menteri No. ...'.")
@click.option("--agency", "agency_code", metavar="KODE", help="Hanya untuk instansi ini (default: nasional).")
@with_appcontext
def override_add(day_text: str, kind: str, description: str, decree: str | None, agency_code: str | None) -> None:
    day = _day(day_text, "DAY")
    agency = _agency(agency_code)
    try:
        with unit_of_work():
            row = add_override(day, kind, description, decree=decree, agency_id=agency.id if agency else None)
            row_id = row.id
    except DomainError as exc:
        raise _fail(exc) from exc
    scope = f"instansi {agency.code}" if agency else "nasional"
    state = "libur" if kind == "closed" else "hari kerja"
    click.echo(f"Pengecualian #{row_id}: {day.isoformat()} menjadi {state} ({scope}).")


@override_group.command("list", help="Daftar pengecualian kalender.")
@click.option("--year", type=int)
@with_appcontext
def override_list(year: int | None) -> None:
    rows = list_overrides(year=year)
    if not rows:
        click.echo("Tidak ada pengecualian kalender.")
    for row in rows:
        scope = f"instansi #{row.agency_id}" if row.agency_id else "nasional"
        decree = f" — {row.decree}" if row.decree else ""
        click.echo(f"#{row.id} {row.day.isoformat()} {row.kind:<6} {scope}: {row.description}{decree}")


@override_group.command("remove", help="Hapus pengecualian ID.")
@click.argument("override_id", type=int)
@with_appcontext
def override_remove(override_id: int) -> None:
    try:
        with unit_of_work():
            row = remove_override(override_id)
            day = row.day
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"Pengecualian #{override_id} ({day.isoformat()}) dihapus.")


@calendar_group.group("rules", help="Aturan tenggat (jumlah hari, dasar hukum, masa berlaku).")
def rules_group() -> None:
    pass


@rules_group.command("list", help="Daftar aturan tenggat.")
@with_appcontext
def rules_list() -> None:
    rows = list_rules()
    if not rows:
        click.echo("Belum ada aturan tenggat; FOLLOW_UP_WORKING_DAYS dari konfigurasi yang dipakai.")
    for rule in rows:
        until = rule.valid_to.isoformat() if rule.valid_to else "sekarang"
        click.echo(f"#{rule.id} {rule.code}: {rule.days} {rule.unit}, {rule.valid_from.isoformat()} s.d. {until}")
        click.echo(f"    {rule.legal_source}")


@rules_group.command("ensure", help="Buat aturan bawaan (14 hari kerja) bila belum ada.")
@with_appcontext
def rules_ensure() -> None:
    with unit_of_work():
        added = ensure_default_rules()
    click.echo("Aturan bawaan ditambahkan." if added is not None else "Aturan tenggat sudah ada; tidak ada perubahan.")


@rules_group.command("add", help="Tambah aturan tenggat baru (peraturan baru = data baru).")
@click.option("--code", default="ppk_follow_up", show_default=True)
@click.option("--days", type=click.IntRange(1, 365), required=True)
@click.option("--unit", type=click.Choice(["working_days", "calendar_days"]), default="working_days", show_default=True)
@click.option("--valid-from", "valid_from_text", required=True, metavar="YYYY-MM-DD")
@click.option("--valid-to", "valid_to_text", metavar="YYYY-MM-DD")
@click.option("--source", required=True, help="Dasar hukum (peraturan, pasal).")
@with_appcontext
def rules_add(code: str, days: int, unit: str, valid_from_text: str, valid_to_text: str | None, source: str) -> None:
    valid_from = _day(valid_from_text, "--valid-from")
    valid_to = _day(valid_to_text, "--valid-to") if valid_to_text else None
    try:
        with unit_of_work():
            rule = add_rule(code, days, source, valid_from=valid_from, valid_to=valid_to, unit=unit)
            rule_id = rule.id
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"Aturan #{rule_id} {code}: {days} {unit} berlaku sejak {valid_from.isoformat()}.")
