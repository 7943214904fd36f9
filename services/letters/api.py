"""HTTP API of the letters service: draft, send, receipt, read, verify."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from services.letters.application import LettersApplication
from services.letters.views import (
    LetterStatusView,
    LetterView,
    VerificationView,
    letter_status_view,
    letter_view,
    verification_view,
)
from shared.access import LetterReader
from shared.httpapi import PDF_ANSWER, CurrentActor, document_download, the_application

router = APIRouter(prefix="/api/v1", tags=["letters"])


AppDep = Annotated[LettersApplication, Depends(the_application)]


class DraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: UUID
    body: list[str] | None = Field(
        default=None,
        description="the body's paragraphs as edited (plain text; at most 20 paragraphs of at "
        "most 2000 characters, not empty); without it SIVICON writes the wording (the "
        "letter-status's default_body)",
    )


@router.post("/letters", status_code=201)
def draft_letter(body: DraftRequest, actor: CurrentActor, app: AppDep) -> LetterView:
    """Draft the reply (Surat Tanggapan) with its body as edited; Sub-coordinator (step 7)."""
    return letter_view(app.draft(body.request_id, actor, body.body), app.office)


@router.post("/letters/{letter_id}/send")
def send_letter(letter_id: UUID, actor: CurrentActor, app: AppDep) -> LetterView:
    """Sign, number and send the letter: Kadis after step 8, or the Sub-coordinator (full)."""
    return letter_view(app.send(letter_id, actor), app.office)


@router.post("/letters/{letter_id}/receipt")
def acknowledge_receipt(letter_id: UUID, actor: CurrentActor, app: AppDep) -> LetterView:
    """The addressed agency acknowledges receipt of the sent letter (step 10)."""
    return letter_view(app.receive(letter_id, actor), app.office)


@router.get("/letters")
def list_letters(
    reader: LetterReader, app: AppDep, request_id: Annotated[UUID, Query()]
) -> list[LetterView]:
    """The letters drafted for a request, oldest first (an agency sees only its sent ones)."""
    return [letter_view(letter, app.office) for letter in app.letters_of(request_id, reader)]


@router.get("/letters/{letter_id}")
def get_letter(letter_id: UUID, reader: LetterReader, app: AppDep) -> LetterView:
    """One letter's metadata: kind, status, number, signer, hashes, verification link."""
    return letter_view(app.letter(letter_id, reader), app.office)


@router.get("/letters/{letter_id}/pdf", response_class=Response, responses=PDF_ANSWER)
def get_letter_pdf(letter_id: UUID, reader: LetterReader, app: AppDep) -> Response:
    """The letter's PDF as a download: the signed one once sent, else the draft (KONSEP)."""
    data, filename = app.letter_pdf(letter_id, reader)
    return document_download(data, filename)


@router.get("/requests/{request_id}/letter-status")
def letter_status(request_id: UUID, reader: LetterReader, app: AppDep) -> LetterStatusView:
    """What the letters service knows of a request and which reply may be drafted now."""
    return letter_status_view(app.request_file(request_id, reader), app.office, app.clock())


@router.get("/verify/{letter_id}", tags=["public"])
def verify_letter(letter_id: UUID, app: AppDep) -> VerificationView:
    """Public: number, date, signer, Hal and the PDF's SHA-256 of a sent letter."""
    return verification_view(app.verify(letter_id), app.office)
