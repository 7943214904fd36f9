"""The scheduler application on SQLite and PostgreSQL: check and hold, staff task, meeting,
the case closed (as withdrawn: the hold released), idempotency and concurrent checks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from services.scheduler.application import SchedulerApplication
from services.scheduler.integration import to_integration
from services.scheduler.zoom import ProvisionedMeeting
from shared.errors import ClosedCase, InvalidInput, NotFound, OutOfOrder, Unavailable
from shared.events import IntegrationEvent, MeetingCancelled, MeetingCreated, SlotChecked

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 12, 3, 9, 0, tzinfo=WITA)
END = START + timedelta(hours=2)
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=WITA)
STAF = {"username": "staf", "name": "Staf", "role": "staf", "on_behalf_of": None, "opd_code": None}


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


def submit(app: SchedulerApplication, participants: int = 50, start: datetime = START) -> UUID:
    request_id = uuid4()
    app.remember_request(
        request_id,
        topic="Rapat Koordinasi Posyandu",
        start=start,
        end=start + timedelta(hours=2),
        participants=participants,
        opd_code="DINKES",
        opd_name="Dinas Kesehatan",
        agenda_number="000.1/0001/2026",
    )
    return request_id


def published(app: SchedulerApplication) -> list[IntegrationEvent]:
    events: list[IntegrationEvent] = []
    for notification in app.recorder.select_notifications(1, 10_000):
        events.extend(to_integration(app.mapper.to_domain_event(notification)))
    return events


def test_a_request_is_checked_held_and_its_meeting_created(
    app: SchedulerApplication, provider: FakeProvider, store_env: dict[str, str]
) -> None:
    request_id = submit(app)
    checked = app.check_and_hold(request_id, caused_by="evt-3")
    assert checked is not None
    assert checked["status"] == "available"
    assert checked["hold"]["id"] == "zoom-1"
    app.open_staff_task(request_id, opened_at=NOW, disposed_by={"username": "subko"})
    meeting = app.create_meeting(request_id, actor=STAF)
    assert meeting["status"] == "meeting_created"
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
    bookings = again.schedule_of(START.date())["bookings"]
    assert [(b["host_account_id"], b["kind"], b["start"]) for b in bookings] == [
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
    app: SchedulerApplication,
) -> None:
    request_id = submit(app)
    tracking = Tracking("SIVICON@test", 7)
    app.check_and_hold(request_id, tracking=tracking)
    assert app.has_tracking(tracking)
    assert app.check_and_hold(request_id, tracking=Tracking("SIVICON@test", 8)) is None
    assert len(app.schedule_of(START.date())["bookings"]) == 1
    assert len(published(app)) == 1
    with pytest.raises(IntegrityError):
        app.save_tracked(tracking=tracking)


def test_the_same_request_submitted_again_changes_nothing(app: SchedulerApplication) -> None:
    # Intake answers a machine client's resend with the same RequestSubmitted again.
    request_id = submit(app)
    app.check_and_hold(request_id, caused_by="evt-3")
    stored = len(app.recorder.select_notifications(1, 10_000))
    app.remember_request(
        request_id,
        topic="Rapat Koordinasi Posyandu",
        start=START,
        end=END,
        participants=50,
        opd_code="DINKES",
        opd_name="Dinas Kesehatan",
        agenda_number="000.1/0001/2026",
        caused_by="evt-repeat",
        tracking=Tracking("SIVICON@test", 12),
    )
    assert len(app.recorder.select_notifications(1, 10_000)) == stored
    assert len(app.schedule_of(START.date())["bookings"]) == 1
    assert app.check_and_hold(request_id, caused_by="evt-3b") is None  # checked once, still


def test_when_every_licence_is_taken_the_check_is_full_with_alternatives(
    app: SchedulerApplication,
) -> None:
    held = [app.check_and_hold(submit(app)) for _ in range(3)]
    assert [h["hold"]["id"] for h in held if h] == ["zoom-1", "zoom-2", "zoom-3"]
    full_id = submit(app)
    full = app.check_and_hold(full_id)
    assert full is not None
    assert full["status"] == "full"
    assert full["hold"] is None
    assert len(full["check"]["conflicts"]) == 3
    alternatives = full["check"]["alternatives"]
    assert len(alternatives) == 3
    for alternative in alternatives:
        assert alternative["end"] - alternative["start"] == timedelta(hours=2)
        assert alternative["start"] >= END + timedelta(minutes=15) or (
            alternative["end"] <= START - timedelta(minutes=15)
        )
    slot = published(app)[-1]
    assert isinstance(slot, SlotChecked)
    assert not slot.available
    assert len(slot.conflicts) == 3
    assert len(slot.alternatives) == 3
    app.open_staff_task(full_id, opened_at=NOW, disposed_by={})
    with pytest.raises(OutOfOrder, match="schedule was full"):
        app.create_meeting(full_id, actor=STAF)


def test_a_big_meeting_gets_the_big_licence_and_too_big_is_full(
    app: SchedulerApplication,
) -> None:
    big = app.check_and_hold(submit(app, participants=450))
    assert big is not None
    assert big["hold"]["id"] == "zoom-3"
    huge = app.check_and_hold(submit(app, participants=900, start=START + timedelta(days=1)))
    assert huge is not None
    assert huge["status"] == "full"


def test_creating_a_meeting_is_refused_out_of_order_and_for_unknown_requests(
    app: SchedulerApplication,
) -> None:
    with pytest.raises(NotFound):
        app.create_meeting(uuid4(), actor=STAF)
    request_id = submit(app)
    app.check_and_hold(request_id)
    with pytest.raises(OutOfOrder, match="not been disposed"):
        app.create_meeting(request_id, actor=STAF)
    app.open_staff_task(request_id, opened_at=NOW, disposed_by={})
    app.create_meeting(request_id, actor=STAF)
    with pytest.raises(OutOfOrder, match="exists already"):
        app.create_meeting(request_id, actor=STAF)


def test_zoom_down_records_nothing_and_a_hand_entered_meeting_is_accepted(
    app: SchedulerApplication, provider: FakeProvider
) -> None:
    request_id = submit(app)
    app.check_and_hold(request_id)
    app.open_staff_task(request_id, opened_at=NOW, disposed_by={})
    provider.down = True
    with pytest.raises(Unavailable):
        app.create_meeting(request_id, actor=STAF)
    assert app.meeting(request_id)["status"] == "staff_task_open"
    manual = {"meeting_id": "98765432101", "passcode": "xyz789", "join_url": "https://zoom.us/j/1"}
    recorded = app.create_meeting(request_id, actor=STAF, manual=manual)
    assert recorded["meeting"]["created_via"] == "manual"
    assert recorded["meeting"]["host_email"] == "dkisp.zoom1@tarakankota.go.id"
    created = published(app)[-1]
    assert isinstance(created, MeetingCreated)
    assert created.meeting_id == "98765432101"


def test_a_case_closed_as_withdrawn_releases_the_hold_for_the_next_request(
    app: SchedulerApplication,
) -> None:
    request_id = submit(app)
    app.check_and_hold(request_id)
    app.open_staff_task(request_id, opened_at=NOW, disposed_by={})
    app.create_meeting(request_id, actor=STAF)
    app.close_case(request_id, outcome="withdrawn", closed_at=NOW, caused_by="evt-closed")
    assert app.schedule_of(START.date())["bookings"] == []
    cancelled = published(app)[-1]
    assert isinstance(cancelled, MeetingCancelled)
    assert (cancelled.host_account_id, cancelled.meeting_id) == ("zoom-1", "10000000000")
    assert cancelled.cancelled_by.role == "system"
    assert "withdrawn" in cancelled.reason
    assert app.meeting(request_id)["status"] == "withdrawn"
    again = app.check_and_hold(submit(app))
    assert again is not None
    assert again["hold"]["id"] == "zoom-1"
    # Without a hold nothing is published; the same closing again changes nothing.
    quiet = submit(app, start=START + timedelta(days=7))
    before = len(published(app))
    app.close_case(quiet, outcome="withdrawn", closed_at=NOW)
    app.close_case(quiet, outcome="withdrawn", closed_at=NOW)
    assert len(published(app)) == before
    assert app.check_and_hold(quiet) is None


def test_a_case_closed_otherwise_keeps_its_meeting_and_takes_no_other(
    app: SchedulerApplication, provider: FakeProvider
) -> None:
    request_id = submit(app)
    app.check_and_hold(request_id)
    app.open_staff_task(request_id, opened_at=NOW, disposed_by={})
    app.create_meeting(request_id, actor=STAF)
    before = len(published(app))
    tracking = Tracking("SIVICON@test", 50)
    app.close_case(request_id, outcome="meeting_provided", closed_at=NOW, tracking=tracking)
    assert app.has_tracking(tracking)
    assert len(published(app)) == before  # nothing cancelled
    assert [b["kind"] for b in app.schedule_of(START.date())["bookings"]] == ["meeting"]
    assert app.meeting(request_id)["case_closed"]["outcome"] == "meeting_provided"
    assert app.delete_cancelled_meetings() == 0
    assert provider.deleted == []
    with pytest.raises(ClosedCase):
        app.create_meeting(request_id, actor=STAF)


def test_no_meeting_is_created_or_entered_by_hand_once_the_case_was_withdrawn(
    app: SchedulerApplication, provider: FakeProvider
) -> None:
    request_id = submit(app)
    app.check_and_hold(request_id)
    app.open_staff_task(request_id, opened_at=NOW, disposed_by={})
    app.close_case(request_id, outcome="withdrawn", closed_at=NOW)
    manual = {"meeting_id": "98765432101", "passcode": "xyz789", "join_url": "https://zoom.us/j/1"}
    for by_hand in (None, manual):
        with pytest.raises(ClosedCase) as refused:
            app.create_meeting(request_id, actor=STAF, manual=by_hand)
        assert (refused.value.status, refused.value.code) == (409, "case_closed")
        assert "withdrawn" in refused.value.message
    assert provider.created == []
    assert app.meeting(request_id)["meeting"] is None
    assert not any(isinstance(e, MeetingCreated) for e in published(app))


def test_concurrent_checks_never_hold_the_same_licence_twice(
    app: SchedulerApplication,
) -> None:
    requests = [submit(app) for _ in range(6)]
    barrier = threading.Barrier(len(requests))
    errors: list[BaseException] = []

    def check(request_id: UUID) -> None:
        barrier.wait()
        try:
            app.check_and_hold(request_id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=check, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    outcomes = [app.meeting(r) for r in requests]
    held = sorted(o["hold"]["id"] for o in outcomes if o["status"] == "available")
    assert held == ["zoom-1", "zoom-2", "zoom-3"]
    assert sum(o["status"] == "full" for o in outcomes) == 3
    assert len(app.schedule_of(START.date())["bookings"]) == 3


def test_host_accounts_are_validated_listed_and_can_be_taken_out(
    app: SchedulerApplication,
) -> None:
    with pytest.raises(InvalidInput):
        app.register_host_account("zoom-4", "Zoom 4", "z4@tarakankota.go.id", 250, 1)
    with pytest.raises(OutOfOrder):
        app.register_host_account("zoom-1", "Again", "z@tarakankota.go.id", 100, 1)
    app.register_host_account("zoom-4", "Zoom 4", "Z4@tarakankota.go.id", 1000, 2)
    assert [a["id"] for a in app.host_accounts()] == ["zoom-1", "zoom-2", "zoom-3", "zoom-4"]
    assert app.host_accounts()[-1]["email"] == "z4@tarakankota.go.id"
    app.set_host_account_active("zoom-1", False)
    checked = app.check_and_hold(submit(app))
    assert checked is not None
    assert checked["hold"]["id"] == "zoom-2"
    app.seed_demo_host_accounts()  # a restart seeds nothing twice
    assert len(app.host_accounts()) == 4


def test_the_dry_run_check_holds_nothing(app: SchedulerApplication) -> None:
    answer = app.dry_run_check(START, END, 120)
    assert (answer["available"], answer["host_account_id"]) == (True, "zoom-2")
    assert app.schedule_of(START.date())["bookings"] == []
    with pytest.raises(InvalidInput):
        app.dry_run_check(START.replace(tzinfo=None), END, 10)
    assert answer["start"].tzinfo is not None
    assert NOW.astimezone(UTC) < answer["start"]


def test_a_retried_or_concurrent_creation_keeps_the_one_zoom_meeting(
    app: SchedulerApplication, provider: FakeProvider
) -> None:
    request_id = submit(app)
    app.check_and_hold(request_id, caused_by="evt-3")
    app.open_staff_task(request_id, opened_at=NOW, disposed_by={"username": "subko"})
    # A first attempt reached Zoom, then the process died before recording it.
    provider.create_meeting(
        "dkisp.zoom1@tarakankota.go.id", "Rapat", START, START, "UTC", reference=str(request_id)
    )
    meeting = app.create_meeting(request_id, actor=STAF)
    assert meeting["meeting"]["meeting_id"] == "10000000000"
    assert len(provider.created) == 1
    # A second click is refused, and the meeting made stays.
    with pytest.raises(OutOfOrder):
        app.create_meeting(request_id, actor=STAF)
    assert provider.deleted == []


def test_the_meeting_of_a_withdrawn_request_is_deleted_at_zoom_even_after_an_outage(
    app: SchedulerApplication, provider: FakeProvider
) -> None:
    request_id = submit(app)
    app.check_and_hold(request_id)
    app.open_staff_task(request_id, opened_at=NOW, disposed_by={})
    meeting_id = app.create_meeting(request_id, actor=STAF)["meeting"]["meeting_id"]
    app.close_case(request_id, outcome="withdrawn", closed_at=NOW)
    assert provider.deleted == []  # the consumer never waits for Zoom
    provider.down = True
    assert app.delete_cancelled_meetings() == 0
    provider.down = False
    assert app.delete_cancelled_meetings() == 1
    assert provider.deleted == [meeting_id]
    assert app.delete_cancelled_meetings() == 0  # done once
