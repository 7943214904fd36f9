"""The reply letter as rendered, read back with real PDF readers (pypdf; pdftotext if present)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pypdf
import pytest

from services.letters.office import Office, signature_for
from services.letters.pdf import render_letter
from services.letters.values import Draft
from services.letters.wording import CLOSING, MEETING_NOTICE, default_body
from shared.events import Actor

OFFICE = Office(head_pangkat="Pembina Utama Muda (IV/c)", head_nip="197001011995031001")
LINK = "https://us06web.zoom.us/j/81234567890?pwd=aBcDeFgHiJkLmNoPqRsTuVwXyZ012345.1"
REQUEST = {
    "opd_code": "DINKES",
    "opd_name": "Dinas Kesehatan",
    "agenda_number": "000.1.1/0007/DKISP",
    "requester_name": "dr. Sri Wahyuni",
    "requester_position": "Kepala Dinas Kesehatan",
    "letter_number": "800/412/DINKES",
    "letter_date": "2026-11-27",
    "letter_subject": "Permohonan Fasilitas Zoom Meeting Rapat Koordinasi Posyandu",
    "topic": "Rapat Koordinasi Posyandu",
    "start": "2026-12-03T01:00:00+00:00",
    "end": "2026-12-03T03:00:00+00:00",
    "participants": 150,
}
MEETING_CONTENT: dict[str, Any] = {
    "kind": "meeting_provided",
    "hal": "Tanggapan atas Permohonan Fasilitas Zoom Meeting",
    "sifat": "Biasa",
    "drafted_at": "2026-12-01T00:30:00+00:00",
    "request": REQUEST,
    "meeting": {
        "meeting_id": "81234567890",
        "passcode": "Xy7Qa2",
        "join_url": LINK,
        "host_email": "zoom1@tarakankota.go.id",
        "topic": "Rapat Koordinasi Posyandu",
        "start": "2026-12-03T01:00:00+00:00",
        "end": "2026-12-03T03:00:00+00:00",
    },
}
FULL_CONTENT: dict[str, Any] = {
    **{k: v for k, v in MEETING_CONTENT.items() if k != "meeting"},
    "kind": "schedule_full",
    "alternatives": [
        {"start": "2026-12-03T05:00:00+00:00", "end": "2026-12-03T07:00:00+00:00"},
        {"start": "2026-12-04T01:00:00+00:00", "end": "2026-12-04T03:00:00+00:00"},
    ],
}
SENT_AT = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 2 December in Tarakan (WITA)
KADIS = {"username": "kadis", "name": "Dr. H. Kadis Tarakan, M.Si.", "role": "kadis"}


def final(content: dict[str, Any] = MEETING_CONTENT, signer: Any = KADIS) -> bytes:
    """The letter as sent, from the content and signer as the events store them."""
    return render_letter(
        Draft.from_stored(content),
        office=OFFICE,
        signature=signature_for(OFFICE, content["kind"], Actor.model_validate(signer)),
        number="000.1.2/0001/DKISP",
        letter_date=SENT_AT,
        verification_url="http://portal.test/verifikasi/abc",
    )


def text_of(pdf: bytes) -> str:
    """All text, with whitespace squeezed so that wrapped lines read as one."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_sent_letter_reads_as_an_official_reply() -> None:
    pdf = final()
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    for expected in (
        "PEMERINTAH KOTA TARAKAN",
        "DINAS KOMUNIKASI, INFORMATIKA, STATISTIK DAN PERSANDIAN",
        "000.1.2/0001/DKISP",
        "Tanggapan atas Permohonan Fasilitas Zoom Meeting",
        "Tarakan, 2 Desember 2026",
        "Yth. Kepala Dinas Kesehatan",
        "800/412/DINKES tanggal 27 November 2026",
        "Kamis, 3 Desember 2026",
        "09.00–11.00 WITA",
        "81234567890",
        "Xy7Qa2",
        "Dr. H. Kadis Tarakan, M.Si.",
        "NIP. 197001011995031001",
        "Tembusan",
    ):
        assert expected in text, expected
    assert squeezed(LINK) in squeezed(text)
    assert "KONSEP" not in text
    assert squeezed("http://portal.test/verifikasi/abc") in squeezed(text)


def test_the_draft_is_marked_and_has_no_number_or_signature() -> None:
    pdf = render_letter(
        Draft.from_stored(MEETING_CONTENT),
        office=OFFICE,
        signature=signature_for(OFFICE, "meeting_provided", None),
        draft=True,
    )
    text = text_of(pdf)
    assert "KONSEP" in text
    assert "/0001/" not in text
    assert "belum ditandatangani" in text
    assert "81234567890" in text


def test_an_acting_head_signs_as_plt_without_the_heads_nip() -> None:
    plt = {
        "username": "kabid",
        "name": "Ir. Budi Santoso",
        "role": "kabid",
        "on_behalf_of": "kadis",
    }
    text = text_of(final(signer=plt))
    assert "Plt. Kepala Dinas" in text
    assert "Ir. Budi Santoso" in text
    assert "197001011995031001" not in text


def test_the_schedule_full_reply_offers_the_alternatives_in_wita() -> None:
    sub = {"username": "subko", "name": "Andi Pratama", "role": "subkoordinator"}
    text = text_of(final(FULL_CONTENT, sub))
    assert "telah penuh" in text
    assert "Kamis, 3 Desember 2026, pukul 13.00–15.00 WITA" in text
    assert "Jumat, 4 Desember 2026, pukul 09.00–11.00 WITA" in text
    assert "a.n. Kepala Dinas" in text
    assert "Andi Pratama" in text
    assert "Meeting ID" not in text


def test_the_same_inputs_give_the_same_bytes() -> None:
    assert final() == final()
    assert final() != final(signer={**KADIS, "name": "Orang Lain"})


def test_pdftotext_reads_the_same_letter() -> None:
    binary = shutil.which("pdftotext")
    if binary is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; pypdf checked the text above")
    result = subprocess.run(
        [binary, "-layout", "-", "-"], input=final(), capture_output=True, check=True
    )
    text = result.stdout.decode()
    assert "000.1.2/0001/DKISP" in text
    assert "Tanggapan atas Permohonan Fasilitas Zoom Meeting" in text
    assert "81234567890" in text
    assert squeezed(LINK) in squeezed(text)


EDITED = (
    "Menindaklanjuti surat Saudara, kami sampaikan bahwa Zoom Meeting untuk Rapat Posyandu "
    "telah siap dengan rincian berikut:",
    "Mohon tautan hanya dibagikan kepada peserta & panitia <b>Posyandu</b> > 100 orang.",
    CLOSING,
)


def words_of(pdf: bytes) -> str:
    """The text with every run of whitespace (wrapped lines too) as one space."""
    return " ".join(text_of(pdf).split())


def _edited(body: tuple[str, ...]) -> bytes:
    return render_letter(
        replace(Draft.from_stored(MEETING_CONTENT), body=body),
        office=OFFICE,
        signature=signature_for(OFFICE, "meeting_provided", Actor.model_validate(KADIS)),
        number="000.1.2/0001/DKISP",
        letter_date=SENT_AT,
    )


def test_an_edited_body_is_printed_as_written_with_the_meeting_after_its_colon() -> None:
    text = words_of(_edited(EDITED))
    assert "telah siap dengan rincian berikut:" in text
    assert "peserta & panitia <b>Posyandu</b> > 100 orang." in text
    assert " ".join(MEETING_NOTICE.split()[:6]) not in text  # the generated sentence it replaced
    assert "bersama ini kami sampaikan" not in text
    assert text.index("rincian berikut:") < text.index("81234567890") < text.index("panitia")


def test_pdftotext_reads_the_edited_sentence_and_not_the_replaced_one() -> None:
    binary = shutil.which("pdftotext")
    if binary is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; pypdf checked the text above")
    result = subprocess.run([binary, "-", "-"], input=_edited(EDITED), capture_output=True)
    text = " ".join(result.stdout.decode().split())
    assert result.returncode == 0
    assert "peserta & panitia <b>Posyandu</b> > 100 orang." in text
    assert "bersama ini kami sampaikan" not in text


def test_a_draft_without_a_kept_body_prints_the_generated_wording() -> None:
    """A draft recorded before the body was kept (body None) prints what SIVICON wrote then."""
    old = Draft.from_stored(MEETING_CONTENT)
    assert old.body is None
    written = replace(old, body=default_body(old, OFFICE))
    assert final() == render_letter(
        written,
        office=OFFICE,
        signature=signature_for(OFFICE, "meeting_provided", Actor.model_validate(KADIS)),
        number="000.1.2/0001/DKISP",
        letter_date=SENT_AT,
        verification_url="http://portal.test/verifikasi/abc",
    )
    assert "bersama ini kami sampaikan" in words_of(final())
