"""The shape of the code: dependencies point one way (the contracts of `.importlinter`: no cycle between the
packages of app/, nothing below the workflow engine reaches up to it, the outbox knows no case, the tables know
no service), imports sit at the top of their module unless a comment says why not, and a long module says why
it is long."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "workflows", "notifications")
LONG_MODULE = 500  # lines
LONG_REASON = "Why it is long:"


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-c",
        "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
    ]
    return subprocess.run(  # noqa: S603 - our own interpreter and the project's contract file
        [*command, "--config", str(cwd / ".importlinter"), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _python_files() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_every_import_contract_is_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_contracts(tmp_path):
    """The check can fail: the same tree with one import from the calendar up to the case pages is refused."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    with (tmp_path / "app" / "calendar" / "cli.py").open("a") as module:
        module.write("\nimport app.cases.pages  # noqa: E402,F401\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "No cycle between the packages of app/ BROKEN" in result.stdout
    assert "The calendar knows no case, workflow or email BROKEN" in result.stdout


def deferred_imports_without_reason(source: str) -> list[int]:
    """Lines of imports inside a function that neither carry a `# deferred:` comment nor sit in a block of
    imports headed by one."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if not isinstance(inner, ast.Import | ast.ImportFrom):
                continue
            line = inner.lineno - 1
            while (
                line > 0
                and lines[line - 1].strip().startswith(("from ", "import "))
                and "# deferred" not in lines[line]
            ):
                line -= 1  # up through the block of imports this one belongs to
            said = "# deferred" in lines[line] or (line > 0 and lines[line - 1].strip().startswith("# deferred"))
            if not said:
                found.append(inner.lineno)
    return found


def test_imports_sit_at_the_top_unless_a_comment_says_why_not():
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in _python_files()
        if (lines := deferred_imports_without_reason(path.read_text()))
    }
    assert offenders == {}


def test_the_import_check_finds_an_unexplained_import_in_a_function():
    source = (
        "def f():\n    import json\n\n"
        "def g():\n    import json  # deferred: only the CLI needs it\n\n"
        "def h():\n    # deferred: a cycle\n    import json\n    import csv\n"
    )
    assert deferred_imports_without_reason(source) == [2]


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_long_module_says_why_it_is_long(path):
    source = path.read_text()
    if source.count("\n") <= LONG_MODULE:
        return
    docstring = ast.get_docstring(ast.parse(source)) or ""
    assert LONG_REASON in docstring, f"{path.name}: over {LONG_MODULE} lines without '{LONG_REASON}' in its docstring"
