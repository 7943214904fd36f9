"""A consuming service killed while it holds delivered, unacknowledged messages.

For each of intake, disposition, scheduler and letters: the service is frozen (SIGSTOP) while 60
submissions pile up for it, thawed until it has applied some of them, frozen again with the rest
of its batch in hand, and killed (SIGKILL). Before the kill the test reads what the service had
really applied (its recorded position) and what NATS had seen acknowledged. After the restart:
every message applied once (none lost, none twice), and the redeliveries it recognised as
already applied are exactly those applied but not acknowledged before the kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from services.intake.domain import request_id_for
from services.launcher import BUSINESS_SERVICES, System, start_system
from shared import subjects
from tests.builders import submission
from tests.e2e.harness import health_details
from tests.faults.campaign import stored_causes, wait_healthy
from tests.support import as_admin_of, nats_connect, read_stream

PILE = 60


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    running = start_system(
        tmp_path_factory.mktemp("in-hand") / "var",
        fixed_ports=False,
        extra_env={
            "SIVICON_AUTH_SECRET": "in-hand-" + "x" * 40,
            "SIVICON_CONSUMER_ACK_WAIT_SECONDS": "2",
        },
    )
    as_admin_of(running)
    try:
        yield running
    finally:
        running.stop()


def recorded_position(system: System, service: str) -> int:
    store = system.data_dir / f"{service}.sqlite"
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
        row = db.execute(
            "SELECT MAX(notification_id) FROM tracking WHERE application_name LIKE ?",
            (f"{subjects.STREAM}@%",),
        ).fetchone()
    return int(row[0] or 0)


async def consumer_state(system: System, service: str) -> tuple[int, list[str]]:
    """The stream sequence NATS saw acknowledged, and the consumer's subjects."""
    nc = await nats_connect(system.nats_url)
    try:
        info = await nc.jetstream().consumer_info(subjects.STREAM, service)
    finally:
        await nc.close()
    return int(info.ack_floor.stream_seq or 0), list(info.config.filter_subjects or [])


async def publish(system: System, bodies: list[dict[str, object]]) -> None:
    nc = await nats_connect(system.nats_url, user="agency-DINKES")
    js = nc.jetstream()
    for body in bodies:
        await js.publish(
            subjects.inbound_subject("DINKES"),
            json.dumps(body).encode(),
            headers={"Nats-Msg-Id": str(body["client_ref"])},
        )
    await nc.close()


def wait_for(check: object, what: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def health(system: System, service: str) -> dict[str, int]:
    body = health_details(system, service)
    return dict(body["consumers"][service])


@pytest.mark.parametrize("service", BUSINESS_SERVICES)
def test_killed_with_messages_in_hand_loses_and_repeats_nothing(
    system: System, service: str
) -> None:
    prefix = f"INHAND-{service}"
    bodies = []
    for index in range(PILE):
        body = submission(f"{prefix}-{index:03d}", participants=20 + index)
        body["letter"].pop("pdf_base64")  # type: ignore[attr-defined]
        bodies.append(body)
    request_ids = {str(request_id_for("DINKES", str(b["client_ref"]))) for b in bodies}
    # What piles up for this service: the submissions themselves (intake) or their answers.
    pile_filter = (
        subjects.inbound_filter()
        if service == "intake"
        else subjects.event_filter("intake", "RequestSubmitted")
    )
    pid = system.children[service].process.pid
    os.killpg(pid, signal.SIGSTOP)
    asyncio.run(publish(system, bodies))
    if service != "intake":
        wait_for(
            lambda: (
                sum(
                    m.headers.get("ce-subject") in request_ids
                    for m in asyncio.run(read_stream(system.nats_url, pile_filter))
                )
                == PILE
            ),
            "the pile",
        )
    before = recorded_position(system, service)
    os.killpg(pid, signal.SIGCONT)
    # Let it apply a part of the pile, then freeze it with the rest of its batch in hand.
    pile_seqs = [
        m.seq for m in asyncio.run(read_stream(system.nats_url, pile_filter)) if m.seq > before
    ]
    wait_for(lambda: recorded_position(system, service) >= pile_seqs[9], "a part applied", 30)
    os.killpg(pid, signal.SIGSTOP)
    system.children[service].kill()
    time.sleep(0.5)  # what the dead process had sent is in
    applied_to = recorded_position(system, service)
    acked_to, filters = asyncio.run(consumer_state(system, service))
    assert applied_to < pile_seqs[-1], "the whole pile was applied before the freeze"
    in_consumer = [m.seq for f in filters for m in asyncio.run(read_stream(system.nats_url, f))]
    applied_not_acked = sum(1 for seq in in_consumer if acked_to < seq <= applied_to)

    system.start_service(service)
    wait_healthy(system, service)
    wait_for(lambda: recorded_position(system, service) >= pile_seqs[-1], "the pile applied")
    stats = health(system, service)
    assert stats["already_applied"] == applied_not_acked, (
        stats,
        applied_not_acked,
        acked_to,
        applied_to,
        filters,
    )
    assert stats["skipped"] == 0

    if service == "intake":
        answers = Counter(
            m.json["client_ref"]
            for m in asyncio.run(
                read_stream(system.nats_url, subjects.event_filter("intake", "RequestSubmitted"))
            )
            if m.headers.get("ce-subject") in request_ids
        )
        assert sorted(answers) == sorted(str(b["client_ref"]) for b in bodies)  # none lost
        assert set(answers.values()) == {1}  # none answered twice
    else:
        submitted = {
            m.headers["ce-id"]
            for m in asyncio.run(read_stream(system.nats_url, pile_filter))
            if m.headers.get("ce-subject") in request_ids
        }
        causes = Counter(
            (originator, cause)
            for originator, _topic, cause in stored_causes(system.data_dir / f"{service}.sqlite")
            if cause in submitted
        )
        assert {cause for _, cause in causes} == submitted  # none lost
        assert set(causes.values()) == {1}, causes  # none applied twice
    print(
        f"{service}: {PILE} piled, applied to seq {applied_to}, acknowledged to {acked_to}, "
        f"applied but unacknowledged {applied_not_acked}, after restart {stats}"
    )
