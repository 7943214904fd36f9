"""Intake's stored events as the rest of the system sees them (the relay publishes these)."""

from __future__ import annotations

from typing import Any

from services.intake.domain import Rejection, Request
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


def to_integration(domain_event: Any) -> list[IntegrationEvent]:
    """Intake's stored events, as the rest of the system sees them."""
    if isinstance(domain_event, Request.Submitted):  # type: ignore[attr-defined]
        e = domain_event
        return [
            RequestSubmitted(
                request_id=e.originator_id,
                agenda_number=e.agenda_number,
                agenda_year=e.agenda_year,
                agenda_seq=e.agenda_seq,
                opd_code=e.opd_code,
                opd_name=e.opd_name,
                channel=e.channel,
                client_ref=e.client_ref,
                requester=Requester.model_validate(e.requester),
                letter=LetterRef.model_validate(e.letter),
                meeting=MeetingWish.model_validate(e.meeting),
                submitted_by=Actor.model_validate(e.submitted_by),
                submitted_at=e.timestamp,
            )
        ]
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
