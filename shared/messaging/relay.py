"""The outbox relay: a service publishes what it stored by following its own notification log,
each message signed with the service's key (``shared.signing``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from eventsourcing.persistence import Tracking
from nats.js import JetStreamContext

from shared import subjects
from shared.envelope import MSG_ID, deterministic_event_id, to_body, to_headers
from shared.events import IntegrationEvent, RequestRejected, RequestSubmitted
from shared.messaging.connection import raise_if_cancelled
from shared.messaging.failpoints import failpoint
from shared.signing import ServiceKey

log = logging.getLogger("sivicon.messaging")


class EventSourcedApp(Protocol):
    recorder: Any
    mapper: Any


ToIntegration = Callable[[Any], Sequence[IntegrationEvent]]


@dataclass
class RelayStats:
    position: int = 0
    published: int = 0
    duplicates: int = 0
    errors: int = 0


class OutboxRelay:
    """Publishes what a service stored, in the order it was stored, exactly once in the stream."""

    def __init__(
        self,
        app: EventSourcedApp,
        js: JetStreamContext,
        service: str,
        to_integration: ToIntegration,
        key: ServiceKey,
        *,
        batch_size: int = 200,
        idle_seconds: float = 0.25,
    ) -> None:
        self.app = app
        self.js = js
        self.service = service
        self.to_integration = to_integration
        self.key = key
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.position_key = f"outbox:{service}"
        self.stats = RelayStats()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Thread-safe nudge after a save, so the relay need not wait for its next poll."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        backoff = 0.2
        while True:
            # Cleared before reading, so that a save made while a pass runs wakes the next one.
            self._wake.clear()
            try:
                moved = await self.publish_pending()
                backoff = 0.2
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception:
                raise_if_cancelled()
                self.stats.errors += 1
                log.exception("outbox relay of %s failed; retrying", self.service)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if not moved:
                try:
                    await asyncio.wait_for(self._wake.wait(), self.idle_seconds)
                except TimeoutError:
                    raise_if_cancelled()

    async def publish_pending(self) -> int:
        """Publish one batch after the recorded position; return how many records moved."""
        recorder = self.app.recorder
        position = await asyncio.to_thread(recorder.max_tracking_id, self.position_key) or 0
        self.stats.position = position
        notifications = await asyncio.to_thread(
            recorder.select_notifications, position + 1, self.batch_size
        )
        for notification in notifications:
            domain_event = self.app.mapper.to_domain_event(notification)
            events = self.to_integration(domain_event)
            if events:
                failpoint("relay_before_publish")
            for index, event in enumerate(events):
                await self._publish(notification.id, index, event, domain_event)
            if events:
                failpoint("relay_after_publish")
        if notifications:
            # One position write per batch: after a crash the batch is republished with the
            # same message IDs, and the stream drops the copies.
            last = notifications[-1].id
            await asyncio.to_thread(recorder.insert_tracking, Tracking(self.position_key, last))
            self.stats.position = last
        return len(notifications)

    async def _publish(
        self, position: int, index: int, event: IntegrationEvent, domain_event: Any
    ) -> None:
        event_id = deterministic_event_id(self.service, position, index, self.key.id_secret)
        headers = to_headers(
            event,
            event_id=event_id,
            time=getattr(domain_event, "timestamp", None) or datetime.now(UTC),
            causation_id=getattr(domain_event, "caused_by", None),
        )
        body = to_body(event)
        await self._signed(subjects.event_subject(event), headers, body)
        opd_code = answered_agency(event)
        if opd_code is not None:
            # The answer's copy where only that agency's machine client may read it; its own
            # message ID, so that the stream keeps it beside the event (and drops a republished
            # copy like any other).
            copy = {**headers, MSG_ID: f"{event_id}:answer"}
            await self._signed(subjects.answer_subject(opd_code, event.request_id), copy, body)

    async def _signed(self, subject: str, headers: dict[str, str], body: bytes) -> None:
        signed = self.key.sign(subject, headers, body)
        ack = await self.js.publish(subject, body, headers=signed, stream=subjects.STREAM)
        if ack.duplicate:
            self.stats.duplicates += 1
        else:
            self.stats.published += 1


def answered_agency(event: IntegrationEvent) -> str | None:
    """The agency whose machine client this event answers: a refused machine submission, or a
    request registered (or registered again) from the inbound subject; else ``None``."""
    if isinstance(event, RequestRejected):
        return event.opd_code
    if isinstance(event, RequestSubmitted) and event.channel == "nats":
        return event.opd_code
    return None
