"""The page itself: one HTML file and its script and style, served from the portal's origin."""

from __future__ import annotations

from html import escape
from pathlib import Path
from uuid import UUID

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"

# Nothing may be fetched from elsewhere: the page works offline and leaks nothing to third parties.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"])
def index(request: Request) -> HTMLResponse:
    """The portal page, told the office's time zone (the one setting it shows times in)."""
    timezone = escape(request.app.state.settings.timezone)
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    page = page.replace('<html lang="id">', f'<html lang="id" data-timezone="{timezone}">', 1)
    return HTMLResponse(page, headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)


_VERIFY_FIELDS = (
    ("number", "Nomor surat"),
    ("date", "Tanggal"),
    ("hal", "Hal"),
    ("addressee", "Kepada"),
    ("signer_name", "Penanda tangan"),
    ("signer_jabatan", "Jabatan"),
    ("pdf_sha256", "Sidik digital PDF (SHA-256)"),
)


def _verify_page(title: str, body: str, status: int) -> HTMLResponse:
    page = f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — SIVICON</title><link rel="stylesheet" href="/static/portal.css"></head>
<body><main><h1>{escape(title)}</h1>{body}
<p><a href="/">Kembali ke SIVICON</a></p></main></body></html>"""
    return HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)


@router.get("/verifikasi/{letter_id}")
async def verify_letter(letter_id: UUID, request: Request) -> HTMLResponse:
    """Public check of a printed reply letter: is it ours, and which PDF is the original."""
    settings = request.app.state.settings
    client: httpx.AsyncClient = request.app.state.http
    url = f"{settings.service_url('letters').rstrip('/')}/api/v1/verify/{letter_id}"
    try:
        response = await client.get(url)
    except httpx.HTTPError:
        return _verify_page(
            "Verifikasi surat",
            "<p>Layanan surat sedang tidak dapat dihubungi. Silakan coba lagi "
            "beberapa saat lagi.</p>",
            502,
        )
    if response.status_code == 404:
        return _verify_page(
            "Surat tidak ditemukan",
            "<p>Tidak ada surat terkirim dengan kode ini. Surat yang Anda pegang "
            "mungkin tidak dikeluarkan oleh DKISP Kota Tarakan.</p>",
            404,
        )
    if response.status_code != 200:
        return _verify_page("Verifikasi surat", "<p>Verifikasi gagal; silakan coba lagi.</p>", 502)
    data = response.json()
    rows = "".join(
        f'<tr><th scope="row">{escape(label)}</th><td>{escape(str(data.get(key, "")))}</td></tr>'
        for key, label in _VERIFY_FIELDS
        if data.get(key)
    )
    return _verify_page(
        "Surat terverifikasi",
        "<p>Surat ini dikeluarkan oleh Dinas Komunikasi, Informatika, Statistik dan Persandian "
        "Kota Tarakan. Cocokkan sidik digital di bawah dengan berkas PDF yang Anda terima.</p>"
        f"<table>{rows}</table>",
        200,
    )
