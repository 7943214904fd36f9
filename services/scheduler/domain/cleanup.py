"""Meetings released in our schedule that are still to be deleted at Zoom."""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.scheduler.domain.namespace import NAMESPACE


class ZoomCleanup(Aggregate):
    """Meetings released in our schedule that are still to be deleted at Zoom.

    A case closed as withdrawn queues its meeting here in the same save that releases the
    booking; a periodic job deletes it at Zoom and records that, so a Zoom outage delays the
    deletion but never blocks the consumer or loses it.
    """

    ID = uuid5(NAMESPACE, "zoom-cleanup")

    @staticmethod
    def create_id() -> UUID:
        return ZoomCleanup.ID

    @event("Started")
    def __init__(self) -> None:
        self.pending: dict[str, str] = {}  # meeting ID -> request ID

    @event("Queued")
    def queue(self, meeting_id: str, request_id: str) -> None:
        self.pending[meeting_id] = request_id

    @event("DeletedAtZoom")
    def deleted(self, meeting_id: str) -> None:
        self.pending.pop(meeting_id, None)
