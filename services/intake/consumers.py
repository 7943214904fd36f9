"""What intake consumes, through its one consumer: machine submissions from other government
systems on ``sivicon.inbound.requests.<opd>``, and ``CaseClosed`` from disposition (after which
a withdrawal is refused: the case decides, intake acts on what it recorded)."""

from __future__ import annotations

from datetime import UTC, datetime

from eventsourcing.persistence import Tracking

from services.intake.application import (
    IntakeApplication,
    SubmissionInvalid,
    client_ref_answered,
)
from shared import subjects
from shared.envelope import MSG_ID, Envelope
from shared.errors import OutOfOrder
from shared.events import Actor, CaseClosed, FieldError
from shared.messaging import Delivery, Refused, dispatch_events
from shared.runtime import ConsumerSpec


def _sender(opd_code: str) -> Actor:
    return Actor(
        username=f"system:{opd_code}", name=f"Sistem {opd_code}", role="system", opd_code=opd_code
    )


def consumer_specs(app: IntakeApplication) -> list[ConsumerSpec]:
    def on_inbound(delivery: Delivery) -> None:
        opd_code = delivery.subject.rsplit(".", 1)[-1].upper()
        message_id = delivery.headers.get(MSG_ID) or None
        try:
            app.submit_json(
                opd_code=opd_code,
                body=delivery.data,
                channel="nats",
                submitted_by=_sender(opd_code),
                client_ref_hint=message_id,
                tracking=delivery.tracking,
            )
        except SubmissionInvalid as invalid:
            client_ref = client_ref_answered(delivery.data, message_id)
            raise _refuse(app, opd_code, client_ref, invalid.errors) from None
        except OutOfOrder as conflict:
            errors = [FieldError(field="client_ref", message=conflict.message)]
            client_ref = client_ref_answered(delivery.data, message_id)
            raise _refuse(app, opd_code, client_ref, errors) from None

    def on_case_closed(envelope: Envelope, tracking: Tracking) -> None:
        event = envelope.event
        assert isinstance(event, CaseClosed)
        app.note_case_closed(
            event.request_id, outcome=event.outcome, closed_at=event.closed_at, tracking=tracking
        )

    on_event = dispatch_events({CaseClosed: on_case_closed})
    inbound = f"{subjects.INBOUND_PREFIX}."

    def on_message(delivery: Delivery) -> None:
        if delivery.subject.startswith(inbound):
            on_inbound(delivery)
        else:
            on_event(delivery)

    filters = [subjects.inbound_filter(), subjects.event_filter("disposition", "CaseClosed")]
    return [ConsumerSpec("intake", filters, on_message)]


def _refuse(
    app: IntakeApplication, opd_code: str, client_ref: str | None, errors: list[FieldError]
) -> Refused:
    reason = "; ".join(f"{e.field}: {e.message}" for e in errors)

    def answer(tracking: Tracking) -> None:
        app.reject(opd_code=opd_code, client_ref=client_ref, errors=errors, tracking=tracking)

    return Refused(
        f"submission refused at {datetime.now(UTC).isoformat()}: {reason}", answer=answer
    )
