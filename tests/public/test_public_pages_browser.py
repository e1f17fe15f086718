"""/publik and /publik/definisi in Debian's Chromium at 1366×768 and 390×844, signed out: the page fits the window
(no sideways scroll), axe-core finds no serious or critical violation, no console error; the map draws every
province, small counts read "< 5", the language switch gives English. Screenshots public-<size>-<step>.png."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from app.db import db
from app.public import release as releases
from tests.clocked import environ_without_faketime
from tests.web.axe import severe_violations

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
SIZES = {"1366x768": {"width": 1366, "height": 768}, "390x844": {"width": 390, "height": 844}}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/setup-system)"),
]


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
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:  # on the machine's own clock (see tests/web/test_browser.py)
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=environ_without_faketime()
        )
        yield instance
        instance.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_public_dashboard_in_a_browser(size, chromium, live_server, screenshots, public_world):
    releases.refresh_year(2026)
    db.session.commit()
    secrets = public_world.secrets()
    context = chromium.new_context(locale="id-ID", viewport=SIZES[size])
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def check(step: str) -> str:
        width = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        page.screenshot(path=str(screenshots / f"public-{size}-{step}.png"), full_page=True)
        assert width <= inner, f"{step} at {size}: {width} px wide in a {inner} px window"
        assert severe_violations(page) == [], step
        text = page.content()
        assert [s for s in secrets if s in text] == [], step
        return text

    response = page.goto(live_server + "/publik?tahun=2026")
    assert response is not None and response.status == 200
    html = check("dashboard")
    assert page.locator("svg.public-map path").count() == 34
    assert "&lt; 5" in html
    assert page.locator("#national-heading").is_visible()
    page.goto(live_server + "/publik?tahun=2026&provinsi=PROV-99")
    html = check("province")
    assert "Kabupaten Contoh Kecil" in html and "Kota Contoh Kecil" in html
    page.click("text=Definisi setiap angka")
    page.wait_for_url("**/publik/definisi")
    check("definitions")
    page.goto(live_server + "/publik?tahun=2026")
    if page.locator(".navbar-toggler").is_visible():
        page.click(".navbar-toggler")
    page.click("button:has-text('English')")
    page.wait_for_load_state()
    html = check("dashboard-en")
    assert "Public figures of ASN ethics enforcement" in html and "Recommendations issued" in html
    assert errors == []
    context.close()
