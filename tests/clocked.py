"""The suite's clock (SUITE_NOW, set for every test by tests/conftest.py), and how programs a test starts share it.

Run one of the project's programs on the suite's clock: `python -m tests.clocked ISO-INSTANT MODULE ARGS…`.

A test that starts the scheduler, the CLI or gunicorn as another process gives it the time the test itself
runs at (the suite's clock, `tests.conftest.SUITE_NOW`, or wherever the test travelled), so both sides agree on
"now" whatever the day the suite runs on. The program then runs as `python -m MODULE ARGS…` would, with its
clock moving on from that instant (time-machine, as in the tests; forked workers keep it). Monotonic clocks are
left alone, so timeouts and gunicorn's worker heartbeat behave normally.
"""

from __future__ import annotations

import os
import runpy
import sys
from datetime import UTC, datetime

import time_machine

from app.core.clock import utcnow

# The suite's clock. Every test starts at this instant, whatever the day the suite runs on (and CI runs it again
# under a shifted system clock): Wednesday 18 November 2026, 10.00 WIB, a working day with no holiday within
# three weeks either way. The clock moves on from there (tick), so waits and timeouts behave; a test that needs
# another moment travels there itself (time_machine.travel, nested) or passes `now` explicitly.
SUITE_NOW = datetime(2026, 11, 18, 3, 0, tzinfo=UTC)


def on_suite_clock(command: list[str]) -> list[str]:
    """`[python, "-m", module, *args]` → the same program started at the test's current instant."""
    if command[:2] != [sys.executable, "-m"]:
        raise ValueError(f"not a `python -m` command: {command[:3]}")
    return [sys.executable, "-m", "tests.clocked", utcnow().isoformat(), *command[2:]]


def environ_without_faketime() -> dict[str, str]:
    """This process's environment for a program it starts, less libfaketime (LD_PRELOAD, FAKETIME*).

    In CI's shifted-clock run the suite itself runs under libfaketime; a program started through
    `on_suite_clock` gets the test's clock from time-machine instead, and a browser needs no clock of ours.
    Inherited, libfaketime would only break them: gunicorn's and the tests' `time.sleep` fail with EINVAL, and
    Chromium takes minutes to start."""
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit("usage: python -m tests.clocked ISO-INSTANT MODULE [ARGS…]")
    instant = datetime.fromisoformat(argv[0])
    module = argv[1]
    time_machine.travel(instant, tick=True).start()  # for the life of the process
    sys.argv = [module, *argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
