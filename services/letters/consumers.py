"""What the letters service learns from the stream: the request, the slot check, the meeting,
the dispositions of steps 4, 7 and 8, cancellations, and the case closed (a withdrawal counts
only once the case closed as ``withdrawn``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import Tracking

from services.letters.application import LettersApplication
from shared.envelope import Envelope
from shared.events import (
    CaseClosed,
    Disposed,
    IntegrationEvent,
    MeetingCancelled,
    MeetingCreated,
    RequestSubmitted,
    SlotChecked,
)
from shared.messaging import EventHandler, dispatch_events
from shared.runtime import ConsumerSpec
from shared.subjects import event_filter

Note = Callable[..., None]


def _handler(note: Note) -> EventHandler:
    def handle(envelope: Envelope, tracking: Tracking) -> None:
        body: dict[str, Any] = envelope.event.model_dump(mode="json")
        note(body, caused_by=envelope.event_id, tracking=tracking)

    return handle


def consumer_specs(app: LettersApplication) -> list[ConsumerSpec]:
    handlers: dict[type[IntegrationEvent], EventHandler] = {
        RequestSubmitted: _handler(app.note_request),
        SlotChecked: _handler(app.note_slot),
        MeetingCreated: _handler(app.note_meeting),
        MeetingCancelled: _handler(app.note_meeting_cancelled),
        Disposed: _handler(app.note_disposed),
        CaseClosed: _handler(app.note_case_closed),
    }
    return [
        ConsumerSpec(
            durable="letters",
            filter_subjects=[event_filter(e.producer, e.event_name) for e in handlers],
            handler=dispatch_events(handlers),
        )
    ]
