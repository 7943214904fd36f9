"""The requesting agency's (OPD) pages: its requests, the request form, and one request with its
case's timeline, the meeting, the reply letter and the buttons of its own steps (SOP step 1,
step 10, a withdrawal, an alternative time after a "schedule full" reply).

Every fact comes from the services, asked as the signed-in user: an agency sees only what the
services let it see (another agency's request, letter or PDF is refused by them, and shown here
as a refusal page that says no more than "not found"). The form is checked here first, so that
a clerk reads each mistake in Indonesian beside its field and a wrong or oversized file is never
sent on; intake checks it again and decides.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from services.portal.backend import Backend, Refusal
from services.portal.sessions import Session
from services.portal.signin import CsrfSessionDep, PageRefused, PagesDep, SessionDep
from services.portal.templating import Pages
from shared.documents import looks_like_pdf
from shared.settings import Settings
from shared.validation import EMAIL_PATTERN

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
MAX_PARTICIPANTS = 1000  # intake's limit (``participants: Form(ge=1, le=1000)``)
MAX_REASON = 1000  # intake's ``Withdrawal.reason``

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

NOTICES = {
    "diajukan": "Permohonan berhasil diajukan. Nomor agenda tercantum di bawah.",
    "diterima": "Tanda terima surat balasan sudah dicatat. Terima kasih.",
    "dibatalkan": "Permohonan sudah dibatalkan.",
    "alternatif": "Permohonan baru dengan waktu alternatif sudah diajukan.",
    "sudah": "Tindakan ini sudah diproses sebelumnya; berikut keadaan terkini.",
}

_KEY = re.compile(r"^[0-9a-f]{32}$")


# --------------------------------------------------------------------------- status in words


@dataclass(frozen=True)
class Status:
    word: str
    style: str = ""  # a badge class: "done", "late" or none
    note: str = ""


def status_of(
    intake_status: str,
    case_outcome: str | None,
    pending_step: int | None,
    branch: str | None,
) -> Status:
    """What became of a request, in the words an agency uses, from what intake (its status, the
    case's outcome) and disposition (the pending step, the branch of step 4) answer."""
    if intake_status == "withdrawn" or case_outcome == "withdrawn":
        return Status("dibatalkan")
    if case_outcome is not None:  # a case closes with the agency's receipt (step 10)
        full = case_outcome == "schedule_full"
        return Status("diterima", "done", "jadwal penuh" if full else "rapat tersedia")
    if pending_step == 10:
        reply = "jadwal penuh; " if branch == "full" else ""
        return Status("surat balasan terkirim", "", f"{reply}menunggu tanda terima Anda")
    if branch == "full":
        return Status("jadwal penuh", "late")
    if pending_step is not None and pending_step >= 6:
        return Status("rapat tersedia", "done")
    if pending_step is not None and pending_step >= 3:
        return Status("didisposisi")
    return Status("diajukan")


# --------------------------------------------------------------------------- the request form


@dataclass
class Checked:
    """The form as typed (to show it again) and what is wrong with it, by field."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    start: datetime | None = None
    end: datetime | None = None
    pdf: bytes | None = None


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _time(value: str) -> time | None:
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


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
            errors[name] = f"{label} tidak valid."
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
        checked.errors["letter_date"] = "Tanggal surat tidak valid."
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
            f"Berkas terlalu besar: paling besar {_size(limit)}. Perkecil berkas PDF-nya."
        )
    elif not looks_like_pdf(data):
        checked.errors["letter_pdf"] = "Berkas harus PDF (berkas lain tidak diterima)."
    else:
        checked.pdf = data


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f}".replace(".", ",").replace(",0", "") + " MB"
    return f"{count // 1024} KB"


async def check_form(form: FormData, now: datetime, zone: ZoneInfo, limit: int) -> Checked:
    """The request form checked as intake will check it, each mistake said in Indonesian."""
    checked = Checked({name: _text(form, name) for name in FORM_FIELDS})
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
    if refusal.code in ("not_a_pdf", "too_large"):
        errors["letter_pdf"] = refusal.pesan[:1].upper() + refusal.pesan[1:] + "."
    return errors


# --------------------------------------------------------------------------- helpers


def backend_of(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def refused_page(refusal: Refusal) -> PageRefused:
    """A service's refusal to show a record: the same words whether it does not exist or is
    another agency's, so that nothing about other agencies leaks."""
    if refusal.status in (403, 404):
        return PageRefused(
            refusal.status,
            "Permohonan atau dokumen ini tidak ditemukan, atau bukan milik OPD Anda.",
        )
    return PageRefused(refusal.status if refusal.status >= 500 else 502, refusal.pesan)


def _opd_only(session: Session) -> None:
    if session.actor.role != "opd":
        raise PageRefused(403, "Halaman ini untuk OPD pemohon. Buka daftar kasus dari menu.")


async def _optional(coro: Any, problems: list[str]) -> Any:
    """A service's answer that the page can do without: ``None`` when refused or unreachable
    (what went wrong is added to ``problems``, to be shown)."""
    try:
        return await coro
    except Refusal as refusal:
        if refusal.status != 404:
            problems.append(refusal.pesan)
        return None


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --------------------------------------------------------------------------- the list


@router.get("/permohonan")
async def request_list(
    request: Request, session: SessionDep, pages: PagesDep, hal: int = 1
) -> Response:
    """The agency's requests, newest first, with what became of each."""
    _opd_only(session)
    backend = backend_of(request)
    hal = max(hal, 1)
    try:
        listed = await backend.get(
            session, "intake", "/api/v1/requests", limit=PAGE_SIZE, offset=(hal - 1) * PAGE_SIZE
        )
    except Refusal as refusal:
        raise refused_page(refusal) from None
    problems: list[str] = []
    cases = await _optional(
        backend.get(session, "disposition", "/api/v1/cases", limit=500), problems
    )
    by_id = {row["case_id"]: row for row in (cases or {}).get("items", [])}
    branches = await _branches(backend, session, by_id, listed["items"])
    rows = []
    for item in listed["items"]:
        case = by_id.get(item["request_id"], {})
        status = status_of(
            item["status"],
            item["case_outcome"] or case.get("outcome"),
            case.get("pending_step"),
            branches.get(item["request_id"]),
        )
        rows.append({"request": item, "status": status})
    return pages.render(
        request,
        "permohonan/daftar.html",
        session,
        rows=rows,
        total=listed["total"],
        hal=hal,
        pages_count=max(1, -(-listed["total"] // PAGE_SIZE)),
        problems=problems,
    )


async def _branches(
    backend: Backend, session: Session, cases: dict[str, Any], items: list[dict[str, Any]]
) -> dict[str, str | None]:
    """The branch of step 4 of the cases a list row cannot tell apart without it (waiting at
    step 4 or for receipt): full or free."""
    wanted = [
        i["request_id"]
        for i in items
        if cases.get(i["request_id"], {}).get("pending_step") in (4, 10)
    ]
    views = await asyncio.gather(
        *(backend.get_or_none(session, "disposition", f"/api/v1/cases/{rid}") for rid in wanted),
        return_exceptions=True,
    )
    return {
        rid: view.get("branch")
        for rid, view in zip(wanted, views, strict=True)
        if isinstance(view, dict)
    }


# --------------------------------------------------------------------------- the form


def _render_form(
    request: Request,
    pages: Pages,
    session: Session,
    values: dict[str, str],
    errors: dict[str, str],
    key: str,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    settings = settings_of(request)
    zone = ZoneInfo(settings.timezone)
    return pages.render(
        request,
        "permohonan/baru.html",
        session,
        status_code=status_code,
        values=values,
        errors=errors,
        key=key,
        message=message,
        today=datetime.now(UTC).astimezone(zone).date().isoformat(),
        max_participants=MAX_PARTICIPANTS,
        max_pdf=_size(settings.max_letter_pdf_bytes),
        text_fields=TEXT_FIELDS,
    )


@router.get("/permohonan/baru")
async def request_form(request: Request, session: SessionDep, pages: PagesDep) -> Response:
    """The request form (SOP step 1)."""
    _opd_only(session)
    values = dict.fromkeys(FORM_FIELDS, "")
    return _render_form(request, pages, session, values, {}, secrets.token_hex(16))


@router.post("/permohonan/baru")
async def file_request(request: Request, session: CsrfSessionDep, pages: PagesDep) -> Response:
    """File the request with intake once the form is right; a mistake is shown beside its
    field with the input kept. The form's one-time key makes a double click file it once."""
    _opd_only(session)
    settings = settings_of(request)
    form = await request.form()
    key = _text(form, "kunci")
    key = key if _KEY.match(key) else secrets.token_hex(16)
    checked = await check_form(
        form,
        datetime.now(UTC),
        ZoneInfo(settings.timezone),
        settings.max_letter_pdf_bytes,
    )
    if checked.errors:
        message = "Permohonan belum diajukan. Perbaiki isian yang ditandai di bawah."
        return _render_form(
            request, pages, session, checked.values, checked.errors, key, message, 422
        )
    assert checked.pdf is not None
    try:
        view = await backend_of(request).json(
            session,
            "POST",
            "intake",
            "/api/v1/requests",
            data=intake_fields(checked),
            files={"letter_pdf": ("surat-permohonan.pdf", checked.pdf, "application/pdf")},
            headers={"Idempotency-Key": f"portal-{key}"},
        )
    except Refusal as refusal:
        errors = refusal_on_fields(refusal)
        message = (
            "Permohonan belum diajukan. Perbaiki isian yang ditandai di bawah."
            if errors
            else f"Permohonan belum diajukan: {refusal.pesan}."
        )
        status = refusal.status if refusal.status < 500 else 502
        return _render_form(request, pages, session, checked.values, errors, key, message, status)
    return RedirectResponse(f"/permohonan/{view['request_id']}?pesan=diajukan", status_code=303)


# --------------------------------------------------------------------------- one request


async def _request(backend: Backend, session: Session, request_id: UUID) -> dict[str, Any]:
    try:
        view: dict[str, Any] = await backend.get(
            session, "intake", f"/api/v1/requests/{request_id}"
        )
    except Refusal as refusal:
        raise refused_page(refusal) from None
    return view


def _sent_letter(letters: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    sent = [x for x in letters or [] if x.get("status") in ("sent", "received")]
    return sent[-1] if sent else None


async def _detail(backend: Backend, session: Session, request_id: UUID) -> dict[str, Any]:
    """Everything the detail page shows, each fact from the service that holds it."""
    req = await _request(backend, session, request_id)
    problems: list[str] = []
    case, history, letters, listed = await asyncio.gather(
        _optional(backend.get(session, "disposition", f"/api/v1/cases/{request_id}"), problems),
        _optional(
            backend.get(session, "disposition", f"/api/v1/cases/{request_id}/history"), problems
        ),
        _optional(
            backend.get(session, "letters", "/api/v1/letters", request_id=str(request_id)),
            problems,
        ),
        _optional(backend.get(session, "intake", "/api/v1/requests", limit=500), problems),
    )
    letter = _sent_letter(letters)
    meeting = None
    if letter is not None and letter.get("kind") == "meeting_provided":
        scheduled = await _optional(
            backend.get(session, "scheduler", f"/api/v1/meetings/{request_id}"), problems
        )
        meeting = (scheduled or {}).get("meeting") or letter.get("meeting")
    branch = case.get("branch") if case else None
    status = status_of(
        req["status"],
        req["case_outcome"] or (case or {}).get("outcome"),
        (case or {}).get("pending_step"),
        branch,
    )
    return {
        "req": req,
        "case": case,
        "history": history,
        "letter": letter,
        "meeting": meeting,
        "status": status,
        "alternatives": _alternatives(case, letter) if branch == "full" else [],
        "duplicates": _duplicates(req, (listed or {}).get("items", [])),
        "may_withdraw": req["status"] == "submitted" and not (case or {}).get("closed"),
        "problems": problems,
    }


def _alternatives(
    case: dict[str, Any] | None, letter: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The times offered after a "schedule full" reply: the letter's, else the slot check's;
    only those still to come."""
    offered = (
        (letter or {}).get("alternatives")
        or ((case or {}).get("slot_check") or {}).get("alternatives")
        or []
    )
    now = datetime.now(UTC)
    seen: set[tuple[str, str]] = set()
    out = []
    for slot in offered:
        when = (slot["start"], slot["end"])
        start = _moment(slot["start"])
        if when in seen or start is None or start <= now:
            continue
        seen.add(when)
        out.append({"start": slot["start"], "end": slot["end"]})
    return out


def _duplicates(req: dict[str, Any], others: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The agency's other requests filed with the same letter number or the same PDF."""
    number = req["letter"]["number"].strip().casefold()
    sha = req["letter"].get("document_sha256")
    found = []
    for other in others:
        if other["request_id"] == req["request_id"]:
            continue
        same_number = other["letter"]["number"].strip().casefold() == number
        same_pdf = bool(sha) and other["letter"].get("document_sha256") == sha
        if same_number or same_pdf:
            found.append({"row": other, "same_number": same_number, "same_pdf": same_pdf})
    return found


def _render_detail(
    request: Request,
    pages: Pages,
    session: Session,
    detail: dict[str, Any],
    notice: str | None = None,
    error: str | None = None,
    reason: str = "",
    reason_error: str | None = None,
    status_code: int = 200,
) -> Response:
    return pages.render(
        request,
        "permohonan/detail.html",
        session,
        status_code=status_code,
        notice=notice,
        error=error,
        reason=reason,
        reason_error=reason_error,
        max_reason=MAX_REASON,
        **detail,
    )


def _id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise PageRefused(
            404, "Permohonan atau dokumen ini tidak ditemukan, atau bukan milik OPD Anda."
        ) from None


@router.get("/permohonan/{request_id}")
async def request_detail(
    request_id: str,
    request: Request,
    session: SessionDep,
    pages: PagesDep,
    pesan: str = "",
) -> Response:
    """One request: its facts, its case's timeline, the meeting, the reply letter, the buttons."""
    _opd_only(session)
    rid = _id(request_id)
    detail = await _detail(backend_of(request), session, rid)
    return _render_detail(request, pages, session, detail, notice=NOTICES.get(pesan))


async def _pdf(backend: Backend, session: Session, service: str, path: str) -> Response:
    try:
        answer = await backend.call(session, "GET", service, path)
    except Refusal as refusal:
        raise refused_page(refusal) from None
    return Response(
        answer.content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": answer.headers.get("content-disposition", "inline"),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.get("/permohonan/{request_id}/surat-permohonan")
async def request_letter_pdf(request_id: str, request: Request, session: SessionDep) -> Response:
    """The request letter's PDF as it was filed."""
    _opd_only(session)
    rid = _id(request_id)
    return await _pdf(backend_of(request), session, "intake", f"/api/v1/requests/{rid}/letter")


@router.get("/permohonan/{request_id}/surat-balasan")
async def reply_letter_pdf(request_id: str, request: Request, session: SessionDep) -> Response:
    """The reply letter (Surat Tanggapan) sent to the agency, as signed."""
    _opd_only(session)
    rid = _id(request_id)
    backend = backend_of(request)
    try:
        letters = await backend.get(session, "letters", "/api/v1/letters", request_id=str(rid))
    except Refusal as refusal:
        raise refused_page(refusal) from None
    letter = _sent_letter(letters)
    if letter is None:
        raise PageRefused(404, "Surat balasan untuk permohonan ini belum dikirim.")
    return await _pdf(backend, session, "letters", f"/api/v1/letters/{letter['letter_id']}/pdf")


@router.post("/permohonan/{request_id}/terima")
async def acknowledge_receipt(
    request_id: str, request: Request, session: CsrfSessionDep
) -> Response:
    """Acknowledge receipt of the reply letter (SOP step 10)."""
    _opd_only(session)
    rid = _id(request_id)
    backend = backend_of(request)
    try:
        letters = await backend.get(session, "letters", "/api/v1/letters", request_id=str(rid))
    except Refusal as refusal:
        raise refused_page(refusal) from None
    letter = _sent_letter(letters)
    if letter is None:
        raise PageRefused(409, "Belum ada surat balasan yang dapat diterima.")
    if letter["status"] == "received":
        return _back(rid, "sudah")
    try:
        await backend.json(
            session, "POST", "letters", f"/api/v1/letters/{letter['letter_id']}/receipt"
        )
    except Refusal as refusal:
        if refusal.status == 409:  # received meanwhile (a second click): show what is
            return _back(rid, "sudah")
        raise refused_page(refusal) from None
    return _back(rid, "diterima")


def _back(rid: UUID, notice: str) -> Response:
    return RedirectResponse(f"/permohonan/{rid}?pesan={notice}", status_code=303)


@router.post("/permohonan/{request_id}/batalkan")
async def withdraw(
    request_id: str, request: Request, session: CsrfSessionDep, pages: PagesDep
) -> Response:
    """Withdraw the request, with a reason, while its case is open."""
    _opd_only(session)
    rid = _id(request_id)
    backend = backend_of(request)
    reason = _text(await request.form(), "alasan")
    problem = None
    if not reason:
        problem = "Alasan pembatalan wajib diisi."
    elif len(reason) > MAX_REASON:
        problem = f"Alasan pembatalan paling banyak {MAX_REASON} karakter."
    error = None
    if problem is None:
        try:
            await backend.json(
                session,
                "POST",
                "intake",
                f"/api/v1/requests/{rid}/withdraw",
                json={"reason": reason},
            )
        except Refusal as refusal:
            if refusal.status in (403, 404):
                raise refused_page(refusal) from None
            if refusal.code == "invalid_input":
                problem = "Alasan pembatalan tidak diterima; periksa kembali."
            else:  # closed or withdrawn meanwhile: say what happened, show what is
                error = f"Permohonan tidak dibatalkan: {refusal.pesan}."
        else:
            return _back(rid, "dibatalkan")
    detail = await _detail(backend, session, rid)
    return _render_detail(
        request,
        pages,
        session,
        detail,
        error=error,
        reason=reason,
        reason_error=problem,
        status_code=422 if problem else 409,
    )


@router.post("/permohonan/{request_id}/alternatif")
async def accept_alternative(
    request_id: str, request: Request, session: CsrfSessionDep, pages: PagesDep
) -> Response:
    """After a "schedule full" reply, file a new request for one of the offered times with the
    same letter (its PDF fetched from intake) and the same details: nothing retyped. Filed
    twice (a double click), intake answers with the first (same ``Idempotency-Key``)."""
    _opd_only(session)
    rid = _id(request_id)
    backend = backend_of(request)
    choice = _text(await request.form(), "pilihan")
    detail = await _detail(backend, session, rid)
    chosen = next(
        (slot for slot in detail["alternatives"] if f"{slot['start']}|{slot['end']}" == choice),
        None,
    )
    if chosen is None:
        return _render_detail(
            request,
            pages,
            session,
            detail,
            error="Waktu alternatif itu tidak tersedia lagi; pilih salah satu yang tercantum.",
            status_code=409,
        )
    req = detail["req"]
    try:
        pdf = await backend.call(session, "GET", "intake", f"/api/v1/requests/{rid}/letter")
        start = _moment(chosen["start"])
        assert start is not None
        view = await backend.json(
            session,
            "POST",
            "intake",
            "/api/v1/requests",
            data=_alternative_fields(req, chosen),
            files={"letter_pdf": ("surat-permohonan.pdf", pdf.content, "application/pdf")},
            headers={"Idempotency-Key": f"alt-{rid}-{int(start.timestamp())}"},
        )
    except Refusal as refusal:
        return _render_detail(
            request,
            pages,
            session,
            detail,
            error=f"Permohonan dengan waktu alternatif belum diajukan: {refusal.pesan}.",
            status_code=refusal.status if refusal.status < 500 else 502,
        )
    return RedirectResponse(f"/permohonan/{view['request_id']}?pesan=alternatif", status_code=303)


def _alternative_fields(req: dict[str, Any], slot: dict[str, Any]) -> dict[str, str]:
    requester, letter, meeting = req["requester"], req["letter"], req["meeting"]
    note = (
        f"Waktu alternatif yang ditawarkan untuk permohonan nomor agenda {req['agenda_number']} "
        "(jadwal penuh)."
    )
    notes = f"{note}\n{meeting['notes']}".strip() if meeting.get("notes") else note
    return {
        "requester_name": requester["name"],
        "requester_position": requester["position"],
        "requester_phone": requester["phone"],
        "requester_email": requester["email"],
        "letter_number": letter["number"],
        "letter_date": letter["date"],
        "letter_subject": letter["subject"],
        "topic": meeting["topic"],
        "start": slot["start"],
        "end": slot["end"],
        "participants": str(meeting["participants"]),
        "notes": notes[:2000],
    }
