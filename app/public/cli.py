"""`flask public refresh [--year Y ...] [--now ISO]`, `flask public publish --year Y --reason TEXT` and
`flask public withhold --year Y --reason TEXT`."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from app.core.clock import utcnow
from app.db import unit_of_work
from app.index.access import check_year
from app.public import release as releases
from app.public import serving


def refresh_job() -> list[int]:
    """The scheduler's job: this year and the last, any year without a release yet and the older year checked
    longest ago (app.public.release.refresh); flushes (`run_job` commits)."""
    return [r.version for r in releases.refresh(utcnow())]


@click.group("public", help="Angka publik (/publik, /api/v1/public/): hitung ulang, terbitkan atau tahan.")
def public() -> None:
    pass


@public.command("refresh", help="Hitung ulang angka publik (default: tahun ini dan tahun lalu).")
@click.option("--year", "years", type=int, multiple=True, help="Tahun (boleh berulang); default tahun ini dan lalu.")
@click.option("--all-years", is_flag=True, help="Setiap tahun sejak rekomendasi pertama.")
@click.option("--now", "now_text", default=None, help="Saat data (ISO 8601, dengan zona); default sekarang.")
@with_appcontext
def refresh(years: tuple[int, ...], all_years: bool, now_text: str | None) -> None:
    now = datetime.fromisoformat(now_text) if now_text else utcnow()
    if now.tzinfo is None:
        raise click.BadParameter("--now harus memuat zona waktu (mis. 2026-11-18T10:00:00+07:00).")
    chosen = [check_year(y) for y in years] or (releases.years_to_refresh(now) if all_years else None)
    with unit_of_work():
        done = releases.refresh(now, chosen)
        lines = [f"{r.year}: versi {r.version} (terbit {r.released_at.isoformat()})" for r in done]
    serving.clear_cache()
    for line in lines:
        click.echo(line)


def _switch(year: int, reason: str, published: bool) -> None:
    year = check_year(year)
    if len(reason.strip()) < 3:
        raise click.BadParameter("Alasan wajib diisi (minimal 3 karakter).")
    with unit_of_work():
        releases.set_published(year, published, reason.strip(), None)
    serving.clear_cache()
    click.echo(f"{year}: {'diterbitkan' if published else 'ditahan'} ({reason.strip()}).")


@public.command("publish", help="Terbitkan angka publik suatu tahun (dicatat dalam riwayat).")
@click.option("--year", type=int, required=True)
@click.option("--reason", required=True)
@with_appcontext
def publish(year: int, reason: str) -> None:
    _switch(year, reason, True)


@public.command("withhold", help="Tahan angka publik suatu tahun, mis. sebelum diverifikasi (dicatat).")
@click.option("--year", type=int, required=True)
@click.option("--reason", required=True)
@with_appcontext
def withhold(year: int, reason: str) -> None:
    _switch(year, reason, False)


commands = [public]
