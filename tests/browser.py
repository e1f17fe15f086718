"""The one harness of the browser tests: Debian's Chromium driven by Playwright, the app served on a free port, a tab
per user at the two sizes every page must work at (1366×768 and 390×844), and the checks every page meets: it fits
the window (no sideways scroll, and no frame inside it scrolls sideways), axe-core finds no serious or critical
violation, no console error; each page is saved as a screenshot in TINDAK_SCREENSHOTS (artifacts/screenshots).

The fixtures `browser`, `live_server`, `screenshots` and `viewport` reach every test through tests/conftest.py; a test
module marks itself `pytestmark = BROWSER` (the `browser` mark, skipped where Chromium is not installed).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests import factories
from tests.clocked import environ_without_faketime
from tests.web.axe import severe_violations

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
VIEWPORTS = {"1366": {"width": 1366, "height": 768}, "390": {"width": 390, "height": 844}}
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/setup-system installs it)"),
]

# Elements inside <main> that scroll sideways (a table in a scrolling box hides its columns), but for a wide
# reference table offered as a scroll region one reaches with the keyboard (the help page's).
FRAMES_SCROLLING_SIDEWAYS = """Array.from(document.querySelectorAll('main *')).filter(e => {
    const style = getComputedStyle(e);
    const scrolls = style.overflowX === 'auto' || style.overflowX === 'scroll';
    const region = e.getAttribute('role') === 'region' && e.hasAttribute('tabindex');
    return scrolls && !region && e.scrollWidth > e.clientWidth + 1;
}).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className)"""


@pytest.fixture(scope="module")
def screenshots() -> Path:
    folder = Path(os.environ.get("TINDAK_SCREENSHOTS", "artifacts/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/setup-system installs it)")
    from playwright.sync_api import sync_playwright

    # The browser needs no clock of ours: the server decides when a session ends (its cookie has no Expires),
    # and the pages read no time. So Chromium runs on the machine's own clock even in CI's shifted-clock run:
    # libfaketime, inherited through LD_PRELOAD, slows Chromium's start-up to minutes. (The environment of this
    # process is left alone: libfaketime here re-reads it.)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=environ_without_faketime()
        )
        yield instance
        instance.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: Any) -> str:
    """Each test that takes it runs at both sizes: "1366" and "390"."""
    return request.param


class Session:
    """One user's browser tab; remembers console errors and failed responses, saves a screenshot of each page
    as <name>-<step>.png."""

    def __init__(self, browser: Any, base: str, folder: Path, name: str, **context: Any):
        self.context = browser.new_context(locale="id-ID", **context)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.base = base
        self.folder = folder
        self.name = name
        self.errors: list[str] = []
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.failed: list[str] = []
        self.page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def open(self, path: str) -> Any:
        """Go to `path`, which must answer 200."""
        response = self.go(path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        return response

    def shot(self, step: str) -> None:
        self.page.screenshot(path=str(self.folder / f"{self.name}-{step}.png"), full_page=True)

    def login(self, email: str) -> None:
        self.go("/login")
        assert self.page.get_attribute("html", "lang") == "id"
        self.shot("00-login")
        self.page.fill("#email", email)
        self.page.fill("#password", factories.PASSWORD)
        self.page.click("main button[type=submit]")
        self.page.wait_for_url(self.base + "/")

    def check(self, step: str, *, frames: bool = True) -> None:
        """The page as a person meets it: saved as a screenshot, not wider than the window, no frame inside it
        scrolling sideways (unless `frames=False`), and no serious or critical axe-core violation."""
        self.shot(step)
        width = self.page.evaluate("document.documentElement.scrollWidth")
        inner = self.page.evaluate("window.innerWidth")
        assert width <= inner, f"{self.name} {step}: {width} px wide in a {inner} px window"
        if frames:
            scrolling = self.page.evaluate(FRAMES_SCROLLING_SIDEWAYS)
            assert scrolling == [], f"{self.name} {step}: frames scroll sideways: {scrolling}"
        violations = severe_violations(self.page)
        assert violations == [], f"{self.name} {step}: {violations}"

    def visible_in_window(self, selector: str) -> bool:
        box = self.page.locator(selector).first.bounding_box()
        width = self.page.evaluate("window.innerWidth")
        return box is not None and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5

    def open_action(self, event: str) -> Any:
        self.page.click(f"#action-{event} > summary")
        return self.page.locator(f"#action-{event} form")

    def status(self) -> str:
        return self.page.inner_text("#case-status")

    def expected(self, status: int) -> None:
        """Forget the console error the browser logs for a page that answered `status` on purpose."""
        self.errors = [e for e in self.errors if f"status of {status}" not in e]

    def close(self) -> None:
        self.context.close()

    def done(self) -> None:
        """The tab logged no console error; then it is closed."""
        assert self.errors == [], f"{self.name}: console errors {self.errors} (failed: {self.failed})"
        self.context.close()


def tab_at(browser: Any, base: str, folder: Path, name: str, viewport: str, email: str | None = None) -> Session:
    """A tab at `viewport` ("1366" or "390": a phone, touch and all), signed in as `email` when given; its
    screenshots are <name>-<viewport>-<step>.png."""
    phone = viewport == "390"
    tab = Session(
        browser, base, folder, f"{name}-{viewport}", viewport=VIEWPORTS[viewport], is_mobile=phone, has_touch=phone
    )
    if email is not None:
        tab.login(email)
    return tab
