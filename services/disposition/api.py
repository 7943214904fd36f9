"""HTTP API of the disposition service: dispose a case, read it, its history, its Lembar
Disposisi, and the caller's inbox."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from services.disposition.application import DispositionApplication
from services.disposition.search import CaseSearch, Urgency
from services.disposition.sheet import DispositionSheet
from services.disposition.views import (
    CasePage,
    CaseView,
    DispositionView,
    HistoryView,
    InboxCounters,
)
from shared.access import CaseReader
from shared.events import Sifat
from shared.httpapi import CurrentActor, PageLimit, PageOffset, the_application
from shared.procedure import MAX_INSTRUCTION, MAX_NOTE
from shared.roles import Role
from shared.validation import BoundedDate

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


class ReturnIn(BaseModel):
    """A draft reply sent back to the Sub-coordinator: the note says what to correct."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(max_length=MAX_NOTE)


@router.post("/cases/{case_id}/returns", status_code=201)
def return_draft(
    case_id: UUID, body: ReturnIn, actor: CurrentActor, app: AppDep
) -> DispositionView:
    """Return the draft reply with a note instead of the paraf (Kabid, step 8) or the signature
    (Kadis, step 9): it goes back to the Sub-coordinator, and steps 7 and 8 are open again."""
    record = app.return_draft(case_id, actor, body.note)
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


def case_search(
    q: Annotated[
        str,
        Query(max_length=100, description="part of the agenda number, letter number, hal or topic"),
    ] = "",
    agency: Annotated[
        str, Query(max_length=100, description="the agency's code, or part of its code or name")
    ] = "",
    date_from: Annotated[
        BoundedDate | None,
        Query(description="meetings on or after this day (office time zone)"),
    ] = None,
    date_to: Annotated[
        BoundedDate | None,
        Query(description="meetings on or before this day (office time zone)"),
    ] = None,
    state: Annotated[
        Urgency | None,
        Query(
            description="open cases that are `new` (at their step within 24 hours), `due_soon` "
            "(2 hours or less before the step's deadline) or `overdue`, at the moment asked"
        ),
    ] = None,
    step: Annotated[int | None, Query(ge=1, le=10, description="the step now pending")] = None,
    request_id: Annotated[
        list[UUID],
        Query(max_length=100, description="only these cases (a request's ID is its case's)"),
    ] = [],  # noqa: B006 - FastAPI copies a list default per request
) -> CaseSearch:
    """The search and filters of a list: every one given must hold (case-insensitive text)."""
    return CaseSearch(q, agency, date_from, date_to, state, step, frozenset(request_id))


SearchDep = Annotated[CaseSearch, Depends(case_search)]


@router.get("/cases")
def list_cases(
    reader: CaseReader,
    app: AppDep,
    search: SearchDep,
    status: Literal["all", "open", "closed"] = "all",
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> CasePage:
    """Cases the caller may read that match the search, newest first (an OPD: its agency's)."""
    return app.list_cases(reader, status, limit, offset, search)


@router.get("/inbox")
def inbox(
    reader: CaseReader,
    app: AppDep,
    search: SearchDep,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> CasePage:
    """Open cases waiting for the caller's role that match the search, oldest first."""
    return app.inbox(reader, limit, offset, search)


@router.get("/inbox/counters")
def inbox_counters(reader: CaseReader, app: AppDep) -> InboxCounters:
    """The caller's inbox in figures: open cases, and how many are new, due soon or overdue."""
    return app.inbox_counters(reader)
