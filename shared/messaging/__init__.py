"""NATS JetStream for every service: the connection, the stream, the outbox relay, the consumer.

* :class:`OutboxRelay` follows a service's notification log and publishes each stored domain
  event as integration events, with a ``Nats-Msg-Id`` derived from the record's position. It
  records how far it got in the service's own store (a tracking row), so a relay that dies between
  publishing and recording republishes the same IDs and the stream's duplicate window drops them.
* :class:`DurableConsumer` applies messages strictly in stream order from the position recorded
  in the service's own store, handing each to a handler in a worker thread (``eventsourcing`` is
  synchronous). The handler records its new state together with a :class:`Tracking` of the
  message's stream sequence, atomically; the server-side consumer is recreated at that position
  whenever delivery might not be contiguous, so a message is either applied once or not yet seen,
  never skipped (the class docstring says why). A message the handler refuses (:class:`Refused`)
  is copied to ``sivicon.deadletter.<service>`` with the reason and its position recorded; any
  other error is retried in place with back-off: the loop never dies on bad input.

The package, one concern a module: ``connection`` (the connection and the stream), ``relay``,
``consumer``, ``delivery`` (what a handler receives, refusals, the hand-off of an event to the
application), ``deadletters``, ``readers`` and ``failpoints`` (fault injection for the crash
tests).
"""

from __future__ import annotations

from shared.messaging.connection import (
    NatsAccessError,
    StreamMissing,
    check_stream,
    client_options,
    connect,
    ensure_stream,
    provision,
    tracking_name,
)
from shared.messaging.consumer import ConsumerStats, DurableConsumer, PositionStore
from shared.messaging.deadletters import publish_dead_letter
from shared.messaging.delivery import (
    Consumed,
    Delivery,
    EventProcessor,
    Handler,
    Refused,
    hand_over,
)
from shared.messaging.failpoints import failpoint
from shared.messaging.readers import read_subject
from shared.messaging.relay import OutboxRelay, RelayStats, ToIntegration

__all__ = [
    "Consumed",
    "ConsumerStats",
    "Delivery",
    "DurableConsumer",
    "EventProcessor",
    "Handler",
    "NatsAccessError",
    "OutboxRelay",
    "PositionStore",
    "Refused",
    "RelayStats",
    "StreamMissing",
    "ToIntegration",
    "check_stream",
    "client_options",
    "connect",
    "ensure_stream",
    "failpoint",
    "hand_over",
    "provision",
    "publish_dead_letter",
    "read_subject",
    "tracking_name",
]
