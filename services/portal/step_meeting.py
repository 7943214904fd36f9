"""Staff's meeting (SOP step 5): created through Zoom by SIVICON, or, when Zoom fails, made by
hand in Zoom and entered here (its ID, passcode and join link, checked before the scheduler is
asked). Zoom's failure is shown beside the form to enter the meeting by hand."""

from __future__ import annotations

import re
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.portal.backend import Refusal
from services.portal.sessions import Session
from services.portal.signin import CsrfSessionDep
from services.portal.state import PagesDep, backend_of
from services.portal.step_page import back, case_lock, page, refused
from services.portal.step_view import meeting_action
from services.portal.templating import Pages

router = APIRouter(include_in_schema=False)

_MEETING_ID = re.compile(r"^\d[\d ]{8,13}$")
_JOIN_URL = re.compile(r"^https://\S+$")


@router.post("/kasus/{case_id}/rapat")
async def create_meeting(
    request: Request, case_id: UUID, session: CsrfSessionDep, pages: PagesDep
) -> Response:
    """Staff: create the request's meeting through Zoom (SOP step 5)."""
    return await _create_meeting(request, case_id, session, pages, None)


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
        action = await meeting_action(
            backend_of(request), session, str(case_id), entered=entered, field_errors=errors
        )
        return await page(request, case_id, session, pages, status_code=422, action=action)
    return await _create_meeting(request, case_id, session, pages, entered)


async def _create_meeting(
    request: Request,
    case_id: UUID,
    session: Session,
    pages: Pages,
    entered: dict[str, str] | None,
) -> Response:
    backend = backend_of(request)
    async with case_lock(case_id, "rapat"):
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
                return back(case_id, "sudah-diproses")
            if refusal.status in (403, 404, 409):
                return await refused(request, case_id, session, pages, refusal)
            # Zoom failed (or refused the input): the error in view, and the form to enter by hand.
            action = await meeting_action(
                backend, session, str(case_id), error=refusal.pesan, entered=entered
            )
            return await page(
                request, case_id, session, pages, status_code=refusal.status, action=action
            )
    return back(case_id, "rapat-dicatat" if entered else "rapat-dibuat")
