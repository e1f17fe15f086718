"""`flask agencies load-reference` and `flask agencies list [--kind]`."""

from __future__ import annotations

import click
from sqlalchemy import select

from app.agencies.authority import load_authorities
from app.agencies.reference import ReferenceDataError, load_reference
from app.core.vocab import AGENCY_KIND_LABELS, TIMEZONES, AgencyKind
from app.db import db, unit_of_work
from app.models.agencies import Agency


@click.group("agencies", help="Kelola data instansi.")
def agencies() -> None:
    pass


@agencies.command("load-reference")
@click.option(
    "--path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Berkas CSV lain (bawaan: data referensi yang dikirim bersama aplikasi).",
)
def load_reference_command(path: str | None) -> None:
    """Load (or refresh) the reference agencies and oversight authorities; running it again changes nothing."""
    try:
        with unit_of_work():
            counts = load_reference(path)
            authorities = load_authorities()
    except ReferenceDataError as exc:
        raise click.ClickException(str(exc)) from exc
    for kind, count in counts["by_kind"].items():
        click.echo(f"{AGENCY_KIND_LABELS[AgencyKind(kind)]:<22} {count:>5}")
    click.echo(f"{'Jumlah':<22} {counts['total']:>5}")
    click.echo(f"{'  di antaranya berakhir':<22} {counts['ended']:>5}")
    click.echo(f"Baru {counts['created']}, diperbarui {counts['updated']}, tidak berubah {counts['unchanged']}.")
    click.echo(
        f"Otoritas pengawas: baru {authorities['created']}, diperbarui {authorities['updated']}, "
        f"tidak berubah {authorities['unchanged']}."
    )


@agencies.command("list")
@click.option("--kind", type=click.Choice([k.value for k in AgencyKind]), default=None, help="Hanya jenis ini.")
def list_command(kind: str | None) -> None:
    """Print the agencies (code, kind, zone, name), ordered by code."""
    stmt = select(Agency.code, Agency.kind, Agency.timezone, Agency.name, Agency.ended_on).order_by(Agency.code)
    if kind:
        stmt = stmt.where(Agency.kind == kind)
    count = 0
    for code, agency_kind, timezone, name, ended_on in db.session.execute(stmt):
        ended = f" (berakhir {ended_on.isoformat()})" if ended_on else ""
        click.echo(f"{code:<20} {agency_kind:<12} {TIMEZONES.get(timezone, timezone):<5} {name}{ended}")
        count += 1
    click.echo(f"{count} instansi.")


commands = [agencies]
