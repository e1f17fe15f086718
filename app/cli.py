"""CLI entry: attaches each domain's click groups to `flask --app wsgi ...` (DESIGN §7)."""

from __future__ import annotations

from flask import Flask

from app import backup, demo, scheduling
from app.agencies import cli as agencies_cli
from app.audit import commands as audit_commands
from app.auth import cli as auth_cli
from app.cases import cli as cases_cli
from app.escalations import cli as escalations_cli
from app.inbox import cli as inbox_cli
from app.index import cli as index_cli
from app.letters import cli as mail_cli
from app.people import cli as people_cli
from app.public import cli as public_cli
from notifications import cli as outbox_cli
from workflows import cli as workflow_cli

# Each module's `commands`: a list of click commands and groups.
COMMANDS = (
    *auth_cli.commands,
    *agencies_cli.commands,
    *demo.commands,
    *cases_cli.commands,
    *escalations_cli.commands,
    *outbox_cli.commands,
    *inbox_cli.commands,
    *mail_cli.commands,
    *scheduling.commands,
    *index_cli.commands,
    *public_cli.commands,
    *backup.commands,
    *audit_commands,
    *workflow_cli.commands,
    *people_cli.commands,
)


def register_commands(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
