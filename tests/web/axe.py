"""axe-core in the browser tests: injected into a page by Playwright (the engine is vendored, pinned, in
tests/web/vendor/axe-core), its serious and critical violations listed for an assertion.

The engine is evaluated through Playwright, so the page's Content-Security-Policy (script-src 'self') stays as it
is for the page's own scripts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SEVERE = ("serious", "critical")


def severe_violations(page: Any) -> list[str]:
    """The serious and critical WCAG violations axe-core finds on the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return [f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in result if v["impact"] in SEVERE]
