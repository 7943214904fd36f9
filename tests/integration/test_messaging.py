"""The outbox relay and the idempotent consumer, against a real nats-server."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from functools import singledispatchmethod
from typing import Any
from uuid import UUID, uuid4

import nats
import pytest
from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from shared import subjects
from shared.envelope import MSG_ID
from shared.events import Actor, Disposed, IntegrationEvent
from shared.eventstore import ServiceApplication
from shared.messaging import (
    Consumed,
    Delivery,
    DurableConsumer,
    OutboxRelay,
    ensure_stream,
    hand_over,
    tracking_name,
)
from shared.signing import Keyring, verify_event
from tests.support import published_keyring, read_stream, signed, signing_key, wait_for_messages

KADIS = Actor(username="kadis", name="Kadis", role="kadis")


class Note(Aggregate):
    @event("Written")
    def __init__(self, request_id: UUID, text: str) -> None:
        self.request_id = request_id
        self.text = text
        self.seen: list[str] = []

    @event("Seen")
    def see(self, what: str) -> None:
        self.seen.append(what)


def to_integration(domain_event: Any) -> list[IntegrationEvent]:
    if isinstance(domain_event, Note.Written):
        return [
            Disposed(
                request_id=domain_event.request_id,
                sop_step=2,
                by=KADIS,
                to_role="kabid",
                instruction=domain_event.text,
                disposed_at=domain_event.timestamp,
            )
        ]
    return []


class Notes(ServiceApplication):
    """Writes notes; each consumed ``Disposed`` is seen on the inbox note, once."""

    inbox: UUID | None = None
    # Set to hang the policy once the inbox has seen this many (a process stuck mid-batch).
    hang_after: int | None = None
    hang = threading.Event()

    def write(self, request_id: UUID, text: str) -> UUID:
        note = Note(request_id, text)
        self.save(note)
        return note.id

    def seen(self) -> list[str]:
        assert self.inbox is not None
        return list(self.repository.get(self.inbox).seen)

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Other events change nothing."""

    @policy.register
    def _(self, domain_event: Disposed, processing_event: ProcessingEvent[UUID]) -> None:
        assert self.inbox is not None
        note = self.repository.get(self.inbox)
        note.see(domain_event.instruction)
        processing_event.collect_events(note)

    def process_event(self, domain_event: Any, tracking: Any) -> None:
        super().process_event(domain_event, tracking)
        if self.hang_after is not None and len(self.seen()) >= self.hang_after:
            self.hang.wait(30)  # recorded, never acknowledged


@pytest.fixture
def sqlite_env(tmp_path: Any) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(tmp_path / "notes.sqlite"),
    }


def disposition_relay(app: Notes, js: Any) -> OutboxRelay:
    """A relay publishing as the disposition service, signing with its test key."""
    return OutboxRelay(app, js, "disposition", to_integration, signing_key("disposition"))


async def test_relay_publishes_each_stored_event_once_even_when_run_twice(
    nats_url: str, sqlite_env: dict[str, str]
) -> None:
    app = Notes(env=sqlite_env)
    request_id = uuid4()
    app.write(request_id, "Proses lebih lanjut")
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js)
    relay = disposition_relay(app, js)
    assert await relay.publish_pending() == 1
    # A restarted relay reads its position from the service's own store.
    fresh = Notes(env=sqlite_env)
    relay_again = disposition_relay(fresh, js)
    assert await relay_again.publish_pending() == 0
    await nc.close()
    messages = await read_stream(nats_url)
    assert [m.subject for m in messages] == [f"sivicon.disposition.Disposed.{request_id}"]
    headers = messages[0].headers
    assert headers["ce-type"] == "sivicon.Disposed.v1"
    assert headers["ce-source"] == "/sivicon/disposition"
    assert headers["ce-subject"] == str(request_id)
    assert headers[MSG_ID] == headers["ce-id"]
    assert headers["traceparent"].startswith(f"00-{request_id.hex}-")
    assert headers["sivicon-key-id"] == signing_key("disposition").key_id
    keyring = Keyring(published_keyring())
    assert verify_event(keyring, messages[0].subject, headers, messages[0].data) == "disposition"


async def test_republishing_without_recorded_position_is_dropped_by_the_stream(
    nats_url: str, sqlite_env: dict[str, str], tmp_path: Any
) -> None:
    app = Notes(env=sqlite_env)
    request_id = uuid4()
    app.write(request_id, "Tanggapan dan saran")
    # The store as a relay that crashed after publishing left it: the event, no position.
    crashed = tmp_path / "crashed.sqlite"
    with sqlite3.connect(sqlite_env["SQLITE_DBNAME"]) as source, sqlite3.connect(crashed) as copy:
        source.backup(copy)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js)
    assert (
        await OutboxRelay(
            app, js, "disposition", to_integration, signing_key("disposition")
        ).publish_pending()
        == 1
    )
    restarted = Notes(env={**sqlite_env, "SQLITE_DBNAME": str(crashed)})
    relay = disposition_relay(restarted, js)
    assert await relay.publish_pending() == 1
    assert relay.stats.duplicates == 1
    await nc.close()
    assert len(await read_stream(nats_url)) == 1


async def test_consumer_applies_a_redelivered_event_once_and_dead_letters_garbage(
    nats_url: str, sqlite_env: dict[str, str], tmp_path: Any
) -> None:
    producer = Notes(env=sqlite_env)
    consumer_app = Notes(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / "consumer.sqlite"),
        }
    )
    consumer_app.inbox = consumer_app.write(uuid4(), "inbox")
    request_id = uuid4()
    producer.write(request_id, "Koordinasikan")

    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js)
    await OutboxRelay(
        producer, js, "disposition", to_integration, signing_key("disposition")
    ).publish_pending()
    garbage = {
        "ce-type": "sivicon.Disposed.v1",
        "ce-id": "bad-1",
        "ce-source": "/sivicon/disposition",
    }
    subject = "sivicon.disposition.Disposed.x"
    await js.publish(subject, b"not json", headers=signed(subject, garbage, b"not json"))
    await OutboxRelay(
        producer, js, "disposition", to_integration, signing_key("disposition")
    ).publish_pending()
    handler = hand_over(consumer_app, Keyring(published_keyring()))
    consumer = DurableConsumer(
        nc,
        js,
        service="letters",
        durable="letters",
        filter_subjects=[subjects.event_filter("disposition")],
        handler=handler,
        store=consumer_app,
    )
    task = asyncio.create_task(consumer.run())
    dead = await wait_for_messages(nats_url, "sivicon.deadletter.letters", 1)
    assert "does not match its schema" in dead[0].headers["sivicon-error"]
    for _ in range(50):
        if consumer.stats.handled >= 1:
            break
        await asyncio.sleep(0.1)
    # Simulate a redelivery: the same stream message handled again has no second effect.
    first = (await read_stream(nats_url, "sivicon.disposition.Disposed.*"))[0]
    position_name = await tracking_name(js)
    tracking = Consumed(position_name, first.seq, event_id=first.headers["ce-id"])
    assert consumer_app.has_tracking(tracking)
    # Handling the same stream message again is refused by the store: no second effect.
    with pytest.raises(IntegrityError):
        handler(Delivery(first.subject, first.headers, first.data, tracking))
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await nc.close()
    assert consumer_app.seen() == ["Koordinasikan"]
    assert consumer.stats.dead_lettered == 1


async def test_stream_is_created_with_dedup_window(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await js.delete_stream(subjects.STREAM)  # the test server's, as the admin provisioned it
    await ensure_stream(js, duplicate_window_seconds=600)
    info = await js.stream_info(subjects.STREAM)
    await nc.close()
    assert info.config.subjects == ["sivicon.>"]
    assert info.config.duplicate_window == 600


async def test_a_consumer_that_dies_with_messages_in_hand_loses_none_of_them(
    nats_url: str, sqlite_env: dict[str, str], tmp_path: Any
) -> None:
    """The first consumer takes a batch, applies 10 messages and hangs holding the rest (as a
    stopped process would); its successor applies every message once, in stream order, and
    recognises the one applied but never acknowledged."""
    producer = Notes(env=sqlite_env)
    for index in range(30):
        producer.write(uuid4(), f"instruksi {index:02d}")
    consumer_env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(tmp_path / "consumer.sqlite"),
    }
    consumer_app = Notes(env=consumer_env)
    consumer_app.inbox = consumer_app.write(uuid4(), "inbox")
    consumer_app.hang_after = 10
    consumer_app.hang = threading.Event()

    first_nc = await nats.connect(nats_url)
    js = first_nc.jetstream()
    await ensure_stream(js)
    await OutboxRelay(
        producer, js, "disposition", to_integration, signing_key("disposition")
    ).publish_pending()

    def consumer(nc: Any) -> DurableConsumer:
        return DurableConsumer(
            nc,
            nc.jetstream(),
            service="letters",
            durable="letters",
            filter_subjects=[subjects.event_filter("disposition")],
            handler=hand_over(consumer_app, Keyring(published_keyring())),
            store=consumer_app,
            ack_wait_seconds=2.0,
        )

    first = consumer(first_nc)
    first_task = asyncio.create_task(first.run())
    for _ in range(100):
        if len(consumer_app.seen()) >= 10:
            break
        await asyncio.sleep(0.05)
    first_task.cancel()
    await first_nc.close()  # the process is gone: 40 messages were in its hands, unacknowledged
    await asyncio.sleep(2.5)  # past the ack wait: the server would now redeliver them
    second_nc = await nats.connect(nats_url)
    consumer_app.hang_after = None
    second = consumer(second_nc)
    second_task = asyncio.create_task(second.run())
    for _ in range(200):
        if second.stats.handled >= 20:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    second_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await second_task
    consumer_app.hang.set()
    await second_nc.close()
    seen = consumer_app.seen()
    assert seen == [f"instruksi {index:02d}" for index in range(30)]  # once each, in order
    assert second.stats.handled == 20
    assert second.stats.already_applied == 1  # the tenth: applied, never acknowledged
    assert second.stats.skipped == 0


async def test_a_consumer_stops_when_its_cancellation_is_reported_as_a_fetch_timeout(
    nats_url: str, sqlite_env: dict[str, str]
) -> None:
    """A service's shutdown cancels its consumer. On Python 3.11 a cancellation that lands as
    nats-py's fetch times out can come out of the fetch as a timeout (``asyncio.wait_for``'s
    race); the consumer must still stop, not take it for "no messages yet" and fetch again."""
    from nats.errors import TimeoutError as NatsTimeoutError

    app = Notes(env=sqlite_env)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js)

    class RacingConsumer(DurableConsumer):
        async def _open(self) -> Any:
            subscription = await super()._open()
            fetch = subscription.fetch

            async def fetch_as_the_race_reports_it(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await fetch(*args, **kwargs)
                except asyncio.CancelledError:
                    raise NatsTimeoutError from None

            subscription.fetch = fetch_as_the_race_reports_it
            return subscription

    consumer = RacingConsumer(
        nc,
        js,
        service="letters",
        durable="letters",
        filter_subjects=[subjects.event_filter("disposition")],
        handler=hand_over(app, Keyring(published_keyring())),
        store=app,
    )
    task = asyncio.create_task(consumer.run())
    await asyncio.sleep(0.5)  # open, and waiting in a fetch
    task.cancel()
    _done, pending = await asyncio.wait([task], timeout=5)
    assert not pending, "the consumer went on fetching after it was cancelled"
    await nc.close()
