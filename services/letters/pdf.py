"""The reply letter as a PDF (reportlab): the layout of the letterhead, heading, body, signature
block and copies; the words come from ``services.letters.wording``, the office's particulars
from ``services.letters.office``.

Close to Tata Naskah Dinas (Permendagri 1/2023) without claiming to be the official template,
which a later issue will settle. Output is deterministic (``invariant=1``): with this layout,
the same content, body, number, date and signer give the same bytes. What the verification page's
SHA-256 names is the signed PDF as it was stored when sent (content-addressed in the document
store), not a rendering made again later: a later layout may differ.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from services.letters import wording
from services.letters.office import Office, Signature
from services.letters.values import Draft
from shared.calendar import indonesian_date

_BASE = ParagraphStyle("base", fontName="Helvetica", fontSize=11, leading=15)
_BODY = ParagraphStyle("body", parent=_BASE, alignment=TA_JUSTIFY, firstLineIndent=1.25 * cm)
_LINK = ParagraphStyle("link", parent=_BASE, fontSize=9.5, leading=14)
_SMALL = ParagraphStyle("small", parent=_BASE, fontSize=8.5, leading=11)
_KOP_GOV = ParagraphStyle(
    "kop1", parent=_BASE, fontName="Helvetica-Bold", fontSize=14, leading=17, alignment=TA_CENTER
)
_KOP_NAME = ParagraphStyle(
    "kop2", parent=_BASE, fontName="Helvetica-Bold", fontSize=13, leading=16, alignment=TA_CENTER
)
_KOP_ADDR = ParagraphStyle("kop3", parent=_BASE, fontSize=9, leading=12, alignment=TA_CENTER)
_t = wording.text


def _p(text: str, style: ParagraphStyle = _BASE) -> Paragraph:
    return Paragraph(text, style)


def _grid(rows: Sequence[tuple[str, Any]], widths: tuple[float, float, float]) -> Table:
    table = Table(
        [[_p(label), _p(":"), value if isinstance(value, Paragraph) else _p(value)]
         for label, value in rows],
        colWidths=list(widths),
    )  # fmt: skip
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


def render_letter(
    content: Draft,
    *,
    office: Office,
    signature: Signature,
    number: str | None = None,
    letter_date: datetime | None = None,
    verification_url: str | None = None,
    draft: bool = False,
) -> bytes:
    """The letter's PDF. A draft has no number or date yet and is marked KONSEP on every page."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2.5 * cm,
        rightMargin=2 * cm,
        topMargin=1.5 * cm,
        bottomMargin=2 * cm,
        title=("KONSEP - " if draft else "") + content.hal,
        author=f"{office.name.title()} {office.government.title().replace('Pemerintah ', '')}",
        subject=content.hal,
        creator="SIVICON",
        invariant=1,
    )
    story: list[Any] = []
    story += _letterhead(office)
    story += _heading(content, office, number, letter_date, draft)
    story += _body(content, office)
    story += _signature(signature)
    story += _copies(office)
    if verification_url and not draft:
        story += [Spacer(1, 0.6 * cm), _p(wording.verification_note(verification_url), _SMALL)]

    def on_page(canvas: Canvas, _doc: Any) -> None:
        if draft:
            _draft_mark(canvas)

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _letterhead(office: Office) -> list[Any]:
    return [
        _p(_t(office.government), _KOP_GOV),
        _p(_t(office.name), _KOP_NAME),
        _p(_t(office.address), _KOP_ADDR),
        Spacer(1, 0.15 * cm),
        HRFlowable(width="100%", thickness=2, color=colors.black, spaceAfter=1.5),
        HRFlowable(width="100%", thickness=0.6, color=colors.black, spaceAfter=0.4 * cm),
    ]


def _heading(
    content: Draft,
    office: Office,
    number: str | None,
    letter_date: datetime | None,
    draft: bool,
) -> list[Any]:
    if letter_date is not None and not draft:
        place_date = f"{office.city}, {indonesian_date(letter_date.astimezone(office.zone).date())}"
        number_text = number or ""
    else:
        year = content.drafted_at.astimezone(office.zone).year
        place_date = f"{office.city}, ..................... {year}"
        number_text = office.blank_number()
    request = content.request
    addressee = wording.addressee(request)
    right = Table([[_p(_t(place_date))]], colWidths=[7 * cm], hAlign="RIGHT")
    right.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    grid = _grid(
        [
            ("Nomor", _t(number_text)),
            ("Sifat", _t(content.sifat)),
            ("Lampiran", "-"),
            ("Hal", f"<b>{_t(content.hal)}</b>"),
        ],
        (2.2 * cm, 0.4 * cm, 13.9 * cm),
    )
    return [
        right,
        Spacer(1, 0.3 * cm),
        grid,
        Spacer(1, 0.5 * cm),
        _p(f"Yth. {_t(addressee)}"),
        *([] if request.opd_name in addressee else [_p(_t(request.opd_name))]),
        _p("di"),
        _p(f"&nbsp;&nbsp;&nbsp;&nbsp;{_t(office.city)}"),
        Spacer(1, 0.5 * cm),
    ]


def _body(content: Draft, office: Office) -> list[Any]:
    """The body's paragraphs as drafted, with the facts printed as a list after the paragraph
    that introduces them (``wording.details_after``): never editable, they come from the
    meeting or the slot check."""
    body = wording.body_of(content, office)
    split = wording.details_after(body)
    story: list[Any] = []
    for index, paragraph in enumerate(body, start=1):
        if index > 1:
            story.append(Spacer(1, 0.25 * cm))
        story.append(_p(wording.body_markup(paragraph), _BODY))
        if index == split:
            story += _details(content, office)
    return story


def _details(content: Draft, office: Office) -> list[Any]:
    if content.kind == "meeting_provided":
        meeting = content.meeting
        assert meeting is not None
        rows: list[tuple[str, Any]] = [
            *wording.meeting_rows(content, meeting, office),
            ("Tautan", _p(wording.link(meeting.join_url), _LINK)),
        ]
        return [Spacer(1, 0.25 * cm), _indented(_grid(rows, (3.2 * cm, 0.4 * cm, 11.4 * cm)))]
    lines = wording.alternative_lines(content, office)
    return [_indented(_p(line)) for line in lines]


def _indented(flowable: Any) -> Table:
    table = Table([["", flowable]], colWidths=[1.25 * cm, None], hAlign="LEFT")
    table.setStyle(
        TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    return table


def _signature(signature: Signature) -> list[Any]:
    lines = [_p(_t(line)) for line in signature.jabatan]
    lines += [Spacer(1, 1.8 * cm), _p(f"<b><u>{_t(signature.name)}</u></b>")]
    if signature.pangkat:
        lines.append(_p(_t(signature.pangkat)))
    if signature.nip:
        lines.append(_p(f"NIP. {_t(signature.nip)}"))
    block = Table([[lines]], colWidths=[8.5 * cm], hAlign="RIGHT")
    block.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [Spacer(1, 0.6 * cm), KeepTogether([block])]


def _copies(office: Office) -> list[Any]:
    if not office.copies:
        return []
    items = [_p("Tembusan:", _SMALL)]
    last = len(office.copies)
    for index, copy in enumerate(office.copies, start=1):
        items.append(_p(f"{index}. {_t(copy)}{'.' if index == last else ';'}", _SMALL))
    return [Spacer(1, 0.6 * cm), KeepTogether(items)]


def _draft_mark(canvas: Canvas) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica-Bold", 96)
    canvas.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.18))
    width, height = A4
    canvas.translate(width / 2, height / 2)
    canvas.rotate(45)
    canvas.drawCentredString(0, -30, "KONSEP")
    canvas.restoreState()
    canvas.saveState()
    canvas.setFont("Helvetica-Bold", 9)
    canvas.setFillColor(colors.Color(0.7, 0.1, 0.1))
    canvas.drawString(2.5 * cm, 1 * cm, "KONSEP - belum ditandatangani, bukan surat resmi")
    canvas.restoreState()
