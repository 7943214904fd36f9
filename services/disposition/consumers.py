"""The events the disposition service consumes: one application call each, with the tracking.

A report that can never apply (unknown case, out of the procedure's order) is refused and so
dead-lettered with the reason; a duplicate of something already recorded is acknowledged without
effect by the application.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import Tracking

from services.disposition.application import DispositionApplication
from shared import subjects
from shared.envelope import Envelope
from shared.errors import SiviconError
from shared.events import (
    LetterDrafted,
    LetterReceived,
    LetterSent,
    MeetingCreated,
    RequestSubmitted,
    RequestWithdrawn,
    SlotChecked,
)
from shared.messaging import EventHandler, Refused, dispatch_events
from shared.runtime import ConsumerSpec

SERVICE = "disposition"


def _handler(call: Callable[[Any, str | None, Tracking], bool]) -> EventHandler:
    def handle(envelope: Envelope, tracking: Tracking) -> None:
        try:
            call(envelope.event, envelope.event_id, tracking)
        except SiviconError as exc:
            raise Refused(
                f"{envelope.event.ce_type()} for case {envelope.event.request_id}: {exc.message}"
            ) from None

    return handle


def consumer_specs(app: DispositionApplication) -> list[ConsumerSpec]:
    handlers: dict[Any, EventHandler] = {
        RequestSubmitted: _handler(app.open_case),
        RequestWithdrawn: _handler(app.withdraw),
        SlotChecked: _handler(app.record_slot_check),
        MeetingCreated: _handler(app.record_meeting),
        LetterDrafted: _handler(app.record_draft),
        LetterSent: _handler(app.record_letter_sent),
        LetterReceived: _handler(app.record_receipt),
    }
    filters = [subjects.event_filter(event.producer, event.event_name) for event in handlers]
    return [
        ConsumerSpec(durable=SERVICE, filter_subjects=filters, handler=dispatch_events(handlers))
    ]
