"""The intake service over HTTP and NATS, against a real nats-server."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from uuid import UUID

import nats

from services.intake.main import create_app
from shared import subjects
from shared.events import CaseClosed
from shared.settings import Settings
from tests.builders import request_form, submission
from tests.pdfs import make_pdf
from tests.support import auth, publish_event, read_stream, running, wait_for_messages


async def _publish_inbound(
    nats_url: str, body: bytes, msg_id: str | None, opd: str = "DINKES"
) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    headers = {"Nats-Msg-Id": msg_id} if msg_id else None
    await js.publish(subjects.inbound_subject(opd), body, headers=headers, stream=subjects.STREAM)
    await nc.close()


async def test_machine_clients_are_answered_on_the_stream(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        assert (await client.get("/api/v1/health")).json()["nats_connected"]
        good = json.dumps(submission("SIMPEG-2026-000123")).encode()
        await _publish_inbound(settings.nats_url, good, "SIMPEG-2026-000123")
        await _publish_inbound(settings.nats_url, good, "SIMPEG-2026-000123")  # sent twice
        bad = submission("SIMPEG-2026-000124", participants=0)
        await _publish_inbound(settings.nats_url, json.dumps(bad).encode(), "SIMPEG-2026-000124")
        await _publish_inbound(settings.nats_url, b"\x00not json", "SIMPEG-2026-000125")
        unknown = json.dumps(submission("X-1")).encode()
        await _publish_inbound(settings.nats_url, unknown, "X-1", opd="NOSUCH")
        # The service keeps working after each of those.
        await _publish_inbound(
            settings.nats_url, json.dumps(submission("SIMPEG-7")).encode(), "SIMPEG-7"
        )
        submitted = await wait_for_messages(
            settings.nats_url, subjects.event_filter("intake", "RequestSubmitted"), 2
        )
        rejected = await wait_for_messages(
            settings.nats_url, subjects.event_filter("intake", "RequestRejected"), 3
        )
        dead = await wait_for_messages(settings.nats_url, "sivicon.deadletter.intake", 3)
        await asyncio.sleep(0.3)
        assert [m.event.client_ref for m in submitted] == ["SIMPEG-2026-000123", "SIMPEG-7"]
        assert (
            len(
                await read_stream(
                    settings.nats_url, subjects.event_filter("intake", "RequestSubmitted")
                )
            )
            == 2
        )
        by_ref = {m.event.client_ref: m.event for m in rejected}
        assert by_ref["SIMPEG-2026-000124"].errors[0].field == "meeting.participants"
        assert by_ref["SIMPEG-2026-000125"].errors[0].message == "the body is not valid JSON"
        assert by_ref["X-1"].errors[0].field == "opd_code"
        reasons = [m.headers["sivicon-error"] for m in dead]
        assert any("not valid JSON" in r for r in reasons)
        operator = auth(settings, "operator")
        health = (await client.get("/api/v1/health/details", headers=operator)).json()
        assert health["consumers"]["intake"]["dead_lettered"] == 3
        listing = await client.get("/api/v1/requests", headers=auth(settings, "kadis"))
        assert listing.json()["total"] == 2
        assert [r["client_ref"] for r in listing.json()["items"]] == [
            "SIMPEG-7",
            "SIMPEG-2026-000123",
        ]


async def test_a_client_that_missed_its_answer_resends_and_gets_the_one_answer(
    settings: Settings,
) -> None:
    url = settings.nats_url
    answers = subjects.event_filter("intake", "RequestSubmitted")
    refusals = subjects.event_filter("intake", "RequestRejected")
    body = submission("SIMPEG-2026-000200")
    async with running(create_app(settings)):
        await _publish_inbound(url, json.dumps(body).encode(), "SIMPEG-2026-000200")
        [first] = await wait_for_messages(url, answers, 1)
        # The same message ID again is dropped by the stream's duplicate window; a resend uses
        # `<client_ref>/<tag>` and is answered again with the same RequestSubmitted.
        await _publish_inbound(url, json.dumps(body).encode(), "SIMPEG-2026-000200/2")
        [_, again] = await wait_for_messages(url, answers, 2)
        assert again.event == first.event
        assert again.event.request_id == first.event.request_id
        assert again.event.agenda_number == first.event.agenda_number  # type: ignore[attr-defined]
        assert again.headers["ce-id"] != first.headers["ce-id"]

        # Other content under the same client_ref is still refused, answered by its client_ref.
        changed = {**body, "meeting": {**body["meeting"], "participants": 20}}  # type: ignore[dict-item]
        await _publish_inbound(url, json.dumps(changed).encode(), "SIMPEG-2026-000200/3")
        [reused] = await wait_for_messages(url, refusals, 1)
        assert reused.event.client_ref == "SIMPEG-2026-000200"  # type: ignore[attr-defined]
        [error] = reused.event.errors  # type: ignore[attr-defined]
        assert error.field == "client_ref"
        assert "already used" in error.message
        # A message ID that does not name the client_ref is refused as before.
        await _publish_inbound(url, json.dumps(body).encode(), "SIMPEG-2026-000201")
        [_, mismatch] = await wait_for_messages(url, refusals, 2)
        assert mismatch.event.client_ref == "SIMPEG-2026-000201"  # type: ignore[attr-defined]
        assert "does not match" in mismatch.event.errors[0].message  # type: ignore[attr-defined]
        await asyncio.sleep(0.3)
        assert len(await read_stream(url, answers)) == 2


async def test_an_http_submission_sent_again_gets_the_same_answer(settings: Settings) -> None:
    headers = {**auth(settings, "opd"), "Idempotency-Key": "SIMPEG-HTTP-9"}
    body = submission("SIMPEG-HTTP-9")
    async with running(create_app(settings)) as client:
        first = await client.post("/api/v1/submissions", json=body, headers=headers)
        again = await client.post("/api/v1/submissions", json=body, headers=headers)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        answers = subjects.event_filter("intake", "RequestSubmitted")
        await wait_for_messages(settings.nats_url, answers, 1)
        await asyncio.sleep(0.3)
        assert len(await read_stream(settings.nats_url, answers)) == 1


async def _form(client, settings, **overrides):  # type: ignore[no-untyped-def]
    data = request_form(**overrides.pop("data", {}))
    files = {"letter_pdf": ("surat.pdf", overrides.pop("pdf", make_pdf()), "application/pdf")}
    return await client.post(
        "/api/v1/requests",
        data=data,
        files=files,
        headers={**auth(settings, overrides.pop("role", "opd")), **overrides.pop("headers", {})},
    )


async def test_an_opd_files_a_request_letter_over_http(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        response = await _form(client, settings, headers={"Idempotency-Key": "form-1"})
        assert response.status_code == 201, response.text
        view = response.json()
        assert view["meeting"]["start"] == "2031-12-03T01:00:00+00:00"  # 09:00 WITA, kept in UTC
        assert view["opd_code"] == "DINKES"
        again = await _form(client, settings, headers={"Idempotency-Key": "form-1"})
        assert again.status_code == 200
        assert again.json()["request_id"] == view["request_id"]
        pdf = await client.get(
            f"/api/v1/requests/{view['request_id']}/letter", headers=auth(settings, "kadis")
        )
        assert pdf.content == make_pdf()
        other = await client.get(
            f"/api/v1/requests/{view['request_id']}", headers=auth(settings, "opd", "DISDIK")
        )
        assert other.status_code == 403
        messages = await wait_for_messages(
            settings.nats_url, subjects.request_filter(view["request_id"]), 1
        )
        assert messages[0].event.request_id == UUID(view["request_id"])


async def test_bad_uploads_get_clear_errors_and_nothing_is_registered(
    settings: Settings,
) -> None:
    async with running(create_app(settings)) as client:
        not_pdf = await _form(client, settings, pdf=b"hello")
        assert not_pdf.status_code == 422
        assert not_pdf.json()["error"]["pesan"].startswith("surat permohonan harus berkas PDF")
        huge = await _form(client, settings, pdf=b"%PDF-1.4" + b"0" * settings.max_letter_pdf_bytes)
        assert huge.status_code == 413
        wrong_role = await _form(client, settings, role="kadis")
        assert wrong_role.status_code == 403
        assert wrong_role.json()["error"]["code"] == "wrong_role"
        no_token = await client.post("/api/v1/requests")
        assert no_token.status_code == 401
        bad_time = await _form(client, settings, data={"start": "besok pagi"})
        assert bad_time.status_code == 422
        missing = await _form(client, settings, data={"topic": ""})
        assert missing.status_code == 422
        assert missing.json()["error"]["details"][0]["field"] == "topic"
        listing = await client.get("/api/v1/requests", headers=auth(settings, "kadis"))
        assert (listing.json()["items"], listing.json()["total"]) == ([], 0)


async def test_http_machine_submission_and_withdrawal(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        body = submission("SIMPEG-HTTP-1")
        created = await client.post(
            "/api/v1/submissions",
            json=body,
            headers={**auth(settings, "opd"), "Idempotency-Key": "SIMPEG-HTTP-1"},
        )
        assert created.status_code == 201, created.text
        invalid = await client.post(
            "/api/v1/submissions", json={"client_ref": "x"}, headers=auth(settings, "opd")
        )
        assert invalid.status_code == 422
        assert {d["field"] for d in invalid.json()["error"]["details"]} >= {"requester", "letter"}
        request_id = created.json()["request_id"]
        withdrawn = await client.post(
            f"/api/v1/requests/{request_id}/withdraw",
            json={"reason": "acara dibatalkan"},
            headers=auth(settings, "opd"),
        )
        assert withdrawn.json()["status"] == "withdrawn"
        again = await client.post(
            f"/api/v1/requests/{request_id}/withdraw",
            json={"reason": "lagi"},
            headers=auth(settings, "opd"),
        )
        assert again.status_code == 409
        await wait_for_messages(
            settings.nats_url, subjects.event_filter("intake", "RequestWithdrawn"), 1
        )


async def test_a_withdrawal_after_the_case_closed_is_refused_with_409(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        created = await client.post(
            "/api/v1/submissions",
            json=submission("SIMPEG-CLOSED-1"),
            headers={**auth(settings, "opd"), "Idempotency-Key": "SIMPEG-CLOSED-1"},
        )
        request_id = created.json()["request_id"]
        closed = CaseClosed(
            request_id=UUID(request_id),
            outcome="meeting_provided",
            steps=[],
            meeting_minutes_taken=12.5,
            sla_breaches=[],
            closed_at=datetime.now(UTC),
        )
        await publish_event(settings.nats_url, closed)
        # Also a machine submission after it, on the same consumer: both are applied in order.
        await _publish_inbound(
            settings.nats_url, json.dumps(submission("SIMPEG-AFTER")).encode(), "SIMPEG-AFTER"
        )
        await wait_for_messages(
            settings.nats_url, subjects.event_filter("intake", "RequestSubmitted"), 2
        )
        shown = await client.get(f"/api/v1/requests/{request_id}", headers=auth(settings, "opd"))
        assert (shown.json()["status"], shown.json()["case_outcome"]) == (
            "closed",
            "meeting_provided",
        )
        refused = await client.post(
            f"/api/v1/requests/{request_id}/withdraw",
            json={"reason": "acara dibatalkan"},
            headers=auth(settings, "opd"),
        )
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "case_closed"
        assert "can no longer be withdrawn" in error["message"]
        assert "tidak dapat dibatalkan" in error["pesan"]
        await asyncio.sleep(0.5)  # what the relay would publish, it has published by now
        withdrawals = subjects.event_filter("intake", "RequestWithdrawn")
        assert await read_stream(settings.nats_url, withdrawals) == []
        operator = auth(settings, "operator")
        health = (await client.get("/api/v1/health/details", headers=operator)).json()
        assert health["consumers"]["intake"]["dead_lettered"] == 0


async def test_operators_list_the_dead_letters_with_their_reasons(settings: Settings) -> None:
    import os
    import sys
    from pathlib import Path

    async with running(create_app(settings)):
        await _publish_inbound(settings.nats_url, b"{broken", "SIMPEG-DL-1")
        await wait_for_messages(settings.nats_url, "sivicon.deadletter.intake", 1)
    sivicon = Path(sys.executable).parent / "sivicon"
    proc = await asyncio.create_subprocess_exec(
        str(sivicon),
        "tail",
        "--dead-letters",
        "--limit",
        "1",
        env={**os.environ, "SIVICON_NATS_URL": settings.nats_url},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    line = out.decode().splitlines()[1]
    assert "DEAD LETTER" in line
    assert "the body is not valid JSON" in line
