"""The Lembar Disposisi, the SOP's disposition sheet of a case: the letter's particulars, its
sifat, and each forward with its instruction, note and paraf, as a page to print
(``kasus/lembar.html``) or as an A4 PDF drawn with reportlab (``?format=pdf``).

The sheet's content is the disposition service's (``/disposition-sheet``), read as this user may
read the case; here it is only laid out.
"""

from __future__ import annotations

import asyncio
import io
from datetime import date
from typing import Any
from uuid import UUID
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.backend import Refusal
from services.portal.documents import pdf_to_view
from services.portal.signin import PageRefused, SessionDep
from services.portal.state import BackendDep, PagesDep
from shared.calendar import indonesian_date
from shared.roles import ROLE_NAMES

router = APIRouter(include_in_schema=False)

# The sifat boxes of the sheet, in its order; a disposition ticks one of them.
SIFAT_LABELS = {
    "biasa": "Biasa",
    "segera": "Segera",
    "sangat_segera": "Sangat segera",
    "rahasia": "Rahasia",
}


def _day(value: str | None) -> str:
    return indonesian_date(date.fromisoformat(value)) if value else ""


@router.get("/kasus/{case_id}/lembar-disposisi")
async def disposition_sheet(
    case_id: UUID, request: Request, session: SessionDep, pages: PagesDep, backend: BackendDep
) -> Response:
    """The Lembar Disposisi as a page to print, or as a PDF (``?format=pdf``): the SOP's fields,
    each forward with its instruction and paraf."""
    try:
        sheet = await backend.get_or_none(
            session, "disposition", f"/api/v1/cases/{case_id}/disposition-sheet"
        )
    except Refusal as refusal:
        raise PageRefused(refusal.status, refusal.pesan) from None
    if sheet is None:
        raise PageRefused(404, "Kasus ini tidak ditemukan.")
    forwards = [{**f, "date_text": _day(f["date"])} for f in sheet["forwards"]]
    if request.query_params.get("format") == "pdf":
        pdf = await asyncio.to_thread(sheet_pdf, sheet, forwards)
        name = "lembar-disposisi-" + sheet["agenda_number"].replace("/", "-")
        return await pdf_to_view(pdf, f"{name}.pdf")
    return pages.render(
        request,
        "kasus/lembar.html",
        session,
        sheet=sheet,
        forwards=forwards,
        letter_date=_day(sheet["letter_date"]),
        received_date=_day(sheet["received_date"]),
        sifat_labels=SIFAT_LABELS,
    )


def sheet_pdf(sheet: dict[str, Any], forwards: list[dict[str, Any]]) -> bytes:
    """The Lembar Disposisi as an A4 PDF (reportlab), from the sheet the service answers."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    base = ParagraphStyle("base", fontName="Helvetica", fontSize=10, leading=13)
    bold = ParagraphStyle("bold", parent=base, fontName="Helvetica-Bold")
    head = ParagraphStyle("head", parent=bold, fontSize=12, leading=15, alignment=TA_CENTER)
    title = ParagraphStyle("title", parent=bold, fontSize=15, leading=20, alignment=TA_CENTER)

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    sifat = "   ".join(
        f"[{'X' if sheet.get('sifat') == value else ' '}] {label}"
        for value, label in SIFAT_LABELS.items()
    )
    fields = [
        ("Surat dari", sheet["letter_from"]),
        ("Nomor surat", sheet["letter_number"]),
        ("Tanggal surat", _day(sheet["letter_date"])),
        ("Diterima tanggal", _day(sheet["received_date"])),
        ("Nomor agenda", sheet["agenda_number"]),
        ("Sifat", sifat),
        ("Hal", sheet["hal"]),
    ]
    facts = Table([[p(k, bold), p(v)] for k, v in fields], colWidths=[4.5 * cm, 12 * cm])
    facts.setStyle(grid)
    rows = [
        [p(h, bold) for h in ("Dari", "Diteruskan kepada", "Instruksi", "Catatan", "Paraf")],
        *(
            [
                p(("Plt. " if f["on_behalf_of"] else "") + ROLE_NAMES.get(f["from_role"], "")
                  + "\n" + f["from_name"]),
                p(f["to_label"] or ""),
                p(f["instruction"] + (f"\nSifat: {SIFAT_LABELS.get(f['sifat'], f['sifat'])}"
                                      if f["sifat"] else "")),
                p(f["note"]),
                p(f"{f['initials']}\n{f['date_text']}"),
            ]
            for f in forwards
        ),
    ]  # fmt: skip
    table = Table(rows, colWidths=[3.3 * cm, 3.2 * cm, 4 * cm, 3.2 * cm, 2.8 * cm], repeatRows=1)
    table.setStyle(grid)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2 * cm,
        topMargin=1.5 * cm,
        bottomMargin=2 * cm,
        title=f"Lembar Disposisi {sheet['agenda_number']}",
        creator="SIVICON",
        invariant=1,
    )
    doc.build(
        [
            p("PEMERINTAH KOTA TARAKAN", head),
            p("DINAS KOMUNIKASI, INFORMATIKA, STATISTIK DAN PERSANDIAN", head),
            Spacer(1, 0.3 * cm),
            p("LEMBAR DISPOSISI", title),
            Spacer(1, 0.4 * cm),
            facts,
            Spacer(1, 0.5 * cm),
            table if forwards else p("Surat ini belum didisposisi."),
        ]
    )
    return buffer.getvalue()
