"""The consumer: a service applies the events it consumes, in stream order, each once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from eventsourcing.persistence import IntegrityError, Tracking
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from shared import subjects
from shared.messaging.connection import raise_if_cancelled, tracking_name
from shared.messaging.deadletters import publish_dead_letter
from shared.messaging.delivery import Consumed, Delivery, Handler, Refused

log = logging.getLogger("sivicon.messaging")


class PositionStore(Protocol):
    """Where a consumer's position lives: the service's own event store."""

    last_saved_tracking: Tracking | None

    def recorded_position(self, name: str) -> int: ...

    def record_position(self, tracking: Tracking) -> None: ...


@dataclass
class ConsumerStats:
    """What an operator sees of a consumer on the health page.

    ``already_applied`` counts redeliveries of messages whose effect was recorded before (after a
    crash, or an acknowledgement that did not arrive); ``skipped`` counts messages acknowledged
    without their position being recorded, which the design rules out and which must stay 0;
    ``rewinds`` counts the times the consumer was recreated at the recorded position (start-up,
    a gap in delivery, a NATS outage).
    """

    position: int = 0
    handled: int = 0
    already_applied: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    rewinds: int = 0
    retries: int = 0
    last_error: str | None = None
    dead_letter_reasons: list[str] = field(default_factory=list)


class Rewind(Exception):
    """Delivery is no longer known to be contiguous: start again at the recorded position."""


class DurableConsumer:
    """Applies the messages of its subjects strictly in stream order, each once, from the
    position recorded in the service's own store.

    Why nothing is lost, reordered or applied twice:

    * The position is the store's, not the server's: a message's effect is stored in the same
      transaction as the service's tracking row moved to its stream sequence; a message that
      changed nothing, or was dead-lettered, moves the row too (with the next effect, or at the
      end of its batch). The row only moves forward (the store refuses a lower or equal one), so
      two processes can never both apply a message.
    * Each time it starts, loses its connection or sees a gap, the consumer is recreated on the
      server to deliver from just after its acknowledged floor (never past the recorded position),
      so the server's idea of "pending" can never send a newer message ahead of an older one.
    * A fresh consumer delivers in stream order with consumer sequences 1, 2, 3, ... (a
      redelivery takes the next number too). Any jump means a delivery went missing: rewind.
    * A message is applied only if it is past the recorded position and every delivery before it
      was seen; one at or below the position is a redelivery of what was applied (acknowledged,
      counted as ``already_applied``). It is acknowledged only once its position is recorded.
    """

    def __init__(
        self,
        nc: NatsClient,
        js: JetStreamContext,
        *,
        service: str,
        durable: str,
        filter_subjects: Sequence[str],
        handler: Handler,
        store: PositionStore,
        batch_size: int = 50,
        ack_wait_seconds: float = 60.0,
    ) -> None:
        self.nc = nc
        self.js = js
        self.service = service
        self.durable = durable
        self.filter_subjects = list(filter_subjects)
        self.handler = handler
        self.store = store
        self.batch_size = batch_size
        self.ack_wait_seconds = ack_wait_seconds
        self.stats = ConsumerStats()
        self._tracking_name = ""
        self._unrecorded: list[Msg] = []  # applied, changed nothing, position not yet recorded

    async def _open(self) -> JetStreamContext.PullSubscription:
        """(Re)create the server-side consumer just after what this service has dealt with."""
        self._tracking_name = await tracking_name(self.js)
        position = await asyncio.to_thread(self.store.recorded_position, self._tracking_name)
        self.stats.position = position
        start = position + 1
        try:
            info = await self.js.consumer_info(subjects.STREAM, self.durable)
        except NotFoundError:
            pass
        else:
            # Messages applied but not acknowledged before a crash come back first and are
            # recognised as already applied.
            floor = info.ack_floor.stream_seq if info.ack_floor else 0
            start = min(start, (floor or 0) + 1)
            await self.js.delete_consumer(subjects.STREAM, self.durable)
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=max(start, 1),
            filter_subjects=self.filter_subjects,
            ack_wait=self.ack_wait_seconds,
            max_deliver=-1,
            max_ack_pending=self.batch_size * 4,
        )
        await self.js.add_consumer(subjects.STREAM, config)
        self.stats.rewinds += 1
        log.info(
            "%s: consuming from stream sequence %d (recorded position %d)",
            self.service,
            config.opt_start_seq,
            position,
        )
        return await self.js.pull_subscribe_bind(durable=self.durable, stream=subjects.STREAM)

    async def run(self) -> None:
        """Pull and apply until cancelled; an outage or a gap is waited out, not fatal."""
        backoff = 0.2
        while True:
            subscription = None
            try:
                subscription = await self._open()
                backoff = 0.2
                await self._consume(subscription)
            except Rewind as gap:
                log.warning("%s: %s; resuming from the recorded position", self.service, gap)
            except NatsError as exc:
                raise_if_cancelled()
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("%s: NATS unavailable (%s); retrying", self.service, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                self._unrecorded.clear()  # not acknowledged: delivered again, after the position
                if subscription is not None:
                    with contextlib.suppress(NatsError, TimeoutError):
                        await subscription.unsubscribe()

    async def _consume(self, subscription: JetStreamContext.PullSubscription) -> None:
        expected = 1  # the next consumer sequence of this (fresh) server-side consumer
        reconnects = self.nc.stats["reconnects"]
        while True:
            try:
                messages = await subscription.fetch(self.batch_size, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                raise_if_cancelled()
                messages = []
            if self.nc.stats["reconnects"] != reconnects:
                raise Rewind("reconnected to NATS")
            for message in messages:
                sequence = message.metadata.sequence
                if sequence.consumer != expected:
                    raise Rewind(
                        f"delivery {sequence.consumer} arrived where {expected} was due "
                        f"(stream sequence {sequence.stream})"
                    )
                expected += 1
                await self._process(message, sequence.stream)
            await self._record_unchanged()

    async def _record_unchanged(self) -> None:
        """Record, once per batch, the position of messages that changed nothing, then
        acknowledge them (a crash before this only brings them again, to change nothing)."""
        if not self._unrecorded:
            return
        last = self._unrecorded[-1].metadata.sequence.stream
        tracking = Tracking(self._tracking_name, last)
        with contextlib.suppress(IntegrityError):  # recorded past it meanwhile
            await asyncio.to_thread(self.store.record_position, tracking)
        self.stats.position = max(self.stats.position, last)
        await self._acknowledge()

    async def _acknowledge(self, *messages: Msg) -> None:
        """Acknowledge what is recorded: the messages held back, then these."""
        for message in [*self._unrecorded, *messages]:
            if self.stats.position < message.metadata.sequence.stream:
                self.stats.skipped += 1  # ruled out by design: shown so that it can be checked
                log.error("%s: %s acknowledged unrecorded", self.service, message.subject)
            # A lost acknowledgement only brings a redelivery, recognised as already applied.
            with contextlib.suppress(NatsError):
                await message.ack()
        self._unrecorded.clear()

    async def _process(self, message: Msg, stream_sequence: int) -> None:
        delivery = Delivery(
            subject=message.subject,
            headers=dict(message.headers or {}),
            data=message.data,
            tracking=Consumed(
                self._tracking_name, stream_sequence, event_id=(message.headers or {}).get("ce-id")
            ),
        )
        backoff = 0.1
        while True:
            try:
                applied = await asyncio.to_thread(self._apply, delivery)
                break
            except Refused as refusal:
                await self.dead_letter(delivery, str(refusal))
                await asyncio.to_thread(self._settle_refusal, delivery, refusal)
                await self._acknowledge()  # what was held back is recorded by now
                with contextlib.suppress(NatsError):
                    await message.term()  # never to be delivered again: its position is recorded
                return
            except IntegrityError:
                # Either another process recorded this position meanwhile, or a concurrent
                # command moved the same aggregate: the store's position tells which.
                self.stats.retries += 1
                self.stats.position = await asyncio.to_thread(
                    self.store.recorded_position, self._tracking_name
                )
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as exc:
                raise_if_cancelled()
                self.stats.retries += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("%s: handling %s failed; retrying", self.service, message.subject)
                with contextlib.suppress(NatsError):
                    await message.in_progress()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
        if applied:
            self.stats.handled += 1
            self._log_handled(delivery)
        else:
            self.stats.already_applied += 1
        if self.stats.position < stream_sequence:
            self._unrecorded.append(message)  # changed nothing: recorded at the batch's end
        else:
            await self._acknowledge(message)

    def _apply(self, delivery: Delivery) -> bool:
        """In one worker thread: apply and return ``True``, or ``False`` if already applied.

        ``stats.position`` is the recorded position as this process knows it: read from the
        store when the consumer opens and after a refused write, moved by what this process
        records. If another process recorded further meanwhile, the handler's write is refused
        by the store (the position only moves forward) and the position is read again. The
        handler records the position with its effect; a message that changed nothing is
        recorded with the next effect, or at the end of its batch.
        """
        if delivery.tracking.notification_id <= self.stats.position:
            return False
        self.handler(delivery)
        if self.store.last_saved_tracking == delivery.tracking:
            self.stats.position = delivery.tracking.notification_id
        return True

    def _settle_refusal(self, delivery: Delivery, refusal: Refused) -> None:
        """Record a refused message's answer (or just its position) once."""
        sequence = delivery.tracking.notification_id
        if self.store.recorded_position(delivery.tracking.application_name) < sequence:
            with contextlib.suppress(IntegrityError):  # answered before a crash
                if refusal.answer is not None:
                    refusal.answer(delivery.tracking)
                else:
                    self.store.record_position(delivery.tracking)
        self.stats.position = max(self.stats.position, sequence)

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
        await publish_dead_letter(self.js, self.service, delivery, reason)
