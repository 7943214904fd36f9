"""HTTP API of the disposition service: dispose a case, read it, its history, its Lembar
Disposisi, and the caller's inbox."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.disposition.application import DispositionApplication
from services.disposition.procedure import MAX_INSTRUCTION, MAX_NOTE
from shared.events import Sifat
from shared.httpapi import CurrentActor
from shared.roles import Role

router = APIRouter(prefix="/api/v1", tags=["disposition"])


def get_app(request: Request) -> DispositionApplication:
    app: DispositionApplication = request.app.state.application
    return app


AppDep = Annotated[DispositionApplication, Depends(get_app)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0)]


class DispositionIn(BaseModel):
    """A disposition: where the case goes next, with the instruction and note for the record."""

    model_config = ConfigDict(extra="forbid")

    to_role: Role
    instruction: str | None = Field(default=None, max_length=MAX_INSTRUCTION)
    note: str = Field(default="", max_length=MAX_NOTE)
    sifat: Sifat | None = None
    letter_id: UUID | None = None


@router.post("/cases/{case_id}/dispositions", status_code=201)
def dispose(case_id: UUID, body: DispositionIn, actor: CurrentActor, app: AppDep) -> dict[str, Any]:
    """Dispose the case to the next role (SOP steps 2, 3, 4, 6, 7, 8, by the role holding it)."""
    return app.dispose(
        case_id,
        actor.model_dump(mode="json"),
        body.to_role,
        instruction=body.instruction,
        note=body.note,
        sifat=body.sifat,
        letter_id=body.letter_id,
    )


@router.get("/cases/{case_id}")
def get_case(case_id: UUID, actor: CurrentActor, app: AppDep) -> dict[str, Any]:
    """The case: state, request details, whose turn it is, slot check, meeting, letter, outcome."""
    return app.get_case(case_id, actor.model_dump(mode="json"))


@router.get("/cases/{case_id}/history")
def get_history(case_id: UUID, actor: CurrentActor, app: AppDep) -> dict[str, Any]:
    """Every record of the case (SOP steps 1 to 10, who, when, what), with the SLA figures."""
    return app.history(case_id, actor.model_dump(mode="json"))


@router.get("/cases/{case_id}/disposition-sheet")
def get_disposition_sheet(case_id: UUID, actor: CurrentActor, app: AppDep) -> dict[str, Any]:
    """The Lembar Disposisi of the request letter, as data."""
    return app.disposition_sheet(case_id, actor.model_dump(mode="json"))


@router.get("/cases")
def list_cases(
    actor: CurrentActor,
    app: AppDep,
    status: Literal["all", "open", "closed"] = "all",
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Cases the caller may read, newest first (an OPD sees its own agency's)."""
    return app.list_cases(actor.model_dump(mode="json"), status, limit, offset)


@router.get("/inbox")
def inbox(
    actor: CurrentActor, app: AppDep, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    """Open cases waiting for the caller's role, oldest first."""
    return app.inbox(actor.model_dump(mode="json"), limit, offset)
