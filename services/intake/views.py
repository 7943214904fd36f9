"""What intake's API shows: a request (:class:`RequestView`), a row of the request list
(:class:`RequestRow`), the agency's other requests with the same letter (:class:`Duplicate`), the
agencies (:class:`Agencies`, :class:`AgencyView`). Times are sent in UTC, ISO 8601 with
``+00:00``, as intake always sent them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, RootModel, WithJsonSchema

from services.intake.domain import Request
from services.intake.values import Channel, Status
from shared.events import Actor, Outcome


def _iso(value: datetime) -> str:
    return value.isoformat()


IsoTime = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class _View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RequesterView(_View):
    name: str
    position: str
    phone: str
    email: str


class LetterView(_View):
    number: str
    date: date
    subject: str
    document_sha256: str | None = Field(description="the letter PDF's SHA-256; null: no PDF")


class MeetingView(_View):
    topic: str
    start: IsoTime
    end: IsoTime
    participants: int
    notes: str


class WithdrawalView(_View):
    reason: str
    by: Actor


class RequestRow(_View):
    """A request in the list."""

    request_id: UUID
    agenda_number: str
    opd_code: str
    opd_name: str
    channel: Channel
    client_ref: str | None
    letter: LetterView
    meeting: MeetingView
    submitted_at: IsoTime
    status: Status = Field(
        description="`submitted`; `withdrawn` once the OPD asked (and the case did not close "
        "otherwise); `closed` once the case ended otherwise"
    )
    case_outcome: Outcome | None


class RequestView(RequestRow):
    """A registered request letter, as filed, and what happened to it since."""

    requester: RequesterView
    submitted_by: Actor
    withdrawn: WithdrawalView | None
    case_closed_at: IsoTime | None
    withdrawal_refused: bool = Field(
        description="the OPD asked to withdraw, but the case had closed already"
    )
    credentials: str | None = Field(
        description="the NATS user a machine submission came from (`agency-<OPD>`); null for "
        "a request filed over HTTP, whose sender is `submitted_by`"
    )


class Duplicate(_View):
    """Another request of the same agency filed with the same letter: the same letter number
    (ignoring case and surrounding spaces), the same PDF, or both."""

    request: RequestRow
    same_number: bool
    same_pdf: bool


class Agencies(RootModel[dict[str, str]]):
    """The agencies (OPD) that may request a meeting: their names by code."""


class AgencyView(_View):
    """An agency (OPD) that may request a meeting, and where to write to it."""

    code: str
    name: str
    address: str = Field(
        description="the postal address (alamat), lines joined by `\\n`; '' if none"
    )
    email: str = Field(description="the agency's e-mail address; '' if none")


def _filed(request: Request) -> dict[str, Any]:
    """The fields of a row, for a row and for the whole view."""
    closed = request.case_closed
    return {
        "request_id": request.id,
        "agenda_number": request.agenda_number,
        "opd_code": request.opd_code,
        "opd_name": request.opd_name,
        "channel": request.channel,
        "client_ref": request.client_ref,
        "letter": LetterView.model_validate(request.letter),
        "meeting": MeetingView.model_validate(request.meeting),
        "submitted_at": request.created_on,
        "status": request.status,
        "case_outcome": closed.outcome if closed is not None else None,
    }


def request_row(request: Request) -> RequestRow:
    return RequestRow(**_filed(request))


def request_view(request: Request) -> RequestView:
    withdrawn, closed = request.withdrawn, request.case_closed
    return RequestView(
        **_filed(request),
        requester=RequesterView.model_validate(request.requester),
        submitted_by=request.submitted_by,
        withdrawn=WithdrawalView.model_validate(withdrawn) if withdrawn else None,
        case_closed_at=closed.at if closed is not None else None,
        withdrawal_refused=request.withdrawal_refused,
        credentials=request.credentials,
    )
