"""The base of every service's event-sourced application.

A service is an ``eventsourcing`` projection (:class:`EventSourcedProjection`): what it consumes
from the stream is handed to it as the typed integration event and the message's tracking,
through the library's own ``process_event``, and its ``policy`` (one method registered per event
type) collects the aggregates the event changes; the library records them and the tracking in
one transaction. Commands from the HTTP API are saved with ``save``. After either, the listeners
(the outbox relay) are told that something was stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import singledispatchmethod
from inspect import getattr_static
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.domain import (
    Aggregate,
    CanMutateAggregate,
    DomainEventProtocol,
    MutableOrImmutableAggregate,
)
from eventsourcing.persistence import Recording, Tracking
from eventsourcing.projection import EventSourcedProjection
from eventsourcing.utils import register_topic


def prepare_store(env: Mapping[str, str]) -> None:
    """Create the PostgreSQL schema a service's tables live in (SQLite needs nothing)."""
    if env.get("PERSISTENCE_MODULE") != "eventsourcing.postgres":
        return
    schema = env.get("POSTGRES_SCHEMA")
    if not schema:
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=int(env.get("POSTGRES_PORT", "5432")),
        user=env["POSTGRES_USER"],
        password=env.get("POSTGRES_PASSWORD") or None,
        dbname=env["POSTGRES_DBNAME"],
        autocommit=True,
    ) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def keep_old_topics(old_module: str, aggregates: Iterable[type[Aggregate]]) -> None:
    """Let stores written before ``old_module`` became a package load: stored events name their
    class by topic (``services.letters.domain:Letter.Sent``), and these aggregates now live in
    its submodules (``services.letters.domain.letter:Letter.Sent``). Registers the old topic of
    each aggregate and of each of its event classes."""
    for aggregate in aggregates:
        old = f"{old_module}:{aggregate.__qualname__}"
        register_topic(old, aggregate)
        for name, value in vars(aggregate).items():
            if isinstance(value, type) and issubclass(value, CanMutateAggregate):
                register_topic(f"{old}.{name}", value)


def cause_of(processing: ProcessingEvent[UUID]) -> str | None:
    """The ID of the event being processed (its CloudEvents ``ce-id``), for ``caused_by``."""
    return getattr(processing.tracking, "event_id", None)


class ServiceApplication(EventSourcedProjection[UUID]):
    # Long-lived aggregates (an agenda book, a day's schedule) are kept in memory and
    # fast-forwarded from the store on each read, instead of being replayed from their first
    # event every time.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "5000"}

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        prepare_store(env or {})
        super().__init__(env=env)
        self._saved_listeners: list[Callable[[], None]] = []
        # The position this process last recorded: lets a consumer tell, without asking the
        # store again, that the handler it just ran recorded its message.
        self.last_saved_tracking: Tracking | None = None

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """An event no method is registered for changes nothing (its position is recorded)."""

    @classmethod
    def consumed_events(cls) -> list[type]:
        """The event types this application's ``policy`` has a method for: what it subscribes
        to, so that the subscription and the handling are written once."""
        policy = getattr_static(cls, "policy")
        return [kind for kind in policy.dispatcher.registry if kind is not object]

    def process_event(
        self, domain_event: DomainEventProtocol[UUID] | Any, tracking: Tracking
    ) -> None:
        super().process_event(domain_event, tracking)
        self.last_saved_tracking = tracking
        self._tell_listeners()

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        recordings = super().save(*objs, **kwargs)
        self._tell_listeners()
        return recordings

    def on_saved(self, listener: Callable[[], None]) -> None:
        self._saved_listeners.append(listener)

    def _tell_listeners(self) -> None:
        for listener in self._saved_listeners:
            listener()

    def has_tracking(self, tracking: Tracking) -> bool:
        """Whether the recorded position is at or past this one (one row per position name)."""
        return bool(
            self.recorder.has_tracking_id(tracking.application_name, tracking.notification_id)
        )

    def recorded_position(self, name: str) -> int:
        """How far the messages of ``name`` have been dealt with (0: none yet)."""
        return int(self.recorder.max_tracking_id(name) or 0)

    def record_position(self, tracking: Tracking) -> None:
        """Move the position past a message that changed nothing (raises ``IntegrityError``
        when the recorded position is already at or past it)."""
        self.recorder.insert_tracking(tracking)

    def get_or_none(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
