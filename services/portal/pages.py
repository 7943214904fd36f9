"""The portal's static files (style, script, icons; nothing from elsewhere) and the public
``/verifikasi`` page of a sent letter."""

from __future__ import annotations

from html import escape
from pathlib import Path
from uuid import UUID

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from services.portal.templating import SECURITY_HEADERS

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)


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
