"""The disposition service running for real: NATS JetStream, its consumers, relay and HTTP API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from services.disposition.main import create_app
from shared.envelope import CAUSATION
from shared.events import CaseClosed, Disposed, DraftReturned, WithdrawalRefused
from shared.settings import Settings
from tests.builders import (
    letter_drafted,
    letter_received,
    letter_sent,
    meeting_created,
    slot_checked,
    submitted,
    withdrawn,
)
from tests.support import (
    auth,
    publish_event,
    publish_message,
    read_stream,
    running,
    signed,
    wait_for_messages,
)


async def until(
    client: httpx.AsyncClient,
    settings: Settings,
    case_id: UUID,
    condition: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    """Poll the case (as the auditor) until ``condition`` holds."""
    deadline = asyncio.get_running_loop().time() + 10.0
    body: dict[str, Any] = {}
    while asyncio.get_running_loop().time() < deadline:
        response = await client.get(f"/api/v1/cases/{case_id}", headers=auth(settings, "auditor"))
        if response.status_code == 200:
            body = response.json()
            if condition(body):
                return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {case_id} never reached the condition; last seen: {body}")


async def dispose(
    client: httpx.AsyncClient, settings: Settings, case_id: UUID, role: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/cases/{case_id}/dispositions", json=body, headers=auth(settings, role)
    )


async def give_back(
    client: httpx.AsyncClient, settings: Settings, case_id: UUID, role: str, note: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/cases/{case_id}/returns", json={"note": note}, headers=auth(settings, role)
    )


async def consumer_handled(client: httpx.AsyncClient, settings: Settings, count: int) -> None:
    operator = auth(settings, "operator")
    for _ in range(200):
        health = (await client.get("/api/v1/health/details", headers=operator)).json()
        if health["consumers"]["disposition"]["handled"] >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the consumer handled fewer than {count} messages: {health}")


async def test_a_submitted_request_opens_a_case_that_kadis_disposes(
    settings: Settings, nats_url: str
) -> None:
    event = submitted(at=datetime.now(UTC))
    case_id = event.request_id
    async with running(create_app(settings)) as client:
        await publish_event(nats_url, event)
        case = await until(client, settings, case_id, lambda c: c["current_role"] == "kadis")
        assert case["request"]["agenda_number"] == "VC/2026/0042"
        inbox = (await client.get("/api/v1/inbox", headers=auth(settings, "kadis"))).json()
        assert [row["case_id"] for row in inbox["items"]] == [str(case_id)]

        refused = await dispose(client, settings, case_id, "opd", to_role="kabid")
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "wrong_role")
        early = await dispose(client, settings, case_id, "kabid", to_role="subkoordinator")
        assert (early.status_code, early.json()["error"]["code"]) == (409, "step_out_of_order")
        invalid = await dispose(client, settings, case_id, "kadis", to_role="bos")
        assert invalid.status_code == 422
        unknown = await dispose(client, settings, uuid4(), "kadis", to_role="kabid")
        assert unknown.status_code == 404

        response = await dispose(
            client, settings, case_id, "kadis", to_role="kabid", note="Mohon segera", sifat="segera"
        )
        assert response.status_code == 201, response.text
        record = response.json()
        assert (record["sop_step"], record["to_role"]) == (2, "kabid")
        assert (record["actor"]["username"], record["instruction"]) == (
            "kadis",
            "Proses lebih lanjut",
        )

        [message] = await wait_for_messages(nats_url, f"sivicon.disposition.Disposed.{case_id}", 1)
        disposed = message.event
        assert isinstance(disposed, Disposed)
        assert (disposed.sop_step, disposed.by.username, disposed.sifat) == (2, "kadis", "segera")
        assert message.headers["ce-source"] == "/sivicon/disposition"

        other = await client.get(
            f"/api/v1/cases/{case_id}", headers=auth(settings, "opd", opd_code="DISDIK")
        )
        assert other.status_code == 403
        history = await client.get(
            f"/api/v1/cases/{case_id}/history", headers=auth(settings, "opd")
        )
        assert [r["sop_step"] for r in history.json()["records"]] == [1, 2]


async def test_the_same_request_twice_opens_one_case(settings: Settings, nats_url: str) -> None:
    event = submitted(at=datetime.now(UTC))
    async with running(create_app(settings)) as client:
        await publish_event(nats_url, event, event_id="intake-evt-1")
        await publish_event(nats_url, event, event_id="intake-evt-2")  # republished, new ID
        await publish_event(nats_url, event, event_id="intake-evt-1")  # dropped by the stream
        stored = await read_stream(nats_url, f"sivicon.intake.RequestSubmitted.{event.request_id}")
        assert len(stored) == 2
        await consumer_handled(client, settings, 2)
        history = await client.get(
            f"/api/v1/cases/{event.request_id}/history", headers=auth(settings, "auditor")
        )
        assert [r["sop_step"] for r in history.json()["records"]] == [1]
        cases = await client.get("/api/v1/cases", headers=auth(settings, "auditor"))
        assert cases.json()["total"] == 1


async def test_garbage_and_impossible_events_are_dead_lettered(
    settings: Settings, nats_url: str
) -> None:
    async with running(create_app(settings)):
        subject = "sivicon.intake.RequestSubmitted.garbage"
        headers = {
            "ce-type": "sivicon.RequestSubmitted.v1",
            "ce-id": "garbage-1",
            "ce-source": "/sivicon/intake",
        }
        await publish_message(nats_url, subject, b"not json", signed(subject, headers, b"not json"))
        await publish_event(nats_url, meeting_created(uuid4(), at=datetime.now(UTC)))
        dead = await wait_for_messages(nats_url, "sivicon.deadletter.disposition", 2)
    reasons = [m.headers["sivicon-error"] for m in dead]
    assert "does not match its schema" in reasons[0]
    assert "MeetingCreated" in reasons[1]
    assert "no case" in reasons[1]


async def test_the_free_branch_end_to_end_closes_the_case(
    settings: Settings, nats_url: str
) -> None:
    now = datetime.now(UTC)
    event = submitted(at=now)
    case_id, letter_id = event.request_id, uuid4()
    async with running(create_app(settings)) as client:
        await publish_event(nats_url, event)
        await until(client, settings, case_id, lambda c: c["pending_step"] == 2)
        assert (
            await dispose(client, settings, case_id, "kadis", to_role="kabid")
        ).status_code == 201
        assert (
            await dispose(client, settings, case_id, "kabid", to_role="subkoordinator")
        ).status_code == 201
        await publish_event(nats_url, slot_checked(case_id, available=True, at=now))
        await until(client, settings, case_id, lambda c: c["slot_check"] is not None)
        assert (
            await dispose(client, settings, case_id, "subkoordinator", to_role="staf")
        ).status_code == 201
        await publish_event(nats_url, meeting_created(case_id, at=datetime.now(UTC)))
        await until(client, settings, case_id, lambda c: c["pending_step"] == 6)
        assert (
            await dispose(client, settings, case_id, "staf", to_role="subkoordinator")
        ).status_code == 201
        drafted_at = datetime.now(UTC)
        await publish_event(nats_url, letter_drafted(case_id, letter_id, at=drafted_at))
        await until(client, settings, case_id, lambda c: bool(c["letter"]["drafts"]))
        step7 = await dispose(client, settings, case_id, "subkoordinator", to_role="kabid")
        assert step7.json()["refs"]["letter_id"] == str(letter_id)
        # Kabid returns the draft with a note instead of the paraf: only Kabid, only with a note.
        for role, note, status in [
            ("staf", "x", 403),
            ("kadis", "x", 409),
            ("kabid", "  ", 422),
        ]:
            refused = await give_back(client, settings, case_id, role, note)
            assert refused.status_code == status, refused.text
        returned = await give_back(client, settings, case_id, "kabid", "Jam rapat salah")
        assert returned.status_code == 201, returned.text
        assert (returned.json()["kind"], returned.json()["to_role"]) == (
            "draft_returned",
            "subkoordinator",
        )
        [back] = await wait_for_messages(
            nats_url, f"sivicon.disposition.DraftReturned.{case_id}", 1
        )
        assert isinstance(back.event, DraftReturned)
        assert (back.event.sop_step, back.event.letter_id, back.event.note) == (
            8,
            letter_id,
            "Jam rapat salah",
        )
        case = await until(client, settings, case_id, lambda c: c["pending_step"] == 7)
        assert case["returned"]["note"] == "Jam rapat salah"
        assert case["letter"]["forwarded_letter_id"] is None
        again = await dispose(client, settings, case_id, "subkoordinator", to_role="kabid")
        assert again.status_code == 201, again.text
        assert (
            await dispose(client, settings, case_id, "kabid", to_role="kadis")
        ).status_code == 201
        sent_at = datetime.now(UTC) + timedelta(seconds=1)
        await publish_event(nats_url, letter_sent(case_id, letter_id, at=sent_at))
        await until(client, settings, case_id, lambda c: c["pending_step"] == 10)
        await publish_event(
            nats_url, letter_received(case_id, letter_id, at=sent_at), event_id="receipt-evt"
        )
        case = await until(client, settings, case_id, lambda c: c["closed"])
        assert case["outcome"] == "meeting_provided"
        [message] = await wait_for_messages(
            nats_url, f"sivicon.disposition.CaseClosed.{case_id}", 1
        )
        # A withdrawal that comes after the closing is the case's to refuse: recorded and
        # answered, not dead-lettered, and the outcome stands.
        await publish_event(nats_url, withdrawn(case_id, at=datetime.now(UTC)), "late-withdrawal")
        [refusal] = await wait_for_messages(
            nats_url, f"sivicon.disposition.WithdrawalRefused.{case_id}", 1
        )
        assert isinstance(refusal.event, WithdrawalRefused)
        assert refusal.event.outcome == "meeting_provided"
        assert refusal.headers[CAUSATION] == "late-withdrawal"
        after = await until(client, settings, case_id, lambda c: c["closed"])
        assert after["outcome"] == "meeting_provided"
        operator = auth(settings, "operator")
        health = (await client.get("/api/v1/health/details", headers=operator)).json()
        assert health["consumers"]["disposition"]["dead_lettered"] == 0
        assert len(await read_stream(nats_url, f"sivicon.disposition.CaseClosed.{case_id}")) == 1
        sheet = await client.get(
            f"/api/v1/cases/{case_id}/disposition-sheet", headers=auth(settings, "kadis")
        )
    closed = message.event
    assert isinstance(closed, CaseClosed)
    assert [s.sop_step for s in closed.steps] == list(range(1, 11))
    assert closed.sla_breaches == []
    assert message.headers[CAUSATION] == "receipt-evt"
    forwards = sheet.json()["forwards"]
    assert [(f["sop_step"], f["to_role"]) for f in forwards] == [
        (2, "kabid"),
        (3, "subkoordinator"),
        (4, "staf"),
        (6, "subkoordinator"),
        (7, "kabid"),
        (8, "subkoordinator"),  # returned with a note
        (7, "kabid"),
        (8, "kadis"),
    ]
