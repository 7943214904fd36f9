"""Intake's stored events as the rest of the system sees them (the relay publishes these)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from services.intake.domain import REGISTRATION, Rejection, Request
from shared.events import (
    Actor,
    FieldError,
    IntegrationEvent,
    LetterRef,
    MeetingWish,
    Requester,
    RequestRejected,
    RequestSubmitted,
    RequestWithdrawn,
)


def _submitted(request_id: UUID, r: Mapping[str, Any], submitted_at: datetime) -> RequestSubmitted:
    return RequestSubmitted(
        request_id=request_id,
        agenda_number=r["agenda_number"],
        agenda_year=r["agenda_year"],
        agenda_seq=r["agenda_seq"],
        opd_code=r["opd_code"],
        opd_name=r["opd_name"],
        channel=r["channel"],
        client_ref=r["client_ref"],
        requester=Requester.model_validate(r["requester"]),
        letter=LetterRef.model_validate(r["letter"]),
        meeting=MeetingWish.model_validate(r["meeting"]),
        submitted_by=Actor.model_validate(r["submitted_by"]),
        submitted_at=submitted_at,
    )


def to_integration(domain_event: Any) -> list[IntegrationEvent]:
    """Intake's stored events, as the rest of the system sees them."""
    if isinstance(domain_event, Request.Submitted):  # type: ignore[attr-defined]
        e = domain_event
        registration = {name: getattr(e, name) for name in REGISTRATION}
        return [_submitted(e.originator_id, registration, e.timestamp)]
    if isinstance(domain_event, Request.AnswerRepeated):  # type: ignore[attr-defined]
        # The one answer again, for a client that resent its submission: the same body, under
        # a new event ID (so the stream keeps it); consumers already hold it and change nothing.
        e = domain_event
        return [_submitted(e.originator_id, e.registration, e.submitted_at)]
    if isinstance(domain_event, Request.Withdrawn):  # type: ignore[attr-defined]
        return [
            RequestWithdrawn(
                request_id=domain_event.originator_id,
                reason=domain_event.reason,
                withdrawn_by=Actor.model_validate(domain_event.by),
                withdrawn_at=domain_event.timestamp,
            )
        ]
    if isinstance(domain_event, Rejection.Recorded):  # type: ignore[attr-defined]
        return [
            RequestRejected(
                request_id=domain_event.originator_id,
                client_ref=domain_event.client_ref,
                opd_code=domain_event.opd_code,
                errors=[FieldError.model_validate(x) for x in domain_event.errors],
                received_at=domain_event.received_at,
            )
        ]
    return []
