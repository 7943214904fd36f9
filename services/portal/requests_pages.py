"""The requesting agency's (OPD) pages: its requests, the request form (SOP step 1), and one
request with its case's timeline, the meeting, the reply letter and the buttons of its own steps
(those are in :mod:`requests_actions`, whose routes this router carries).

Every fact comes from the services, asked as the signed-in user: an agency sees only what the
services let it see (another agency's request, letter or PDF is refused by them, and shown here
as a refusal page that says no more than "not found", see :mod:`requests_access`). The form is
checked here first (:mod:`requests_form`); intake checks it again and decides.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal import requests_actions, requests_invite
from services.portal.backend import Backend, Refusal
from services.portal.documents import pdf_to_view
from services.portal.requests_access import opd_only, refused_page, request_id_of
from services.portal.requests_detail import (
    NOTICES,
    back_to,
    detail_of,
    optional,
    render_detail,
    sent_letter_of,
)
from services.portal.requests_form import (
    FORM_FIELDS,
    MAX_PARTICIPANTS,
    TEXT_FIELDS,
    check_form,
    intake_fields,
    key_of,
    new_key,
    refusal_on_fields,
)
from services.portal.requests_status import status_of
from services.portal.sessions import Session
from services.portal.signin import CsrfSessionDep, PageRefused, SessionDep
from services.portal.state import BackendDep, PagesDep, SettingsDep
from services.portal.templating import Pages
from shared.httpapi import size_in_words
from shared.settings import Settings

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


# --------------------------------------------------------------------------- the list


@router.get("/permohonan")
async def request_list(
    request: Request, session: SessionDep, pages: PagesDep, backend: BackendDep, hal: int = 1
) -> Response:
    """The agency's requests, newest first, with what became of each."""
    opd_only(session)
    hal = max(hal, 1)
    try:
        listed = await backend.get(
            session, "intake", "/api/v1/requests", limit=PAGE_SIZE, offset=(hal - 1) * PAGE_SIZE
        )
    except Refusal as refusal:
        raise refused_page(refusal) from None
    problems: list[str] = []
    shown = [item["request_id"] for item in listed["items"]]
    cases = (
        await optional(
            backend.get(session, "disposition", "/api/v1/cases", request_id=shown, limit=PAGE_SIZE),
            problems,
        )
        if shown
        else None
    )
    by_id = {row["case_id"]: row for row in (cases or {}).get("items", [])}
    rows = []
    for item in listed["items"]:
        case = by_id.get(item["request_id"], {})
        status = status_of(
            item["status"],
            item["case_outcome"] or case.get("outcome"),
            case.get("pending_step"),
            case.get("branch"),
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


# --------------------------------------------------------------------------- the form


def _render_form(
    request: Request,
    pages: Pages,
    session: Session,
    settings: Settings,
    values: dict[str, str],
    errors: dict[str, str],
    key: str,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
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
        max_pdf=size_in_words(settings.max_letter_pdf_bytes),
        text_fields=TEXT_FIELDS,
    )


@router.get("/permohonan/baru")
async def request_form(
    request: Request, session: SessionDep, pages: PagesDep, settings: SettingsDep
) -> Response:
    """The request form (SOP step 1)."""
    opd_only(session)
    values = dict.fromkeys(FORM_FIELDS, "")
    return _render_form(request, pages, session, settings, values, {}, new_key())


@router.post("/permohonan/baru")
async def file_request(
    request: Request,
    session: CsrfSessionDep,
    pages: PagesDep,
    settings: SettingsDep,
    backend: BackendDep,
) -> Response:
    """File the request with intake once the form is right; a mistake is shown beside its
    field with the input kept. The form's one-time key makes a double click file it once."""
    opd_only(session)
    form = await request.form()
    key = key_of(form)
    checked = await check_form(
        form,
        datetime.now(UTC),
        ZoneInfo(settings.timezone),
        settings.max_letter_pdf_bytes,
    )
    if checked.errors:
        message = "Permohonan belum diajukan. Perbaiki isian yang ditandai di bawah."
        return _render_form(
            request, pages, session, settings, checked.values, checked.errors, key, message, 422
        )
    assert checked.pdf is not None
    try:
        view = await backend.json(
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
        return _render_form(
            request, pages, session, settings, checked.values, errors, key, message, status
        )
    return back_to(view["request_id"], "diajukan")


# --------------------------------------------------------------------------- one request


@router.get("/permohonan/{request_id}")
async def request_detail(
    request_id: str,
    request: Request,
    session: SessionDep,
    pages: PagesDep,
    backend: BackendDep,
    pesan: str = "",
) -> Response:
    """One request: its facts, its case's timeline, the meeting, the reply letter, the buttons."""
    opd_only(session)
    detail = await detail_of(backend, session, request_id_of(request_id))
    return render_detail(request, pages, session, detail, notice=NOTICES.get(pesan))


async def _pdf(backend: Backend, session: Session, service: str, path: str) -> Response:
    try:
        answer = await backend.call(session, "GET", service, path)
    except Refusal as refusal:
        raise refused_page(refusal) from None
    disposition = answer.headers.get("content-disposition", "")
    named = re.search(r'filename="([^"]+)"', disposition)
    return await pdf_to_view(answer.content, named.group(1) if named else "surat.pdf")


@router.get("/permohonan/{request_id}/surat-permohonan")
async def request_letter_pdf(request_id: str, session: SessionDep, backend: BackendDep) -> Response:
    """The request letter's PDF as it was filed."""
    opd_only(session)
    rid = request_id_of(request_id)
    return await _pdf(backend, session, "intake", f"/api/v1/requests/{rid}/letter")


@router.get("/permohonan/{request_id}/surat-balasan")
async def reply_letter_pdf(request_id: str, session: SessionDep, backend: BackendDep) -> Response:
    """The reply letter (Surat Tanggapan) sent to the agency, as signed."""
    opd_only(session)
    letter = await sent_letter_of(backend, session, request_id_of(request_id))
    if letter is None:
        raise PageRefused(404, "Surat balasan untuk permohonan ini belum dikirim.")
    return await _pdf(backend, session, "letters", f"/api/v1/letters/{letter['letter_id']}/pdf")


router.include_router(requests_actions.router)
router.include_router(requests_invite.router)
