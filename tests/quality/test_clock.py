"""One clock: production code reads the current instant only through `app.core.clock`, so a test that sets the
time (time-machine) or a process started at another date moves every reader at once."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["app", "workflows", "notifications", "config.py"]
THE_CLOCK = ROOT / "app" / "core" / "clock.py"
# module.function pairs that read the wall clock
READERS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
}


def clock_reads(source: str) -> list[int]:
    """Line numbers of the calls in `source` that read the wall clock directly."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
            if (name, node.func.attr) in READERS and not (node.func.attr in ("localtime", "gmtime") and node.args):
                found.append(node.lineno)
    return found


def _python_files() -> list[Path]:
    files: list[Path] = []
    for name in SOURCES:
        path = ROOT / name
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def test_production_code_reads_the_clock_in_one_place():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _python_files()
        if path != THE_CLOCK
        for line in clock_reads(path.read_text(encoding="utf-8"))
    ]
    assert len(_python_files()) > 50, "scanned almost nothing: wrong paths?"
    assert not offenders, "read the clock through app.core.clock instead:\n" + "\n".join(offenders)


def test_the_scan_sees_every_form_of_a_clock_read():
    sample = (
        "import datetime, time\n"
        "from datetime import UTC, date\n"
        "a = datetime.datetime.now()\n"
        "b = datetime.datetime.now(UTC).date()\n"
        "c = date.today()\n"
        "d = time.time()\n"
        "e = time.gmtime(0)\n"  # a given instant, not a reading: allowed
        "f = datetime.datetime.utcnow()\n"
    )
    assert sorted(clock_reads(sample)) == [3, 4, 5, 6, 8]


def test_the_clock_itself_reads_the_wall_clock():
    assert clock_reads(THE_CLOCK.read_text(encoding="utf-8"))
