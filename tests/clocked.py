"""Run one of the project's programs on the suite's clock: `python -m tests.clocked ISO-INSTANT MODULE ARGS…`.

A test that starts the scheduler, the CLI or gunicorn as another process gives it the time the test itself
runs at (the suite's clock, `tests.conftest.SUITE_NOW`, or wherever the test travelled), so both sides agree on
"now" whatever the day the suite runs on. The program then runs as `python -m MODULE ARGS…` would, with its
clock moving on from that instant (time-machine, as in the tests; forked workers keep it). Monotonic clocks are
left alone, so timeouts and gunicorn's worker heartbeat behave normally.
"""

from __future__ import annotations

import runpy
import sys
from datetime import datetime

import time_machine

from app.core.clock import utcnow


def on_suite_clock(command: list[str]) -> list[str]:
    """`[python, "-m", module, *args]` → the same program started at the test's current instant."""
    if command[:2] != [sys.executable, "-m"]:
        raise ValueError(f"not a `python -m` command: {command[:3]}")
    return [sys.executable, "-m", "tests.clocked", utcnow().isoformat(), *command[2:]]


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
