"""One request as its agency sees it: the request, its case and timeline, the reply letter, the
meeting, the times offered after a "schedule full" reply and the agency's other requests filed
with the same letter (intake finds them); each fact from the service that holds it, asked as the
signed-in user. A service the page can do without that refuses or is unreachable leaves a gap and
a note, not an error page."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from services.portal.backend import Backend, Refusal
from services.portal.requests_access import refused_page
from services.portal.requests_status import status_of
from services.portal.sessions import Session
from services.portal.templating import Pages

MAX_REASON = 1000  # intake's ``Withdrawal.reason``: the withdrawal form on this page

# What the page says on arriving from an action (``?pesan=...``).
NOTICES = {
    "diajukan": "Permohonan berhasil diajukan. Nomor agenda tercantum di bawah.",
    "diterima": "Tanda terima surat balasan sudah dicatat. Terima kasih.",
    "dibatalkan": "Permohonan sudah dibatalkan.",
    "alternatif": "Permohonan baru dengan waktu alternatif sudah diajukan.",
    "sudah": "Tindakan ini sudah diproses sebelumnya; berikut keadaan terkini.",
}


def back_to(request_id: UUID | str, notice: str) -> Response:
    """After an action (POST-redirect-GET): the request's page, saying what was done."""
    return RedirectResponse(f"/permohonan/{request_id}?pesan={notice}", status_code=303)


async def optional(coro: Any, problems: list[str]) -> Any:
    """A service's answer that the page can do without: ``None`` when refused or unreachable
    (what went wrong is added to ``problems``, to be shown)."""
    try:
        return await coro
    except Refusal as refusal:
        if refusal.status != 404:
            problems.append(refusal.pesan)
        return None


def moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


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


async def sent_letter_of(
    backend: Backend, session: Session, request_id: UUID
) -> dict[str, Any] | None:
    """The reply letter sent for the request (or received already), if any."""
    try:
        letters = await backend.get(
            session, "letters", "/api/v1/letters", request_id=str(request_id)
        )
    except Refusal as refusal:
        raise refused_page(refusal) from None
    return _sent_letter(letters)


async def detail_of(backend: Backend, session: Session, request_id: UUID) -> dict[str, Any]:
    """Everything the detail page shows, each fact from the service that holds it."""
    req = await _request(backend, session, request_id)
    problems: list[str] = []
    case, history, letters, duplicates = await asyncio.gather(
        optional(backend.get(session, "disposition", f"/api/v1/cases/{request_id}"), problems),
        optional(
            backend.get(session, "disposition", f"/api/v1/cases/{request_id}/history"), problems
        ),
        optional(
            backend.get(session, "letters", "/api/v1/letters", request_id=str(request_id)),
            problems,
        ),
        optional(
            backend.get(session, "intake", f"/api/v1/requests/{request_id}/duplicates"), problems
        ),
    )
    letter = _sent_letter(letters)
    meeting = None
    if letter is not None and letter.get("kind") == "meeting_provided":
        scheduled = await optional(
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
        "duplicates": duplicates or [],
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
        start = moment(slot["start"])
        if when in seen or start is None or start <= now:
            continue
        seen.add(when)
        out.append({"start": slot["start"], "end": slot["end"]})
    return out


def render_detail(
    request: Request,
    pages: Pages,
    session: Session,
    detail: dict[str, Any],
    status_code: int = 200,
    **shown: Any,
) -> Response:
    """The detail page; ``shown``: a ``notice`` or an ``error``, and the withdrawal form's
    ``reason`` and ``reason_error`` when it comes back refused."""
    return pages.render(
        request,
        "permohonan/detail.html",
        session,
        status_code=status_code,
        max_reason=MAX_REASON,
        **detail,
        **shown,
    )
