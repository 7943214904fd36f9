"""The reply letter (Surat Tanggapan): drafted by the Sub-coordinator (step 7, or step 4's
schedule-full reply; a newer draft replaces an unsent one), its PDF shown to whoever may read it
(the draft marked KONSEP, then the signed one), and signed, numbered and sent by the role that
signs it (Kadis at step 9, the Sub-coordinator on the full branch)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.portal.backend import Refusal
from services.portal.documents import pdf_to_view
from services.portal.signin import CsrfSessionDep, PageRefused, SessionDep
from services.portal.state import BackendDep, PagesDep
from services.portal.step_page import back, case_lock, page, refused
from services.portal.step_view import MEETING_PROVIDED, draft_action

router = APIRouter(include_in_schema=False)


@router.get("/kasus/{case_id}/surat/{letter_id}/pdf")
async def letter_pdf(
    case_id: UUID, letter_id: UUID, session: SessionDep, backend: BackendDep
) -> Response:
    """The reply letter's PDF as the letters service gives it to this user: the draft (marked
    KONSEP) before it is sent, the signed one after."""
    try:
        upstream = await backend.call(session, "GET", "letters", f"/api/v1/letters/{letter_id}/pdf")
    except Refusal as refusal:
        raise PageRefused(refusal.status, refusal.pesan) from None
    return await pdf_to_view(upstream.content, f"surat-{letter_id}.pdf")


@router.post("/kasus/{case_id}/surat/konsep")
async def draft_letter(
    request: Request,
    case_id: UUID,
    session: CsrfSessionDep,
    pages: PagesDep,
    backend: BackendDep,
    seen: Annotated[str, Form(max_length=40)] = "",
    isi: Annotated[str | None, Form()] = None,
) -> Response:
    """Sub-coordinator: draft the reply letter (step 7, or the schedule-full reply of step 4)
    with the body as edited in ``isi`` (paragraphs separated by a blank line); a newer draft
    replaces an unsent one. The letters service checks the text; a refusal keeps the input."""
    async with case_lock(case_id, "surat"):
        status = await backend.get(session, "letters", f"/api/v1/requests/{case_id}/letter-status")
        if (status.get("current_letter_id") or "") != seen or status.get("sent_letter_id"):
            return back(case_id, "sudah-diproses")
        command: dict[str, Any] = {"request_id": str(case_id)}
        if isi is not None:
            command["body"] = paragraphs(isi)
        try:
            await backend.json(session, "POST", "letters", "/api/v1/letters", json=command)
        except Refusal as refusal:
            if refusal.status != 422 or isi is None:
                return await refused(request, case_id, session, pages, refusal)
            kind = status.get("draftable_kind") or MEETING_PROVIDED
            action = await draft_action(
                backend, session, str(case_id), kind, entered=isi, error=refusal.pesan
            )
            return await page(request, case_id, session, pages, status_code=422, action=action)
    return back(case_id, "konsep-dibuat")


def paragraphs(text: str) -> list[str]:
    """The textarea's text as the body's paragraphs: blocks separated by a blank line."""
    blocks = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [block.strip() for block in blocks if block.strip()]


@router.post("/kasus/{case_id}/surat/{letter_id}/kirim")
async def send_letter(
    request: Request,
    case_id: UUID,
    letter_id: UUID,
    session: CsrfSessionDep,
    pages: PagesDep,
    backend: BackendDep,
) -> Response:
    """The signer (Kadis, or the Sub-coordinator for the schedule-full reply): sign, number and
    send the reply to the requesting agency."""
    async with case_lock(case_id, "surat"):
        try:
            await backend.json(session, "POST", "letters", f"/api/v1/letters/{letter_id}/send")
        except Refusal as refusal:
            letter = await backend.get_or_none(session, "letters", f"/api/v1/letters/{letter_id}")
            if letter and letter.get("status") in ("sent", "received"):
                return back(case_id, "sudah-diproses")
            return await refused(request, case_id, session, pages, refusal)
    return back(case_id, "surat-dikirim")
