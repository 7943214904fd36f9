"""A day's bookings name their request: the agenda number and the agency, from what the scheduler
remembers of the request (also for bookings stored before the view carried them), so that the
portal's week calendar shows them from the schedule alone, without a call per booking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI, Request

from services.portal.main import create_app as portal_app
from services.portal.users import DEMO_PASSWORD
from services.scheduler.application import SchedulerApplication
from services.scheduler.views import ScheduleDay
from shared.messaging import Consumed
from shared.settings import Settings
from tests.builders import disposed, submitted
from tests.support import running, serving

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 12, 3, 9, 0, tzinfo=WITA)  # a Thursday
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=WITA)


class NoZoom:
    """The bookings below never reach the meeting step."""

    def create_meeting(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no meeting is created here")

    def delete_meeting(self, meeting_id: str) -> None:
        raise AssertionError("no meeting is deleted here")


def test_each_booking_of_the_day_carries_its_agenda_number_and_agency(
    store_env: dict[str, str],
) -> None:
    app = SchedulerApplication(env=store_env, provider=NoZoom(), clock=lambda: NOW)
    app.seed_demo_host_accounts()
    position = 0
    requests = {}
    for seq, opd in ((7, "DINKES"), (8, "DISDIK")):
        request_id = uuid4()
        requests[str(request_id)] = (f"VC/2026/{seq:04d}", opd)
        wish = submitted(
            request_id, seq=seq, opd_code=opd, start=START, end=START + timedelta(hours=2)
        )
        for event in (wish, disposed(request_id, 3, "subkoordinator")):
            position += 1
            app.process_event(event, Consumed("SIVICON@test", position, event_id=str(position)))

    day = ScheduleDay.of(app.schedule_of(START.date())).model_dump(mode="json")
    shown = {b["request_id"]: (b["agenda_number"], b["opd_code"]) for b in day["bookings"]}
    assert shown == requests
    names = {b["opd_code"]: b["opd_name"] for b in day["bookings"]}
    assert names == {"DINKES": "Dinas Kesehatan", "DISDIK": "Dinas DISDIK"}
    assert {b["kind"] for b in day["bookings"]} == {"hold"}


# --------------------------------------------------------------------------- the portal's week


def _scheduler(asked: list[str]) -> FastAPI:
    """A scheduler answering the host accounts and the schedule, recording every path asked."""
    upstream = FastAPI()

    @upstream.middleware("http")
    async def record(request: Request, call_next: Any) -> Any:
        asked.append(request.url.path)
        return await call_next(request)

    @upstream.get("/api/v1/host-accounts")
    async def hosts() -> list[dict[str, Any]]:
        return [
            {
                "id": "zoom-1",
                "name": "Zoom DKISP 1",
                "email": "z1@example.go.id",
                "capacity": 300,
                "concurrent": 1,
                "active": True,
            }
        ]

    @upstream.get("/api/v1/schedule")
    async def schedule(date: str) -> dict[str, Any]:
        bookings = []
        if date == START.date().isoformat():
            bookings.append(
                {
                    "request_id": "11111111-2222-3333-4444-555555555555",
                    "host_account_id": "zoom-1",
                    "start": START.isoformat(),
                    "end": (START + timedelta(hours=2)).isoformat(),
                    "kind": "hold",
                    "topic": "Rapat Koordinasi Posyandu",
                    "opd_code": "DINKES",
                    "opd_name": "Dinas Kesehatan",
                    "agenda_number": "VC/2026/0107",
                    "meeting_id": None,
                }
            )
        return {
            "date": date,
            "timezone": "Asia/Makassar",
            "buffer_minutes": 15,
            "host_accounts": [],
            "bookings": bookings,
        }

    return upstream


@pytest.fixture
def asked() -> list[str]:
    return []


@pytest.fixture
def scheduler_url(asked: list[str]) -> Iterator[str]:
    with serving(_scheduler(asked), lifespan="off") as url:
        yield url


async def test_the_week_calendar_names_each_booking_from_the_schedule_alone(
    settings: Settings, scheduler_url: str, asked: list[str]
) -> None:
    portal_settings = settings.model_copy(update={"scheduler_url": scheduler_url})
    async with running(portal_app(portal_settings)) as portal:
        await portal.post("/masuk", data={"username": "subko", "password": DEMO_PASSWORD})
        week = await portal.get("/kalender", params={"minggu": START.date().isoformat()})
    assert week.status_code == 200, week.text
    assert "No. agenda VC/2026/0107" in week.text
    assert 'title="Dinas Kesehatan">DINKES</abbr>' in week.text
    assert sorted(set(asked)) == ["/api/v1/host-accounts", "/api/v1/schedule"]
    assert asked.count("/api/v1/schedule") == 7  # one per day of the week, none per booking
