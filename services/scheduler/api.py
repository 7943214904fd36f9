"""The scheduler's HTTP API: meetings (SOP step 5), host accounts, the day's schedule, and a
dry-run slot check."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.scheduler.application import SchedulerApplication
from shared.auth import require_role
from shared.errors import InvalidInput
from shared.httpapi import CurrentActor
from shared.roles import OFFICE_ROLES, effective_role
from shared.validation import EMAIL_PATTERN

router = APIRouter(prefix="/api/v1", tags=["scheduler"])

READERS = (*OFFICE_ROLES, "admin", "operator", "auditor")


def get_app(request: Request) -> SchedulerApplication:
    app: SchedulerApplication = request.app.state.application
    return app


AppDep = Annotated[SchedulerApplication, Depends(get_app)]


class MeetingIn(BaseModel):
    """Create the meeting of a request; give meeting_id, passcode and join_url only when the
    meeting was made by hand in Zoom."""

    model_config = ConfigDict(extra="forbid")

    request_id: UUID
    meeting_id: str | None = Field(default=None, pattern=r"^\d[\d ]{8,13}$")
    passcode: str | None = Field(default=None, min_length=1, max_length=10)
    join_url: str | None = Field(default=None, pattern=r"^https://\S+$", max_length=500)

    @model_validator(mode="after")
    def _all_or_none(self) -> MeetingIn:
        given = [self.meeting_id, self.passcode, self.join_url]
        if any(v is not None for v in given) and not all(v is not None for v in given):
            raise ValueError("a meeting entered by hand needs meeting_id, passcode and join_url")
        return self

    def manual(self) -> dict[str, str] | None:
        if self.meeting_id is None or self.passcode is None or self.join_url is None:
            return None
        return {
            "meeting_id": self.meeting_id.replace(" ", ""),
            "passcode": self.passcode,
            "join_url": self.join_url,
        }


class HostAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$", description="short slug, e.g. zoom-4")
    name: str = Field(min_length=1, max_length=100)
    email: str = Field(pattern=EMAIL_PATTERN, max_length=200)
    capacity: Literal[100, 300, 500, 1000]
    concurrent: Literal[1, 2] = 1
    active: bool = True


class HostAccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool


@router.post("/meetings", status_code=201)
def create_meeting(body: MeetingIn, actor: CurrentActor, app: AppDep) -> dict[str, Any]:
    """Staff creates the request's meeting on the held host account (SOP step 5)."""
    require_role(actor, "staf")
    return app.create_meeting(body.request_id, actor=actor.model_dump(), manual=body.manual())


@router.get("/meetings/{request_id}")
def get_meeting(request_id: UUID, actor: CurrentActor, app: AppDep) -> dict[str, Any]:
    """The scheduler's record of a request: check, hold, staff task and meeting."""
    if effective_role(actor) == "opd":
        if app.request_opd(request_id) != actor.opd_code:
            require_role(actor, *READERS)
    else:
        require_role(actor, *READERS)
    return app.meeting(request_id)


@router.get("/host-accounts")
def list_host_accounts(actor: CurrentActor, app: AppDep) -> list[dict[str, Any]]:
    """The office's licensed Zoom host accounts."""
    require_role(actor, *READERS)
    return app.host_accounts()


@router.post("/host-accounts", status_code=201)
def register_host_account(body: HostAccountIn, actor: CurrentActor, app: AppDep) -> dict[str, Any]:
    """Register a licensed host account (administrators)."""
    require_role(actor, "admin")
    return app.register_host_account(
        body.id, body.name, body.email, body.capacity, body.concurrent, body.active
    )


@router.patch("/host-accounts/{host_account_id}")
def update_host_account(
    host_account_id: str, body: HostAccountPatch, actor: CurrentActor, app: AppDep
) -> dict[str, Any]:
    """Take a host account out of (or back into) the schedule (administrators)."""
    require_role(actor, "admin")
    return app.set_host_account_active(host_account_id, body.active)


@router.get("/schedule")
def schedule(
    actor: CurrentActor, app: AppDep, day: Annotated[date, Query(alias="date")]
) -> dict[str, Any]:
    """The holds and meetings of one day (office time zone)."""
    require_role(actor, *READERS)
    return app.schedule_of(day)


@router.get("/slots/check")
def check_slot(
    actor: CurrentActor,
    app: AppDep,
    start: str,
    end: str,
    participants: Annotated[int, Query(ge=1, le=1000)],
) -> dict[str, Any]:
    """Whether a slot is free now, and alternatives if not; nothing is held."""
    require_role(actor, *READERS)
    return app.dry_run_check(_moment("start", start), _moment("end", end), participants)


def _moment(name: str, text: str) -> datetime:
    # A "+" in an unencoded query string arrives as a space.
    cleaned = text.strip().replace(" ", "+")
    if cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        raise InvalidInput(
            f"{name} is not an ISO 8601 time: {text!r}",
            f"{name} bukan waktu ISO 8601 yang valid: {text!r}",
        ) from None
