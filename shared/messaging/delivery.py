"""What a consumer hands to a service: one message with its tracking, the handler's two answers
(apply it, or refuse it for ever), and the one hand-off of an event to an application."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import Tracking

from shared.envelope import EnvelopeError, from_message
from shared.errors import SiviconError
from shared.signing import Keyring, SignatureRefused, verify_event


class Refused(Exception):
    """The handler will never accept this message: dead-letter it with this reason.

    ``answer``, when given, records the refusal in the service's store (e.g. a
    ``RequestRejected`` for the sender); it is called with the message's tracking after the
    dead-letter copy is published, so a crash in between repeats neither.
    """

    def __init__(self, reason: str, *, answer: Callable[[Tracking], None] | None = None) -> None:
        super().__init__(reason)
        self.answer = answer


@dataclass(frozen=True)
class Consumed(Tracking):
    """The tracking of a consumed message (its stream and position, which the store records),
    naming the event it carried (``ce-id``) so that what it causes can say so (``caused_by``)."""

    event_id: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One message as a handler sees it, with the tracking to record beside its effect."""

    subject: str
    headers: Mapping[str, str]
    data: bytes
    tracking: Consumed


Handler = Callable[[Delivery], None]


class EventProcessor(Protocol):
    def process_event(self, domain_event: Any, tracking: Tracking) -> None: ...


def hand_over(app: EventProcessor, keyring: Keyring) -> Handler:
    """The one way a service receives events: checked, parsed from the message and given to the
    application's ``process_event`` (the library's, see ``shared.eventstore``) with the tracking.

    An event is accepted only when signed by its producer: a valid signature by a key of the
    keyring, held by the service that ``ce-source``, the subject and the event type all name
    (``shared.signing``). Anything else is refused (dead-lettered) with a reason starting
    ``unsigned``, ``bad signature``, ``unknown key`` or ``wrong producer``. A message that is
    not a valid event is refused, and so is an event the application refuses with a domain error
    (unknown case, a step out of the procedure's order): that answer does not change by trying
    again. Any other error is retried by the consumer.
    """

    def handle(delivery: Delivery) -> None:
        try:
            verify_event(keyring, delivery.subject, delivery.headers, delivery.data)
        except SignatureRefused as exc:
            raise Refused(str(exc)) from None
        try:
            envelope = from_message(delivery.headers, delivery.data)
        except EnvelopeError as exc:
            raise Refused(str(exc)) from None
        try:
            app.process_event(envelope.event, delivery.tracking)
        except SiviconError as exc:
            event = envelope.event
            raise Refused(
                f"{event.ce_type()} for request {event.request_id}: {exc.message}"
            ) from None

    return handle
