"""The base of every service's event-sourced application.

It records with a process recorder, so that a consumer can store a :class:`Tracking` of the
message it handled in the same transaction as the new events, and it tells listeners (the outbox
relay) when something was saved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import Recording, Tracking


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


class ServiceApplication(Application[UUID]):
    # Long-lived aggregates (an agenda book, a day's schedule) are kept in memory and
    # fast-forwarded from the store on each read, instead of being replayed from their first
    # event every time.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "5000"}

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        prepare_store(env or {})
        super().__init__(env=env)
        self._saved_listeners: list[Callable[[], None]] = []
        # The position this process last recorded with an effect: lets a consumer tell, without
        # asking the store again, whether the handler it just ran recorded its message.
        self.last_saved_tracking: Tracking | None = None

    def construct_recorder(self) -> Any:
        return self.factory.process_recorder()

    def on_saved(self, listener: Callable[[], None]) -> None:
        self._saved_listeners.append(listener)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        for listener in self._saved_listeners:
            listener()

    def save_tracked(self, *objs: Any, tracking: Tracking | None) -> list[Recording[UUID]]:
        """Save new events and, atomically with them, the position of the message handled."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent(tracking=tracking)
        processing_event.collect_events(*objs)
        recordings = self._record(processing_event)
        if tracking is not None:
            self.last_saved_tracking = tracking
        self._notify(recordings)
        return recordings

    def has_tracking(self, tracking: Tracking) -> bool:
        """Whether the recorded position is at or past this one (one row per position name)."""
        recorder: Any = self.recorder
        return bool(recorder.has_tracking_id(tracking.application_name, tracking.notification_id))

    def recorded_position(self, name: str) -> int:
        """How far the messages of ``name`` have been dealt with (0: none yet)."""
        recorder: Any = self.recorder
        return int(recorder.max_tracking_id(name) or 0)

    def record_position(self, tracking: Tracking) -> None:
        """Move the position past a message that changed nothing (raises ``IntegrityError``
        when the recorded position is already at or past it)."""
        recorder: Any = self.recorder
        recorder.insert_tracking(tracking)

    def get_or_none(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
