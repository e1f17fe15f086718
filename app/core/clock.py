"""The application's one clock: every reading of the current instant goes through here.

Production code never calls `datetime.now`, `date.today` or `time.time` itself (a test in
tests/quality/test_clock.py fails when it does), so a test sets the time for everything at once with
time-machine, and a process started under another date (libfaketime in CI's shifted run) moves every reader
together. Days are always taken in a named zone (`app.calendar.working_days.local_date`), never the server's.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC (use as a callable default, never evaluated at import)."""
    return datetime.now(UTC)


def epoch_seconds() -> float:
    """The current instant as seconds since the epoch (what signed cookies and session stamps carry)."""
    return time.time()
