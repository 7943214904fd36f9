"""Dead letters: a message that will never be applied is copied aside with its reason."""

from __future__ import annotations

from datetime import UTC, datetime

from nats.js import JetStreamContext

from shared import subjects
from shared.envelope import ERROR_HEADER, MSG_ID
from shared.messaging.delivery import Delivery


async def publish_dead_letter(
    js: JetStreamContext, service: str, delivery: Delivery, reason: str
) -> None:
    """Copy a refused message to ``sivicon.deadletter.<service>`` with the reason in the
    ``sivicon-error`` header; its message ID is derived from the stream position, so a copy made
    again after a crash is dropped by the stream."""
    headers = {k: v for k, v in delivery.headers.items() if k != MSG_ID}
    headers[ERROR_HEADER] = reason[:1000].replace("\r", " ").replace("\n", " ")
    headers["sivicon-original-subject"] = delivery.subject
    headers["sivicon-dead-lettered-at"] = datetime.now(UTC).isoformat()
    headers[MSG_ID] = f"deadletter:{service}:{delivery.tracking.notification_id}"
    await js.publish(
        subjects.deadletter_subject(service),
        delivery.data,
        headers=headers,
        stream=subjects.STREAM,
    )
