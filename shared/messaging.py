"""NATS JetStream for every service: the connection, the stream, the outbox relay, the consumer.

* :class:`OutboxRelay` follows a service's notification log and publishes each stored domain
  event as integration events, with a ``Nats-Msg-Id`` derived from the record's position. It
  records how far it got in the service's own store (a tracking row), so a relay that dies between
  publishing and recording republishes the same IDs and the stream's duplicate window drops them.
* :class:`DurableConsumer` pulls from a durable consumer and hands each message to a handler in a
  worker thread (``eventsourcing`` is synchronous). The handler records its new state together
  with a :class:`Tracking` of the message's stream sequence, atomically; a redelivered message
  finds its tracking already there and has no second effect. Messages are handled one at a time,
  in stream order, so one request's events are applied in order. A message the handler refuses
  (:class:`Refused`) is terminated and copied to ``sivicon.deadletter.<service>`` with the reason;
  any other error is retried in place with back-off: the loop never dies on bad input.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import nats
from eventsourcing.persistence import IntegrityError, Tracking
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from shared import subjects
from shared.envelope import (
    ERROR_HEADER,
    MSG_ID,
    Envelope,
    EnvelopeError,
    deterministic_event_id,
    from_message,
    to_body,
    to_headers,
)
from shared.events import IntegrationEvent

log = logging.getLogger("sivicon.messaging")


class Refused(Exception):
    """The handler will never accept this message: dead-letter it with this reason.

    ``answer``, when given, records the refusal in the service's store (e.g. a
    ``RequestRejected`` for the sender); it is called with the message's tracking after the
    dead-letter copy is published, so a crash in between repeats neither.
    """

    def __init__(self, reason: str, *, answer: Callable[[Tracking], None] | None = None) -> None:
        super().__init__(reason)
        self.answer = answer


def failpoint(name: str) -> None:
    """Die here, as a SIGKILL would, when the fault-injection tests ask for it."""
    if name in os.environ.get("SIVICON_FAILPOINTS", "").split(","):
        log.warning("failpoint %s: exiting abruptly", name)
        os._exit(137)


async def connect(url: str, name: str) -> NatsClient:
    """A connection that reconnects for ever, reporting outages in one line each."""

    async def on_error(exc: Exception) -> None:
        log.warning("%s: NATS connection problem: %s", name, exc or type(exc).__name__)

    async def on_disconnected() -> None:
        log.warning("%s: disconnected from NATS; reconnecting", name)

    async def on_reconnected() -> None:
        log.info("%s: reconnected to NATS", name)

    return await nats.connect(
        servers=[u.strip() for u in url.split(",")],
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        error_cb=on_error,
        disconnected_cb=on_disconnected,
        reconnected_cb=on_reconnected,
    )


async def ensure_stream(
    js: JetStreamContext, *, replicas: int = 1, duplicate_window_seconds: int = 3600
) -> None:
    """Create the ``SIVICON`` stream if it is missing (file storage, ``sivicon.>``, dedup)."""
    try:
        await js.stream_info(subjects.STREAM)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=subjects.STREAM,
                subjects=[subjects.ALL],
                storage=StorageType.FILE,
                num_replicas=replicas,
                duplicate_window=float(duplicate_window_seconds),
            )
        )


async def tracking_name(js: JetStreamContext) -> str:
    """Tracking key for stream positions; a recreated stream starts a fresh sequence."""
    info = await js.stream_info(subjects.STREAM)
    created = getattr(info, "created", None) or ""
    return f"{subjects.STREAM}@{created}"


# --------------------------------------------------------------------------- outbox relay


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
            try:
                moved = await self.publish_pending()
                backoff = 0.2
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception:
                self.stats.errors += 1
                log.exception("outbox relay of %s failed; retrying", self.service)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if not moved:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle_seconds)

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


# --------------------------------------------------------------------------- consumer


@dataclass(frozen=True)
class Delivery:
    """One message as a handler sees it, with the tracking to record beside its effect."""

    subject: str
    headers: Mapping[str, str]
    data: bytes
    tracking: Tracking


Handler = Callable[[Delivery], None]


@dataclass
class ConsumerStats:
    handled: int = 0
    ignored_duplicates: int = 0
    dead_lettered: int = 0
    retries: int = 0
    last_error: str | None = None
    dead_letter_reasons: list[str] = field(default_factory=list)


class DurableConsumer:
    """A durable pull consumer that applies messages one by one, idempotently, in order."""

    def __init__(
        self,
        nc: NatsClient,
        js: JetStreamContext,
        *,
        service: str,
        durable: str,
        filter_subjects: Sequence[str],
        handler: Handler,
        has_tracking: Callable[[Tracking], bool],
        batch_size: int = 50,
        ack_wait_seconds: float = 60.0,
    ) -> None:
        self.nc = nc
        self.js = js
        self.service = service
        self.durable = durable
        self.filter_subjects = list(filter_subjects)
        self.handler = handler
        self.has_tracking = has_tracking
        self.batch_size = batch_size
        self.ack_wait_seconds = ack_wait_seconds
        self.stats = ConsumerStats()
        self._tracking_name = ""

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subjects=self.filter_subjects,
            ack_wait=self.ack_wait_seconds,
            max_deliver=-1,
            max_ack_pending=self.batch_size * 4,
        )
        try:
            info = await self.js.consumer_info(subjects.STREAM, self.durable)
            if sorted(info.config.filter_subjects or []) != sorted(self.filter_subjects):
                await self.js.add_consumer(subjects.STREAM, config)  # updates in place
        except NotFoundError:
            await self.js.add_consumer(subjects.STREAM, config)
        self._tracking_name = await tracking_name(self.js)
        return await self.js.pull_subscribe_bind(durable=self.durable, stream=subjects.STREAM)

    async def run(self) -> None:
        """Pull and apply until cancelled; a NATS outage is waited out, not fatal."""
        subscription = None
        backoff = 0.2
        while True:
            try:
                if subscription is None:
                    subscription = await self._subscribe()
                messages = await subscription.fetch(self.batch_size, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                continue
            except NatsError as exc:
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("%s: NATS unavailable (%s); retrying", self.service, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                if isinstance(exc, ConnectionClosedError | NotFoundError):
                    subscription = None
                continue
            backoff = 0.2
            for message in messages:
                try:
                    await self._process(message)
                except NatsError as exc:
                    # Acking or dead-lettering failed: the message comes back after ack_wait,
                    # and its tracking (or the dead letter's message ID) stops a second effect.
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("%s: could not settle %s (%s)", self.service, message.subject, exc)
                    break

    async def _process(self, message: Msg) -> None:
        delivery = Delivery(
            subject=message.subject,
            headers=dict(message.headers or {}),
            data=message.data,
            tracking=Tracking(self._tracking_name, message.metadata.sequence.stream),
        )
        backoff = 0.1
        while True:
            try:
                if await asyncio.to_thread(self._apply, delivery):
                    self.stats.handled += 1
                    self._log_handled(delivery)
                else:
                    self.stats.ignored_duplicates += 1
                break
            except Refused as refusal:
                await self.dead_letter(delivery, str(refusal))
                if refusal.answer is not None:
                    with contextlib.suppress(IntegrityError):  # answered before a crash
                        await asyncio.to_thread(refusal.answer, delivery.tracking)
                await message.term()
                return
            except IntegrityError:
                # Either this message was applied meanwhile (a redelivery), or a concurrent
                # command moved the same aggregate: the check at the top of the loop tells which.
                self.stats.retries += 1
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as exc:
                self.stats.retries += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("%s: handling %s failed; retrying", self.service, message.subject)
                await message.in_progress()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
        await message.ack()

    def _apply(self, delivery: Delivery) -> bool:
        """In one worker thread: skip what was applied already, else apply; say which."""
        if self.has_tracking(delivery.tracking):
            return False
        self.handler(delivery)
        return True

    def _log_handled(self, delivery: Delivery) -> None:
        request_id = delivery.headers.get("ce-subject") or delivery.subject.rsplit(".", 1)[-1]
        event_type = delivery.headers.get("ce-type") or delivery.subject
        log.info(
            "%s handled %s for request %s (stream seq %d)",
            self.service,
            event_type,
            request_id,
            delivery.tracking.notification_id,
            extra={"request_id": request_id, "event_type": event_type, "service": self.service},
        )

    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        self.stats.dead_lettered += 1
        self.stats.dead_letter_reasons = [*self.stats.dead_letter_reasons[-19:], reason]
        log.warning("%s: dead-lettering %s: %s", self.service, delivery.subject, reason)
        headers = {k: v for k, v in delivery.headers.items() if k != MSG_ID}
        headers[ERROR_HEADER] = reason[:1000].replace("\r", " ").replace("\n", " ")
        headers["sivicon-original-subject"] = delivery.subject
        headers["sivicon-dead-lettered-at"] = datetime.now(UTC).isoformat()
        headers[MSG_ID] = f"deadletter:{self.service}:{delivery.tracking.notification_id}"
        await self.js.publish(
            subjects.deadletter_subject(self.service),
            delivery.data,
            headers=headers,
            stream=subjects.STREAM,
        )


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


async def read_subject(js: JetStreamContext, filter_subject: str = subjects.ALL) -> list[Msg]:
    """Every message now in the stream under ``filter_subject``, in stream order (for readers
    such as ``sivicon audit``; an ephemeral consumer, no acks, gone when done)."""
    try:
        info = await js.stream_info(subjects.STREAM)
    except NotFoundError:
        return []
    if info.state.messages == 0:
        return []
    sub = await js.pull_subscribe(
        filter_subject,
        stream=subjects.STREAM,
        config=ConsumerConfig(
            ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=10.0
        ),
    )
    out: list[Msg] = []
    try:
        while True:
            try:
                batch = await sub.fetch(500, timeout=0.5)
            except (NatsTimeoutError, TimeoutError):
                break
            out.extend(batch)
            if not batch or batch[-1].metadata.num_pending == 0:
                break
    finally:
        await sub.unsubscribe()
    return out
