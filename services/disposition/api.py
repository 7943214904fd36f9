"""HTTP API of the disposition service: dispose a case, read it, its history, its Lembar
Disposisi, and the caller's inbox."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from services.disposition.application import DispositionApplication
from services.disposition.sheet import DispositionSheet
from services.disposition.views import CaseRow, CaseView, DispositionView, HistoryView
from shared.access import CaseReader
from shared.events import Sifat
from shared.httpapi import CurrentActor, Page, PageLimit, PageOffset, the_application
from shared.procedure import MAX_INSTRUCTION, MAX_NOTE
from shared.roles import Role

router = APIRouter(prefix="/api/v1", tags=["disposition"])


AppDep = Annotated[DispositionApplication, Depends(the_application)]


class DispositionIn(BaseModel):
    """A disposition: where the case goes next, with the instruction and note for the record."""

    model_config = ConfigDict(extra="forbid")

    to_role: Role
    instruction: str | None = Field(default=None, max_length=MAX_INSTRUCTION)
    note: str = Field(default="", max_length=MAX_NOTE)
    sifat: Sifat | None = None
    letter_id: UUID | None = None


@router.post("/cases/{case_id}/dispositions", status_code=201)
def dispose(
    case_id: UUID, body: DispositionIn, actor: CurrentActor, app: AppDep
) -> DispositionView:
    """Dispose the case to the next role (SOP steps 2, 3, 4, 6, 7, 8, by the role holding it)."""
    record = app.dispose(
        case_id,
        actor,
        body.to_role,
        instruction=body.instruction,
        note=body.note,
        sifat=body.sifat,
        letter_id=body.letter_id,
    )
    return DispositionView.recorded(case_id, record)


@router.get("/cases/{case_id}")
def get_case(case_id: UUID, reader: CaseReader, app: AppDep) -> CaseView:
    """The case: state, request details, whose turn it is, slot check, meeting, letter, outcome."""
    return app.get_case(case_id, reader)


@router.get("/cases/{case_id}/history")
def get_history(case_id: UUID, reader: CaseReader, app: AppDep) -> HistoryView:
    """Every record of the case (SOP steps 1 to 10, who, when, what), with the SLA figures."""
    return app.history(case_id, reader)


@router.get("/cases/{case_id}/disposition-sheet")
def get_disposition_sheet(case_id: UUID, reader: CaseReader, app: AppDep) -> DispositionSheet:
    """The Lembar Disposisi of the request letter, as data."""
    return app.disposition_sheet(case_id, reader)


@router.get("/cases")
def list_cases(
    reader: CaseReader,
    app: AppDep,
    status: Literal["all", "open", "closed"] = "all",
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> Page[CaseRow]:
    """Cases the caller may read, newest first (an OPD sees its own agency's)."""
    return app.list_cases(reader, status, limit, offset)


@router.get("/inbox")
def inbox(
    reader: CaseReader, app: AppDep, limit: PageLimit = 50, offset: PageOffset = 0
) -> Page[CaseRow]:
    """Open cases waiting for the caller's role, oldest first."""
    return app.inbox(reader, limit, offset)
