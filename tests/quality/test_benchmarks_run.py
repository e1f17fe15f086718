"""Every benchmark under bench/ runs its whole code path at a tiny size, so none rots between `make bench`
runs (CI does not run the full benchmarks: hours at 1,000,000 cases). Each runs as `make bench` runs it, a
process of its own, on SQLite in a temporary directory, and must end with its summary line (a ratio); a figure
missing its target is fine at this size (the index benchmark then exits 1), a traceback is not. A benchmark is a
program like the app: it runs on the machine's clock (its tokens and the servers it starts agree on the time),
never under the suite's clock nor libfaketime."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.clocked import environ_without_faketime

pytestmark = pytest.mark.skipif(
    os.environ.get("TINDAK_TEST_DB") == "postgres", reason="once per CI run: on the SQLite run"
)

TINY = {
    "list_endpoint": ["--cases", "300", "--repeat", "1", "--seconds", "0.5", "--workers", "1", "--connections", "2"],
    "scheduler_scale": ["--cases", "300"],
    "request_mix": ["--cases", "300", "--rounds", "1", "--seconds", "0.5", "--workers", "1", "--connections", "2"],
    "sweep": ["--n", "300"],
    "index": ["--n", "300", "--agencies", "20", "--repeat", "1", "--fresh"],
    "outbox": ["--messages", "40", "--rounds", "2", "--batch-size", "20"],
    "import_cases": ["--rows", "300"],
    "export_memory": ["--n", "300"],
    "search": ["--cases", "300", "--repeat", "2"],
    "queue": ["--cases", "300", "--repeat", "2"],
    "dashboard": ["--cases", "300", "--repeat", "2"],
    "public": ["--cases", "300", "--repeat", "1", "--seconds", "0.5", "--workers", "1", "--connections", "2"],
    "intake": ["--cases", "300", "--reports", "60", "--batch", "20", "--checks", "20"],
}


def test_every_benchmark_of_make_bench_is_covered():
    from bench.run_all import BENCHES

    assert {bench.module for bench in BENCHES} == set(TINY)


@pytest.mark.parametrize("module", sorted(TINY))
def test_the_benchmark_runs_at_a_tiny_size(module, tmp_path):
    env = environ_without_faketime()
    env.pop("BENCH_DATABASE_URL", None)
    env.update(BENCH_SCALE="small", HOME=str(tmp_path))
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", f"bench.{module}", *TINY[module]],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode in (0, 1), result.stderr[-3000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert "ratio" in summary, result.stdout[-2000:]
    if module == "list_endpoint":  # the cost per request, where it is spent
        assert re.search(r"list CPU/request app \d+\.\d+ ms \+ database \d+\.\d+ ms", summary), summary
