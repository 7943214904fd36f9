"""The staff's meeting (SOP step 5): made at Zoom on the held host account, or entered by hand,
and recorded once Zoom answered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from services.scheduler.domain import Meeting, MeetingRequest
from services.scheduler.slots import SlotBook
from services.scheduler.zoom import MeetingProvider, ProvisionedMeeting
from shared.errors import OutOfOrder, SiviconError
from shared.events import Actor
from shared.eventstore import ServiceApplication

log = logging.getLogger("sivicon.scheduler")

SAVE_ATTEMPTS = 8


@dataclass(frozen=True)
class EnteredMeeting:
    """A meeting the staff made by hand in Zoom (when the API is down) and entered."""

    meeting_id: str
    passcode: str
    join_url: str


class MeetingMaker:
    def __init__(
        self,
        app: ServiceApplication,
        find_request: Callable[[UUID], MeetingRequest],
        slots: SlotBook,
        provider: MeetingProvider,
        *,
        tz_name: str,
        now: Callable[[], datetime],
    ) -> None:
        self._app = app
        self._request = find_request
        self._slots = slots
        self.provider = provider
        self.tz_name = tz_name
        self.now = now

    def create(
        self, request_id: UUID, by: Actor, manual: EnteredMeeting | None = None
    ) -> MeetingRequest:
        """The meeting on the held host account, through Zoom or as entered by hand (``manual``;
        its host e-mail is the held account's).

        The meeting is recorded only after Zoom answered; the provider finds a meeting already
        made for this request (a retry after a crash) instead of making a second one. A second,
        concurrent call that lost the race deletes the Zoom meeting it created, if it made
        another one, and is refused.
        """
        wished = self._request(request_id)
        hold = wished.check_can_create_meeting()
        if manual is not None:
            provisioned = ProvisionedMeeting(
                manual.meeting_id, manual.passcode, manual.join_url, hold.account.email
            )
        else:
            provisioned = self.provider.create_meeting(
                hold.account.email,
                wished.topic,
                wished.start,
                wished.end,
                self.tz_name,
                reference=str(request_id),
            )
        via = "manual" if manual is not None else "api"
        for _ in range(SAVE_ATTEMPTS):
            current = self._request(request_id)
            try:
                current.check_can_create_meeting()
            except OutOfOrder:
                recorded = current.meeting.meeting_id if current.meeting else None
                if via == "api" and recorded != provisioned.meeting_id:
                    self._discard(provisioned)  # ours lost the race; theirs stays
                raise
            current.record_meeting(
                Meeting(
                    meeting_id=provisioned.meeting_id,
                    passcode=provisioned.passcode,
                    join_url=provisioned.join_url,
                    host_account_id=hold.account.host_account_id,
                    host_email=provisioned.host_email,
                    created_via=via,
                    created_by=by,
                    created_at=self.now(),
                )
            )
            confirmed = self._slots.holding(request_id, hold.days)
            for schedule in confirmed:
                schedule.confirm(str(request_id), provisioned.meeting_id)
            try:
                self._app.save(current, *confirmed)
            except IntegrityError:
                continue
            return current
        raise IntegrityError(f"could not record the meeting of {request_id}")

    def _discard(self, provisioned: ProvisionedMeeting) -> None:
        try:
            self.provider.delete_meeting(provisioned.meeting_id)
        except SiviconError as exc:
            log.error(
                "Zoom meeting %s was created twice and could not be deleted: %s; delete it by "
                "hand on %s",
                provisioned.meeting_id,
                exc.message,
                provisioned.host_email,
            )
