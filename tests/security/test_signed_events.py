"""The forged events of issue 8, replayed against running services on a real nats-server.

Each attack is published as a correctly formed event four ways (unsigned; signed by a forger's
key under the producer's key ID; signed by a key no keyring holds; signed by another service's
own key) by a client that may publish anything (as the admin may), and must change no case, land
in the service's dead letters with its reason, and be named by ``sivicon audit`` (the function
and the command). The same event, signed by its producer, is then accepted: the refusals are
the signatures' doing, not the procedure's.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import nats
import pytest

from services.audit import StoredMessage, audit, check_signatures
from services.disposition.main import create_app as disposition_app
from services.intake.main import create_app as intake_app
from services.letters.main import create_app as letters_app
from services.portal.live_feed import LiveFeed
from shared import subjects
from shared.events import IntegrationEvent, MeetingCreated
from shared.settings import Settings
from shared.signing import (
    Keyring,
    ServiceKey,
    SigningError,
    generate_key,
    publish_keyring_bucket,
    verify_event,
    write_keyring_file,
)
from tests.builders import (
    disposed,
    letter_drafted,
    letter_received,
    letter_sent,
    meeting_created,
    slot_checked,
    submission,
    submitted,
    withdrawn,
)
from tests.support import (
    PRODUCERS,
    make_settings,
    publish_event,
    published_keyring,
    read_stream,
    running,
    signing_key,
    stranger_key,
    wait_for_messages,
)
from tests.support import auth as auth_headers

FORGERIES = ("unsigned", "bad signature", "unknown key", "wrong producer")


async def forge(
    nats_url: str,
    event: IntegrationEvent,
    how: str,
    keys: Callable[[str], ServiceKey] = signing_key,
) -> str:
    """Publish ``event`` forged ``how``; return its ``ce-id``. ``keys`` gives the real keys of
    the installation (the tests' by default): the producer's key ID is claimed by a forger's
    key, and another service's own key signs for "wrong producer"."""
    producer = event.producer
    other = "letters" if producer != "letters" else "disposition"
    ways: dict[str, dict[str, Any]] = {
        "unsigned": {"key": "unsigned"},
        "bad signature": {
            "key": stranger_key(producer),
            "claimed_key_id": keys(producer).key_id,
        },
        "unknown key": {"key": stranger_key(producer)},
        "wrong producer": {"key": keys(other)},
    }
    event_id = f"forged-{event.event_name}-{how.replace(' ', '-')}-{uuid4()}"
    await publish_event(nats_url, event, event_id, **ways[how])
    return event_id


async def forge_every_way(nats_url: str, events: list[IntegrationEvent]) -> dict[str, str]:
    """Each event forged each way: the expected reason's start by ``ce-id``."""
    expected = {}
    for event in events:
        for how in FORGERIES:
            expected[await forge(nats_url, event, how)] = how
    return expected


async def dead_letter_reasons(nats_url: str, service: str, count: int) -> dict[str, str]:
    dead = await wait_for_messages(nats_url, subjects.deadletter_subject(service), count)
    return {m.headers["ce-id"]: m.headers["sivicon-error"] for m in dead}


def assert_refused_for_their_forgery(reasons: dict[str, str], expected: dict[str, str]) -> None:
    assert set(expected) <= set(reasons)
    for event_id, how in expected.items():
        assert reasons[event_id].startswith(how), (event_id, reasons[event_id])


async def audit_of(nats_url: str, request_id: UUID) -> tuple[list[str], list[str]]:
    """What the audit function names as failing (ce-ids), and what ``sivicon audit`` prints."""
    messages = [
        StoredMessage(m.seq, m.subject, m.headers, m.data)
        for m in await read_stream(nats_url, subjects.request_filter(str(request_id)))
    ]
    checked = check_signatures(messages, Keyring(published_keyring()))
    result = audit(checked.events, checked.failed)
    command = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli", "audit", str(request_id)],
        env={**os.environ, "SIVICON_NATS_URL": nats_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert command.returncode == 4, command.stdout + command.stderr
    return [f.event_id for f in result.failed], command.stdout.splitlines()


async def case_when(
    client: httpx.AsyncClient, settings: Settings, case_id: UUID, condition: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(200):
        answer = await client.get(
            f"/api/v1/cases/{case_id}", headers=auth_headers(settings, "auditor")
        )
        if answer.status_code == 200:
            body = answer.json()
            if condition(body):
                return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {case_id} never reached the condition: {body}")


async def dispose(
    client: httpx.AsyncClient, settings: Settings, case_id: UUID, role: str, to_role: str
) -> None:
    answer = await client.post(
        f"/api/v1/cases/{case_id}/dispositions",
        json={"to_role": to_role},
        headers=auth_headers(settings, role),
    )
    assert answer.status_code == 201, answer.text


async def test_forged_letters_meetings_and_withdrawals_change_no_case_awaiting_the_signature(
    settings: Settings, nats_url: str
) -> None:
    """A case at step 9 (Kadis to sign): forged LetterSent + LetterReceived would close it as
    "meeting provided", a forged MeetingCreated would swap the join link, a forged
    RequestWithdrawn would close it as withdrawn. None does; the real LetterSent is applied."""
    now = datetime.now(UTC)
    first = submitted(at=now)
    case_id, letter_id = first.request_id, uuid4()
    async with running(disposition_app(settings)) as client:
        await publish_event(nats_url, first)
        await case_when(client, settings, case_id, lambda c: c["pending_step"] == 2)
        await dispose(client, settings, case_id, "kadis", "kabid")
        await dispose(client, settings, case_id, "kabid", "subkoordinator")
        await publish_event(nats_url, slot_checked(case_id, available=True, at=now))
        await case_when(client, settings, case_id, lambda c: c["slot_check"] is not None)
        await dispose(client, settings, case_id, "subkoordinator", "staf")
        await publish_event(nats_url, meeting_created(case_id, at=datetime.now(UTC)))
        await case_when(client, settings, case_id, lambda c: c["pending_step"] == 6)
        await dispose(client, settings, case_id, "staf", "subkoordinator")
        await publish_event(nats_url, letter_drafted(case_id, letter_id, at=datetime.now(UTC)))
        await case_when(client, settings, case_id, lambda c: bool(c["letter"]["drafts"]))
        await dispose(client, settings, case_id, "subkoordinator", "kabid")
        await dispose(client, settings, case_id, "kabid", "kadis")
        before = await case_when(client, settings, case_id, lambda c: c["pending_step"] == 9)

        later = datetime.now(UTC) + timedelta(seconds=1)
        phishing = meeting_created(case_id, "999 0000 1111", at=later)
        phishing = MeetingCreated.model_validate(
            {**phishing.model_dump(), "join_url": "https://zoom-us.example/j/9990000111"}
        )
        attacks: list[IntegrationEvent] = [
            letter_sent(case_id, letter_id, at=later),
            letter_received(case_id, letter_id, at=later),
            phishing,
            withdrawn(case_id, at=later),
        ]
        expected = await forge_every_way(nats_url, attacks)
        reasons = await dead_letter_reasons(nats_url, "disposition", len(expected))
        assert_refused_for_their_forgery(reasons, expected)
        operator = auth_headers(settings, "operator")
        health = (await client.get("/api/v1/health/details", headers=operator)).json()
        assert health["consumers"]["disposition"]["dead_lettered"] == len(expected)
        after = (
            await client.get(f"/api/v1/cases/{case_id}", headers=auth_headers(settings, "auditor"))
        ).json()
        assert after == before
        assert not after["closed"]
        assert await read_stream(nats_url, f"sivicon.disposition.CaseClosed.{case_id}") == []

        # The same LetterSent, signed by letters, is the next step of the case.
        await publish_event(nats_url, letter_sent(case_id, letter_id, at=later))
        await case_when(client, settings, case_id, lambda c: c["pending_step"] == 10)

    named, printed = await audit_of(nats_url, case_id)
    assert sorted(named) == sorted(expected)
    for event_id, how in expected.items():
        [line] = [line for line in printed if event_id in line]
        assert line.startswith("NOT SIGNED BY ITS PRODUCER, not counted")
        assert f": {how}" in line
    # Counted: the real steps 1-9 only; the forged receipt does not complete step 10.
    assert "case still open; steps not yet recorded: [10]" in printed


async def letter_status(
    client: httpx.AsyncClient, settings: Settings, request_id: UUID
) -> dict[str, Any]:
    answer = await client.get(
        f"/api/v1/requests/{request_id}/letter-status", headers=auth_headers(settings, "staf")
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def status_when(
    client: httpx.AsyncClient, settings: Settings, request_id: UUID, key: str, value: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(200):
        with_status = await client.get(
            f"/api/v1/requests/{request_id}/letter-status", headers=auth_headers(settings, "staf")
        )
        if with_status.status_code == 200:
            body = with_status.json()
            if body.get(key) == value:
                return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"letter status never had {key}={value!r}: {body}")


async def test_a_forged_meeting_and_a_forged_paraf_reach_no_letter(
    settings: Settings, nats_url: str
) -> None:
    """Letters: a forged MeetingCreated (a phishing join link) gives nothing to draft, and a
    forged Disposed(step 8) does not let Kadis sign a draft Kabid never reviewed."""
    request_id = uuid4()
    async with running(letters_app(settings)) as client:
        await publish_event(nats_url, submitted(request_id))
        await publish_event(nats_url, slot_checked(request_id, available=True))
        await status_when(client, settings, request_id, "draftable_kind", None)
        phishing = MeetingCreated.model_validate(
            {
                **meeting_created(request_id).model_dump(),
                "join_url": "https://zoom-us.example/j/8123456789",
            }
        )
        expected = await forge_every_way(nats_url, [phishing])
        assert_refused_for_their_forgery(
            await dead_letter_reasons(nats_url, "letters", len(expected)), expected
        )
        assert (await letter_status(client, settings, request_id))["draftable_kind"] is None

        await publish_event(nats_url, meeting_created(request_id))
        await status_when(client, settings, request_id, "draftable_kind", "meeting_provided")
        drafted = await client.post(
            "/api/v1/letters",
            json={"request_id": str(request_id)},
            headers=auth_headers(settings, "subkoordinator"),
        )
        assert drafted.status_code == 201, drafted.text
        assert "zoom-us.example" not in drafted.text
        letter_id = drafted.json()["letter_id"]
        await publish_event(nats_url, disposed(request_id, 7, "kabid", letter_id))
        await status_when(client, settings, request_id, "draft_forwarded", True)

        paraf = await forge_every_way(nats_url, [disposed(request_id, 8, "kadis")])
        expected.update(paraf)
        assert_refused_for_their_forgery(
            await dead_letter_reasons(nats_url, "letters", len(expected)), paraf
        )
        assert not (await letter_status(client, settings, request_id))["ready_for_signature"]
        send = f"/api/v1/letters/{letter_id}/send"
        refused = await client.post(send, headers=auth_headers(settings, "kadis"))
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "step_out_of_order"

        await publish_event(nats_url, disposed(request_id, 8, "kadis"))
        await status_when(client, settings, request_id, "ready_for_signature", True)
        signed_letter = await client.post(send, headers=auth_headers(settings, "kadis"))
        assert signed_letter.status_code == 200, signed_letter.text

    named, printed = await audit_of(nats_url, request_id)
    assert sorted(named) == sorted(expected)
    assert sum("NOT SIGNED BY ITS PRODUCER" in line for line in printed) == len(expected)
    # The same verdict from a keyring file the auditor brings (`--keyring`).
    keyring_file = settings.data_dir / "auditors-keyring.json"
    write_keyring_file(keyring_file, published_keyring())
    with_file = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "services.cli",
            "audit",
            str(request_id),
            "--keyring",
            str(keyring_file),
        ],
        env={**os.environ, "SIVICON_NATS_URL": nats_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (with_file.returncode, with_file.stdout.splitlines()) == (4, printed)


async def test_what_the_relay_publishes_is_signed_by_its_service_and_accepted(
    settings: Settings, nats_url: str
) -> None:
    """Intake's own events carry its signature, checked by the keyring; a machine client's
    answer is copied, signed, to the subject only its agency may read; the request records the
    NATS user that sent it, and a body for another agency is refused."""
    nc = await nats.connect(nats_url)
    answers = await nc.subscribe(f"{subjects.ANSWERS_PREFIX}.DINKES.>")
    try:
        async with running(intake_app(settings)) as client:
            js = nc.jetstream()
            good = submission("SIMPEG-2026-000777")
            other_agency = {**submission("SIMPEG-2026-000778"), "opd_code": "DISDIK"}
            for body in (good, other_agency):
                await js.publish(
                    subjects.inbound_subject("DINKES"),
                    json.dumps(body).encode(),
                    headers={"Nats-Msg-Id": str(body["client_ref"])},
                )
            [registered] = await wait_for_messages(
                nats_url, subjects.event_filter("intake", "RequestSubmitted"), 1
            )
            [rejected] = await wait_for_messages(
                nats_url, subjects.event_filter("intake", "RequestRejected"), 1
            )
            request_id = registered.event.request_id
            view = await client.get(
                f"/api/v1/requests/{request_id}", headers=auth_headers(settings, "opd", "DINKES")
            )
            assert view.status_code == 200, view.text
            assert view.json()["credentials"] == "agency-DINKES"
            assert view.json()["channel"] == "nats"
            over_http = await client.post(
                "/api/v1/submissions",
                json={**submission("SIMPEG-2026-000779"), "opd_code": "DISDIK"},
                headers=auth_headers(settings, "opd", "DINKES"),
            )
            assert over_http.status_code == 422
            assert [d["field"] for d in over_http.json()["error"]["details"]] == ["opd_code"]
            copies = [await answers.next_msg(timeout=10), await answers.next_msg(timeout=10)]
    finally:
        await nc.close()

    keyring = Keyring(published_keyring())
    for message in (registered, rejected):
        assert verify_event(keyring, message.subject, message.headers, message.data) == "intake"
    assert rejected.json["errors"] == [
        {"field": "opd_code", "message": "names agency 'DISDIK', but the sender is agency DINKES"}
    ]
    by_subject = {copy.subject: copy for copy in copies}
    assert set(by_subject) == {
        subjects.answer_subject("DINKES", request_id),
        subjects.answer_subject("DINKES", rejected.event.request_id),
    }
    for original in (registered, rejected):
        copy = by_subject[subjects.answer_subject("DINKES", original.event.request_id)]
        headers = dict(copy.headers or {})
        assert copy.data == original.data
        assert headers["Nats-Msg-Id"] != original.headers["Nats-Msg-Id"]
        assert verify_event(keyring, copy.subject, headers, copy.data) == "intake"


async def test_a_service_without_its_published_key_does_not_start(
    tmp_path: Path, nats_url: str
) -> None:
    """No silent fallback to unsigned: a missing key file, or a key the keyring does not
    hold, stops the service at start with a message naming what to run."""
    settings = make_settings(tmp_path / "var", nats_url)
    settings.signing_key_path("disposition").unlink()
    with pytest.raises(SigningError, match=r"disposition\.ed25519.*sivicon keys init"):
        async with running(disposition_app(settings)):
            pass
    stranger = tmp_path / "stranger.ed25519"
    generate_key(stranger, "disposition")
    elsewhere = make_settings(tmp_path / "var", nats_url, signing_key_file=stranger)
    with pytest.raises(SigningError, match=r"not in the keyring.*sivicon keys publish"):
        async with running(disposition_app(elsewhere)):
            pass


async def test_keys_init_and_publish_let_services_start_with_keys_of_their_own(
    tmp_path: Path, nats_url: str
) -> None:
    """``sivicon keys init`` makes each producer's key (owner only) and the keyring file;
    ``sivicon keys publish`` replaces the bucket's keyring with it; a service then starts on
    its generated key, and one holding a test key no longer does."""
    data_dir = tmp_path / "installation"
    env = {**os.environ, "SIVICON_DATA_DIR": str(data_dir), "SIVICON_NATS_URL": nats_url}

    def sivicon(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    init = await asyncio.to_thread(sivicon, "keys", "init")
    assert init.returncode == 0, init.stderr
    generated = [line.split()[1] for line in init.stdout.splitlines() if line.startswith("gen")]
    assert sorted(key_id.split("-")[0] for key_id in generated) == list(PRODUCERS)
    for service in PRODUCERS:
        assert (data_dir / "keys" / f"{service}.ed25519").stat().st_mode & 0o077 == 0
    assert set(json.loads((data_dir / "keys" / "keyring.json").read_text())) == set(generated)
    again = await asyncio.to_thread(sivicon, "keys", "init")
    assert again.stdout.splitlines() == [
        f"keyring written to {data_dir.resolve()}/keys/keyring.json"
    ]

    publish = await asyncio.to_thread(sivicon, "keys", "publish")
    assert publish.returncode == 0, publish.stderr
    assert publish.stdout.startswith("published 4 keys to the bucket sivicon-keyring")

    async with running(disposition_app(Settings(data_dir=data_dir, nats_url=nats_url))):
        pass
    with pytest.raises(SigningError, match="not in the keyring"):
        async with running(disposition_app(make_settings(tmp_path / "test-keys", nats_url))):
            pass


async def test_the_portal_tells_nobody_of_a_forged_event(nats_url: str) -> None:
    """The portal's live notices come from the same check: a forged withdrawal reaches no
    open page; the real one does."""
    nc = await nats.connect(nats_url)
    feed = LiveFeed()
    try:
        await feed.start(nc, Keyring(published_keyring()))
        listener = feed.join()
        real = withdrawn(uuid4())
        forged = real.model_copy(update={"reason": "Dibatalkan (palsu)"})
        for how in FORGERIES:
            await forge(nats_url, forged, how)
        await publish_event(nats_url, real)
        assert await asyncio.wait_for(listener.queue.get(), 10) == real
        await asyncio.sleep(0.3)
        assert listener.queue.empty()
    finally:
        await nc.close()


async def test_a_key_published_after_the_start_is_read_once_it_signs_something(
    settings: Settings, nats_url: str
) -> None:
    """A producer's new key, published while a consumer runs, is found by reading the keyring
    again when an event first names it; a key never published stays unknown."""
    new_intake_key = stranger_key("intake")
    async with running(disposition_app(settings)) as client:
        nc = await nats.connect(nats_url)
        try:
            await publish_keyring_bucket(
                nc.jetstream(),
                {**published_keyring(), new_intake_key.key_id: new_intake_key.entry()},
            )
        finally:
            await nc.close()
        rotated, unknown = submitted(), submitted()
        await publish_event(nats_url, unknown, "never-published", key=stranger_key("intake"))
        await publish_event(nats_url, rotated, key=new_intake_key)
        await case_when(client, settings, rotated.request_id, lambda c: c["pending_step"] == 2)
        reasons = await dead_letter_reasons(nats_url, "disposition", 1)
        assert reasons["never-published"].startswith("unknown key")
        missing = await client.get(
            f"/api/v1/cases/{unknown.request_id}", headers=auth_headers(settings, "auditor")
        )
        assert missing.status_code == 404


# What the relay's message IDs were before they were keyed: anyone could compute them.
_OLD_NAMESPACE = UUID("5d7d0a52-4f0e-4c59-9b8c-0e6f1d3b7a21")


async def test_a_publisher_cannot_pre_empt_a_services_next_event_by_its_message_id(
    settings: Settings, nats_url: str
) -> None:
    """The stream drops a message whose ID it saw within its duplicate window, and an agency may
    set the IDs of what it publishes on its inbound subject. Were a service's IDs predictable, an
    agency could publish first under the IDs of the service's next events, and the stream would
    silently drop those events. Here it tries the IDs as they used to be derived, and as they
    would be derived with another key: every event of intake still reaches the stream."""
    from uuid import uuid5

    from shared.envelope import deterministic_event_id

    guesses = [str(uuid5(_OLD_NAMESPACE, f"intake:{n}:0")) for n in range(1, 30)]
    guesses += [deterministic_event_id("intake", n, 0, b"a guessed key") for n in range(1, 30)]
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for guess in guesses:  # junk, under the IDs of intake's events to come
            await js.publish(
                subjects.inbound_subject("DINKES"), b"{}", headers={"Nats-Msg-Id": guess}
            )
        async with running(intake_app(settings)) as client:
            body = submission("SIMPEG-2026-000900")
            answer = await client.post(
                "/api/v1/submissions",
                json=body,
                headers={
                    **auth_headers(settings, "opd", "DINKES"),
                    "Idempotency-Key": str(body["client_ref"]),
                },
            )
            assert answer.status_code in (200, 201, 202), answer.text
            # Intake refuses each junk message (a RequestRejected), then registers the request.
            await wait_for_messages(
                nats_url, subjects.event_filter("intake", "RequestRejected"), len(guesses)
            )
            [registered] = await wait_for_messages(
                nats_url, subjects.event_filter("intake", "RequestSubmitted"), 1
            )
            health = await client.get(
                "/api/v1/health/details", headers=auth_headers(settings, "operator")
            )
    finally:
        await nc.close()
    assert registered.headers["Nats-Msg-Id"] not in guesses
    assert health.json()["relay"]["duplicates"] == 0
