"""What a consumer hands to a service: one message with its tracking, and the handler's two
answers (apply it, or refuse it for ever); the dispatch of an event to the handler of its type."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from eventsourcing.persistence import Tracking

from shared.envelope import Envelope, EnvelopeError, from_message
from shared.events import IntegrationEvent


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
class Delivery:
    """One message as a handler sees it, with the tracking to record beside its effect."""

    subject: str
    headers: Mapping[str, str]
    data: bytes
    tracking: Tracking


Handler = Callable[[Delivery], None]


EventHandler = Callable[[Envelope, Tracking], None]


def dispatch_events(handlers: Mapping[type[IntegrationEvent], EventHandler]) -> Handler:
    """A handler that parses the envelope and calls the handler for the event's class.

    Events of other types are acknowledged without effect; a message that is not a valid event
    is refused (dead-lettered).
    """

    def handle(delivery: Delivery) -> None:
        try:
            envelope = from_message(delivery.headers, delivery.data)
        except EnvelopeError as exc:
            raise Refused(str(exc)) from None
        handler = handlers.get(type(envelope.event))
        if handler is not None:
            handler(envelope, delivery.tracking)

    return handle
