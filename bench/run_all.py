"""Run every benchmark present under bench/ and write their figures to bench/RESULTS.md (a markdown table).

    make bench                                   # the issue's sizes (1,000,000 cases; takes a while)
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/tindak_bench make bench
                                                 # on PostgreSQL (emptied): bench/RESULTS-postgresql.md
    BENCH_SCALE=small make bench                 # small sizes, for a quick look
    .venv/bin/python -m bench.run_all [--only list,sweep] [--timeout 7200] [--lenient]

Each benchmark runs as its own process (`python -m bench.<module>`) and prints one summary line, its last
line on stdout; its progress and errors go to bench/results/<name>.log. The ratio is read from that line
and compared with the target of the issue: the list endpoint at least a third of the bare endpoint's
throughput, the sweep within 5x its bare SQL, the index within 1.5x its bare aggregate, the outbox at least
0.8x bare smtplib, the import at least 0.6x a bare INSERT of every row it writes; the request mix and the search
have targets of their own (p95 per kind) and say by their exit status whether they met them. A benchmark that is
not there yet is listed as such.

Exit status: 1 when a benchmark crashed or printed nothing, or when a target was missed (`--lenient` or
BENCH_STRICT=0 to report a missed target without failing). Ratios measured on a loaded two-core machine move
between runs: compare the figures of one run with each other, not with another machine's.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS = BENCH_DIR / "RESULTS.md"
RESULTS_POSTGRESQL = BENCH_DIR / "RESULTS-postgresql.md"
LOG_DIR = BENCH_DIR / "results"
RATIO_RE = re.compile(r"\bratio[ =:]+([0-9]+(?:\.[0-9]+)?)")


@dataclass(frozen=True)
class Bench:
    name: str
    module: str
    title: str
    # ("min", x): the ratio must be at least x; ("max", x): at most x; None: no target.
    target: tuple[str, float] | None
    small_args: tuple[str, ...] = ()


BENCHES = (
    Bench("list", "list_endpoint", "Case list endpoint vs bare JSON endpoint (gunicorn, req/s)", ("min", 1 / 3)),
    Bench(
        "mix",
        "request_mix",
        "Request mix of every role (p95 per kind; mix req/s vs bare JSON endpoint)",
        None,
        ("--rounds", "2"),
    ),
    Bench("sweep", "sweep", "Escalation sweep vs bare SQL doing its writes (time)", ("max", 5.0), ("--n", "20000")),
    Bench("index", "index", "NKK Maturity Index vs bare aggregate (time)", ("max", 1.5), ("--n", "20000")),
    Bench(
        "outbox",
        "outbox",
        "Outbox dispatcher vs bare smtplib sending the same emails (emails/s)",
        ("min", 0.8),
        ("--messages", "2000"),
    ),
    Bench(
        "import",
        "import_cases",
        "Case import vs bare INSERT of every row it writes (rows/s)",
        ("min", 0.6),
        ("--rows", "10000"),
    ),
    Bench("export", "export_memory", "Peak memory of a worker exporting all cases", None),
    Bench("public", "public", "Public figures JSON vs a static file of the same bytes (gunicorn, req/s)", ("min", 0.5)),
    Bench(
        "intake",
        "intake",
        "Intake surge: reports through the API in batches vs bare INSERT (reports/s), duplicate check p95",
        ("min", 0.1),
        ("--reports", "2000", "--checks", "200"),
    ),
    Bench(
        "search",
        "search",
        "Case search q= per kind of term (slowest p95, target <= 100 ms on PostgreSQL; app vs hand-written SQL)",
        None,
        ("--repeat", "10"),
    ),
    Bench(
        "queue",
        "queue",
        "Antrean saya, first page per role (p50/p95; app vs the bare newest page of the same caller's cases)",
        None,
        ("--repeat", "10"),
    ),
    Bench(
        "scheduler",
        "scheduler_scale",
        "Scheduler after a week down: the sweep's backlog and the digest, time and peak RSS (target < 300 MB)",
        None,
    ),
    Bench(
        "dashboard",
        "dashboard",
        "Dashboard and calendar month per role (p50/p95, kept per scope; app vs the bare newest page)",
        None,
        ("--repeat", "10"),
    ),
)


@dataclass
class Outcome:
    bench: Bench
    present: bool
    returncode: int | None = None
    line: str = ""
    ratio: float | None = None
    seconds: float = 0.0

    @property
    def met(self) -> bool | None:
        if self.ratio is None:
            return None
        if self.bench.target is None:  # a target of its own (the mix's p95): its exit status says
            return False if self.returncode == 1 else None
        kind, value = self.bench.target
        return self.ratio >= value - 1e-9 if kind == "min" else self.ratio <= value + 1e-9

    @property
    def crashed(self) -> bool:
        return self.present and (not self.line or (self.returncode not in (0, None) and self.ratio is None))

    @property
    def status(self) -> str:
        if not self.present:
            return "not present yet"
        if self.crashed:
            return f"failed (exit {self.returncode})"
        met = self.met
        if met is None:
            return "measured"
        return "target met" if met else "target missed"


def target_text(bench: Bench) -> str:
    if bench.target is None:
        return "—"
    kind, value = bench.target
    return f"≥ {value:.3g}" if kind == "min" else f"≤ {value:.3g}"


def run(bench: Bench, scale: str, timeout: float) -> Outcome:
    if not (BENCH_DIR / f"{bench.module}.py").exists():
        return Outcome(bench, present=False)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", f"bench.{bench.module}"]
    if scale == "small":
        command += list(bench.small_args)
    env = dict(os.environ, BENCH_SCALE=scale, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    print(f"== {bench.name}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    log_path = LOG_DIR / f"{bench.name}.log"
    with log_path.open("w", encoding="utf-8") as log:
        try:
            done = subprocess.run(  # noqa: S603 - our own benchmark modules
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True, timeout=timeout
            )
            returncode, stdout = done.returncode, done.stdout
        except subprocess.TimeoutExpired as exc:
            returncode = -1
            stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            log.write(f"\ntimed out after {timeout:.0f} s\n")
        log.write("\n--- stdout ---\n" + stdout)
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    line = lines[-1] if lines else ""
    match = RATIO_RE.search(line)
    outcome = Outcome(
        bench,
        present=True,
        returncode=returncode,
        line=line,
        ratio=float(match.group(1)) if match else None,
        seconds=time.perf_counter() - started,
    )
    print(f"   {outcome.status}: {line or '(no output)'}", file=sys.stderr, flush=True)
    return outcome


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def on_postgresql() -> bool:
    return os.environ.get("BENCH_DATABASE_URL", "").startswith("postgres")


def table(outcomes: list[Outcome], scale: str) -> str:
    database = "PostgreSQL" if on_postgresql() else "SQLite"
    head = [
        "# Benchmark results",
        "",
        f"Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` (`python -m bench.run_all`), "
        f"scale **{scale}**, database {database}, {os.cpu_count()} CPU cores, Python {platform.python_version()}.",
        "Each benchmark measures its figure and its bare baseline in the same run; the ratio is what to compare.",
        "Logs of each run are in `bench/results/` (not committed).",
        "",
        "| Benchmark | Ratio | Target | Status | Figures (the benchmark's own line) | Time |",
        "|---|---|---|---|---|---|",
    ]
    rows = []
    for o in outcomes:
        ratio = f"{o.ratio:.3g}" if o.ratio is not None else "—"
        figures = _cell(o.line) if o.line else ("—" if o.present else f"`bench/{o.bench.module}.py` not written yet")
        took = f"{o.seconds:.0f} s" if o.present else "—"
        rows.append(f"| {_cell(o.bench.title)} | {ratio} | {target_text(o.bench)} | {o.status} | {figures} | {took} |")
    return "\n".join(head + rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated names: " + ",".join(b.name for b in BENCHES))
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("BENCH_TIMEOUT", 4 * 3600)))
    parser.add_argument("--lenient", action="store_true", default=os.environ.get("BENCH_STRICT") == "0")
    parser.add_argument("--output", default=str(RESULTS_POSTGRESQL if on_postgresql() else RESULTS))
    args = parser.parse_args(argv)
    scale = os.environ.get("BENCH_SCALE", "full").strip().lower()
    if scale not in ("full", "small"):
        parser.error("BENCH_SCALE must be full or small")
    wanted = {n.strip() for n in args.only.split(",") if n.strip()}
    unknown = wanted - {b.name for b in BENCHES}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    outcomes = [run(b, scale, args.timeout) for b in BENCHES if not wanted or b.name in wanted]
    text = table(outcomes, scale)
    Path(args.output).write_text(text, encoding="utf-8")
    print(text)
    failed = [o.bench.name for o in outcomes if o.crashed]
    missed = [o.bench.name for o in outcomes if o.met is False]
    if failed:
        print(f"benchmarks without a result: {', '.join(failed)}", file=sys.stderr)
    if missed:
        print(f"targets missed: {', '.join(missed)}", file=sys.stderr)
    return 1 if failed or (missed and not args.lenient) else 0


if __name__ == "__main__":
    sys.exit(main())
