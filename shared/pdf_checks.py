"""What an uploaded letter must be before anything keeps it: a real PDF, without active content.

A request letter is opened later by officials in their browsers and PDF readers. A file that
merely starts with ``%PDF-`` (an HTML page with that header) is not one; a PDF that carries
JavaScript (``/JS``, ``/JavaScript``, an ``/OpenAction`` or ``/AA`` running a script) or embedded
files (``/EmbeddedFiles``, ``/FileAttachment`` annotations) could run code or hand over a program
on the reader's machine. So the file is parsed with pypdf, and every object of it (reachable from
the trailer or merely listed in its cross-reference table, names decoded, object streams
unpacked) is looked at; one refusal with a stable ``code`` and a message in both languages says
what was found. A letter "printed to PDF" again carries none of these.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from shared.errors import InvalidInput

log = logging.getLogger("sivicon.pdf")

# An HTML page sniffed from the first bytes would be run by a browser that ignores the type.
_HTML_MARKERS = (b"<html", b"<script", b"<!doctype", b"<body", b"<iframe", b"<svg")
_SCRIPT_KEYS = ("/JS", "/JavaScript")
_FILE_KEYS = ("/EmbeddedFiles", "/EF")


class PdfRefused(InvalidInput):
    """An uploaded file that is not a PDF SIVICON keeps; ``code`` says why."""


def not_a_pdf(reason: str) -> PdfRefused:
    return PdfRefused(
        f"the request letter must be a PDF file; this one cannot be read as a PDF ({reason})",
        "surat permohonan harus berkas PDF; berkas ini tidak dapat dibaca sebagai PDF",
        code="not_a_pdf",
    )


def _objects(reader: PdfReader) -> Iterator[DictionaryObject]:
    """Every dictionary (streams included) of the file, each object once."""
    listed: list[PdfObject] = [reader.trailer]
    for generation, numbers in reader.xref.items():
        listed += [IndirectObject(number, generation, reader) for number in numbers]
    listed += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
    seen: set[tuple[int, int]] = set()
    while listed:
        item: PdfObject | None = listed.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            yield item
            listed.extend(item.values())
        elif isinstance(item, ArrayObject):
            listed.extend(item)


def _active_content(node: DictionaryObject) -> str | None:
    """``"javascript"`` or ``"embedded_files"`` when the dictionary carries either."""
    if any(key in node for key in _SCRIPT_KEYS) or node.get("/S") == "/JavaScript":
        return "javascript"
    if any(key in node for key in _FILE_KEYS) or node.get("/Type") == "/EmbeddedFile":
        return "embedded_files"
    if node.get("/Subtype") == "/FileAttachment":
        return "embedded_files"
    return None


_FOUND = {
    "javascript": (
        "pdf_has_javascript",
        "the PDF carries JavaScript, which is not accepted; print it to a new PDF and upload that",
        "berkas PDF berisi JavaScript yang tidak diterima; cetak ulang ke PDF baru lalu unggah",
    ),
    "embedded_files": (
        "pdf_has_embedded_files",
        "the PDF carries embedded files, which are not accepted; print it to a new PDF and "
        "upload that",
        "berkas PDF berisi lampiran berkas tertanam yang tidak diterima; cetak ulang ke PDF baru "
        "lalu unggah",
    ),
}


def _read(data: bytes) -> tuple[PdfReader, list[DictionaryObject]]:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise not_a_pdf("it is encrypted with a password")
    if len(reader.pages) < 1:
        raise not_a_pdf("it has no page")
    return reader, list(_objects(reader))


def check_pdf(data: bytes) -> None:
    """Refuse (:class:`PdfRefused`) unless ``data`` is a PDF with a page, no JavaScript and no
    embedded files."""
    head = data[:1024].lower()
    if not data.startswith(b"%PDF-"):
        raise not_a_pdf("it does not start with %PDF-")
    if any(marker in head for marker in _HTML_MARKERS):
        raise not_a_pdf("it is an HTML page")
    try:
        _, dictionaries = _read(data)
    except PdfRefused:
        raise
    # pypdf meets a malformed file with whatever error its parser ran into (its own, ValueError,
    # KeyError, RecursionError...); for an upload every one of them means "not a PDF".
    except Exception as exc:
        log.info("an uploaded file is not a readable PDF: %r", exc)
        raise not_a_pdf(type(exc).__name__) from None
    for node in dictionaries:
        found = _active_content(node)
        if found is not None:
            code, message, pesan = _FOUND[found]
            raise PdfRefused(message, pesan, code=code)
