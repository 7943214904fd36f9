"""The letters service as deployed: real NATS, upstream events in, HTTP commands, events out."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import httpx

from services.letters.main import create_app
from shared.documents import sha256_of
from shared.events import LetterDrafted, LetterReceived, LetterSent
from shared.settings import Settings
from tests.builders import (
    disposed,
    meeting_created,
    slot_checked,
    submitted,
)
from tests.support import auth, publish_event, running, wait_for_messages


async def wait_for_status(
    client: httpx.AsyncClient, settings: Settings, request_id: Any, key: str, value: Any
) -> dict[str, Any]:
    """Poll until the consumer has applied what was published."""
    body: dict[str, Any] = {}
    for _ in range(150):
        response = await client.get(
            f"/api/v1/requests/{request_id}/letter-status", headers=auth(settings, "staf")
        )
        if response.status_code == 200:
            body = response.json()
            if body.get(key) == value:
                return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"letter status never had {key}={value!r}: {body}")


async def test_meeting_reply_drafted_signed_sent_and_received(
    settings: Settings, nats_url: str
) -> None:
    request_id = uuid4()
    async with running(create_app(settings)) as client:
        for event in (
            submitted(request_id),
            slot_checked(request_id, available=True),
            meeting_created(request_id),
        ):
            await publish_event(nats_url, event)
        await wait_for_status(client, settings, request_id, "draftable_kind", "meeting_provided")

        refused = await client.post(
            "/api/v1/letters", json={"request_id": str(request_id)}, headers=auth(settings, "kabid")
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "wrong_role"
        bad = await client.post(
            "/api/v1/letters", json={"request_id": "nope"}, headers=auth(settings, "subkoordinator")
        )
        assert bad.status_code == 422
        drafted = await client.post(
            "/api/v1/letters",
            json={"request_id": str(request_id)},
            headers=auth(settings, "subkoordinator"),
        )
        assert drafted.status_code == 201, drafted.text
        letter_id = drafted.json()["letter_id"]
        draft_pdf = await client.get(
            f"/api/v1/letters/{letter_id}/pdf", headers=auth(settings, "kabid")
        )
        assert draft_pdf.headers["content-type"] == "application/pdf"
        assert draft_pdf.headers["content-disposition"].startswith("attachment;")
        assert draft_pdf.headers["x-content-type-options"] == "nosniff"
        assert draft_pdf.headers["content-security-policy"].startswith("sandbox;")
        assert sha256_of(draft_pdf.content) == drafted.json()["draft_sha256"]

        await publish_event(nats_url, disposed(request_id, 7, "kabid", letter_id))
        await wait_for_status(client, settings, request_id, "draft_forwarded", True)
        send_url = f"/api/v1/letters/{letter_id}/send"
        as_kabid = await client.post(send_url, headers=auth(settings, "kabid"))
        assert as_kabid.status_code == 403
        too_early = await client.post(send_url, headers=auth(settings, "kadis"))
        assert too_early.status_code == 409
        assert too_early.json()["error"]["code"] == "step_out_of_order"
        assert "langkah 8" in too_early.json()["error"]["pesan"]

        await publish_event(nats_url, disposed(request_id, 8, "kadis"))
        await wait_for_status(client, settings, request_id, "ready_for_signature", True)
        sent = await client.post(send_url, headers=auth(settings, "kadis"))
        assert sent.status_code == 200, sent.text
        assert sent.json()["number"] == "000.1.2/0001/DKISP"
        again = await client.post(send_url, headers=auth(settings, "kadis"))
        assert again.status_code == 409

        messages = await wait_for_messages(nats_url, f"sivicon.letters.*.{request_id}", 2)
        events = [m.event for m in messages]
        assert [type(e) for e in events] == [LetterDrafted, LetterSent]
        letter_sent = events[1]
        assert isinstance(letter_sent, LetterSent)
        served = await client.get(
            f"/api/v1/letters/{letter_id}/pdf", headers=auth(settings, "opd", "DINKES")
        )
        assert served.status_code == 200
        assert letter_sent.pdf_sha256 == sha256_of(served.content)
        assert letter_sent.verification_url == f"{settings.portal_url}/verifikasi/{letter_id}"
        assert letter_sent.signer.role == "kadis"

        verified = await client.get(f"/api/v1/verify/{letter_id}")  # public: no token
        assert verified.status_code == 200
        assert verified.json()["pdf_sha256"] == letter_sent.pdf_sha256
        assert verified.json()["number"] == "000.1.2/0001/DKISP"
        unauthenticated = await client.get(f"/api/v1/letters/{letter_id}")
        assert unauthenticated.status_code == 401

        receipt_url = f"/api/v1/letters/{letter_id}/receipt"
        other_agency = await client.post(receipt_url, headers=auth(settings, "opd", "DISDIK"))
        assert other_agency.status_code == 403
        received = await client.post(receipt_url, headers=auth(settings, "opd", "DINKES"))
        assert received.status_code == 200
        assert received.json()["status"] == "received"
        twice = await client.post(receipt_url, headers=auth(settings, "opd", "DINKES"))
        assert twice.status_code == 409

        messages = await wait_for_messages(nats_url, f"sivicon.letters.*.{request_id}", 3)
        last = messages[-1].event
        assert isinstance(last, LetterReceived)
        assert last.received_by.opd_code == "DINKES"
        listed = await client.get(
            "/api/v1/letters",
            params={"request_id": str(request_id)},
            headers=auth(settings, "opd", "DINKES"),
        )
        assert [x["status"] for x in listed.json()] == ["received"]

    # Published once each, though the relay and consumer ran through the whole conversation.
    assert len(await wait_for_messages(nats_url, "sivicon.letters.>", 3)) == 3


async def test_unknown_letter_is_404_not_500(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        missing = await client.get(f"/api/v1/letters/{uuid4()}", headers=auth(settings, "kadis"))
        assert missing.status_code == 404
        assert missing.json()["error"]["pesan"] == "surat tidak ditemukan"
        not_a_uuid = await client.post("/api/v1/letters/xyz/send", headers=auth(settings, "kadis"))
        assert not_a_uuid.status_code == 422
        unknown_verify = await client.get(f"/api/v1/verify/{uuid4()}")
        assert unknown_verify.status_code == 404
