"""The headline attack of issue 8 on the whole system as `sivicon up` starts it: every service a
process on its own NATS credentials, the nats-server from the generated configuration, keys made
and published by the launcher. Someone holding the admin's credentials (past every permission)
publishes a correctly formed `LetterSent` + `LetterReceived` while Kadis has not signed, and a
`RequestWithdrawn`: the case stays open at step 9, the letter stays unsigned, the dead letters say
why, and `sivicon audit` (as the auditor, by default) names each forged event."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from uuid import UUID

import pytest

from services.launcher import System
from shared.signing import ServiceKey, key_path, load_key
from tests.builders import letter_received, letter_sent, withdrawn
from tests.e2e.harness import User, file_request, health_details, login, wait_until
from tests.e2e.test_procedure import case_of, future_slot
from tests.security.test_signed_events import FORGERIES, forge

pytestmark = pytest.mark.parametrize("system", ["sqlite"], indirect=True)


def test_a_forged_reply_and_withdrawal_change_nothing_and_are_named_by_the_audit(
    system: System,
) -> None:
    users: dict[str, User] = {
        role: login(system, name)
        for role, name in {
            "opd": "opd.dinkes",
            "kadis": "kadis",
            "kabid": "kabid",
            "subko": "subko",
            "staf": "staf",
        }.items()
    }
    opd, kadis, kabid, subko, staf = (users[k] for k in ("opd", "kadis", "kabid", "subko", "staf"))
    start, end = future_slot(17, 9)
    request_id = file_request(opd, start=start, end=end, participants=60)
    wait_until(lambda: case_of(kadis, request_id), what="case opened")
    kadis.dispose(request_id, "kabid")
    kabid.dispose(request_id, "subkoordinator")
    subko.dispose(request_id, "staf")
    staf.when_ready("POST", "scheduler", "/api/v1/meetings", json={"request_id": request_id})
    staf.dispose(request_id, "subkoordinator")
    letter = subko.when_ready("POST", "letters", "/api/v1/letters", json={"request_id": request_id})
    subko.dispose(request_id, "kabid", letter_id=letter["letter_id"])
    kabid.dispose(request_id, "kadis")
    before = wait_until(
        lambda: (c := case_of(kadis, request_id)) and c["pending_step"] == 9 and c,
        what="step 9",
    )
    status_path = f"/api/v1/requests/{request_id}/letter-status"
    wait_until(
        lambda: kadis.ok("GET", "letters", status_path)["ready_for_signature"],
        what="the draft ready for Kadis's signature",
    )
    letter_before = kadis.ok("GET", "letters", f"/api/v1/letters/{letter['letter_id']}")
    request_before = opd.ok("GET", "intake", f"/api/v1/requests/{request_id}")

    case_id, letter_id, now = UUID(request_id), UUID(letter["letter_id"]), datetime.now(UTC)
    attacks = [
        letter_sent(case_id, letter_id, at=now),
        letter_received(case_id, letter_id, at=now),
        withdrawn(case_id, at=now),
    ]

    def installed(service: str) -> ServiceKey:  # the keys `sivicon up` made (one stolen)
        return load_key(key_path(system.data_dir, service), service)

    async def forge_all() -> dict[str, str]:
        return {
            await forge(system.nats_url, event, how, installed): how
            for event in attacks
            for how in FORGERIES
        }

    expected = asyncio.run(forge_all())
    reasons = wait_until(
        lambda: (
            (
                r := health_details(system, "disposition")["consumers"]["disposition"][
                    "dead_letter_reasons"
                ]
            )
            and len(r) >= len(expected)
            and r
        ),
        what="the forged events dead-lettered",
    )
    for reason, how in zip(reasons[-len(expected) :], expected.values(), strict=True):
        assert reason.startswith(how), reason
    assert case_of(kadis, request_id) == before
    # The letter is still the unsigned draft, Kadis's to sign; the request is not withdrawn.
    assert kadis.ok("GET", "letters", f"/api/v1/letters/{letter['letter_id']}") == letter_before
    assert opd.ok("GET", "intake", f"/api/v1/requests/{request_id}") == request_before

    audit = subprocess.run(
        [sys.executable, "-m", "services.cli", "audit", request_id],
        env={
            **os.environ,
            "SIVICON_DATA_DIR": str(system.data_dir),
            "SIVICON_NATS_URL": system.nats_url,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert audit.returncode == 4, audit.stdout + audit.stderr
    for event_id, how in expected.items():
        [line] = [line for line in audit.stdout.splitlines() if event_id in line]
        assert f": {how}" in line
    assert "steps not yet recorded: [9, 10]" in audit.stdout

    kadis.when_ready("POST", "letters", f"/api/v1/letters/{letter['letter_id']}/send")
    wait_until(lambda: case_of(kadis, request_id)["pending_step"] == 10, what="step 10")
