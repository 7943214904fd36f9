"""The scheduler application on SQLite and PostgreSQL: check and hold, staff task, meeting,
the case closed (as withdrawn: the hold released), idempotency and concurrent checks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.persistence import IntegrityError

from services.scheduler.application import SchedulerApplication
from services.scheduler.domain import MeetingRequest
from services.scheduler.integration import to_integration
from services.scheduler.meetings import EnteredMeeting
from services.scheduler.zoom import ProvisionedMeeting
from shared.errors import ClosedCase, InvalidInput, NotFound, OutOfOrder, Unavailable
from shared.events import IntegrationEvent, MeetingCancelled, MeetingCreated, SlotChecked
from shared.messaging import Consumed
from tests.builders import case_closed, disposed, person, submitted

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 12, 3, 9, 0, tzinfo=WITA)
END = START + timedelta(hours=2)
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=WITA)
STAF = person("staf")
MANUAL = EnteredMeeting("98765432101", "xyz789", "https://zoom.us/j/1")


class FakeProvider:
    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []
        self.deleted: list[str] = []
        self.by_reference: dict[str, ProvisionedMeeting] = {}
        self.down = False

    def create_meeting(
        self,
        host_email: str,
        topic: str,
        start: datetime,
        end: datetime,
        tz: str,
        reference: str = "",
    ) -> ProvisionedMeeting:
        if self.down:
            raise Unavailable("Zoom cannot be reached", "Zoom tidak dapat dihubungi")
        if reference and reference in self.by_reference:
            return self.by_reference[reference]  # as ZoomProvider finds it by its agenda
        meeting_id = str(10**10 + len(self.created))
        self.created.append({"host_email": host_email, "topic": topic, "start": start, "tz": tz})
        made = ProvisionedMeeting(
            meeting_id, "Ab12cd", f"https://zoom.us/j/{meeting_id}?pwd=x", host_email
        )
        if reference:
            self.by_reference[reference] = made
        return made

    def delete_meeting(self, meeting_id: str) -> None:
        if self.down:
            raise Unavailable("Zoom cannot be reached", "Zoom tidak dapat dihubungi")
        self.deleted.append(meeting_id)


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def app(store_env: dict[str, str], provider: FakeProvider) -> SchedulerApplication:
    application = SchedulerApplication(
        env={**store_env, "SQLITE_LOCK_TIMEOUT": "10"}, provider=provider, clock=lambda: NOW
    )
    application.seed_demo_host_accounts()
    return application


def deliver(app: SchedulerApplication, event: IntegrationEvent, tracking: Consumed) -> None:
    """Hand an event to the application as the consumer does: a write that lost to a concurrent
    one is tried again, unless its position was recorded meanwhile."""
    while True:
        try:
            app.process_event(event, tracking)
            return
        except IntegrityError:
            if app.has_tracking(tracking):
                return


class Stream:
    """The consumed events, each at the next position of the stream."""

    def __init__(self, app: SchedulerApplication) -> None:
        self.app = app
        self.position = 0

    def __call__(self, event: IntegrationEvent, event_id: str | None = None) -> Consumed:
        self.position += 1
        tracking = Consumed("SIVICON@test", self.position, event_id=event_id)
        deliver(self.app, event, tracking)
        return tracking

    def submit(self, participants: int = 50, start: datetime = START) -> UUID:
        request_id = uuid4()
        self(wish(request_id, participants, start))
        return request_id

    def check(self, request_id: UUID, event_id: str | None = None) -> MeetingRequest:
        """SOP step 3 reaches the Sub-coordinator: the scheduler checks and holds."""
        self(disposed(request_id, 3, "subkoordinator"), event_id)
        return self.app.meeting(request_id)

    def to_staff(self, request_id: UUID) -> None:
        self(disposed(request_id, 4, "staf"))

    def close(self, request_id: UUID, outcome: str = "withdrawn") -> None:
        self(case_closed(request_id, outcome, at=NOW), "evt-closed")


def wish(request_id: UUID, participants: int = 50, start: datetime = START) -> Any:
    return submitted(
        request_id, start=start, end=start + timedelta(hours=2), participants=participants
    )


@pytest.fixture
def stream(app: SchedulerApplication) -> Stream:
    return Stream(app)


def stored(app: SchedulerApplication) -> int:
    return len(app.recorder.select_notifications(1, 10_000))


def published(app: SchedulerApplication) -> list[IntegrationEvent]:
    events: list[IntegrationEvent] = []
    for notification in app.recorder.select_notifications(1, 10_000):
        events.extend(to_integration(app.mapper.to_domain_event(notification)))
    return events


def test_a_request_is_checked_held_and_its_meeting_created(
    app: SchedulerApplication, stream: Stream, provider: FakeProvider, store_env: dict[str, str]
) -> None:
    request_id = stream.submit()
    checked = stream.check(request_id, event_id="evt-3")
    assert checked.status == "available"
    assert checked.hold is not None
    assert checked.hold.account.host_account_id == "zoom-1"
    stream.to_staff(request_id)
    meeting = app.create_meeting(request_id, actor=STAF)
    assert meeting.status == "meeting_created"
    assert provider.created == [
        {
            "host_email": "dkisp.zoom1@tarakankota.go.id",
            "topic": "Rapat Koordinasi Posyandu",
            "start": START,
            "tz": "Asia/Makassar",
        }
    ]
    # A fresh application on the same store sees the same schedule.
    again = SchedulerApplication(env=store_env, provider=provider)
    bookings = again.schedule_of(START.date()).bookings
    assert [(b.host_account_id, b.kind, b.start) for b in bookings] == [
        ("zoom-1", "meeting", START)
    ]
    events = published(app)
    assert [type(e) for e in events] == [SlotChecked, MeetingCreated]
    slot, created = events
    assert isinstance(slot, SlotChecked)
    assert isinstance(created, MeetingCreated)
    assert slot.request_id == request_id
    assert (slot.available, slot.host_account_id, slot.capacity) == (True, "zoom-1", 100)
    assert (slot.start, slot.end, slot.participants, slot.buffer_minutes) == (START, END, 50, 15)
    assert created.meeting_id == "10000000000"
    assert created.created_via == "api"
    assert created.created_by.username == "staf"
    assert created.host_account_id == "zoom-1"


def test_a_redelivered_disposition_neither_holds_nor_checks_twice(
    app: SchedulerApplication, stream: Stream
) -> None:
    request_id = stream.submit()
    step3 = disposed(request_id, 3, "subkoordinator")
    tracking = stream(step3)
    assert app.has_tracking(tracking)
    before = stored(app)
    stream(disposed(request_id, 3, "subkoordinator"))  # the same step again, a new event
    assert stored(app) == before
    assert len(app.schedule_of(START.date()).bookings) == 1
    assert len(published(app)) == 1
    with pytest.raises(IntegrityError):  # the same message again: its position is recorded
        app.process_event(step3, tracking)


def test_the_same_request_submitted_again_changes_nothing(
    app: SchedulerApplication, stream: Stream
) -> None:
    # Intake answers a machine client's resend with the same RequestSubmitted again.
    request_id = stream.submit()
    stream.check(request_id, event_id="evt-3")
    before = stored(app)
    stream(wish(request_id), "evt-repeat")
    assert stored(app) == before
    assert len(app.schedule_of(START.date()).bookings) == 1
    stream.check(request_id, event_id="evt-3b")
    assert stored(app) == before  # checked once, still


def test_when_every_licence_is_taken_the_check_is_full_with_alternatives(
    app: SchedulerApplication, stream: Stream
) -> None:
    held = [stream.check(stream.submit()) for _ in range(3)]
    assert [h.hold.account.host_account_id for h in held if h.hold] == [
        "zoom-1",
        "zoom-2",
        "zoom-3",
    ]
    full_id = stream.submit()
    full = stream.check(full_id)
    assert full.status == "full"
    assert full.hold is None
    assert full.check is not None
    assert len(full.check.conflicts) == 3
    alternatives = full.check.alternatives
    assert len(alternatives) == 3
    for alternative in alternatives:
        assert alternative.end - alternative.start == timedelta(hours=2)
        assert alternative.start >= END + timedelta(minutes=15) or (
            alternative.end <= START - timedelta(minutes=15)
        )
    slot = published(app)[-1]
    assert isinstance(slot, SlotChecked)
    assert not slot.available
    assert len(slot.conflicts) == 3
    assert len(slot.alternatives) == 3
    stream.to_staff(full_id)
    with pytest.raises(OutOfOrder, match="schedule was full"):
        app.create_meeting(full_id, actor=STAF)


def test_a_big_meeting_gets_the_big_licence_and_too_big_is_full(stream: Stream) -> None:
    big = stream.check(stream.submit(participants=450))
    assert big.hold is not None
    assert big.hold.account.host_account_id == "zoom-3"
    huge = stream.check(stream.submit(participants=900, start=START + timedelta(days=1)))
    assert huge.status == "full"


def test_creating_a_meeting_is_refused_out_of_order_and_for_unknown_requests(
    app: SchedulerApplication, stream: Stream
) -> None:
    with pytest.raises(NotFound):
        app.create_meeting(uuid4(), actor=STAF)
    request_id = stream.submit()
    stream.check(request_id)
    with pytest.raises(OutOfOrder, match="not been disposed"):
        app.create_meeting(request_id, actor=STAF)
    stream.to_staff(request_id)
    app.create_meeting(request_id, actor=STAF)
    with pytest.raises(OutOfOrder, match="exists already"):
        app.create_meeting(request_id, actor=STAF)


def test_a_disposition_of_an_unknown_request_is_refused_for_good(
    app: SchedulerApplication, stream: Stream
) -> None:
    before = stored(app)
    with pytest.raises(NotFound, match="no RequestSubmitted was received"):
        app.process_event(disposed(uuid4(), 3, "subkoordinator"), Consumed("SIVICON@test", 1))
    stream(case_closed(uuid4()))  # a case the scheduler never saw closes: nothing to do
    assert stored(app) == before


def test_zoom_down_records_nothing_and_a_hand_entered_meeting_is_accepted(
    app: SchedulerApplication, stream: Stream, provider: FakeProvider
) -> None:
    request_id = stream.submit()
    stream.check(request_id)
    stream.to_staff(request_id)
    provider.down = True
    with pytest.raises(Unavailable):
        app.create_meeting(request_id, actor=STAF)
    assert app.meeting(request_id).status == "staff_task_open"
    recorded = app.create_meeting(request_id, actor=STAF, manual=MANUAL)
    assert recorded.meeting is not None
    assert recorded.meeting.created_via == "manual"
    assert recorded.meeting.host_email == "dkisp.zoom1@tarakankota.go.id"
    created = published(app)[-1]
    assert isinstance(created, MeetingCreated)
    assert created.meeting_id == "98765432101"


def test_a_case_closed_as_withdrawn_releases_the_hold_for_the_next_request(
    app: SchedulerApplication, stream: Stream
) -> None:
    request_id = stream.submit()
    stream.check(request_id)
    stream.to_staff(request_id)
    app.create_meeting(request_id, actor=STAF)
    stream.close(request_id, "withdrawn")
    assert app.schedule_of(START.date()).bookings == []
    cancelled = published(app)[-1]
    assert isinstance(cancelled, MeetingCancelled)
    assert (cancelled.host_account_id, cancelled.meeting_id) == ("zoom-1", "10000000000")
    assert cancelled.cancelled_by.role == "system"
    assert "withdrawn" in cancelled.reason
    assert app.meeting(request_id).status == "withdrawn"
    again = stream.check(stream.submit())
    assert again.hold is not None
    assert again.hold.account.host_account_id == "zoom-1"
    # Without a hold nothing is published; the same closing again changes nothing.
    quiet = stream.submit(start=START + timedelta(days=7))
    before = len(published(app))
    stream.close(quiet, "withdrawn")
    stream.close(quiet, "withdrawn")
    assert len(published(app)) == before
    assert stream.check(quiet).check is None


def test_a_case_closed_otherwise_keeps_its_meeting_and_takes_no_other(
    app: SchedulerApplication, stream: Stream, provider: FakeProvider
) -> None:
    request_id = stream.submit()
    stream.check(request_id)
    stream.to_staff(request_id)
    app.create_meeting(request_id, actor=STAF)
    before = len(published(app))
    tracking = stream(case_closed(request_id, "meeting_provided", at=NOW))
    assert app.has_tracking(tracking)
    assert len(published(app)) == before  # nothing cancelled
    assert [b.kind for b in app.schedule_of(START.date()).bookings] == ["meeting"]
    closed = app.meeting(request_id).case_closed
    assert closed is not None
    assert closed.outcome == "meeting_provided"
    assert app.delete_cancelled_meetings() == 0
    assert provider.deleted == []
    with pytest.raises(ClosedCase):
        app.create_meeting(request_id, actor=STAF)


def test_no_meeting_is_created_or_entered_by_hand_once_the_case_was_withdrawn(
    app: SchedulerApplication, stream: Stream, provider: FakeProvider
) -> None:
    request_id = stream.submit()
    stream.check(request_id)
    stream.to_staff(request_id)
    stream.close(request_id, "withdrawn")
    for by_hand in (None, MANUAL):
        with pytest.raises(ClosedCase) as refused:
            app.create_meeting(request_id, actor=STAF, manual=by_hand)
        assert (refused.value.status, refused.value.code) == (409, "case_closed")
        assert "withdrawn" in refused.value.message
    assert provider.created == []
    assert app.meeting(request_id).meeting is None
    assert not any(isinstance(e, MeetingCreated) for e in published(app))


def test_concurrent_checks_never_hold_the_same_licence_twice(
    app: SchedulerApplication, stream: Stream
) -> None:
    requests = [stream.submit() for _ in range(6)]
    barrier = threading.Barrier(len(requests))
    errors: list[BaseException] = []

    def check(n: int, request_id: UUID) -> None:
        # As many consumers as requests, each at its own position, writing at once.
        barrier.wait()
        try:
            deliver(app, disposed(request_id, 3, "subkoordinator"), Consumed(f"c{n}", 1))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=check, args=(n, r)) for n, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    outcomes = [app.meeting(r) for r in requests]
    held = sorted(o.hold.account.host_account_id for o in outcomes if o.hold)
    assert held == ["zoom-1", "zoom-2", "zoom-3"]
    assert sum(o.status == "full" for o in outcomes) == 3
    assert len(app.schedule_of(START.date()).bookings) == 3


def test_host_accounts_are_validated_listed_and_can_be_taken_out(
    app: SchedulerApplication, stream: Stream
) -> None:
    with pytest.raises(InvalidInput):
        app.register_host_account("zoom-4", "Zoom 4", "z4@tarakankota.go.id", 250, 1)
    with pytest.raises(OutOfOrder):
        app.register_host_account("zoom-1", "Again", "z@tarakankota.go.id", 100, 1)
    app.register_host_account("zoom-4", "Zoom 4", "Z4@tarakankota.go.id", 1000, 2)
    assert [a.slug for a in app.host_accounts()] == ["zoom-1", "zoom-2", "zoom-3", "zoom-4"]
    assert app.host_accounts()[-1].email == "z4@tarakankota.go.id"
    app.set_host_account_active("zoom-1", False)
    checked = stream.check(stream.submit())
    assert checked.hold is not None
    assert checked.hold.account.host_account_id == "zoom-2"
    app.seed_demo_host_accounts()  # a restart seeds nothing twice
    assert len(app.host_accounts()) == 4


def test_the_dry_run_check_holds_nothing(app: SchedulerApplication) -> None:
    answer = app.dry_run_check(START, END, 120)
    assert answer.available
    assert answer.host is not None
    assert answer.host.host_account_id == "zoom-2"
    assert app.schedule_of(START.date()).bookings == []
    with pytest.raises(InvalidInput):
        app.dry_run_check(START.replace(tzinfo=None), END, 10)
    assert answer.start.tzinfo is not None
    assert NOW.astimezone(UTC) < answer.start


def test_a_retried_or_concurrent_creation_keeps_the_one_zoom_meeting(
    app: SchedulerApplication, stream: Stream, provider: FakeProvider
) -> None:
    request_id = stream.submit()
    stream.check(request_id, event_id="evt-3")
    stream.to_staff(request_id)
    # A first attempt reached Zoom, then the process died before recording it.
    provider.create_meeting(
        "dkisp.zoom1@tarakankota.go.id", "Rapat", START, START, "UTC", reference=str(request_id)
    )
    meeting = app.create_meeting(request_id, actor=STAF).meeting
    assert meeting is not None
    assert meeting.meeting_id == "10000000000"
    assert len(provider.created) == 1
    # A second click is refused, and the meeting made stays.
    with pytest.raises(OutOfOrder):
        app.create_meeting(request_id, actor=STAF)
    assert provider.deleted == []


def test_the_meeting_of_a_withdrawn_request_is_deleted_at_zoom_even_after_an_outage(
    app: SchedulerApplication, stream: Stream, provider: FakeProvider
) -> None:
    request_id = stream.submit()
    stream.check(request_id)
    stream.to_staff(request_id)
    meeting = app.create_meeting(request_id, actor=STAF).meeting
    assert meeting is not None
    stream.close(request_id, "withdrawn")
    assert provider.deleted == []  # the consumer never waits for Zoom
    provider.down = True
    assert app.delete_cancelled_meetings() == 0
    provider.down = False
    assert app.delete_cancelled_meetings() == 1
    assert provider.deleted == [meeting.meeting_id]
    assert app.delete_cancelled_meetings() == 0  # done once
