"""The reply letter as a PDF (reportlab): letterhead, heading, body, signature block, copies.

Close to Tata Naskah Dinas (Permendagri 1/2023) without claiming to be the official template,
which a later issue will settle. Output is deterministic (``invariant=1``): the same content,
number, date and signer give the same bytes, so the SHA-256 printed on a verification page can be
recomputed from the stored inputs.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

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

from shared.calendar import OFFICE_TIMEZONE
from shared.roles import ROLE_NAMES

MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
ZONE_LABELS = {"Asia/Makassar": "WITA", "Asia/Jakarta": "WIB", "Asia/Jayapura": "WIT"}


@dataclass(frozen=True)
class Office:
    """The sending office as printed on the letter; defaults are Tarakan's DKISP."""

    government: str = "PEMERINTAH KOTA TARAKAN"
    name: str = "DINAS KOMUNIKASI, INFORMATIKA, STATISTIK DAN PERSANDIAN"
    address: str = "Jalan Jenderal Sudirman Nomor 76, Tarakan, Kalimantan Utara"
    city: str = "Tarakan"
    unit_code: str = "DKISP"
    classification: str = "000.1.2"
    head_title: str = "Kepala Dinas Komunikasi, Informatika, Statistik dan Persandian"
    head_pangkat: str = ""
    head_nip: str = ""
    subkoordinator_title: str = ROLE_NAMES["subkoordinator"]
    timezone: str = OFFICE_TIMEZONE
    copies: tuple[str, ...] = field(
        default=(ROLE_NAMES["kabid"], "Arsip"),
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def zone_label(self) -> str:
        return ZONE_LABELS.get(self.timezone, self.timezone)


@dataclass(frozen=True)
class Signature:
    """The signature block: jabatan lines, then the name, pangkat and NIP when known."""

    jabatan: tuple[str, ...]
    name: str
    pangkat: str = ""
    nip: str = ""


def signature_for(office: Office, kind: str, signer: Mapping[str, Any] | None) -> Signature:
    """Who signs which letter: Kadis (or a Plt) the meeting reply; the Sub-coordinator, a.n.
    Kadis, the schedule-full reply. ``signer`` None gives the unsigned block of a draft."""
    head = f"{office.head_title} Kota {office.city.title()}"
    unsigned = "(belum ditandatangani)"
    if kind == "schedule_full":
        name = str(signer["name"]) if signer else unsigned
        return Signature((f"a.n. {head},", f"{office.subkoordinator_title},"), name)
    if signer is None:
        return Signature((f"{head},",), unsigned)
    if signer.get("on_behalf_of") == "kadis" and signer.get("role") != "kadis":
        return Signature((f"Plt. {head},",), str(signer["name"]))
    return Signature((f"{head},",), str(signer["name"]), office.head_pangkat, office.head_nip)


def indonesian_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def indonesian_day_date(moment: datetime) -> str:
    return f"{DAYS[moment.weekday()]}, {indonesian_date(moment.date())}"


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%H.%M")


def time_range(start: datetime, end: datetime, office: Office) -> str:
    start_local, end_local = start.astimezone(office.zone), end.astimezone(office.zone)
    if start_local.date() == end_local.date():
        return f"{_hhmm(start_local)}–{_hhmm(end_local)} {office.zone_label}"
    return (
        f"{_hhmm(start_local)} {office.zone_label} s.d. "
        f"{indonesian_day_date(end_local)} {_hhmm(end_local)} {office.zone_label}"
    )


def _when(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


# --------------------------------------------------------------------------- styles

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


def _p(text: str, style: ParagraphStyle = _BASE) -> Paragraph:
    return Paragraph(text, style)


def _t(value: Any) -> str:
    """User-supplied text, escaped for reportlab's paragraph markup."""
    return escape(str(value))


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


# --------------------------------------------------------------------------- the letter


def render_letter(
    content: Mapping[str, Any],
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
        title=("KONSEP - " if draft else "") + str(content["hal"]),
        author=f"{office.name.title()} {office.government.title().replace('Pemerintah ', '')}",
        subject=str(content["hal"]),
        creator="SIVICON",
        invariant=1,
    )
    story: list[Any] = []
    story += _letterhead(office)
    story += _heading(content, office, number, letter_date, draft)
    story += _body(content, office)
    story += _signature(signature, office)
    story += _copies(office)
    if verification_url and not draft:
        story += [
            Spacer(1, 0.6 * cm),
            _p(
                "Surat ini dikirim melalui SIVICON. Keaslian surat dan kode SHA-256 berkasnya "
                f"dapat diperiksa pada: {_t(verification_url)}",
                _SMALL,
            ),
        ]

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
    content: Mapping[str, Any],
    office: Office,
    number: str | None,
    letter_date: datetime | None,
    draft: bool,
) -> list[Any]:
    if letter_date is not None and not draft:
        place_date = f"{office.city}, {indonesian_date(letter_date.astimezone(office.zone).date())}"
        number_text = number or ""
    else:
        year = _when(str(content["drafted_at"])).astimezone(office.zone).year
        place_date = f"{office.city}, ..................... {year}"
        number_text = f"{office.classification}/........../{office.unit_code}"
    request = content["request"]
    addressee = request.get("requester_position") or f"Kepala {request['opd_name']}"
    right = Table([[_p(_t(place_date))]], colWidths=[7 * cm], hAlign="RIGHT")
    right.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    grid = _grid(
        [
            ("Nomor", _t(number_text)),
            ("Sifat", _t(content.get("sifat", "Biasa"))),
            ("Lampiran", "-"),
            ("Hal", f"<b>{_t(content['hal'])}</b>"),
        ],
        (2.2 * cm, 0.4 * cm, 13.9 * cm),
    )
    return [
        right,
        Spacer(1, 0.3 * cm),
        grid,
        Spacer(1, 0.5 * cm),
        _p(f"Yth. {_t(addressee)}"),
        *([] if str(request["opd_name"]) in addressee else [_p(_t(request["opd_name"]))]),
        _p("di"),
        _p(f"&nbsp;&nbsp;&nbsp;&nbsp;{_t(office.city)}"),
        Spacer(1, 0.5 * cm),
    ]


def _reference(request: Mapping[str, Any]) -> str:
    letter_date = date.fromisoformat(str(request["letter_date"]))
    return (
        f"Menindaklanjuti surat Saudara Nomor {_t(request['letter_number'])} tanggal "
        f"{indonesian_date(letter_date)} hal {_t(request['letter_subject'])}"
    )


def _body(content: Mapping[str, Any], office: Office) -> list[Any]:
    request = content["request"]
    story: list[Any] = []
    if content["kind"] == "meeting_provided":
        meeting = content["meeting"]
        start, end = _when(meeting["start"]), _when(meeting["end"])
        link = str(meeting["join_url"])
        story.append(
            _p(
                f"{_reference(request)}, bersama ini kami sampaikan bahwa fasilitas Zoom Meeting "
                "telah kami siapkan dengan rincian sebagai berikut:",
                _BODY,
            )
        )
        story.append(Spacer(1, 0.25 * cm))
        rows: list[tuple[str, Any]] = [
            ("Acara", _t(meeting.get("topic") or request["topic"])),
            ("Hari/Tanggal", indonesian_day_date(start.astimezone(office.zone))),
            ("Waktu", time_range(start, end, office)),
            ("Meeting ID", f"<b>{_t(meeting['meeting_id'])}</b>"),
            ("Kode Sandi", f"<b>{_t(meeting['passcode'])}</b>"),
            (
                "Tautan",
                _p(f"<link href={quoteattr(link)} color='blue'>{_t(link)}</link>", _LINK),
            ),
        ]
        story.append(_indented(_grid(rows, (3.2 * cm, 0.4 * cm, 11.4 * cm))))
        story.append(Spacer(1, 0.25 * cm))
        story.append(
            _p(
                "Kami mohon agar Meeting ID, kode sandi dan tautan tersebut hanya dibagikan "
                "kepada peserta kegiatan, dan agar penyelenggara bergabung paling lambat 15 "
                "menit sebelum kegiatan dimulai.",
                _BODY,
            )
        )
    else:
        wish_start, wish_end = _when(request["start"]), _when(request["end"])
        story.append(
            _p(
                f"{_reference(request)}, dengan ini kami sampaikan bahwa jadwal layanan Zoom "
                f"Meeting pada hari {indonesian_day_date(wish_start.astimezone(office.zone))} "
                f"pukul {time_range(wish_start, wish_end, office)} telah penuh, karena seluruh "
                "akun Zoom berlisensi yang kami kelola telah digunakan untuk kegiatan lain pada "
                "waktu tersebut.",
                _BODY,
            )
        )
        alternatives = content.get("alternatives") or []
        story.append(Spacer(1, 0.2 * cm))
        if alternatives:
            story.append(
                _p("Sebagai alternatif, fasilitas Zoom Meeting dapat kami sediakan pada:", _BODY)
            )
            for index, slot in enumerate(alternatives, start=1):
                start, end = _when(slot["start"]), _when(slot["end"])
                story.append(
                    _indented(
                        _p(
                            f"{index}. {indonesian_day_date(start.astimezone(office.zone))}, "
                            f"pukul {time_range(start, end, office)}"
                        )
                    )
                )
            story.append(Spacer(1, 0.2 * cm))
            story.append(
                _p(
                    "Apabila salah satu waktu tersebut sesuai, Saudara dapat mengajukan "
                    "permohonan kembali dengan menyebutkan waktu yang dipilih.",
                    _BODY,
                )
            )
        else:
            story.append(
                _p(
                    "Saat ini belum tersedia waktu pengganti yang berdekatan; Saudara dapat "
                    "mengajukan permohonan kembali untuk waktu yang lain.",
                    _BODY,
                )
            )
    story.append(Spacer(1, 0.25 * cm))
    story.append(
        _p(
            "Demikian disampaikan, atas perhatian dan kerja sama Saudara diucapkan terima kasih.",
            _BODY,
        )
    )
    return story


def _indented(flowable: Any) -> Table:
    table = Table([["", flowable]], colWidths=[1.25 * cm, None], hAlign="LEFT")
    table.setStyle(
        TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    return table


def _signature(signature: Signature, office: Office) -> list[Any]:
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
