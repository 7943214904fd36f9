"""The portal page in a real browser (Debian's Chromium driven by Playwright) against the whole
system as `sivicon up` starts it: what a user sees when logging in, reading the inbox and
logging out, in Bahasa Indonesia as the page shows it."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from services.launcher import System, start_system
from tests.e2e.harness import file_request, login, wait_until

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
WAIT_MS = 15_000


def _unavailable(reason: str) -> None:
    """Skip on a developer machine without a browser; under CI a missing browser is a failure."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


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
    running = start_system(
        data_dir, fixed_ports=False, extra_env={"SIVICON_AUTH_SECRET": "browser-" + "x" * 40}
    )
    try:
        yield running
    finally:
        running.stop()
        for child in running.children.values():
            if child.process.returncode not in (0, -15, None) and child.name != "nats-server":
                print(f"--- {child.name} log ---\n{child.log_path.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def filed(system: System) -> dict[str, Any]:
    """One request filed over HTTP by the OPD (the page cannot file yet): Kadis's inbox row."""
    opd = login(system, "opd.dinkes")
    day = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    request_id = file_request(opd, start=f"{day}T09:00:00+08:00", end=f"{day}T11:00:00+08:00")
    kadis = login(system, "kadis")

    def row() -> dict[str, Any] | None:
        items = kadis.ok("GET", "disposition", "/api/v1/inbox")["items"]
        return next((item for item in items if item["case_id"] == request_id), None)

    found: dict[str, Any] = wait_until(row, what="the request in Kadis's inbox")
    return found


@pytest.fixture
def page(browser: Browser, system: System) -> Iterator[Page]:
    """A fresh browser context (empty sessionStorage) on the portal, every request recorded."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="id-ID", timezone_id="Asia/Makassar"
    )
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    requested: list[str] = []
    opened.on("request", lambda request: requested.append(request.url))
    opened.requested = requested  # type: ignore[attr-defined]
    opened.goto(system.urls["portal"] + "/")
    try:
        yield opened
    finally:
        context.close()


def log_in(page: Page, username: str, password: str, *, acting: bool = False) -> None:
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    if acting:
        page.get_by_label("Masuk sebagai Plt/Plh").check()
    page.get_by_role("button", name="Masuk", exact=True).click()


def inbox_rows(page: Page) -> list[list[str]]:
    rows = page.locator("#inbox-rows tr")
    return [
        [cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def wait_for_inbox(page: Page, agenda_number: str) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_role("status")).to_contain_text("permohonan menunggu tindakan Anda")
    expect(page.locator("#inbox-table")).to_be_visible()
    expect(page.get_by_role("cell", name=agenda_number, exact=True)).to_be_visible()


def test_wrong_password_shows_the_error_in_indonesian_and_no_inbox(page: Page) -> None:
    from playwright.sync_api import expect

    log_in(page, "kadis", "bukan-kata-sandinya")
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_have_text("nama pengguna atau kata sandi salah")
    expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    expect(page.get_by_label("Nama pengguna")).to_have_value("kadis")
    expect(page.get_by_label("Kata sandi")).to_be_focused()
    expect(page.locator("#session")).to_be_hidden()
    expect(page.get_by_role("heading", name="Kotak masuk")).to_be_hidden()
    expect(page.locator("#inbox-table")).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "login-error.png"), full_page=True)


def test_kadis_sees_the_filed_request_in_the_inbox_and_logs_out(
    page: Page, filed: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    from services.portal.users import DEMO_PASSWORD

    log_in(page, "kadis", DEMO_PASSWORD)
    expect(page.locator("#user-name")).to_have_text("Hendrik Arfandi, AP., M.Si")
    expect(page.locator("#user-role")).to_have_text("Kepala Dinas")
    expect(page.locator(".who")).to_contain_text(
        "Masuk sebagai Hendrik Arfandi, AP., M.Si — Kepala Dinas"
    )
    expect(page.get_by_role("heading", name="Kotak masuk")).to_be_visible()
    wait_for_inbox(page, filed["agenda_number"])
    row = next(r for r in inbox_rows(page) if r[0] == filed["agenda_number"])
    assert row[1] == filed["opd_name"] == "Dinas Kesehatan"
    assert row[2] == "Permohonan Fasilitas Zoom Meeting"
    assert "WITA" not in row[3]  # the column header says WITA; the cell is a date and time
    start = datetime.fromisoformat(filed["meeting_start"]).astimezone(ZoneInfo("Asia/Makassar"))
    assert row[3].startswith(f"{start.day} ")
    assert f"{start.year} pukul {start:%H.%M}" in row[3]
    assert row[4].startswith("Langkah 2")
    expect(page.get_by_role("columnheader")).to_have_text(
        ["No. Agenda", "OPD", "Hal", "Waktu yang diminta (WITA)", "Menunggu langkah"]
    )
    expect(page.get_by_role("alert")).to_be_hidden()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inbox.png"), full_page=True)

    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    expect(page.get_by_label("Nama pengguna")).to_be_visible()
    expect(page.get_by_label("Kata sandi")).to_have_value("")
    expect(page.locator("#session")).to_be_hidden()
    expect(page.locator("#inbox-rows tr")).to_have_count(0)
    assert page.evaluate("() => sessionStorage.length") == 0
    # A reload after logging out stays logged out.
    page.reload()
    expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    expect(page.locator("#session")).to_be_hidden()


def test_plt_checkbox_logs_in_as_acting_kadis_with_kadis_inbox(
    browser: Browser, page: Page, system: System, filed: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    from services.portal.users import DEMO_PASSWORD

    log_in(page, "plt.kadis", DEMO_PASSWORD, acting=True)
    expect(page.locator("#user-name")).to_have_text("Drs. Syamsul Bahri, M.Si")
    expect(page.locator("#user-role")).to_have_text(
        "Plt. Kepala Dinas (Kepala Bidang Aplikasi dan Informatika)"
    )
    wait_for_inbox(page, filed["agenda_number"])
    acting_rows = inbox_rows(page)

    # Kadis, in a browser context of their own, sees the very same inbox.
    context = browser.new_context(locale="id-ID", timezone_id="Asia/Makassar")
    context.set_default_timeout(WAIT_MS)
    try:
        kadis_page = context.new_page()
        kadis_page.goto(system.urls["portal"] + "/")
        log_in(kadis_page, "kadis", DEMO_PASSWORD)
        wait_for_inbox(kadis_page, filed["agenda_number"])
        assert inbox_rows(kadis_page) == acting_rows
    finally:
        context.close()


def test_page_loads_nothing_from_outside_its_origin(
    page: Page, system: System, filed: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    from services.portal.users import DEMO_PASSWORD

    log_in(page, "kadis", DEMO_PASSWORD)
    wait_for_inbox(page, filed["agenda_number"])
    page.get_by_role("button", name="Muat ulang").click()
    expect(page.get_by_role("status")).to_contain_text("permohonan menunggu tindakan Anda")
    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_role("heading", name="Masuk")).to_be_visible()

    requested: list[str] = page.requested  # type: ignore[attr-defined]
    origin = system.urls["portal"] + "/"
    assert any(url.endswith("/static/portal.js") for url in requested)
    assert any("/api/v1/auth/login" in url for url in requested)
    assert any("/gw/disposition/api/v1/inbox" in url for url in requested)
    elsewhere = [url for url in requested if not url.startswith(origin)]
    assert not elsewhere, f"the page fetched from outside {origin}: {elsewhere}"
