"""The PDFs the portal hands to a browser: the request letter, the reply letter, the Lembar
Disposisi.

The services serve every document as a download in a sandbox (``shared.httpapi.DOCUMENT_HEADERS``,
``frame-ancestors 'none'``). The portal's case page shows the letters in place, in an
``<iframe>``. Chromium's PDF viewer shows nothing in a frame with the ``sandbox`` *attribute*, nor
in one its CSP forbids (``frame-ancestors 'none'``), but it does show a PDF whose own response
carries a CSP ``sandbox`` (tests/browser/test_pdf_preview.py). So what the portal shows in place
keeps the sandbox and ``nosniff``, loads nothing, and may be framed by the portal's own pages
only; the frames carry no ``sandbox`` attribute. And it shows in place only a PDF that passes the
upload check again (:func:`shared.pdf_checks.check_pdf`: a real PDF, no JavaScript, no embedded
files): a letter kept before that check existed, or changed on disk since, goes to the browser
as a sandboxed download, never shown in place.
"""

from __future__ import annotations

import asyncio
import re

from fastapi.responses import Response

from shared.httpapi import document_download
from shared.pdf_checks import PdfRefused, check_pdf

IN_PLACE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'self'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


async def pdf_to_view(data: bytes, filename: str) -> Response:
    """``data`` to be shown in place (the case page's frame, a new tab) if it is a clean PDF,
    else as a sandboxed download."""
    try:
        await asyncio.to_thread(check_pdf, data)
    except PdfRefused:
        return document_download(data, filename)
    name = re.sub(r"[^A-Za-z0-9._-]", "-", filename)
    return Response(
        data,
        media_type="application/pdf",
        headers={**IN_PLACE_HEADERS, "Content-Disposition": f'inline; filename="{name}"'},
    )
