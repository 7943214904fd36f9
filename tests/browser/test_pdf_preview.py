"""What Chromium does with the headers the letters are served with: the portal's preview
(``services.portal.documents.pdf_to_view``, sandboxed by its own CSP) shows the PDF in the case
page's frame; the same PDF in a frame with the ``sandbox`` attribute, or as a service serves it
(``frame-ancestors 'none'``, a download), does not show in a frame. Served by the portal's own
functions from a small app over real HTTP, so that the choice in ``services/portal/documents.py``
stays right for the browser the office uses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI, Response
from fastapi.responses import HTMLResponse

from services.portal.documents import pdf_to_view
from shared.httpapi import document_download
from tests.pdfs import make_pdf, pdf_with_javascript
from tests.support import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser

LETTER = make_pdf("Surat permohonan, dilihat di tempat")


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/preview/{kind}")
    def preview(kind: str) -> Response:
        pdf = LETTER if kind == "clean" else pdf_with_javascript("open_action")
        return asyncio.run(pdf_to_view(pdf, "surat.pdf"))

    @app.get("/download")
    def download() -> Response:
        return document_download(LETTER, "surat.pdf")

    @app.get("/page")
    def page(src: str, sandboxed: bool = False) -> HTMLResponse:
        attribute = " sandbox" if sandboxed else ""
        frame = f'<iframe{attribute} src="{src}" style="width:600px;height:700px"></iframe>'
        return HTMLResponse(f"<!doctype html><html><body>{frame}</body></html>")

    return app


@pytest.fixture(scope="module")
def site(browser: Browser) -> Iterator[str]:
    with serving(_app(), lifespan="off") as url:
        yield url


def _shows_a_pdf(browser: Browser, url: str) -> bool:
    """Whether the page's frame holds Chromium's PDF viewer (its frame, with the viewer's
    own frame inside) rather than an error page or nothing."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            framed = [f for f in page.frames if f.parent_frame is page.main_frame]
            if framed and framed[0].url.startswith("http") and framed[0].child_frames:
                return True
            time.sleep(0.1)
        return False
    finally:
        context.close()


def test_the_portal_preview_shows_the_letter_in_the_case_page_frame(
    browser: Browser, site: str
) -> None:
    assert _shows_a_pdf(browser, f"{site}/page?src=/preview/clean")


def test_no_frame_shows_a_sandboxed_frame_a_download_or_a_letter_with_a_script(
    browser: Browser, site: str
) -> None:
    assert not _shows_a_pdf(browser, f"{site}/page?src=/preview/clean&sandboxed=true")
    assert not _shows_a_pdf(browser, f"{site}/page?src=/download")
    assert not _shows_a_pdf(browser, f"{site}/page?src=/preview/scripted")
