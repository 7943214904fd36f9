"""The scheduler application: host accounts, the slot check and hold, the staff task, the
meeting, and the mapping of its stored events to the integration events it publishes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.persistence import IntegrityError, Tracking

from services.scheduler.domain import (
    Booking,
    DaySchedule,
    HostAccount,
    HostAccountIndex,
    HostInfo,
    MeetingRequest,
    Slot,
    SlotDecision,
    ZoomCleanup,
    check_slot,
    day_schedule_uuid,
    days_touched,
    find_alternatives,
    host_account_uuid,
    not_found,
    validate_host_account,
)
from services.scheduler.zoom import MeetingProvider, ProvisionedMeeting
from shared.calendar import OFFICE_TIMEZONE
from shared.errors import InvalidInput, NotFound, OutOfOrder, SiviconError
from shared.eventstore import ServiceApplication
from shared.roles import SCHEDULER_ACTOR

log = logging.getLogger("sivicon.scheduler")

SAVE_ATTEMPTS = 8

WITHDRAWN_REASON = "permohonan dibatalkan oleh OPD pemohon; kasus ditutup (withdrawn)"

DEMO_HOST_ACCOUNTS = (
    ("zoom-1", "Zoom DKISP 1", "dkisp.zoom1@tarakankota.go.id", 100, 1),
    ("zoom-2", "Zoom DKISP 2", "dkisp.zoom2@tarakankota.go.id", 300, 1),
    ("zoom-3", "Zoom DKISP 3", "dkisp.zoom3@tarakankota.go.id", 500, 1),
)


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
        self.provider = provider
        self.buffer = timedelta(minutes=buffer_minutes)
        self.tz_name = timezone
        self.tz = ZoneInfo(timezone)
        self.non_working_days = non_working_days
        self.now = clock or (lambda: datetime.now(UTC))

    # ------------------------------------------------------------------ host accounts

    def register_host_account(
        self, slug: str, name: str, email: str, capacity: int, concurrent: int, active: bool = True
    ) -> dict[str, Any]:
        validate_host_account(slug, name, email, capacity, concurrent)
        if self.get_or_none(host_account_uuid(slug)) is not None:
            raise OutOfOrder(
                f"host account {slug} exists already",
                f"akun host {slug} sudah ada",
                code="already_exists",
            )
        index = self.get_or_none(HostAccountIndex.ID) or HostAccountIndex()
        account = HostAccount(
            slug=slug,
            name=name.strip(),
            email=email.strip().lower(),
            capacity=capacity,
            concurrent=concurrent,
            active=active,
        )
        index.add(slug)
        try:
            self.save(account, index)
        except IntegrityError:
            raise OutOfOrder(
                f"host account {slug} was registered at the same time; reload and retry",
                f"akun host {slug} didaftarkan bersamaan; muat ulang dan coba lagi",
                code="already_exists",
            ) from None
        return account.info().as_dict()

    def set_host_account_active(self, slug: str, active: bool) -> dict[str, Any]:
        account = self._host_account(slug)
        if account.active != active:
            account.set_active(active)
            self.save(account)
        return account.info().as_dict()

    def host_accounts(self) -> list[dict[str, Any]]:
        return [info.as_dict() for info in self._host_infos()]

    def seed_demo_host_accounts(self) -> None:
        """The demo office's three licences, once (deterministic IDs make a repeat harmless)."""
        if self.get_or_none(HostAccountIndex.ID) is not None:
            return
        for slug, name, email, capacity, concurrent in DEMO_HOST_ACCOUNTS:
            try:
                self.register_host_account(slug, name, email, capacity, concurrent)
            except OutOfOrder:
                log.info("demo host account %s exists already", slug)

    def _host_account(self, slug: str) -> HostAccount:
        account = self.get_or_none(host_account_uuid(slug))
        if account is None:
            raise NotFound(f"host account {slug} is unknown", f"akun host {slug} tidak dikenal")
        return account  # type: ignore[no-any-return]

    def _host_infos(self) -> list[HostInfo]:
        index = self.get_or_none(HostAccountIndex.ID)
        slugs: list[str] = index.slugs if index is not None else []
        return [self._host_account(slug).info() for slug in slugs]

    # ------------------------------------------------------------------ consumed events

    def remember_request(
        self,
        request_id: UUID,
        *,
        topic: str,
        start: datetime,
        end: datetime,
        participants: int,
        opd_code: str,
        opd_name: str,
        agenda_number: str,
        caused_by: str | None = None,
        tracking: Tracking | None = None,
    ) -> None:
        if self.get_or_none(request_id) is not None:
            return
        request = MeetingRequest(
            request_id=request_id,
            topic=topic,
            start=start,
            end=end,
            participants=participants,
            opd_code=opd_code,
            opd_name=opd_name,
            agenda_number=agenda_number,
            caused_by=caused_by,
        )
        self.save_tracked(request, tracking=tracking)

    def check_and_hold(
        self, request_id: UUID, *, caused_by: str | None = None, tracking: Tracking | None = None
    ) -> dict[str, Any] | None:
        """SOP step 4: check the schedule and hold a host account, once per request."""
        for _ in range(SAVE_ATTEMPTS):
            request = self._request(request_id)
            if request.check is not None or request.closed:
                return None
            days = days_touched(request.start - self.buffer, request.end + self.buffer, self.tz)
            schedules = self._schedules(days)
            decision, alternatives = self._decide(
                request.start, request.end, request.participants, schedules
            )
            host = decision.host
            touched: list[DaySchedule] = []
            if host is not None:
                for day in days:
                    schedule = schedules[day] or DaySchedule(day=day)
                    schedule.book(
                        str(request_id),
                        host.slug,
                        request.start,
                        request.end,
                        request.topic,
                        request.opd_code,
                    )
                    touched.append(schedule)
            request.record_check(
                start=request.start,
                end=request.end,
                participants=request.participants,
                available=decision.available,
                host_account=None if host is None else _host_summary(host),
                days=days if host is not None else [],
                buffer_minutes=self._buffer_minutes,
                conflicts=[_conflict(b) for b in decision.conflicts],
                alternatives=[a.as_dict() for a in alternatives],
                checked_at=self.now(),
                caused_by=caused_by,
            )
            try:
                self.save_tracked(request, *touched, tracking=tracking)
            except IntegrityError:
                if tracking is not None and self.has_tracking(tracking):
                    return None
                continue  # another check held a slot meanwhile: check again
            return request.as_dict()
        raise IntegrityError(f"could not record the slot check of {request_id}: contention")

    def open_staff_task(
        self,
        request_id: UUID,
        *,
        opened_at: datetime,
        disposed_by: dict[str, Any],
        caused_by: str | None = None,
        tracking: Tracking | None = None,
    ) -> None:
        """SOP step 4 to staff: the 15-minute clock for creating the meeting starts."""
        request = self._request(request_id)
        if request.staff_task_opened_at is not None or request.closed:
            return
        request.open_staff_task(opened_at=opened_at, disposed_by=disposed_by, caused_by=caused_by)
        self.save_tracked(request, tracking=tracking)

    def close_case(
        self,
        request_id: UUID,
        *,
        outcome: str,
        closed_at: datetime,
        caused_by: str | None = None,
        tracking: Tracking | None = None,
    ) -> None:
        """``CaseClosed``: the case decided. A closed case takes no meeting any more; closed as
        ``withdrawn``, its hold or booking is released (a ``MeetingCancelled`` follows) and a
        meeting made through the Zoom API is queued for deletion there.

        A withdrawal alone (``RequestWithdrawn``) changes nothing here: the case may refuse it.
        """
        for _ in range(SAVE_ATTEMPTS):
            request: MeetingRequest | None = self.get_or_none(request_id)
            if request is None or request.closed:
                self.save_tracked(tracking=tracking)
                return
            request.note_case_closed(outcome=outcome, closed_at=closed_at, caused_by=caused_by)
            released: list[DaySchedule] = []
            cleanup = None
            if outcome == "withdrawn":
                released, cleanup = self._release(request, closed_at, caused_by)
            try:
                self.save_tracked(request, *released, cleanup, tracking=tracking)
            except IntegrityError:
                if tracking is not None and self.has_tracking(tracking):
                    return
                continue
            return
        raise IntegrityError(f"could not record the closing of case {request_id}")

    def _release(
        self, request: MeetingRequest, at: datetime, caused_by: str | None
    ) -> tuple[list[DaySchedule], ZoomCleanup | None]:
        hold = request.hold
        released: list[DaySchedule] = []
        for day in (hold or {}).get("days", []):
            schedule = self.get_or_none(day_schedule_uuid(day))
            if schedule is not None and str(request.id) in schedule.bookings:
                schedule.release(str(request.id), WITHDRAWN_REASON)
                released.append(schedule)
        request.withdraw(
            reason=WITHDRAWN_REASON,
            withdrawn_by=SCHEDULER_ACTOR,
            withdrawn_at=at,
            released_host_account_id=hold["id"] if hold else None,
            released_meeting_id=request.meeting["meeting_id"] if request.meeting else None,
            caused_by=caused_by,
        )
        cleanup = None
        if request.meeting and request.meeting.get("created_via") == "api":
            cleanup = self.get_or_none(ZoomCleanup.create_id()) or ZoomCleanup()
            cleanup.queue(request.meeting["meeting_id"], str(request.id))
        return released, cleanup

    def delete_cancelled_meetings(self) -> int:
        """Delete at Zoom the meetings of cases closed as withdrawn; what fails waits for next
        time."""
        cleanup: ZoomCleanup | None = self.get_or_none(ZoomCleanup.create_id())
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
            self.save(cleanup)
        return deleted

    # ------------------------------------------------------------------ commands

    def create_meeting(
        self, request_id: UUID, *, actor: dict[str, Any], manual: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """SOP step 5: the meeting on the held host account, through Zoom or entered by hand.

        The meeting is recorded only after Zoom answered; the provider finds a meeting already
        made for this request (a retry after a crash) instead of making a second one. A second,
        concurrent call that lost the race deletes the Zoom meeting it created, if it made
        another one, and is refused.
        """
        request = self._request(request_id)
        request.check_can_create_meeting()
        hold: dict[str, Any] = request.hold or {}
        if manual is not None:
            provisioned = ProvisionedMeeting(
                meeting_id=manual["meeting_id"],
                passcode=manual["passcode"],
                join_url=manual["join_url"],
                host_email=hold["email"],
            )
        else:
            provisioned = self.provider.create_meeting(
                hold["email"],
                request.topic,
                request.start,
                request.end,
                self.tz_name,
                reference=str(request_id),
            )
        via = "manual" if manual is not None else "api"
        for _ in range(SAVE_ATTEMPTS):
            request = self._request(request_id)
            try:
                request.check_can_create_meeting()
            except OutOfOrder:
                recorded = (request.meeting or {}).get("meeting_id")
                if via == "api" and recorded != provisioned.meeting_id:
                    self._discard(provisioned)  # ours lost the race; theirs stays
                raise
            request.record_meeting(
                meeting_id=provisioned.meeting_id,
                passcode=provisioned.passcode,
                join_url=provisioned.join_url,
                host_account_id=hold["id"],
                host_email=provisioned.host_email,
                topic=request.topic,
                start=request.start,
                end=request.end,
                created_via=via,
                created_by=actor,
                created_at=self.now(),
            )
            confirmed = []
            for schedule in self._schedules(hold.get("days", [])).values():
                if schedule is not None and str(request_id) in schedule.bookings:
                    schedule.confirm(str(request_id), provisioned.meeting_id)
                    confirmed.append(schedule)
            try:
                self.save(request, *confirmed)
            except IntegrityError:
                continue
            return request.as_dict()
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

    # ------------------------------------------------------------------ queries

    def meeting(self, request_id: UUID) -> dict[str, Any]:
        return self._request(request_id).as_dict()

    def request_opd(self, request_id: UUID) -> str:
        return str(self._request(request_id).opd_code)

    def schedule_of(self, day: date) -> dict[str, Any]:
        """The bookings (holds and meetings) that take place on ``day``, office time."""
        start = datetime.combine(day, datetime.min.time(), self.tz)
        bookings = self._bookings_between(start, start + timedelta(days=1))
        return {
            "date": day.isoformat(),
            "timezone": self.tz_name,
            "buffer_minutes": self._buffer_minutes,
            "host_accounts": self.host_accounts(),
            "bookings": [b.as_dict() for b in bookings],
        }

    def dry_run_check(self, start: datetime, end: datetime, participants: int) -> dict[str, Any]:
        """The answer a check would give now, without holding anything."""
        if start.tzinfo is None or end.tzinfo is None:
            raise InvalidInput(
                "start and end need a UTC offset, e.g. 2026-12-03T09:00:00+08:00",
                "waktu mulai dan selesai harus memiliki zona waktu, mis. 2026-12-03T09:00:00+08:00",
            )
        days = days_touched(start - self.buffer, end + self.buffer, self.tz)
        decision, alternatives = self._decide(start, end, participants, self._schedules(days))
        host = decision.host
        return {
            "available": decision.available,
            "host_account_id": host.slug if host else None,
            "host_account_name": host.name if host else None,
            "capacity": host.capacity if host else None,
            "start": start,
            "end": end,
            "participants": participants,
            "buffer_minutes": self._buffer_minutes,
            "conflicts": [_conflict(b) for b in decision.conflicts],
            "alternatives": [a.as_dict() for a in alternatives],
        }

    # ------------------------------------------------------------------ internals

    @property
    def _buffer_minutes(self) -> int:
        return int(self.buffer.total_seconds() // 60)

    def _request(self, request_id: UUID) -> MeetingRequest:
        request = self.get_or_none(request_id)
        if not isinstance(request, MeetingRequest):
            raise not_found(request_id)
        return request

    def _schedules(self, days: Sequence[str]) -> dict[str, DaySchedule | None]:
        return {day: self.get_or_none(day_schedule_uuid(day)) for day in days}

    def _bookings_between(self, start: datetime, end: datetime) -> list[Booking]:
        found: dict[str, Booking] = {}
        for schedule in self._schedules(days_touched(start, end, self.tz)).values():
            if schedule is None:
                continue
            for booking in schedule.bookings.values():
                if booking.overlaps(start, end):
                    found[booking.request_id] = booking
        return sorted(found.values(), key=lambda b: (b.start, b.host_account_id))

    def _decide(
        self,
        start: datetime,
        end: datetime,
        participants: int,
        schedules: Mapping[str, DaySchedule | None],
    ) -> tuple[SlotDecision, list[Slot]]:
        accounts = self._host_infos()
        bookings = {
            b.request_id: b
            for schedule in schedules.values()
            if schedule is not None
            for b in schedule.bookings.values()
        }
        decision = check_slot(accounts, bookings.values(), start, end, participants, self.buffer)
        if decision.available:
            return decision, []
        alternatives = find_alternatives(
            accounts,
            self._bookings_between,
            start,
            end,
            participants,
            self.buffer,
            tz=self.tz,
            now=self.now(),
            non_working=self.non_working_days,
        )
        return decision, alternatives


def _host_summary(host: HostInfo) -> dict[str, Any]:
    return {"id": host.slug, "name": host.name, "email": host.email, "capacity": host.capacity}


def _conflict(booking: Booking) -> dict[str, Any]:
    return {
        "request_id": booking.request_id,
        "host_account_id": booking.host_account_id,
        "start": booking.start,
        "end": booking.end,
    }


# ---------------------------------------------------------------------- integration events


# Classes the @event decorator made; named here for readers and the type checker.
