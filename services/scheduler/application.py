"""The scheduler application: what it does with the events it consumes (its ``policy``), the
commands of its API, and what it answers.

The work itself is in one module per concept: the host accounts (:mod:`.host_accounts`), the slot
check and hold and the schedule (:mod:`.slots`), the staff's meeting at Zoom (:mod:`.meetings`),
and the cleanup after a withdrawn case (:mod:`.withdrawals`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import singledispatchmethod
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate

from services.scheduler.domain import HostInfo, MeetingRequest, SlotCheck, not_found
from services.scheduler.host_accounts import HostAccounts
from services.scheduler.meetings import EnteredMeeting, MeetingMaker
from services.scheduler.slots import ScheduleOfDay, SlotBook
from services.scheduler.withdrawals import Withdrawals
from services.scheduler.zoom import MeetingProvider
from shared.calendar import OFFICE_TIMEZONE
from shared.errors import NotFound
from shared.events import Actor, CaseClosed, Disposed, RequestSubmitted
from shared.eventstore import ServiceApplication, cause_of


class SchedulerApplication(ServiceApplication):
    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        provider: MeetingProvider,
        buffer_minutes: int = 15,
        timezone: str = OFFICE_TIMEZONE,
        non_working_days: frozenset[date] = frozenset(),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(env=env)
        now = clock or (lambda: datetime.now(UTC))
        self.hosts = HostAccounts(self)
        self.slots = SlotBook(
            self,
            self.hosts.registered,
            self.hosts.all,
            buffer=timedelta(minutes=buffer_minutes),
            tz=ZoneInfo(timezone),
            non_working_days=non_working_days,
            now=now,
        )
        self.meetings = MeetingMaker(
            self, self._request, self.slots, provider, tz_name=timezone, now=now
        )
        self.withdrawals = Withdrawals(self, self.slots, provider)

    # ------------------------------------------------------------------ consumed events

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Events no method is registered for change nothing."""

    @policy.register
    def _(self, domain_event: RequestSubmitted, processing_event: ProcessingEvent[UUID]) -> None:
        """Remember the request's wish, once (intake repeats it for a machine client's resend)."""
        if self.get_or_none(domain_event.request_id) is not None:
            return
        wish = domain_event.meeting
        request = MeetingRequest(
            request_id=domain_event.request_id,
            topic=wish.topic,
            start=wish.start,
            end=wish.end,
            participants=wish.participants,
            opd_code=domain_event.opd_code,
            opd_name=domain_event.opd_name,
            agenda_number=domain_event.agenda_number,
            caused_by=cause_of(processing_event),
        )
        processing_event.collect_events(request)

    @policy.register
    def _(self, domain_event: Disposed, processing_event: ProcessingEvent[UUID]) -> None:
        """SOP step 3 to the Sub-coordinator: check the schedule and hold a licence, once.
        SOP step 4 to staff: the 15-minute clock for creating the meeting starts."""
        step = (domain_event.sop_step, domain_event.to_role)
        if step not in ((3, "subkoordinator"), (4, "staf")):
            return
        request = self._disposed_request(domain_event.request_id)
        if request.closed:
            return
        caused_by = cause_of(processing_event)
        if step == (3, "subkoordinator") and request.check is None:
            held = self.slots.hold(request, caused_by)
            processing_event.collect_events(request, *held)
        elif step == (4, "staf") and request.staff_task is None:
            request.open_staff_task(domain_event.disposed_at, domain_event.by, caused_by)
            processing_event.collect_events(request)

    @policy.register
    def _(self, domain_event: CaseClosed, processing_event: ProcessingEvent[UUID]) -> None:
        """The case decided. A closed case takes no meeting any more; closed as ``withdrawn``,
        its hold or booking is released (a ``MeetingCancelled`` follows) and a meeting made
        through the Zoom API is queued for deletion there.

        A withdrawal alone (``RequestWithdrawn``) changes nothing here: the case may refuse it.
        """
        request: MeetingRequest | None = self.get_or_none(domain_event.request_id)
        if request is None or request.closed:
            return
        caused_by = cause_of(processing_event)
        request.note_case_closed(domain_event.outcome, domain_event.closed_at, caused_by)
        released: list[Aggregate] = []
        if domain_event.outcome == "withdrawn":
            released = self.withdrawals.release(request, domain_event.closed_at, caused_by)
        processing_event.collect_events(request, *released)

    def delete_cancelled_meetings(self) -> int:
        """The periodic job: delete at Zoom the meetings of withdrawn cases."""
        return self.withdrawals.delete_cancelled_meetings()

    # ------------------------------------------------------------------ commands

    def create_meeting(
        self, request_id: UUID, *, actor: Actor, manual: EnteredMeeting | None = None
    ) -> MeetingRequest:
        """SOP step 5: the meeting on the held host account, through Zoom or entered by hand."""
        return self.meetings.create(request_id, actor, manual)

    def register_host_account(
        self, slug: str, name: str, email: str, capacity: int, concurrent: int, active: bool = True
    ) -> HostInfo:
        return self.hosts.register(slug, name, email, capacity, concurrent, active)

    def set_host_account_active(self, slug: str, active: bool) -> HostInfo:
        return self.hosts.set_active(slug, active)

    def seed_demo_host_accounts(self) -> None:
        self.hosts.seed_demo()

    # ------------------------------------------------------------------ queries

    def meeting(self, request_id: UUID) -> MeetingRequest:
        """The scheduler's record of a request: check, hold, staff task and meeting."""
        return self._request(request_id)

    def host_accounts(self) -> list[HostInfo]:
        return self.hosts.all()

    def schedule_of(self, day: date) -> ScheduleOfDay:
        """The bookings (holds and meetings) that take place on ``day``, office time."""
        return self.slots.schedule_of(day)

    def dry_run_check(self, start: datetime, end: datetime, participants: int) -> SlotCheck:
        """The answer a check would give now, without holding anything."""
        return self.slots.dry_run(start, end, participants)

    # ------------------------------------------------------------------ internals

    def _request(self, request_id: UUID) -> MeetingRequest:
        request = self.get_or_none(request_id)
        if not isinstance(request, MeetingRequest):
            raise not_found(request_id)
        return request

    def _disposed_request(self, request_id: UUID) -> MeetingRequest:
        try:
            return self._request(request_id)
        except NotFound as exc:
            raise NotFound(
                f"{exc.message} (no RequestSubmitted was received for it)", exc.pesan
            ) from None
