"""What intake publishes: requests registered, refused and withdrawn (SOP step 1)."""

from __future__ import annotations

from typing import ClassVar, Literal

from shared.events.base import (
    Actor,
    FieldError,
    IntegrationEvent,
    LetterRef,
    MeetingWish,
    Requester,
    UtcDateTime,
)


class RequestSubmitted(IntegrationEvent):
    """A valid request letter was registered and given an agenda number (SOP step 1)."""

    event_name: ClassVar[str] = "RequestSubmitted"
    producer: ClassVar[str] = "intake"

    agenda_number: str
    agenda_year: int
    agenda_seq: int
    opd_code: str
    opd_name: str
    channel: Literal["http", "nats"]
    client_ref: str | None
    requester: Requester
    letter: LetterRef
    meeting: MeetingWish
    submitted_by: Actor
    submitted_at: UtcDateTime


class RequestRejected(IntegrationEvent):
    """A machine submission was refused. ``request_id`` is a fresh ID: no request exists."""

    event_name: ClassVar[str] = "RequestRejected"
    producer: ClassVar[str] = "intake"

    client_ref: str | None
    opd_code: str
    errors: list[FieldError]
    received_at: UtcDateTime


class RequestWithdrawn(IntegrationEvent):
    """The requesting OPD withdrew its request."""

    event_name: ClassVar[str] = "RequestWithdrawn"
    producer: ClassVar[str] = "intake"

    reason: str
    withdrawn_by: Actor
    withdrawn_at: UtcDateTime
