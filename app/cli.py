"""CLI entry: attaches each domain's click group to `flask --app wsgi ...` (DESIGN §7)."""

from __future__ import annotations

import importlib

from flask import Flask

# Modules that define `commands`: a list of click commands/groups. Missing optional modules are skipped.
COMMAND_MODULES = (
    "app.auth.cli",
    "app.agencies.cli",
    "app.demo",
    "app.cases.cli",
    "app.escalations.cli",
    "notifications.cli",
    "app.scheduling",
    "app.index.cli",
    "app.backup",
    "app.audit",
    "workflows.cli",
)


def register_commands(app: Flask) -> None:
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        for command in getattr(module, "commands", []):
            app.cli.add_command(command)
