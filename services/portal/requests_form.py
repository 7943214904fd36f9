"""The request form (SOP step 1): reading it and checking it as intake will, each mistake said in
Indonesian beside its field, so that a wrong or oversized file is never sent on (intake checks it
again and decides); then the form as intake takes it, and intake's refusal put back on the form's
fields."""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, UploadFile

from services.portal.backend import Refusal
from shared.httpapi import size_in_words
from shared.pdf_checks import PdfRefused, check_pdf
from shared.validation import EMAIL_PATTERN, FIRST_YEAR, LAST_YEAR

MAX_PARTICIPANTS = 1000  # intake's limit (``participants: Form(ge=1, le=1000)``)

# The form's text fields: name, label, (min, max) length as intake accepts them.
TEXT_FIELDS: dict[str, tuple[str, int, int]] = {
    "topic": ("Topik rapat", 1, 200),
    "requester_name": ("Nama narahubung", 1, 200),
    "requester_position": ("Jabatan narahubung", 1, 200),
    "requester_phone": ("Nomor telepon narahubung", 4, 40),
    "requester_email": ("Surel narahubung", 3, 200),
    "letter_number": ("Nomor surat permohonan", 1, 100),
    "letter_subject": ("Perihal surat", 1, 300),
    "notes": ("Catatan", 0, 2000),
}
FORM_FIELDS = (
    *TEXT_FIELDS,
    "meeting_date",
    "start_time",
    "end_time",
    "participants",
    "letter_date",
)

# Where intake's answer names a field, which field of the form it is.
INTAKE_FIELDS = {
    "meeting.start": "start_time",
    "meeting.end": "end_time",
    "start": "start_time",
    "end": "end_time",
    "letter_pdf": "letter_pdf",
    "letter_date": "letter_date",
    "participants": "participants",
    **{name: name for name in TEXT_FIELDS},
}
INTAKE_MESSAGES = {
    "lies in the past": "Waktu rapat sudah lewat.",
    "must be after meeting.start": "Jam selesai harus setelah jam mulai.",
    "a meeting lasts at most 24 h": "Rapat paling lama 24 jam.",
}


@dataclass
class Checked:
    """The form as typed (to show it again) and what is wrong with it, by field."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    start: datetime | None = None
    end: datetime | None = None
    pdf: bytes | None = None


def text_of(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# The form's one-time key (its ``Idempotency-Key`` at intake): a double click files it once.
_KEY = re.compile(r"^[0-9a-f]{32}$")


def new_key() -> str:
    return secrets.token_hex(16)


def key_of(form: FormData) -> str:
    """The key the form was served with, or a new one if it came back missing or altered."""
    key = text_of(form, "kunci")
    return key if _KEY.match(key) else new_key()


def _date(value: str) -> date | None:
    """The typed date, or ``None`` when it is none or lies outside the years SIVICON takes."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def _time(value: str) -> time | None:
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


_BAD_DATE = f"Tanggal rapat tidak valid: isi tanggal dalam tahun {FIRST_YEAR} sampai {LAST_YEAR}."


def _check_texts(checked: Checked) -> None:
    for name, (label, shortest, longest) in TEXT_FIELDS.items():
        value = checked.values[name]
        if shortest and not value:
            checked.errors[name] = f"{label} wajib diisi."
        elif len(value) < shortest:
            checked.errors[name] = f"{label} paling sedikit {shortest} karakter."
        elif len(value) > longest:
            checked.errors[name] = f"{label} paling banyak {longest} karakter."
    email = checked.values["requester_email"]
    if "requester_email" not in checked.errors and not re.match(EMAIL_PATTERN, email):
        checked.errors["requester_email"] = (
            "Alamat surel tidak valid, contoh: nama@tarakankota.go.id."
        )


def _check_participants(checked: Checked) -> None:
    raw = checked.values["participants"]
    if not raw:
        checked.errors["participants"] = "Perkiraan jumlah peserta wajib diisi."
    elif not raw.isdigit() or not 1 <= int(raw) <= MAX_PARTICIPANTS:
        checked.errors["participants"] = (
            f"Jumlah peserta harus bilangan bulat dari 1 sampai {MAX_PARTICIPANTS}."
        )


def _check_times(checked: Checked, now: datetime, zone: ZoneInfo) -> None:
    values, errors = checked.values, checked.errors
    day, start, end = (
        _date(values["meeting_date"]),
        _time(values["start_time"]),
        _time(values["end_time"]),
    )
    for name, parsed, label in (
        ("meeting_date", day, "Tanggal rapat"),
        ("start_time", start, "Jam mulai"),
        ("end_time", end, "Jam selesai"),
    ):
        if not values[name]:
            errors[name] = f"{label} wajib diisi."
        elif parsed is None:
            errors[name] = f"{label} tidak valid." if name != "meeting_date" else _BAD_DATE
    if day is None or start is None or end is None:
        return
    checked.start = datetime.combine(day, start, zone)
    checked.end = datetime.combine(day, end, zone)
    if day < now.astimezone(zone).date():
        errors["meeting_date"] = "Tanggal rapat sudah lewat; pilih hari ini atau sesudahnya."
    elif checked.start < now:
        errors["start_time"] = "Jam mulai sudah lewat; pilih jam yang akan datang."
    if checked.end <= checked.start:
        errors["end_time"] = "Jam selesai harus setelah jam mulai."


def _check_letter_date(checked: Checked, now: datetime, zone: ZoneInfo) -> None:
    raw = checked.values["letter_date"]
    day = _date(raw)
    if not raw:
        checked.errors["letter_date"] = "Tanggal surat wajib diisi."
    elif day is None:
        checked.errors["letter_date"] = _BAD_DATE.replace("Tanggal rapat", "Tanggal surat")
    elif day > now.astimezone(zone).date():
        checked.errors["letter_date"] = "Tanggal surat tidak boleh setelah hari ini."


async def _check_pdf(checked: Checked, upload: Any, limit: int) -> None:
    if not isinstance(upload, UploadFile) or not upload.filename:
        checked.errors["letter_pdf"] = "Berkas PDF surat permohonan wajib diunggah."
        return
    data = await upload.read(limit + 1)
    if not data:
        checked.errors["letter_pdf"] = "Berkas yang diunggah kosong."
    elif len(data) > limit:
        checked.errors["letter_pdf"] = (
            f"Berkas terlalu besar: paling besar {size_in_words(limit)}. Perkecil berkas PDF-nya."
        )
    else:
        try:
            await asyncio.to_thread(check_pdf, data)
        except PdfRefused as refused:
            checked.errors["letter_pdf"] = refused.pesan[:1].upper() + refused.pesan[1:] + "."
        else:
            checked.pdf = data


async def check_form(form: FormData, now: datetime, zone: ZoneInfo, limit: int) -> Checked:
    """The request form checked as intake will check it, each mistake said in Indonesian."""
    checked = Checked({name: text_of(form, name) for name in FORM_FIELDS})
    _check_texts(checked)
    _check_participants(checked)
    _check_times(checked, now, zone)
    _check_letter_date(checked, now, zone)
    await _check_pdf(checked, form.get("letter_pdf"), limit)
    return checked


def intake_fields(checked: Checked) -> dict[str, str]:
    """The form as intake's ``POST /api/v1/requests`` takes it."""
    values = checked.values
    assert checked.start is not None
    assert checked.end is not None
    fields = {name: values[name] for name in TEXT_FIELDS}
    return {
        **fields,
        "letter_date": values["letter_date"],
        "start": checked.start.isoformat(),
        "end": checked.end.isoformat(),
        "participants": values["participants"],
    }


def refusal_on_fields(refusal: Refusal) -> dict[str, str]:
    """Intake's refusal, each field at fault named as the form names it, in Indonesian."""
    errors: dict[str, str] = {}
    for name, message in refusal.fields.items():
        target = INTAKE_FIELDS.get(name)
        if target is not None:
            errors[target] = INTAKE_MESSAGES.get(
                message, "Isian ini tidak diterima oleh layanan permohonan; periksa kembali."
            )
    if refusal.code in ("not_a_pdf", "pdf_has_javascript", "pdf_has_embedded_files", "too_large"):
        errors["letter_pdf"] = refusal.pesan[:1].upper() + refusal.pesan[1:] + "."
    return errors
