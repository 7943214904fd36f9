"""The agency's own steps on its request page, each a form that posts and comes back to the page
(POST-redirect-GET): acknowledging receipt of the reply letter (SOP step 10), withdrawing the
request with a reason, and, after a "schedule full" reply, filing it again for an offered time.
A second click is never acted on twice: the services refuse or answer with the first, and the
page then says "sudah diproses" with the request as it stands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.portal.backend import Backend, Refusal
from services.portal.requests_access import opd_only, refused_page, request_id_of
from services.portal.requests_detail import (
    MAX_REASON,
    back_to,
    detail_of,
    moment,
    render_detail,
    sent_letter_of,
)
from services.portal.requests_form import text_of
from services.portal.sessions import Session
from services.portal.signin import CsrfSessionDep, PageRefused
from services.portal.state import BackendDep, PagesDep
from services.portal.templating import Pages

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Action:
    """An agency's action on one of its requests: the form posted, by whom, on which request."""

    request: Request
    session: Session
    pages: Pages
    backend: Backend
    request_id: UUID

    async def field(self, name: str) -> str:
        return text_of(await self.request.form(), name)

    def show(self, detail: dict[str, Any], status_code: int, **shown: Any) -> Response:
        """The request's page again, saying why the action was not carried out."""
        return render_detail(
            self.request, self.pages, self.session, detail, status_code=status_code, **shown
        )


async def action_on(
    request_id: str,
    request: Request,
    session: CsrfSessionDep,
    pages: PagesDep,
    backend: BackendDep,
) -> Action:
    """Only an OPD acts here (the CSRF token checked first), on a request named by its ID."""
    opd_only(session)
    return Action(request, session, pages, backend, request_id_of(request_id))


ActionDep = Annotated[Action, Depends(action_on)]


@router.post("/permohonan/{request_id}/terima")
async def acknowledge_receipt(action: ActionDep) -> Response:
    """Acknowledge receipt of the reply letter (SOP step 10)."""
    rid, backend, session = action.request_id, action.backend, action.session
    letter = await sent_letter_of(backend, session, rid)
    if letter is None:
        raise PageRefused(409, "Belum ada surat balasan yang dapat diterima.")
    if letter["status"] == "received":
        return back_to(rid, "sudah")
    try:
        await backend.json(
            session, "POST", "letters", f"/api/v1/letters/{letter['letter_id']}/receipt"
        )
    except Refusal as refusal:
        if refusal.status == 409:  # received meanwhile (a second click): show what is
            return back_to(rid, "sudah")
        raise refused_page(refusal) from None
    return back_to(rid, "diterima")


def _reason_problem(reason: str) -> str | None:
    if not reason:
        return "Alasan pembatalan wajib diisi."
    if len(reason) > MAX_REASON:
        return f"Alasan pembatalan paling banyak {MAX_REASON} karakter."
    return None


@router.post("/permohonan/{request_id}/batalkan")
async def withdraw(action: ActionDep) -> Response:
    """Withdraw the request, with a reason, while its case is open."""
    rid, backend, session = action.request_id, action.backend, action.session
    reason = await action.field("alasan")
    problem = _reason_problem(reason)
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
            return back_to(rid, "dibatalkan")
    detail = await detail_of(backend, session, rid)
    status_code = 422 if problem else 409
    return action.show(detail, status_code, error=error, reason=reason, reason_error=problem)


@router.post("/permohonan/{request_id}/alternatif")
async def accept_alternative(action: ActionDep) -> Response:
    """After a "schedule full" reply, file a new request for one of the offered times with the
    same letter (its PDF fetched from intake) and the same details: nothing retyped. Filed
    twice (a double click), intake answers with the first (same ``Idempotency-Key``)."""
    rid, backend, session = action.request_id, action.backend, action.session
    choice = await action.field("pilihan")
    detail = await detail_of(backend, session, rid)
    chosen = next(
        (slot for slot in detail["alternatives"] if f"{slot['start']}|{slot['end']}" == choice),
        None,
    )
    if chosen is None:
        gone = "Waktu alternatif itu tidak tersedia lagi; pilih salah satu yang tercantum."
        return action.show(detail, 409, error=gone)
    try:
        pdf = await backend.call(session, "GET", "intake", f"/api/v1/requests/{rid}/letter")
        start = moment(chosen["start"])
        assert start is not None
        view = await backend.json(
            session,
            "POST",
            "intake",
            "/api/v1/requests",
            data=_alternative_fields(detail["req"], chosen),
            files={"letter_pdf": ("surat-permohonan.pdf", pdf.content, "application/pdf")},
            headers={"Idempotency-Key": f"alt-{rid}-{int(start.timestamp())}"},
        )
    except Refusal as refusal:
        return action.show(
            detail,
            refusal.status if refusal.status < 500 else 502,
            error=f"Permohonan dengan waktu alternatif belum diajukan: {refusal.pesan}.",
        )
    return back_to(view["request_id"], "alternatif")


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
