"""`flask users create EMAIL --role ROLE [--agency CODE] [--body menpanrb|kemendagri] [--password PW]`."""

from __future__ import annotations

import click

from app.auth import services
from app.core.vocab import Body, Role
from app.db import unit_of_work
from app.errors import ValidationFailed


@click.group("users", help="Kelola pengguna.")
def users() -> None:
    pass


@users.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--agency", "agency_code", help="Kode instansi (wajib untuk peran ppk).")
@click.option("--body", type=click.Choice([b.value for b in Body]), help="Kementerian pengawas (peran overseer).")
@click.option("--name", default="", help="Nama tampilan.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create(email: str, role: str, agency_code: str | None, body: str | None, name: str, password: str) -> None:
    """Create a user; prompts for the password when not given."""
    try:
        with unit_of_work():
            user = services.create_user(email, password, role, name=name, agency_code=agency_code, body=body)
    except ValidationFailed as exc:
        fields = exc.details.get("fields", {})
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items())
        raise click.ClickException(f"{exc.message} {detail}".strip()) from exc
    click.echo(f"Pengguna dibuat: {user.email} (id {user.id}, peran {user.role})")


commands = [users]
