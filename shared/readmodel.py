"""The one way a service builds a list or an inbox: an index of one row per aggregate, kept from
the service's own notification log.

Before each read it reads the notifications stored since it last looked and rebuilds the rows of
the aggregates they belong to, so it is right after a restart (it starts from the first event)
and whichever process wrote the store; it is rebuildable from the events alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar
from uuid import UUID

from eventsourcing.utils import resolve_topic

from shared.eventstore import ServiceApplication

A = TypeVar("A")
R = TypeVar("R")


class AggregateIndex(Generic[A, R]):
    """One ``row(aggregate)`` per aggregate of class ``kind`` in ``app``'s store."""

    def __init__(
        self,
        app: ServiceApplication,
        kind: type[A],
        row: Callable[[A], R],
        batch_size: int = 500,
    ) -> None:
        self._app = app
        self._kind = kind
        self._row = row
        self._batch_size = batch_size
        self._position = 0
        self._rows: dict[UUID, R] = {}
        self._lock = threading.Lock()
        self._event_class: type = getattr(kind, "Event", object)
        self._topics: dict[str, bool] = {}
        self._refresh = False

    def rows(self) -> list[R]:
        with self._lock:
            self._catch_up()
            return list(self._rows.values())

    def refresh(self) -> None:
        """Build every row again at the next read: what the rows show changed for all of them
        (the deadlines, once the office's calendar changed). A row function may call this."""
        self._refresh = True

    def _indexed(self, topic: str) -> bool:
        """Whether an event of this topic belongs to an aggregate of the indexed class (others
        are skipped unread: a service's store holds several kinds of aggregate)."""
        if topic not in self._topics:
            event_class = resolve_topic(topic)
            self._topics[topic] = issubclass(event_class, self._event_class)
        return self._topics[topic]

    def _catch_up(self) -> None:
        touched: set[UUID] = set()
        if self._refresh:
            self._refresh = False
            touched.update(self._rows)
        while True:
            batch = self._app.recorder.select_notifications(self._position + 1, self._batch_size)
            if not batch:
                break
            touched.update(UUID(str(n.originator_id)) for n in batch if self._indexed(n.topic))
            self._position = batch[-1].id
        for aggregate_id in touched:
            aggregate = self._app.get_or_none(aggregate_id)
            if isinstance(aggregate, self._kind):
                self._rows[aggregate_id] = self._row(aggregate)
