"""What the scheduler learns from the stream: requests, dispositions, and how each case ended.

A withdrawal is acted on only once the case accepted it (``CaseClosed`` with outcome
``withdrawn``), never on ``RequestWithdrawn`` itself: the case may refuse it."""

from __future__ import annotations

from eventsourcing.persistence import Tracking

from services.scheduler.application import SchedulerApplication
from shared.envelope import Envelope
from shared.errors import NotFound
from shared.events import CaseClosed, Disposed, RequestSubmitted
from shared.messaging import Refused, dispatch_events
from shared.runtime import ConsumerSpec
from shared.subjects import event_filter

SERVICE = "scheduler"


def consumer_specs(app: SchedulerApplication) -> list[ConsumerSpec]:
    def on_submitted(envelope: Envelope, tracking: Tracking) -> None:
        event = envelope.event
        assert isinstance(event, RequestSubmitted)
        app.remember_request(
            event.request_id,
            topic=event.meeting.topic,
            start=event.meeting.start,
            end=event.meeting.end,
            participants=event.meeting.participants,
            opd_code=event.opd_code,
            opd_name=event.opd_name,
            agenda_number=event.agenda_number,
            caused_by=envelope.event_id,
            tracking=tracking,
        )

    def on_disposed(envelope: Envelope, tracking: Tracking) -> None:
        event = envelope.event
        assert isinstance(event, Disposed)
        try:
            if event.sop_step == 3 and event.to_role == "subkoordinator":
                app.check_and_hold(event.request_id, caused_by=envelope.event_id, tracking=tracking)
            elif event.sop_step == 4 and event.to_role == "staf":
                app.open_staff_task(
                    event.request_id,
                    opened_at=event.disposed_at,
                    disposed_by=event.by.model_dump(),
                    caused_by=envelope.event_id,
                    tracking=tracking,
                )
        except NotFound as exc:
            raise Refused(f"{exc.message} (no RequestSubmitted was received for it)") from None

    def on_closed(envelope: Envelope, tracking: Tracking) -> None:
        event = envelope.event
        assert isinstance(event, CaseClosed)
        app.close_case(
            event.request_id,
            outcome=event.outcome,
            closed_at=event.closed_at,
            caused_by=envelope.event_id,
            tracking=tracking,
        )

    handler = dispatch_events(
        {RequestSubmitted: on_submitted, Disposed: on_disposed, CaseClosed: on_closed}
    )
    return [
        ConsumerSpec(
            durable=SERVICE,
            filter_subjects=[
                event_filter("intake", "RequestSubmitted"),
                event_filter("disposition", "Disposed"),
                event_filter("disposition", "CaseClosed"),
            ],
            handler=handler,
        )
    ]
