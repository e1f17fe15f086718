"""`flask index compute --year Y [--format table|csv|json]`, `flask index freeze --year Y` and
`flask index lift --year Y --reason TEXT`."""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Any

import click

from app.db import unit_of_work
from app.errors import DomainError
from app.index import services
from app.index.api import IndexPageSchema
from app.index.scoring import api_item


def index_payload(result: dict[str, Any]) -> dict[str, Any]:
    """The same body as `GET /api/v1/index?year=Y` (DESIGN §7)."""
    return IndexPageSchema().dump({**result, "items": [api_item(i) for i in result["items"]]})


def _table(result: dict[str, Any]) -> str:
    headers = ["#", "Kode", "Instansi", "Penetapan", "Penerapan", "Penegakan", "Kesinamb.", "Skor", "Indeks",
               "Kategori", "Belum terukur", "Rek.", "TL", "Tepat", "Ringan", "Esk.", "Buka", "Median HK"]  # fmt: skip
    rows = []
    for values in services.export_rows(result["items"]):
        (rank, code, name, pen, ter, gak, ksn, score, index, category, _complete, missing, *enforcement) = values
        rows.append(
            [rank if rank is not None else "-", code, name[:40], *(_num(v) for v in (pen, ter, gak, ksn)),
             _num(score), _num(index, 4), category, missing or "-", *(_num(v) for v in enforcement)]
        )  # fmt: skip
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _csv(result: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in services.EXPORT_COLUMNS])
    writer.writerows(services.export_rows(result["items"]))
    return buffer.getvalue()


@click.group("index", help="Indeks Maturitas NKK (IM-NKK).")
def index() -> None:
    pass


@index.command("compute", help="Hitung indeks satu tahun untuk semua instansi.")
@click.option("--year", type=int, required=True, help="Tahun penilaian (tahun terbit rekomendasi).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
    help="Bentuk keluaran; json sama dengan GET /api/v1/index?year=Y.",
)  # fmt: skip
@click.option("--live", is_flag=True, help="Hitung ulang dari data terkini walau tahun itu sudah dibekukan.")
def compute(year: int, fmt: str, live: bool) -> None:
    try:
        result = services.get_index(year, live=live)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    if result["frozen"]:
        click.echo(
            f"Tahun {year} sudah dibekukan ({result['frozen_at']:%Y-%m-%d %H:%M} UTC, metode "
            f"{result['method_version']}); gunakan --live untuk menghitung ulang.",
            err=True,
        )
    if fmt == "json":
        click.echo(json.dumps(index_payload(result), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        sys.stdout.write(_csv(result))
    else:
        click.echo(f"IM-NKK {year} · metode {result['method_version']} · {len(result['items'])} instansi")
        click.echo(_table(result))


@index.command("freeze", help="Bekukan (tetapkan) indeks satu tahun: data berikutnya tidak mengubahnya.")
@click.option("--year", type=int, required=True)
def freeze(year: int) -> None:
    try:
        with unit_of_work():
            snapshot = services.freeze_year(year, None)
            count = len(snapshot.data["items"])
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Indeks {year} dibekukan: {count} instansi, metode {snapshot.method_version}.")


@index.command("lift", help="Cabut pembekuan indeks satu tahun, dengan alasan yang tercatat di riwayatnya.")
@click.option("--year", type=int, required=True)
@click.option("--reason", required=True, help="Alasan pencabutan (tercatat).")
def lift(year: int, reason: str) -> None:
    try:
        with unit_of_work():
            snapshot = services.lift_freeze(year, None, reason)
            version = snapshot.method_version
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Pembekuan indeks {year} (metode {version}) dicabut; tahun ini kembali dihitung dari data terkini.")


commands = [index]
