"""What intake consumes, through its one consumer: machine submissions from other government
systems on ``sivicon.inbound.requests.<opd>``, and the integration events its application's
``policy`` has a method for (``CaseClosed`` from disposition, after which a withdrawal is
refused: the case decides, intake acts on what it recorded).

One durable consumer for both, because they share the one recorded position of the stream and
are applied in stream order. A submission is not an integration event: it is parsed here into a
:class:`~services.intake.submissions.Filing` and handed to the application once, with the
message's tracking, through the same ``process_event`` as the events.

Machine clients do not sign: a submission's sender is the agency its subject names, since only
that agency's NATS user (``agency-<OPD>``) may publish on ``sivicon.inbound.requests.<OPD>``
(the server's permissions). The request records those credentials; a body naming another
agency is refused. The events, on the other hand, are accepted only when signed by their
producer (``hand_over``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from eventsourcing.persistence import Tracking

from services.intake.application import IntakeApplication
from services.intake.submissions import (
    Refusal,
    SubmissionInvalid,
    client_ref_answered,
    parse_submission,
)
from services.natsconf import agency_user
from shared import subjects
from shared.envelope import MSG_ID
from shared.errors import OutOfOrder
from shared.events import Actor, FieldError
from shared.messaging import Delivery, Refused
from shared.runtime import ConsumerSpec, event_consumer
from shared.signing import Keyring


def _sender(opd_code: str) -> Actor:
    return Actor(
        username=f"system:{opd_code}", name=f"Sistem {opd_code}", role="system", opd_code=opd_code
    )


def consumer_specs(app: IntakeApplication, keyring: Keyring) -> list[ConsumerSpec]:
    # Its filters: the policy's integration events only, each checked against the keyring.
    events = event_consumer(app, "intake", keyring)
    inbound = f"{subjects.INBOUND_PREFIX}."

    def on_message(delivery: Delivery) -> None:
        if delivery.subject.startswith(inbound):
            on_submission(app, delivery)
        else:
            events.handler(delivery)

    filters = [subjects.inbound_filter(), *events.filter_subjects]
    return [ConsumerSpec("intake", filters, on_message)]


def on_submission(app: IntakeApplication, delivery: Delivery) -> None:
    """Register a machine submission, or refuse it (dead-lettered, answered ``RequestRejected``)."""
    opd_code = delivery.subject.rsplit(".", 1)[-1].upper()
    message_id = delivery.headers.get(MSG_ID) or None
    try:
        filing = parse_submission(
            delivery.data,
            opd_code=opd_code,
            channel="nats",
            submitted_by=_sender(opd_code),
            message_id=message_id,
            credentials=agency_user(opd_code),
        )
        app.process_event(filing, delivery.tracking)
    except SubmissionInvalid as invalid:
        errors = invalid.errors
    except OutOfOrder as conflict:
        errors = [FieldError(field="client_ref", message=conflict.message)]
    else:
        return
    refusal = Refusal(opd_code, client_ref_answered(delivery.data, message_id), tuple(errors))
    raise _refused(app, refusal)


def _refused(app: IntakeApplication, refusal: Refusal) -> Refused:
    reason = "; ".join(f"{e.field}: {e.message}" for e in refusal.errors)

    def answer(tracking: Tracking) -> None:
        app.process_event(refusal, tracking)

    return Refused(
        f"submission refused at {datetime.now(UTC).isoformat()}: {reason}", answer=answer
    )
