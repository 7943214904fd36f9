"""A service's ``/docs`` in a real browser cut off from everything but the service, as on the
government's closed network: Swagger UI must still draw the operations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from services.intake.main import create_app
from shared.settings import Settings
from tests.browser.conftest import ARTIFACTS, WAIT_MS
from tests.support import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route


@pytest.fixture
def intake(settings: Settings) -> Iterator[str]:
    """The intake service over real HTTP, with its lifespan on a real nats-server."""
    with serving(create_app(settings)) as url:
        yield url


def test_docs_draw_the_operations_with_nothing_but_the_service_reachable(
    browser: Browser, intake: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    blocked: list[str] = []

    def only_the_service(route: Route) -> None:
        url = route.request.url
        if url.startswith(intake + "/") or url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_the_service)
    page = context.new_page()
    try:
        page.goto(intake + "/docs")
        page.locator(".opblock").first.wait_for(state="visible")
        assert page.locator(".opblock").count() >= 3
        health = page.locator(".opblock-summary-path", has_text="/api/v1/health")
        assert health.filter(has_not_text="details").count() == 1
        assert health.filter(has_text="details").count() == 1
        assert "SIVICON" in page.locator(".info .title").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "docs.png"), full_page=False)
    finally:
        context.close()
    assert blocked == [], f"/docs asked for something outside the service: {blocked}"
