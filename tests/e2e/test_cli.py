"""``sivicon audit`` and ``sivicon tail`` as an operator runs them, against a real nats-server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from services.launcher import free_port, start_nats
from shared.events import IntegrationEvent
from tests.builders import submitted
from tests.support import in_a_thread, prepare_server, publish_event
from tests.unit.test_audit import free_branch


def sivicon(nats_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env={**os.environ, "SIVICON_NATS_URL": nats_url},
        capture_output=True,
        text=True,
        timeout=60,
    )


def following(nats_url: str, *args: str) -> subprocess.Popen[str]:
    """``sivicon tail ...`` running in the background, its output read line by line."""
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "tail", *args],
        env={**os.environ, "SIVICON_NATS_URL": nats_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def publish(nats_url: str, events: list[IntegrationEvent]) -> None:
    async def each() -> None:
        for event in events:
            await publish_event(nats_url, event)

    asyncio.run(each())


def test_audit_finds_a_request_by_its_agenda_number(nats_url: str) -> None:
    case = free_branch()
    publish(nats_url, [submitted(seq=41), *case, submitted(seq=43)])
    request_id = str(case[0].request_id)

    by_agenda = sivicon(nats_url, "audit", "VC/2026/0042")
    by_id = sivicon(nats_url, "audit", request_id)

    assert by_agenda.returncode == 0, by_agenda.stdout + by_agenda.stderr
    lines = by_agenda.stdout.splitlines()
    assert lines[0] == f"Request {request_id} (agenda VC/2026/0042): 13 events"
    assert lines[-1] == "case closed (meeting_provided); every step of the procedure is recorded"
    assert by_id.stdout == by_agenda.stdout


def test_audit_says_in_one_line_that_a_request_is_unknown(nats_url: str) -> None:
    publish(nats_url, [submitted(seq=42)])

    unknown_agenda = sivicon(nats_url, "audit", "VC/2026/0999")
    unknown_id = sivicon(nats_url, "audit", "00000000-0000-0000-0000-000000000000")

    assert unknown_agenda.returncode == 1
    assert unknown_agenda.stdout == "no request with agenda number VC/2026/0999 in the stream\n"
    assert unknown_id.returncode == 1
    assert unknown_id.stdout == (
        "no events for request 00000000-0000-0000-0000-000000000000 in the stream\n"
    )
    assert unknown_agenda.stderr == unknown_id.stderr == ""


def test_tail_of_the_dead_letters_says_there_are_none(nats_url: str) -> None:
    publish(nats_url, [submitted()])
    tail = following(nats_url, "--dead-letters")
    try:
        assert tail.stdout is not None
        first = tail.stdout.readline()
    finally:
        tail.terminate()
        tail.wait(10)
    assert first == "no dead letters in the stream; waiting for new ones (Ctrl-C to stop)\n"


def test_a_nats_that_cannot_be_reached_is_one_line(tmp_path: Path) -> None:
    url = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    for command in (["tail"], ["audit", "VC/2026/0042"]):
        result = sivicon(url, *command)
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.startswith(f"sivicon {command[0]}: cannot reach NATS at {url}: ")
        assert len(result.stderr.splitlines()) == 1, result.stderr


def test_a_nats_lost_while_tailing_is_one_line(tmp_path: Path) -> None:
    server, url = start_nats(tmp_path, free_port(), tmp_path / "logs")
    try:
        in_a_thread(prepare_server(url))  # the stream and the keyring, as the admin makes them
        event = submitted()
        publish(url, [event])
        tail = following(url, "--from-start")
        assert tail.stdout is not None
        assert tail.stdout.readline().startswith("time (WITA)")
        assert str(event.request_id) in tail.stdout.readline()
        server.kill()
        out, err = tail.communicate(timeout=30)
    finally:
        server.stop()
    assert tail.returncode == 1
    assert out == ""
    assert err.startswith(f"sivicon tail: lost the connection to NATS at {url}: ")
    assert len(err.splitlines()) == 1, err
