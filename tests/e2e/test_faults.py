"""Crashes: a consumer SIGKILLed mid-flow, a relay killed around its publish."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import pytest

from services.intake.domain import request_id_for
from services.launcher import System
from shared import subjects
from tests.builders import submission
from tests.e2e.harness import file_request, health_details, login, wait_until
from tests.e2e.test_procedure import case_of, events_of, future_slot, types
from tests.support import nats_connect

# Crashes are the processes' and the stream's business, not the store's: SQLite is enough.
pytestmark = pytest.mark.parametrize("system", ["sqlite"], indirect=True)


def test_a_consumer_killed_mid_flow_finishes_the_flow_after_restart_without_repeats(
    system: System,
) -> None:
    opd, kadis, kabid, subko, staf = (
        login(system, u) for u in ("opd.dinkes", "kadis", "kabid", "subko", "staf")
    )
    start, end = future_slot(20, 8)
    request_id = file_request(opd, start=start, end=end, participants=80)
    wait_until(lambda: case_of(kadis, request_id), what="case opened")
    kadis.dispose(request_id, "kabid")
    # The scheduler dies (SIGKILL) before the case reaches it; the disposition goes on.
    system.children["scheduler"].kill()
    kabid.dispose(request_id, "subkoordinator")
    time.sleep(0.5)
    assert "SlotChecked" not in types(events_of(system, request_id))
    system.start_service("scheduler")
    wait_until(lambda: "SlotChecked" in types(events_of(system, request_id)), what="SlotChecked")
    subko.dispose(request_id, "staf")
    wait_until(lambda: types(events_of(system, request_id)).count("Disposed") == 3)
    # Now the disposition service dies while the meeting is created.
    system.children["disposition"].kill()
    staf.when_ready("POST", "scheduler", "/api/v1/meetings", json={"request_id": request_id})
    system.start_service("disposition")
    staf.dispose(request_id, "subkoordinator")
    letter = subko.when_ready("POST", "letters", "/api/v1/letters", json={"request_id": request_id})
    subko.dispose(request_id, "kabid", letter_id=letter["letter_id"])
    wait_until(lambda: types(events_of(system, request_id)).count("Disposed") == 5)
    system.children["letters"].kill()
    kabid.dispose(request_id, "kadis")
    system.start_service("letters")
    kadis.when_ready("POST", "letters", f"/api/v1/letters/{letter['letter_id']}/send")
    opd.when_ready("POST", "letters", f"/api/v1/letters/{letter['letter_id']}/receipt")
    wait_until(lambda: "CaseClosed" in types(events_of(system, request_id)), what="CaseClosed")
    time.sleep(1.0)  # anything recorded twice would show up by now
    counts = Counter(types(events_of(system, request_id)))
    assert counts == Counter(
        {
            "RequestSubmitted": 1,
            "Disposed": 6,
            "SlotChecked": 1,
            "MeetingCreated": 1,
            "LetterDrafted": 1,
            "LetterSent": 1,
            "LetterReceived": 1,
            "CaseClosed": 1,
        }
    ), counts
    history = kadis.ok("GET", "disposition", f"/api/v1/cases/{request_id}/history")
    records = [(r["kind"], r["sop_step"]) for r in history["records"]]
    assert sorted({step for _, step in records if step}) == list(range(1, 11))
    assert len(records) == len(set(records)), records  # nothing recorded twice


def test_the_flow_survives_a_nats_restart_and_loses_nothing(system: System) -> None:
    opd, kadis, kabid = (login(system, u) for u in ("opd.dinkes", "kadis", "kabid"))
    start, end = future_slot(22, 9)
    request_id = file_request(opd, start=start, end=end, participants=40)
    wait_until(lambda: case_of(kadis, request_id), what="case opened")
    system.children["nats-server"].stop()
    kadis.dispose(request_id, "kabid")  # stored while NATS is down; published when it is back
    time.sleep(2)
    system.restart_nats()
    wait_until(
        lambda: "Disposed" in types(events_of(system, request_id)),
        timeout=60,
        what="the disposition published after NATS came back",
    )
    kabid.dispose(request_id, "subkoordinator")
    wait_until(
        lambda: "SlotChecked" in types(events_of(system, request_id)),
        timeout=60,
        what="SlotChecked",
    )
    assert types(events_of(system, request_id)) == [
        "RequestSubmitted",
        "Disposed",
        "Disposed",
        "SlotChecked",
    ]
    assert system.dead_children() == []


def _relay_crash(system: System, failpoint: str) -> None:
    system.restart("intake", {"SIVICON_FAILPOINTS": failpoint})
    client_ref = f"FAULT-{failpoint}"
    body = json.dumps(submission(client_ref)).encode()

    async def send() -> None:
        nc = await nats_connect(system.nats_url, user="agency-DINKES")
        await nc.jetstream().publish(
            subjects.inbound_subject("DINKES"), body, headers={"Nats-Msg-Id": client_ref}
        )
        await nc.close()

    asyncio.run(send())  # intake saves the request, then its relay dies
    request_id = str(request_id_for("DINKES", client_ref))
    intake = system.children["intake"]
    wait_until(lambda: not intake.alive(), what=f"intake to die at {failpoint}")
    assert intake.process.returncode == 137
    published = types(events_of(system, request_id))
    assert published == ([] if failpoint == "relay_before_publish" else ["RequestSubmitted"])
    system.start_service("intake")
    wait_until(
        lambda: "RequestSubmitted" in types(events_of(system, request_id)),
        what="RequestSubmitted after restart",
    )
    time.sleep(1.0)
    assert types(events_of(system, request_id)).count("RequestSubmitted") == 1
    health = health_details(system, "intake")
    if failpoint == "relay_after_publish":
        assert health["relay"]["duplicates"] >= 1


def test_relay_killed_between_save_and_publish_publishes_once_after_restart(
    system: System,
) -> None:
    _relay_crash(system, "relay_before_publish")


def test_relay_killed_after_publish_before_recording_is_deduplicated(system: System) -> None:
    _relay_crash(system, "relay_after_publish")
