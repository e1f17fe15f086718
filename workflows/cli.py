"""`flask workflow diagram` (regenerates docs/state-machine.md) and `flask workflow table`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from workflows.diagram import markdown
from workflows.transitions import table_as_data

DOC = Path(__file__).resolve().parent.parent / "docs" / "state-machine.md"


@click.group("workflow", help="Tabel transisi dan diagram status perkara.")
def workflow() -> None:
    pass


@workflow.command("diagram")
@click.option("--check", is_flag=True, help="Hanya periksa bahwa berkas masih mutakhir.")
def diagram(check: bool) -> None:
    text = markdown()
    if check:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            raise click.ClickException(f"{DOC.name} tidak mutakhir; jalankan `flask workflow diagram`.")
        click.echo("Diagram mutakhir.")
        return
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    click.echo(f"Ditulis: docs/{DOC.name}")


@workflow.command("table")
def table() -> None:
    click.echo(json.dumps(table_as_data(), indent=2, ensure_ascii=False))


commands = [workflow]
