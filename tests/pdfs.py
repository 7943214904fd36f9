"""Small real PDFs for tests, made with reportlab (the same library the letters use)."""

from __future__ import annotations

import io

from reportlab.pdfgen import canvas


def make_pdf(text: str = "Surat Permohonan Fasilitas Zoom Meeting") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=1)
    page.drawString(72, 760, text)
    page.showPage()
    page.save()
    return buffer.getvalue()
