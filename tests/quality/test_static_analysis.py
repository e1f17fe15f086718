"""Security checks that fail the build: bandit on the application code, pip-audit on the pinned set.

bandit runs at medium severity and above (`-ll`) over app/, workflows/, notifications/ and config.py. A
finding passes only when its line carries the reviewed exception in the project's own convention: ruff's
`# noqa: S<nnn>` for the same check (ruff's S rules are bandit's B rules), or bandit's `# nosec B<nnn>`.
Anything else — a new `Markup(...)` of user text, SQL built from strings, `subprocess` with a shell — fails.

pip-audit needs PyPI's vulnerability API, so it runs only with TINDAK_AUDIT=1 or in the long run
(TINDAK_LONG_TESTS=1); it fails when a pinned package has a known vulnerability and also when a package
could not be checked at all (an unreachable service must not look like a clean bill of health).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ["app", "workflows", "notifications", "config.py"]


def _bandit(*extra: str) -> dict:
    done = subprocess.run(  # noqa: S603 - our own tool on our own code
        [sys.executable, "-m", "bandit", "-q", "-ll", "-r", *TARGETS, "-f", "json", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr  # 1 means findings; anything else is a crash
    return json.loads(done.stdout)


def _reviewed(finding: dict) -> bool:
    """The flagged line carries `noqa: S<nnn>` (ruff's name for bandit's B<nnn>) or `nosec B<nnn>`."""
    number = finding["test_id"][1:]
    path = ROOT / finding["filename"]
    lines = path.read_text(encoding="utf-8").splitlines()
    start = finding["line_number"]
    # A multi-line statement may carry its comment on any of its lines.
    span = finding.get("line_range") or [start]
    text = " ".join(lines[n - 1] for n in range(min(span), max(span) + 1) if 0 < n <= len(lines))
    noqa = re.search(r"#\s*noqa:([^#]*)", text)
    if noqa and re.search(rf"\bS{number}\b", noqa.group(1)):
        return True
    return bool(re.search(rf"#\s*nosec\b[^#]*\bB{number}\b", text))


def test_bandit_finds_nothing_unreviewed_at_medium_severity_or_above():
    report = _bandit()
    assert not report.get("errors"), report["errors"]
    scanned = report["metrics"]["_totals"]["loc"]
    assert scanned > 1000, "bandit scanned almost nothing: wrong paths?"
    open_findings = [
        f"{f['filename']}:{f['line_number']} {f['test_id']} {f['issue_severity']}: {f['issue_text']}"
        for f in report["results"]
        if not _reviewed(f)
    ]
    assert not open_findings, "bandit findings:\n" + "\n".join(open_findings)


def test_the_bandit_gate_catches_an_unreviewed_finding(tmp_path):
    """The gate is not blind: the same scan flags a shell command built from input, and no comment excuses it."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import subprocess\n\n\ndef run(name):\n    return subprocess.call('ls ' + name, shell=True)\n",
        encoding="utf-8",
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bandit", "-q", "-ll", "-f", "json", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    findings = json.loads(done.stdout)["results"]
    assert [f["test_id"] for f in findings] == ["B602"]
    finding = dict(findings[0], filename=str(bad))
    assert not _reviewed(finding)


AUDIT = os.environ.get("TINDAK_AUDIT") == "1" or os.environ.get("TINDAK_LONG_TESTS") == "1"


@pytest.mark.skipif(not AUDIT, reason="needs PyPI's vulnerability API: set TINDAK_AUDIT=1")
def test_pip_audit_on_the_pinned_set():
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "pip_audit",
            "-r",
            "requirements.lock",
            "--no-deps",
            "--disable-pip",
            "--progress-spinner",
            "off",
            "-f",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.stdout, done.stderr
    report = json.loads(done.stdout)
    dependencies = report["dependencies"]
    skipped = [f"{d['name']} {d.get('version', '')}: {d['skip_reason']}" for d in dependencies if d.get("skip_reason")]
    vulnerable = [
        f"{d['name']} {d['version']}: " + ", ".join(f"{v['id']} (fixed in {v.get('fix_versions')})" for v in d["vulns"])
        for d in dependencies
        if d.get("vulns")
    ]
    assert not vulnerable, "known vulnerabilities:\n" + "\n".join(vulnerable)
    assert not skipped, "not audited (is the vulnerability service reachable?):\n" + "\n".join(skipped[:10])
    pinned = [line for line in (ROOT / "requirements.lock").read_text().splitlines() if "==" in line]
    assert len(dependencies) == len(pinned)
