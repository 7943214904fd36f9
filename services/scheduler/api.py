"""The scheduler's HTTP API: meetings (SOP step 5), host accounts, the day's schedule, and a
dry-run slot check."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.scheduler.application import SchedulerApplication
from services.scheduler.meetings import EnteredMeeting
from services.scheduler.views import HostAccountView, MeetingView, ScheduleDay, SlotCheckView
from shared.access import HostAccountReader, MeetingReader, check_owner
from shared.auth import require_role
from shared.errors import InvalidInput
from shared.httpapi import CurrentActor, the_application
from shared.validation import EMAIL_PATTERN, BoundedDate, bounded

router = APIRouter(prefix="/api/v1", tags=["scheduler"])


AppDep = Annotated[SchedulerApplication, Depends(the_application)]


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

    def manual(self) -> EnteredMeeting | None:
        if self.meeting_id is None or self.passcode is None or self.join_url is None:
            return None
        return EnteredMeeting(self.meeting_id.replace(" ", ""), self.passcode, self.join_url)


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
def create_meeting(body: MeetingIn, actor: CurrentActor, app: AppDep) -> MeetingView:
    """Staff creates the request's meeting on the held host account (SOP step 5)."""
    require_role(actor, "staf")
    return MeetingView.of(app.create_meeting(body.request_id, actor=actor, manual=body.manual()))


@router.get("/meetings/{request_id}")
def get_meeting(request_id: UUID, reader: MeetingReader, app: AppDep) -> MeetingView:
    """The scheduler's record of a request: check, hold, staff task and meeting."""
    request = app.meeting(request_id)
    check_owner(reader, "meeting", request.opd_code)
    return MeetingView.of(request)


@router.get("/host-accounts")
def list_host_accounts(reader: HostAccountReader, app: AppDep) -> list[HostAccountView]:
    """The office's licensed Zoom host accounts, in the order they were registered."""
    return [HostAccountView.of(host) for host in app.host_accounts()]


@router.post("/host-accounts", status_code=201)
def register_host_account(body: HostAccountIn, actor: CurrentActor, app: AppDep) -> HostAccountView:
    """Register a licensed host account (administrators)."""
    require_role(actor, "admin")
    return HostAccountView.of(
        app.register_host_account(
            body.id, body.name, body.email, body.capacity, body.concurrent, body.active
        )
    )


@router.patch("/host-accounts/{host_account_id}")
def update_host_account(
    host_account_id: str, body: HostAccountPatch, actor: CurrentActor, app: AppDep
) -> HostAccountView:
    """Take a host account out of (or back into) the schedule (administrators)."""
    require_role(actor, "admin")
    return HostAccountView.of(app.set_host_account_active(host_account_id, body.active))


@router.get("/schedule")
def schedule(
    reader: HostAccountReader, app: AppDep, day: Annotated[BoundedDate, Query(alias="date")]
) -> ScheduleDay:
    """The holds and meetings of one day (office time zone)."""
    return ScheduleDay.of(app.schedule_of(day))


@router.get("/slots/check")
def check_slot(
    reader: HostAccountReader,
    app: AppDep,
    start: str,
    end: str,
    participants: Annotated[int, Query(ge=1, le=1000)],
) -> SlotCheckView:
    """Whether a slot is free now, and alternatives if not; nothing is held."""
    answer = app.dry_run_check(_moment("start", start), _moment("end", end), participants)
    return SlotCheckView.of(answer)


def _moment(name: str, text: str) -> datetime:
    # A "+" in an unencoded query string arrives as a space.
    cleaned = text.strip().replace(" ", "+")
    if cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise InvalidInput(
            f"{name} is not an ISO 8601 time: {text!r}",
            f"{name} bukan waktu ISO 8601 yang valid: {text!r}",
        ) from None
    return bounded(moment, name)
