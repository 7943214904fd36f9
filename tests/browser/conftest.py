"""Debian's Chromium through Playwright, and the whole system as `sivicon up` starts it, for the
browser tests; :func:`look` saves what a person sees and checks it for everyone (390 px phones,
axe-core's accessibility rules)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from services.launcher import System, start_system
from tests.support import as_admin_of

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
WAIT_MS = 15_000
PHONE = {"width": 390, "height": 844}


def _unavailable(reason: str) -> None:
    """Skip on a developer machine without a browser; under CI a missing browser is a failure."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


# Module scope, not session: Playwright's sync API runs an event loop in this thread while it
# is open, and the tests after the browser's (asyncio.run, pytest-asyncio) need the thread free.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(
            f"{CHROMIUM} not found: install Debian's browser with `apt-get install chromium`"
        )
    if importlib.util.find_spec("playwright") is None:
        _unavailable('playwright is not installed: pip install -e ".[dev]"')
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def system(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The whole system: real nats-server, every service its own process (browser checked first)."""
    data_dir: Path = tmp_path_factory.mktemp("sivicon") / "var"
    running = as_admin_of(
        start_system(
            data_dir, fixed_ports=False, extra_env={"SIVICON_AUTH_SECRET": "browser-" + "x" * 40}
        )
    )
    try:
        yield running
    finally:
        running.stop()
        for child in running.children.values():
            if child.process.returncode not in (0, -15, None) and child.name != "nats-server":
                print(f"--- {child.name} log ---\n{child.log_path.read_text()[-4000:]}")


def new_page(browser: Browser, system: System) -> Page:
    """A fresh browser context on the portal (no cookies), every request it makes recorded."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="id-ID", timezone_id="Asia/Makassar"
    )
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    requested: list[str] = []
    opened.on("request", lambda request: requested.append(request.url))
    opened.requested = requested  # type: ignore[attr-defined]
    opened.goto(system.urls["portal"] + "/")
    return opened


@pytest.fixture
def page(browser: Browser, system: System) -> Iterator[Page]:
    opened = new_page(browser, system)
    try:
        yield opened
    finally:
        opened.context.close()


def sign_in(
    page: Page, username: str, password: str | None = None, *, acting: bool = False
) -> None:
    from services.portal.users import DEMO_PASSWORD

    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password if password is not None else DEMO_PASSWORD)
    if acting:
        page.get_by_label("Masuk sebagai Plt/Plh").check()
    page.get_by_role("button", name="Masuk", exact=True).click()


def look(page: Page, name: str) -> None:
    """Save the page as a person sees it, on a desktop and on a 390-pixel phone, and check it:
    nothing scrolls sideways on the phone, and axe-core finds no serious or critical violation."""
    ARTIFACTS.mkdir(exist_ok=True)
    desktop = page.viewport_size
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    problems = axe_violations(page)
    assert not problems, f"{name}: accessibility violations:\n" + "\n".join(problems)
    page.set_viewport_size(PHONE)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True)
        scroll, width = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll <= width, f"{name}: at 390 px the page is {scroll} px wide"
    finally:
        if desktop is not None:
            page.set_viewport_size(desktop)


def axe_violations(page: Page) -> list[str]:
    """axe-core (vendored from its npm package) run in the page: serious and critical only."""
    # Evaluated from outside the page: its Content-Security-Policy rightly refuses inline scripts.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in result["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
