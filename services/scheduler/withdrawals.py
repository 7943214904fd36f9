"""The cleanup after a case closed as withdrawn: its hold or booking released in the schedule
(published as ``MeetingCancelled``), and a meeting made through the Zoom API deleted there by a
periodic job, so that a Zoom outage delays the deletion but never blocks the consumer."""

from __future__ import annotations

import logging
from datetime import datetime

from eventsourcing.domain import Aggregate

from services.scheduler.domain import MeetingRequest, ZoomCleanup
from services.scheduler.slots import SlotBook
from services.scheduler.zoom import MeetingProvider
from shared.errors import SiviconError
from shared.events import SCHEDULER_ACTOR
from shared.eventstore import ServiceApplication

log = logging.getLogger("sivicon.scheduler")

WITHDRAWN_REASON = "permohonan dibatalkan oleh OPD pemohon; kasus ditutup (withdrawn)"


class Withdrawals:
    def __init__(self, app: ServiceApplication, slots: SlotBook, provider: MeetingProvider) -> None:
        self._app = app
        self._slots = slots
        self.provider = provider

    def release(
        self, request: MeetingRequest, at: datetime, caused_by: str | None
    ) -> list[Aggregate]:
        """Release the request's hold or booking; what changed, to be saved with the request."""
        released: list[Aggregate] = []
        if request.hold is not None:
            for schedule in self._slots.holding(request.id, request.hold.days):
                schedule.release(str(request.id), WITHDRAWN_REASON)
                released.append(schedule)
        meeting = request.meeting
        request.withdraw(WITHDRAWN_REASON, SCHEDULER_ACTOR, at, caused_by)
        if meeting is not None and meeting.created_via == "api":
            cleanup = self._app.get_or_none(ZoomCleanup.create_id()) or ZoomCleanup()
            cleanup.queue(meeting.meeting_id, str(request.id))
            released.append(cleanup)
        return released

    def delete_cancelled_meetings(self) -> int:
        """Delete at Zoom the meetings of cases closed as withdrawn; what fails waits for next
        time."""
        cleanup: ZoomCleanup | None = self._app.get_or_none(ZoomCleanup.create_id())
        if cleanup is None:
            return 0
        deleted = 0
        for meeting_id in list(cleanup.pending):
            try:
                self.provider.delete_meeting(meeting_id)
            except SiviconError as exc:
                log.warning("Zoom meeting %s not deleted yet: %s", meeting_id, exc.message)
                continue
            cleanup.deleted(meeting_id)
            deleted += 1
        if deleted:
            self._app.save(cleanup)
        return deleted
