"""The case page's actions that are not dispositions: the staff's Zoom meeting (SOP step 5, or
entered by hand when Zoom fails), the reply letter drafted by the Sub-coordinator (step 7, or
step 4's schedule-full reply), shown to Kabid for review (step 8), and signed and sent by the
role that signs it (Kadis at step 9, the Sub-coordinator on the full branch).

The case page asks :func:`step_action` which partial (under ``templates/kasus/aksi/``) to show
for the signed-in user, with its context. The forms post here; each answer is a redirect back to
the case with a fixed notice key (:data:`NOTICES`), never text from the request. The services
decide: a click that arrives after its step was done (a double click, a second tab) is answered
"sudah diproses" with the case as it now stands, never with an error page.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.backend import Backend, Refusal
from services.portal.sessions import Session
from services.portal.signin import CsrfSessionDep, PageRefused, PagesDep, SessionDep
from services.portal.templating import Pages
from shared.roles import effective_role

router = APIRouter(include_in_schema=False)

MEETING_PROVIDED, SCHEDULE_FULL = "meeting_provided", "schedule_full"
SIGNER = {MEETING_PROVIDED: "kadis", SCHEDULE_FULL: "subkoordinator"}

NOTICES = {
    "rapat-dibuat": "Rapat Zoom sudah dibuat. Laporkan ID Meeting, kata sandi dan tautan "
    "kepada Subkoordinator.",
    "rapat-dicatat": "Rapat yang dibuat langsung di Zoom sudah dicatat. Laporkan ID Meeting, "
    "kata sandi dan tautan kepada Subkoordinator.",
    "konsep-dibuat": "Konsep surat tanggapan sudah dibuat. Periksa pratinjaunya.",
    "surat-dikirim": "Surat tanggapan sudah ditandatangani, diberi nomor dan dikirim kepada "
    "OPD pemohon.",
    "sudah-diproses": "Langkah ini sudah diproses sebelumnya (mungkin tombolnya tertekan dua "
    "kali atau dikerjakan di tab lain). Berikut keadaan kasus saat ini.",
}


def notice_text(key: str | None) -> str | None:
    """The Indonesian text of a notice key from ``?pesan=``; unknown keys show nothing."""
    return NOTICES.get(key or "")


# One action per case at a time in this process: a double click's second request waits for the
# first, then finds its step done instead of doing it again.
_locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)


def _backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def _back(case_id: UUID, pesan: str) -> RedirectResponse:
    return RedirectResponse(f"/kasus/{case_id}?pesan={pesan}", status_code=303)


# ---------------------------------------------------------------------- what the page shows


async def step_action(
    backend: Backend, session: Session, case: dict[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    """The partial to include on the case page for this user now, with its context (``action``);
    None when this user has no such action on the case now. A service that cannot answer is
    said in the partial: the rest of the case page still shows."""
    try:
        return await _step_action(backend, session, case)
    except Refusal as refusal:
        template = "kasus/aksi/tidak_tersedia.html"
        return template, {"template": template, "pesan": refusal.pesan}


async def _step_action(
    backend: Backend, session: Session, case: dict[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    if case.get("closed"):
        return None
    role, step = effective_role(session.actor), case.get("pending_step")
    sent = (case.get("letter") or {}).get("sent")
    if sent and role == SIGNER[sent["kind"]]:
        return await _sent_in_view(backend, session, str(case["case_id"]), sent["letter_id"])
    if case.get("current_role") != role:
        return None
    case_id = str(case["case_id"])
    if step == 5 and role == "staf":
        return await _meeting_action(backend, session, case_id)
    if step == 7 and role == "subkoordinator":
        return await _draft_action(backend, session, case_id, MEETING_PROVIDED)
    if step == 4 and case.get("branch") == "full" and role == "subkoordinator":
        return await _draft_action(backend, session, case_id, SCHEDULE_FULL)
    if step == 8 and role == "kabid":
        return await _letter_in_view(backend, session, case, "kasus/aksi/tinjau.html")
    if step == 9 and role == "kadis":
        return await _letter_in_view(backend, session, case, "kasus/aksi/tanda_tangan.html")
    return None


async def _meeting_action(
    backend: Backend,
    session: Session,
    case_id: str,
    *,
    error: str | None = None,
    entered: dict[str, str] | None = None,
    field_errors: dict[str, str] | None = None,
) -> tuple[str, dict[str, Any]]:
    template = "kasus/aksi/rapat.html"
    record = await backend.get_or_none(session, "scheduler", f"/api/v1/meetings/{case_id}")
    return template, {
        "template": template,
        "case_id": case_id,
        "record": record,
        "meeting": (record or {}).get("meeting"),
        "error": error,
        "entered": entered or {"meeting_id": "", "passcode": "", "join_url": ""},
        "field_errors": field_errors or {},
        "manual_open": bool(error or field_errors),
    }


async def _current_draft(
    backend: Backend, session: Session, status: dict[str, Any]
) -> dict[str, Any] | None:
    letter_id = status.get("current_letter_id")
    if not letter_id:
        return None
    letter: dict[str, Any] | None = await backend.get_or_none(
        session, "letters", f"/api/v1/letters/{letter_id}"
    )
    return letter if letter and letter["status"] == "draft" else None


async def _draft_action(
    backend: Backend, session: Session, case_id: str, kind: str
) -> tuple[str, dict[str, Any]] | None:
    status = await backend.get_or_none(
        session, "letters", f"/api/v1/requests/{case_id}/letter-status"
    )
    if status is None or status.get("sent_letter_id"):
        return None
    if kind == SCHEDULE_FULL and not status.get("full_reply_allowed"):
        return None  # first the disposition to the OPD (step 4), on the disposition form
    template = "kasus/aksi/konsep.html"
    return template, {
        "template": template,
        "case_id": case_id,
        "kind": kind,
        "status": status,
        "letter": await _current_draft(backend, session, status),
        # Which draft the page showed: a second click finds another one and drafts nothing.
        "seen": status.get("current_letter_id") or "",
        "may_draft": status.get("draftable_kind") == kind,
        "signs_here": kind == SCHEDULE_FULL,
    }


async def _letter_in_view(
    backend: Backend, session: Session, case: dict[str, Any], template: str
) -> tuple[str, dict[str, Any]] | None:
    case_id = str(case["case_id"])
    letter_id = (case.get("letter") or {}).get("forwarded_letter_id")
    if not letter_id:
        status = await backend.get_or_none(
            session, "letters", f"/api/v1/requests/{case_id}/letter-status"
        )
        letter_id = (status or {}).get("current_letter_id")
    if not letter_id:
        return None
    letter = await backend.get_or_none(session, "letters", f"/api/v1/letters/{letter_id}")
    if letter is None:
        return None
    return template, {"template": template, "case_id": case_id, "letter": letter}


async def _sent_in_view(
    backend: Backend, session: Session, case_id: str, letter_id: str
) -> tuple[str, dict[str, Any]] | None:
    """The signer's letter as sent (number, signature) until the agency acknowledges it."""
    letter = await backend.get_or_none(session, "letters", f"/api/v1/letters/{letter_id}")
    if letter is None:
        return None
    template = "kasus/aksi/terkirim.html"
    return template, {"template": template, "case_id": case_id, "letter": letter}


# ---------------------------------------------------------------------- the PDF in view


@router.get("/kasus/{case_id}/surat/{letter_id}/pdf")
async def letter_pdf(
    request: Request, case_id: UUID, letter_id: UUID, session: SessionDep
) -> Response:
    """The reply letter's PDF as the letters service gives it to this user: the draft (marked
    KONSEP) before it is sent, the signed one after."""
    try:
        upstream = await _backend(request).call(
            session, "GET", "letters", f"/api/v1/letters/{letter_id}/pdf"
        )
    except Refusal as refusal:
        raise PageRefused(refusal.status, refusal.pesan) from None
    name = re.sub(r"[^A-Za-z0-9._-]", "-", f"surat-{letter_id}.pdf")
    return Response(
        upstream.content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# ---------------------------------------------------------------------- the actions


@router.get("/kasus/{case_id}/langkah")
async def action_page(
    request: Request, case_id: UUID, session: SessionDep, pages: PagesDep, pesan: str = ""
) -> Response:
    """The user's step action on a page of its own (also where a refused action is shown)."""
    return await _page(request, case_id, session, pages, notice=notice_text(pesan))


async def _page(
    request: Request,
    case_id: UUID,
    session: Session,
    pages: Pages,
    *,
    status_code: int = 200,
    notice: str | None = None,
    warning: str | None = None,
    action: tuple[str, dict[str, Any]] | None = None,
) -> Response:
    backend = _backend(request)
    case = await backend.get(session, "disposition", f"/api/v1/cases/{case_id}")
    if action is None:
        action = await step_action(backend, session, case)
    template, context = action if action else (None, None)
    return pages.render(
        request,
        "kasus/aksi/halaman.html",
        session,
        status_code=status_code,
        case=case,
        action_template=template,
        action=context,
        notice=notice,
        warning=warning,
    )


async def _refused(
    request: Request, case_id: UUID, session: Session, pages: Pages, refusal: Refusal
) -> Response:
    """What the service said, with the case as it now stands (not an error page)."""
    return await _page(
        request, case_id, session, pages, status_code=refusal.status, warning=refusal.pesan
    )


@router.post("/kasus/{case_id}/rapat")
async def create_meeting(
    request: Request, case_id: UUID, session: CsrfSessionDep, pages: PagesDep
) -> Response:
    """Staff: create the request's meeting through Zoom (SOP step 5)."""
    return await _create_meeting(request, case_id, session, pages, None)


_MEETING_ID = re.compile(r"^\d[\d ]{8,13}$")
_JOIN_URL = re.compile(r"^https://\S+$")


def _manual_errors(entered: dict[str, str]) -> dict[str, str]:
    errors = {}
    if not _MEETING_ID.match(entered["meeting_id"]):
        errors["meeting_id"] = "ID Meeting terdiri atas 9 sampai 14 angka (boleh dengan spasi)."
    if not 1 <= len(entered["passcode"]) <= 10:
        errors["passcode"] = "Isi kata sandi (passcode) rapat, paling banyak 10 karakter."
    if len(entered["join_url"]) > 500 or not _JOIN_URL.match(entered["join_url"]):
        errors["join_url"] = "Isi tautan rapat lengkap yang diawali https:// tanpa spasi."
    return errors


@router.post("/kasus/{case_id}/rapat/manual")
async def enter_meeting(
    request: Request,
    case_id: UUID,
    session: CsrfSessionDep,
    pages: PagesDep,
    meeting_id: Annotated[str, Form(max_length=40)] = "",
    passcode: Annotated[str, Form(max_length=40)] = "",
    join_url: Annotated[str, Form(max_length=600)] = "",
) -> Response:
    """Staff: record a meeting made by hand in Zoom when SIVICON could not reach Zoom."""
    entered = {
        "meeting_id": meeting_id.strip(),
        "passcode": passcode.strip(),
        "join_url": join_url.strip(),
    }
    errors = _manual_errors(entered)
    if errors:
        action = await _meeting_action(
            _backend(request), session, str(case_id), entered=entered, field_errors=errors
        )
        return await _page(request, case_id, session, pages, status_code=422, action=action)
    return await _create_meeting(request, case_id, session, pages, entered)


async def _create_meeting(
    request: Request,
    case_id: UUID,
    session: Session,
    pages: Pages,
    entered: dict[str, str] | None,
) -> Response:
    backend = _backend(request)
    async with _locks[(str(case_id), "rapat")]:
        try:
            await backend.json(
                session,
                "POST",
                "scheduler",
                "/api/v1/meetings",
                json={"request_id": str(case_id), **(entered or {})},
            )
        except Refusal as refusal:
            record = await backend.get_or_none(session, "scheduler", f"/api/v1/meetings/{case_id}")
            if record and record.get("meeting"):
                return _back(case_id, "sudah-diproses")
            if refusal.status in (403, 404, 409):
                return await _refused(request, case_id, session, pages, refusal)
            # Zoom failed (or refused the input): the error in view, and the form to enter by hand.
            action = await _meeting_action(
                backend, session, str(case_id), error=refusal.pesan, entered=entered
            )
            return await _page(
                request, case_id, session, pages, status_code=refusal.status, action=action
            )
    return _back(case_id, "rapat-dicatat" if entered else "rapat-dibuat")


@router.post("/kasus/{case_id}/surat/konsep")
async def draft_letter(
    request: Request,
    case_id: UUID,
    session: CsrfSessionDep,
    pages: PagesDep,
    seen: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Sub-coordinator: draft the reply letter (step 7, or the schedule-full reply of step 4);
    a newer draft replaces an unsent one."""
    backend = _backend(request)
    async with _locks[(str(case_id), "surat")]:
        status = await backend.get(session, "letters", f"/api/v1/requests/{case_id}/letter-status")
        if (status.get("current_letter_id") or "") != seen or status.get("sent_letter_id"):
            return _back(case_id, "sudah-diproses")
        try:
            await backend.json(
                session, "POST", "letters", "/api/v1/letters", json={"request_id": str(case_id)}
            )
        except Refusal as refusal:
            return await _refused(request, case_id, session, pages, refusal)
    return _back(case_id, "konsep-dibuat")


@router.post("/kasus/{case_id}/surat/{letter_id}/kirim")
async def send_letter(
    request: Request, case_id: UUID, letter_id: UUID, session: CsrfSessionDep, pages: PagesDep
) -> Response:
    """The signer (Kadis, or the Sub-coordinator for the schedule-full reply): sign, number and
    send the reply to the requesting agency."""
    backend = _backend(request)
    async with _locks[(str(case_id), "surat")]:
        try:
            await backend.json(session, "POST", "letters", f"/api/v1/letters/{letter_id}/send")
        except Refusal as refusal:
            letter = await backend.get_or_none(session, "letters", f"/api/v1/letters/{letter_id}")
            if letter and letter.get("status") in ("sent", "received"):
                return _back(case_id, "sudah-diproses")
            return await _refused(request, case_id, session, pages, refusal)
    return _back(case_id, "surat-dikirim")
