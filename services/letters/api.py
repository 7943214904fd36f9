"""HTTP API of the letters service: draft, send, receipt, read, verify."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from services.letters.application import LettersApplication
from shared.httpapi import CurrentActor

router = APIRouter(prefix="/api/v1", tags=["letters"])


def get_app(request: Request) -> LettersApplication:
    application: LettersApplication = request.app.state.application
    return application


AppDep = Annotated[LettersApplication, Depends(get_app)]


class DraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: UUID


@router.post("/letters", status_code=201)
def draft_letter(body: DraftRequest, actor: CurrentActor, app: AppDep) -> dict[str, Any]:
    """Draft the reply letter (Surat Tanggapan) for a request; Sub-coordinator only (step 7)."""
    return app.draft(body.request_id, actor.model_dump())


@router.post("/letters/{letter_id}/send")
def send_letter(letter_id: UUID, actor: CurrentActor, app: AppDep) -> dict[str, Any]:
    """Sign, number and send the letter: Kadis after step 8, or the Sub-coordinator (full)."""
    return app.send(letter_id, actor.model_dump())


@router.post("/letters/{letter_id}/receipt")
def acknowledge_receipt(letter_id: UUID, actor: CurrentActor, app: AppDep) -> dict[str, Any]:
    """The addressed agency acknowledges receipt of the sent letter (step 10)."""
    return app.receive(letter_id, actor.model_dump())


@router.get("/letters")
def list_letters(
    actor: CurrentActor, app: AppDep, request_id: Annotated[UUID, Query()]
) -> list[dict[str, Any]]:
    """The letters drafted for a request, oldest first (an agency sees only its sent ones)."""
    return app.letters_of(request_id, actor.model_dump())


@router.get("/letters/{letter_id}")
def get_letter(letter_id: UUID, actor: CurrentActor, app: AppDep) -> dict[str, Any]:
    """One letter's metadata: kind, status, number, signer, hashes, verification link."""
    return app.letter(letter_id, actor.model_dump())


@router.get("/letters/{letter_id}/pdf", response_class=Response)
def get_letter_pdf(letter_id: UUID, actor: CurrentActor, app: AppDep) -> Response:
    """The letter's PDF: the signed one once sent, else the draft (marked KONSEP)."""
    data, filename = app.letter_pdf(letter_id, actor.model_dump())
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get("/requests/{request_id}/letter-status")
def letter_status(request_id: UUID, actor: CurrentActor, app: AppDep) -> dict[str, Any]:
    """What the letters service knows of a request and which reply may be drafted now."""
    return app.request_status(request_id, actor.model_dump())


@router.get("/verify/{letter_id}", tags=["public"])
def verify_letter(letter_id: UUID, app: AppDep) -> dict[str, Any]:
    """Public: number, date, signer, Hal and the PDF's SHA-256 of a sent letter."""
    return app.verify(letter_id)
