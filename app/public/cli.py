"""`flask public refresh [--year Y ...] [--election ID ...] [--now ISO]`, `flask public publish --year Y --reason
TEXT` and `flask public withhold --year Y --reason TEXT` (or `--election ID` instead of `--year`)."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from app.core.clock import utcnow
from app.db import get_row, unit_of_work
from app.index.access import check_year
from app.models.intake import Election
from app.public import release as releases
from app.public import serving


def refresh_job() -> list[int]:
    """The scheduler's job: this year and the last, any year without a release yet and the older year checked
    longest ago (app.public.release.refresh), and every election with a linked case; flushes (`run_job` commits)."""
    now = utcnow()
    return [r.version for r in [*releases.refresh(now), *releases.refresh_elections(now)]]


@click.group("public", help="Angka publik (/publik, /api/v1/public/): hitung ulang, terbitkan atau tahan.")
def public() -> None:
    pass


@public.command("refresh", help="Hitung ulang angka publik (default: tahun ini dan tahun lalu).")
@click.option("--year", "years", type=int, multiple=True, help="Tahun (boleh berulang); default tahun ini dan lalu.")
@click.option("--all-years", is_flag=True, help="Setiap tahun sejak rekomendasi pertama.")
@click.option("--election", "elections", type=int, multiple=True, help="Pemilu (id; boleh berulang).")
@click.option("--now", "now_text", default=None, help="Saat data (ISO 8601, dengan zona); default sekarang.")
@with_appcontext
def refresh(years: tuple[int, ...], all_years: bool, elections: tuple[int, ...], now_text: str | None) -> None:
    """Without --year nor --election: the default years and every election with a linked case."""
    now = datetime.fromisoformat(now_text) if now_text else utcnow()
    if now.tzinfo is None:
        raise click.BadParameter("--now harus memuat zona waktu (mis. 2026-11-18T10:00:00+07:00).")
    chosen_elections = [_election(e) for e in elections]
    chosen = [check_year(y) for y in years] or (releases.years_to_refresh(now) if all_years else None)
    with unit_of_work():
        done = releases.refresh(now, chosen) if years or all_years or not elections else []
        lines = [f"{r.year}: versi {r.version} (terbit {r.released_at.isoformat()})" for r in done]
        if elections or not (years or all_years):
            for r in releases.refresh_elections(now, chosen_elections or None):
                lines.append(f"pemilu {r.election_id}: versi {r.version} (terbit {r.released_at.isoformat()})")
    serving.clear_cache()
    for line in lines:
        click.echo(line)


def _election(election_id: int) -> Election:
    election = get_row(Election, election_id)
    if election is None:
        raise click.BadParameter(f"Pemilu {election_id} tidak ditemukan.")
    return election


def _switch(year: int | None, election_id: int | None, reason: str, published: bool) -> None:
    if (year is None) == (election_id is None):
        raise click.BadParameter("Pilih salah satu: --year atau --election.")
    if len(reason.strip()) < 3:
        raise click.BadParameter("Alasan wajib diisi (minimal 3 karakter).")
    if election_id is not None:
        scope, label = (0, _election(election_id).id), f"pemilu {election_id}"
    else:
        scope, label = (check_year(year or 0), 0), str(year)
    with unit_of_work():
        releases.set_published(scope[0], published, reason.strip(), None, election_id=scope[1])
    serving.clear_cache()
    click.echo(f"{label}: {'diterbitkan' if published else 'ditahan'} ({reason.strip()}).")


@public.command("publish", help="Terbitkan angka publik suatu tahun atau pemilu (dicatat dalam riwayat).")
@click.option("--year", type=int, default=None)
@click.option("--election", "election_id", type=int, default=None, help="Pemilu (id), bukan tahun.")
@click.option("--reason", required=True)
@with_appcontext
def publish(year: int | None, election_id: int | None, reason: str) -> None:
    _switch(year, election_id, reason, True)


@public.command("withhold", help="Tahan angka publik suatu tahun atau pemilu, mis. sebelum diverifikasi (dicatat).")
@click.option("--year", type=int, default=None)
@click.option("--election", "election_id", type=int, default=None, help="Pemilu (id), bukan tahun.")
@click.option("--reason", required=True)
@with_appcontext
def withhold(year: int | None, election_id: int | None, reason: str) -> None:
    _switch(year, election_id, reason, False)


commands = [public]
