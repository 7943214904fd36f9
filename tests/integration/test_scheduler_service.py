"""The scheduler as a service: events in from a real nats-server, HTTP calls, events out,
with the fake Zoom server answering over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.launcher import free_port
from services.scheduler.fakezoom.embedded import RunningFakeZoom, fake_zoom_in_thread
from services.scheduler.fakezoom.state import FakeZoomState
from services.scheduler.main import create_app
from shared.envelope import CAUSATION
from shared.events import (
    MeetingCancelled,
    MeetingCreated,
    RequestSubmitted,
    SlotChecked,
)
from shared.settings import Settings
from tests.builders import case_closed, disposed, submitted, withdrawn
from tests.support import (
    auth,
    make_settings,
    publish_event,
    read_stream,
    running,
    wait_for_messages,
)

WITA = ZoneInfo("Asia/Makassar")
# A working day far enough ahead that the alternatives are never in the past.
START = datetime(2030, 6, 4, 9, 0, tzinfo=WITA)
END = START + timedelta(hours=2)


@pytest.fixture
def zoom() -> Iterator[RunningFakeZoom]:
    state = FakeZoomState(
        account_id="fake-account", client_id="fake-client", client_secret="fake-secret"
    )
    with fake_zoom_in_thread(state) as running_zoom:
        yield running_zoom


@pytest.fixture
def service_settings(tmp_path: Path, nats_url: str, zoom: RunningFakeZoom) -> Settings:
    return make_settings(
        tmp_path / "var", nats_url, zoom_api_url=zoom.api_url, zoom_oauth_url=zoom.oauth_url
    )


def upcoming(request_id: UUID, seq: int = 1) -> RequestSubmitted:
    """A request for the meeting at START, which is in the future whenever the tests run."""
    return submitted(
        request_id, at=datetime.now(UTC), start=START, end=END, participants=50, seq=seq
    )


async def slot_checked(nats_url: str, request_id: UUID) -> SlotChecked:
    messages = await wait_for_messages(nats_url, f"sivicon.scheduler.SlotChecked.{request_id}", 1)
    event = messages[0].event
    assert isinstance(event, SlotChecked)
    return event


async def wait_for_status(client: httpx.AsyncClient, settings: Settings, rid: UUID, status: str):
    for _ in range(150):
        response = await client.get(f"/api/v1/meetings/{rid}", headers=auth(settings, "staf"))
        if response.status_code == 200 and response.json()["status"] == status:
            return response.json()
        await asyncio.sleep(0.1)
    raise AssertionError(f"request {rid} never reached {status}: {response.text}")


async def test_a_disposed_request_is_held_and_staff_creates_its_zoom_meeting(
    nats_url: str, service_settings: Settings, zoom: RunningFakeZoom
) -> None:
    settings = service_settings
    request_id = uuid4()
    async with running(create_app(settings)) as client:
        await publish_event(nats_url, upcoming(request_id))
        step3_id = str(uuid4())
        await publish_event(nats_url, disposed(request_id, 3, "subkoordinator"), step3_id)
        checked = await slot_checked(nats_url, request_id)
        assert checked.available
        assert (checked.host_account_id, checked.capacity) == ("zoom-1", 100)
        assert (checked.start, checked.end, checked.participants) == (START, END, 50)
        stream = await wait_for_messages(nats_url, "sivicon.scheduler.SlotChecked.*", 1)
        assert stream[0].headers[CAUSATION] == step3_id

        staf = auth(settings, "staf")
        early = await client.post(
            "/api/v1/meetings", json={"request_id": str(request_id)}, headers=staf
        )
        assert early.status_code == 409
        assert early.json()["error"]["code"] == "step_out_of_order"

        await publish_event(nats_url, disposed(request_id, 4, "staf"))
        task = await wait_for_status(client, settings, request_id, "staff_task_open")
        assert task["staff_task"]["deadline"]

        body = {"request_id": str(request_id)}
        wrong = await client.post("/api/v1/meetings", json=body, headers=auth(settings, "kabid"))
        assert wrong.status_code == 403
        assert wrong.json()["error"]["code"] == "wrong_role"
        created = await client.post("/api/v1/meetings", json=body, headers=staf)
        assert created.status_code == 201, created.text
        meeting = created.json()["meeting"]
        assert meeting["created_via"] == "api"
        in_zoom = zoom.state.meetings[int(meeting["meeting_id"])]
        assert in_zoom["host_email"] == "dkisp.zoom1@tarakankota.go.id"
        assert in_zoom["start_time"] == "2030-06-04T01:00:00Z"

        messages = await wait_for_messages(
            nats_url, f"sivicon.scheduler.MeetingCreated.{request_id}", 1
        )
        event = messages[0].event
        assert isinstance(event, MeetingCreated)
        assert event.meeting_id == str(in_zoom["id"])
        assert event.join_url == in_zoom["join_url"]
        assert event.passcode == in_zoom["password"]
        assert event.created_by.username == "staf"
        assert event.host_account_id == "zoom-1"

        again = await client.post("/api/v1/meetings", json=body, headers=staf)
        assert again.status_code == 409
        assert len(zoom.state.meetings) == 1
        unknown = await client.post(
            "/api/v1/meetings", json={"request_id": str(uuid4())}, headers=staf
        )
        assert unknown.status_code == 404

        day = await client.get(
            "/api/v1/schedule", params={"date": "2030-06-04"}, headers=auth(settings, "kabid")
        )
        assert [(b["host_account_id"], b["kind"]) for b in day.json()["bookings"]] == [
            ("zoom-1", "meeting")
        ]
        opd_view = await client.get(
            f"/api/v1/meetings/{request_id}", headers=auth(settings, "opd", "DINKES")
        )
        assert opd_view.status_code == 200
        other_opd = await client.get(
            f"/api/v1/meetings/{request_id}", headers=auth(settings, "opd", "DISDIK")
        )
        assert other_opd.status_code == 403


async def test_a_full_schedule_offers_alternatives_and_a_withdrawal_frees_the_slot(
    nats_url: str, service_settings: Settings
) -> None:
    settings = service_settings
    requests = [uuid4() for _ in range(4)]
    async with running(create_app(settings)):
        for seq, request_id in enumerate(requests, 1):
            await publish_event(nats_url, upcoming(request_id, seq=seq))
            await publish_event(nats_url, disposed(request_id, 3, "subkoordinator"))
        # A duplicate disposition (a new event ID for the same step) checks nothing twice.
        await publish_event(nats_url, disposed(requests[0], 3, "subkoordinator"))
        held = [await slot_checked(nats_url, r) for r in requests[:3]]
        assert [h.host_account_id for h in held] == ["zoom-1", "zoom-2", "zoom-3"]
        full = await slot_checked(nats_url, requests[3])
        assert not full.available
        assert full.host_account_id is None
        assert sorted(c.host_account_id for c in full.conflicts) == ["zoom-1", "zoom-2", "zoom-3"]
        assert len(full.alternatives) == 3
        for slot in full.alternatives:
            assert slot.end - slot.start == END - START
            local = slot.start.astimezone(WITA)
            assert local.weekday() < 5
            assert (local.hour, local.minute) >= (7, 30)
            assert slot.end.astimezone(WITA).hour < 17 or slot.end.astimezone(WITA).minute == 0

        await publish_event(nats_url, withdrawn(requests[0], at=datetime.now(UTC)))
        # The withdrawal is the OPD's request; the case decides it. Alone, it frees nothing:
        # a request checked after it (so, in stream order, after it was seen) still finds it full.
        probe = uuid4()
        await publish_event(nats_url, upcoming(probe, seq=5))
        await publish_event(nats_url, disposed(probe, 3, "subkoordinator"))
        assert not (await slot_checked(nats_url, probe)).available
        cancellations = f"sivicon.scheduler.MeetingCancelled.{requests[0]}"
        assert await read_stream(nats_url, cancellations) == []

        await publish_event(nats_url, case_closed(requests[0], "withdrawn"))
        cancelled = await wait_for_messages(nats_url, cancellations, 1)
        event = cancelled[0].event
        assert isinstance(event, MeetingCancelled)
        assert (event.host_account_id, event.meeting_id) == ("zoom-1", None)
        later = uuid4()
        await publish_event(nats_url, upcoming(later, seq=6))
        await publish_event(nats_url, disposed(later, 3, "subkoordinator"))
        assert (await slot_checked(nats_url, later)).host_account_id == "zoom-1"
        all_checks = await wait_for_messages(nats_url, "sivicon.scheduler.SlotChecked.*", 6)
        assert len(all_checks) == 6


async def test_once_the_case_was_closed_as_withdrawn_staff_cannot_create_the_meeting(
    nats_url: str, service_settings: Settings, zoom: RunningFakeZoom
) -> None:
    settings = service_settings
    request_id = uuid4()
    async with running(create_app(settings)) as client:
        await publish_event(nats_url, upcoming(request_id))
        await publish_event(nats_url, disposed(request_id, 3, "subkoordinator"))
        await publish_event(nats_url, disposed(request_id, 4, "staf"))
        await wait_for_status(client, settings, request_id, "staff_task_open")
        await publish_event(nats_url, case_closed(request_id, "withdrawn"))
        await wait_for_status(client, settings, request_id, "withdrawn")
        staf = auth(settings, "staf")
        by_api = {"request_id": str(request_id)}
        by_hand = {**by_api, "meeting_id": "987 6543 2101", "passcode": "xyz789",
                   "join_url": "https://zoom.us/j/98765432101?pwd=abc"}  # fmt: skip
        for body in (by_api, by_hand):
            refused = await client.post("/api/v1/meetings", json=body, headers=staf)
            assert refused.status_code == 409, refused.text
            error = refused.json()["error"]
            assert error["code"] == "case_closed"
            assert "withdrawn" in error["message"]
            assert "ditutup" in error["pesan"]
        assert zoom.state.meetings == {}
        assert await read_stream(nats_url, f"sivicon.scheduler.MeetingCreated.{request_id}") == []


async def test_zoom_down_is_a_clear_503_and_records_nothing(tmp_path: Path, nats_url: str) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(
        tmp_path / "var",
        nats_url,
        zoom_api_url=nowhere + "/v2",
        zoom_oauth_url=nowhere + "/oauth/token",
    )
    request_id = uuid4()
    async with running(create_app(settings)) as client:
        await publish_event(nats_url, upcoming(request_id))
        await publish_event(nats_url, disposed(request_id, 3, "subkoordinator"))
        await publish_event(nats_url, disposed(request_id, 4, "staf"))
        await wait_for_status(client, settings, request_id, "staff_task_open")
        staf = auth(settings, "staf")
        down = await client.post(
            "/api/v1/meetings", json={"request_id": str(request_id)}, headers=staf
        )
        assert down.status_code == 503
        assert "Zoom" in down.json()["error"]["message"]
        assert "Zoom tidak dapat dihubungi" in down.json()["error"]["pesan"]
        state = await client.get(f"/api/v1/meetings/{request_id}", headers=staf)
        assert state.json()["meeting"] is None
        by_hand = await client.post(
            "/api/v1/meetings",
            json={
                "request_id": str(request_id),
                "meeting_id": "987 6543 2101",
                "passcode": "xyz789",
                "join_url": "https://zoom.us/j/98765432101?pwd=abc",
            },
            headers=staf,
        )
        assert by_hand.status_code == 201
        messages = await wait_for_messages(
            nats_url, f"sivicon.scheduler.MeetingCreated.{request_id}", 1
        )
        event = messages[0].event
        assert isinstance(event, MeetingCreated)
        assert (event.meeting_id, event.created_via) == ("98765432101", "manual")


async def test_host_accounts_schedule_and_dry_run_check_over_http(
    nats_url: str, service_settings: Settings
) -> None:
    settings = service_settings
    async with running(create_app(settings)) as client:
        listed = await client.get("/api/v1/host-accounts", headers=auth(settings, "auditor"))
        assert [a["capacity"] for a in listed.json()] == [100, 300, 500]
        refused = await client.get("/api/v1/host-accounts", headers=auth(settings, "opd"))
        assert refused.status_code == 403
        new = {"id": "zoom-4", "name": "Zoom DKISP 4", "email": "dkisp.zoom4@tarakankota.go.id",
               "capacity": 1000, "concurrent": 2}  # fmt: skip
        not_admin = await client.post(
            "/api/v1/host-accounts", json=new, headers=auth(settings, "staf")
        )
        assert not_admin.status_code == 403
        admin = auth(settings, "admin")
        bad = await client.post(
            "/api/v1/host-accounts", json={**new, "capacity": 200}, headers=admin
        )
        assert bad.status_code == 422
        assert (
            await client.post("/api/v1/host-accounts", json=new, headers=admin)
        ).status_code == 201
        twice = await client.post("/api/v1/host-accounts", json=new, headers=admin)
        assert twice.status_code == 409

        subko = auth(settings, "subkoordinator")
        check = await client.get(
            "/api/v1/slots/check",
            params={"start": START.isoformat(), "end": END.isoformat(), "participants": 700},
            headers=subko,
        )
        assert check.status_code == 200
        assert (check.json()["available"], check.json()["host_account_id"]) == (True, "zoom-4")
        unencoded = await client.get(
            f"/api/v1/slots/check?start={START.isoformat()}&end={END.isoformat()}&participants=5",
            headers=subko,
        )
        assert unencoded.json()["host_account_id"] == "zoom-1"
        garbage = await client.get(
            "/api/v1/slots/check",
            params={"start": "soon", "end": END.isoformat(), "participants": 5},
            headers=subko,
        )
        assert garbage.status_code == 422
        day = await client.get("/api/v1/schedule", params={"date": "2030-06-04"}, headers=subko)
        assert day.json()["bookings"] == []
        bad_day = await client.get("/api/v1/schedule", params={"date": "06/04/2030"}, headers=subko)
        assert bad_day.status_code == 422
