"""The outbox relay: a service publishes what it stored by following its own notification log."""

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
from shared.envelope import deterministic_event_id, to_body, to_headers
from shared.events import IntegrationEvent
from shared.messaging.connection import raise_if_cancelled
from shared.messaging.failpoints import failpoint

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
        *,
        batch_size: int = 200,
        idle_seconds: float = 0.25,
    ) -> None:
        self.app = app
        self.js = js
        self.service = service
        self.to_integration = to_integration
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
        event_id = deterministic_event_id(self.service, position, index)
        headers = to_headers(
            event,
            event_id=event_id,
            time=getattr(domain_event, "timestamp", None) or datetime.now(UTC),
            causation_id=getattr(domain_event, "caused_by", None),
        )
        ack = await self.js.publish(
            subjects.event_subject(event), to_body(event), headers=headers, stream=subjects.STREAM
        )
        if ack.duplicate:
            self.stats.duplicates += 1
        else:
            self.stats.published += 1
