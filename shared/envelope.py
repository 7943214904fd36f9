"""CloudEvents 1.0 attributes carried as NATS headers, and back.

The body is the event's JSON; the headers say what it is (``ce-type``), who made it
(``ce-source``), which request it belongs to (``ce-subject``), and how it is linked to the events
before it (``sivicon-correlation-id``, ``sivicon-causation-id``, W3C ``traceparent``).
``Nats-Msg-Id`` is ``ce-id``, so the stream drops a republished copy.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from pydantic import ValidationError

from shared.events import EVENTS_BY_TYPE, IntegrationEvent

SPECVERSION = "1.0"
CORRELATION = "sivicon-correlation-id"
CAUSATION = "sivicon-causation-id"
TRACEPARENT = "traceparent"
MSG_ID = "Nats-Msg-Id"
ERROR_HEADER = "sivicon-error"


class EnvelopeError(ValueError):
    """A message whose headers or body are not a SIVICON event."""


@dataclass(frozen=True)
class Envelope:
    event: IntegrationEvent
    event_id: str
    source: str
    time: datetime
    correlation_id: str
    causation_id: str | None
    traceparent: str


def deterministic_event_id(service: str, position: int, index: int, secret: bytes) -> str:
    """The same stored record always yields the same event ID, so republishing is harmless.

    Keyed with the service's ``secret`` (derived from its signing key): an ID nobody else can
    compute. The stream drops a message whose ID it saw within its duplicate window, and anyone
    allowed to publish into the stream (an agency on its inbound subject) sets its own IDs: a
    predictable ID would let them pre-empt, and so silently drop, a service's next event.
    """
    digest = hmac.new(secret, f"{service}:{position}:{index}".encode(), hashlib.sha256).digest()
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | 0x80  # version 8: a UUID of our own making (RFC 9562)
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC variant
    return str(UUID(bytes=bytes(raw)))


def traceparent_for(request_id: UUID, event_id: str) -> str:
    """W3C traceparent: one trace per request (its ID), one span per event."""
    span = UUID(event_id).hex[:16] if _is_uuid(event_id) else secrets.token_hex(8)
    return f"00-{request_id.hex}-{span}-01"


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def to_headers(
    event: IntegrationEvent,
    *,
    event_id: str,
    time: datetime,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    traceparent: str | None = None,
) -> dict[str, str]:
    headers = {
        "ce-specversion": SPECVERSION,
        "ce-id": event_id,
        "ce-source": f"/sivicon/{event.producer}",
        "ce-type": event.ce_type(),
        "ce-time": time.astimezone(UTC).isoformat(),
        "ce-subject": str(event.request_id),
        "ce-datacontenttype": "application/json",
        MSG_ID: event_id,
        CORRELATION: correlation_id or str(event.request_id),
        TRACEPARENT: traceparent or traceparent_for(event.request_id, event_id),
    }
    if causation_id:
        headers[CAUSATION] = causation_id
    return headers


def to_body(event: IntegrationEvent) -> bytes:
    return event.model_dump_json().encode()


def from_message(headers: Mapping[str, str] | None, body: bytes) -> Envelope:
    """Parse a message into an envelope; raise :class:`EnvelopeError` saying what is wrong."""
    headers = headers or {}
    ce_type = headers.get("ce-type")
    if not ce_type:
        raise EnvelopeError("missing header ce-type")
    model = EVENTS_BY_TYPE.get(ce_type)
    if model is None:
        raise EnvelopeError(f"unknown event type {ce_type!r}")
    try:
        event = model.model_validate_json(body)
    except ValidationError as exc:
        raise EnvelopeError(f"{ce_type} body does not match its schema: {exc}") from None
    event_id = headers.get("ce-id") or ""
    if not event_id:
        raise EnvelopeError("missing header ce-id")
    try:
        time = datetime.fromisoformat(headers.get("ce-time", ""))
    except ValueError:
        raise EnvelopeError("header ce-time is not an ISO 8601 time") from None
    return Envelope(
        event=event,
        event_id=event_id,
        source=headers.get("ce-source", ""),
        time=time,
        correlation_id=headers.get(CORRELATION, str(event.request_id)),
        causation_id=headers.get(CAUSATION),
        traceparent=headers.get(TRACEPARENT, ""),
    )
