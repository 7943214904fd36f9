"""Stores written before the scheduler's domain became a package still load: their events name
their classes by the old topics (``services.scheduler.domain:Class.Event``)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.utils import get_topic, resolve_topic

from services.scheduler.application import SchedulerApplication
from services.scheduler.integration import to_integration
from services.scheduler.views import HostAccountView, MeetingView, ScheduleDay
from shared.events import SlotChecked
from shared.messaging import Consumed
from tests.builders import disposed, submitted

# Every topic the single module ``services/scheduler/domain.py`` wrote, as listed before the
# split. Stored events are never rewritten, so this list only ever grows.
OLD_TOPICS = [
    f"services.scheduler.domain:{name}"
    for name in (
        "HostAccount",
        "HostAccount.ActiveChanged",
        "HostAccount.Created",
        "HostAccount.Event",
        "HostAccount.Registered",
        "HostAccountIndex",
        "HostAccountIndex.Added",
        "HostAccountIndex.Created",
        "HostAccountIndex.Event",
        "HostAccountIndex.Started",
        "ZoomCleanup",
        "ZoomCleanup.Created",
        "ZoomCleanup.DeletedAtZoom",
        "ZoomCleanup.Event",
        "ZoomCleanup.Queued",
        "ZoomCleanup.Started",
        "DaySchedule",
        "DaySchedule.Booked",
        "DaySchedule.Confirmed",
        "DaySchedule.Created",
        "DaySchedule.Event",
        "DaySchedule.Opened",
        "DaySchedule.Released",
        "MeetingRequest",
        "MeetingRequest.CaseClosedNoted",
        "MeetingRequest.Created",
        "MeetingRequest.Event",
        "MeetingRequest.MeetingRecorded",
        "MeetingRequest.Remembered",
        "MeetingRequest.SlotChecked",
        "MeetingRequest.StaffTaskOpened",
        "MeetingRequest.Withdrawn",
    )
]
MODULES = {
    "HostAccount": "hosts",
    "HostAccountIndex": "hosts",
    "ZoomCleanup": "cleanup",
    "DaySchedule": "schedule",
    "MeetingRequest": "requests",
}
WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 12, 3, 9, 0, tzinfo=WITA)
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=WITA)


class NoZoom:
    def create_meeting(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("not called")

    def delete_meeting(self, meeting_id: str) -> None:
        raise AssertionError("not called")


def new_topic(old: str) -> str:
    name = old.partition(":")[2]
    return f"services.scheduler.domain.{MODULES[name.partition('.')[0]]}:{name}"


@pytest.mark.parametrize("old", OLD_TOPICS)
def test_every_old_topic_resolves_to_the_moved_class(old: str) -> None:
    moved = resolve_topic(new_topic(old))
    assert resolve_topic(old) is moved
    assert get_topic(moved) == new_topic(old)  # new events are written under the new topic


def as_written_before_the_split(path: Path) -> int:
    """Rewrite a store's topics, in the event rows and in the created events' state, to the old
    module's; returns how many rows named a moved class."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT rowid, topic, state FROM stored_events").fetchall()
        moved = 0
        for rowid, topic, state in rows:
            old_topic = topic
            for module in set(MODULES.values()):
                old_topic = old_topic.replace(
                    f"services.scheduler.domain.{module}:", "services.scheduler.domain:"
                )
                state = state.replace(
                    f'"services.scheduler.domain.{module}:'.encode(),
                    b'"services.scheduler.domain:',
                )
            moved += old_topic != topic
            db.execute(
                "UPDATE stored_events SET topic = ?, state = ? WHERE rowid = ?",
                (old_topic, state, rowid),
            )
    return moved


def test_an_application_reads_a_store_written_before_the_split(tmp_path: Path) -> None:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "s.db")}
    before = SchedulerApplication(env=env, provider=NoZoom(), clock=lambda: NOW)
    before.seed_demo_host_accounts()
    request_id = uuid4()
    wish = submitted(request_id, start=START, end=START + timedelta(hours=2), participants=50)
    before.process_event(wish, Consumed("SIVICON@test", 1))
    before.process_event(disposed(request_id, 3, "subkoordinator"), Consumed("SIVICON@test", 2))

    def shown(app: SchedulerApplication) -> tuple[object, ...]:
        return (
            MeetingView.of(app.meeting(request_id)),
            [HostAccountView.of(h) for h in app.host_accounts()],
            ScheduleDay.of(app.schedule_of(START.date())),
        )

    expected = shown(before)

    assert as_written_before_the_split(tmp_path / "s.db") > 0

    after = SchedulerApplication(env=env, provider=NoZoom(), clock=lambda: NOW)
    assert shown(after) == expected
    published = [
        e
        for n in after.recorder.select_notifications(1, 10_000)
        for e in to_integration(after.mapper.to_domain_event(n))
    ]
    assert [type(e) for e in published] == [SlotChecked]
