"""Every service's ``/docs`` over HTTP: Swagger UI comes from the service itself, since the
government's closed network reaches no CDN, and the page finds the API description it shows."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI

from services.disposition.main import create_app as disposition_app
from services.intake.main import create_app as intake_app
from services.letters.main import create_app as letters_app
from services.portal.main import create_app as portal_app
from services.scheduler.main import create_app as scheduler_app
from shared.settings import Settings
from tests.support import running

APPS: dict[str, Callable[[Settings], FastAPI]] = {
    "intake": intake_app,
    "disposition": disposition_app,
    "scheduler": scheduler_app,
    "letters": letters_app,
    "portal": portal_app,
}

CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


class _Assets(HTMLParser):
    """The URLs a browser fetches to draw the page: scripts, stylesheets, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        url = attributes.get("src") if tag in ("script", "img") else attributes.get("href")
        if tag in ("script", "link", "img") and url:
            self.urls.append(url)


def _assets(page: str) -> list[str]:
    parser = _Assets()
    parser.feed(page)
    return parser.urls


def _content_type_for(url: str) -> str:
    return next(kind for suffix, kind in CONTENT_TYPES.items() if url.endswith(suffix))


@pytest.mark.parametrize("name", list(APPS))
async def test_docs_load_swagger_ui_from_the_service_itself(name: str, settings: Settings) -> None:
    async with running(APPS[name](settings)) as client:
        response = await client.get("/docs")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        page = response.text

        elsewhere = [
            url
            for url in re.findall(r"https?://[^\s\"'<>]+", page)
            if not url.startswith(str(client.base_url))
        ]
        assert elsewhere == [], f"/docs of {name} loads from outside the service: {elsewhere}"

        assets = _assets(page)
        assert {url.rsplit("/", 1)[-1] for url in assets} == {
            "swagger-ui-bundle.js",
            "swagger-ui.css",
            "favicon-32x32.png",
        }
        for url in assets:
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert _content_type_for(url) in asset.headers["content-type"], url
            assert asset.content, url


@pytest.mark.parametrize("name", list(APPS))
async def test_the_page_finds_the_api_description_and_the_oauth2_redirect(
    name: str, settings: Settings
) -> None:
    async with running(APPS[name](settings)) as client:
        page = (await client.get("/docs")).text
        spec_url = re.search(r"url: '([^']+)'", page)
        redirect_url = re.search(r"oauth2RedirectUrl: window.location.origin \+ '([^']+)'", page)
        assert spec_url is not None
        assert redirect_url is not None

        spec = await client.get(spec_url.group(1))
        assert spec.status_code == 200
        assert spec.json()["paths"], f"{name} describes no operations"
        assert "/api/v1/health" in spec.json()["paths"]
        assert not any(path.startswith("/docs") for path in spec.json()["paths"])

        redirect = await client.get(redirect_url.group(1))
        assert redirect.status_code == 200
        assert "swaggerUIRedirectOauth2" in redirect.text


async def test_no_cdn_pages_are_left_behind(settings: Settings) -> None:
    async with running(intake_app(settings)) as client:
        assert (await client.get("/redoc")).status_code == 404
        assert (await client.get("/docs/assets/swagger-ui-standalone-preset.js")).status_code == 404
