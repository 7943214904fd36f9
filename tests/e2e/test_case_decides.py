"""The case decides: whether a request may still be withdrawn is what its case recorded, and
nothing downstream acts on a withdrawal the case did not accept. Over the real system: every
service its own process, a real nats-server, the fake Zoom server."""

from __future__ import annotations

import httpx
import pytest

from services.launcher import System
from tests.e2e.harness import User, file_request, login, wait_until
from tests.e2e.test_procedure import case_of, events_of, future_slot, types


@pytest.fixture(scope="module")
def users(system: System) -> dict[str, User]:
    names = {"opd": "opd.dinkes", "kadis": "kadis", "kabid": "kabid", "subko": "subko"}
    names["staf"] = "staf"
    return {role: login(system, username) for role, username in names.items()}


def zoom_meeting(system: System, meeting_id: str) -> httpx.Response:
    """Ask the fake Zoom server for a meeting, as Zoom's API would be asked."""
    base = system.urls["fakezoom"]
    token = httpx.post(
        f"{base}/oauth/token",
        params={
            "grant_type": "account_credentials",
            "account_id": system.env.get("SIVICON_ZOOM_ACCOUNT_ID", "fake-account"),
        },
        auth=(
            system.env.get("SIVICON_ZOOM_CLIENT_ID", "fake-client"),
            system.env.get("SIVICON_ZOOM_CLIENT_SECRET", "fake-secret"),
        ),
        timeout=30,
    ).json()["access_token"]
    return httpx.get(
        f"{base}/v2/meetings/{meeting_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def to_meeting(users: dict[str, User], request_id: str) -> str:
    """Steps 2 to 5 of the free branch; returns the Zoom meeting's ID."""
    kadis, kabid, subko, staf = (users[k] for k in ("kadis", "kabid", "subko", "staf"))
    wait_until(lambda: case_of(kadis, request_id), what="case opened")
    kadis.dispose(request_id, "kabid")
    kabid.dispose(request_id, "subkoordinator")
    subko.dispose(request_id, "staf")
    meeting = staf.when_ready(
        "POST", "scheduler", "/api/v1/meetings", json={"request_id": request_id}
    )
    return str(meeting["meeting"]["meeting_id"])


def test_withdrawal_after_close_is_refused_and_the_meeting_stays(
    system: System, users: dict[str, User]
) -> None:
    opd, kadis, kabid, subko, staf = (users[k] for k in ("opd", "kadis", "kabid", "subko", "staf"))
    start, end = future_slot(16, 9)
    request_id = file_request(opd, start=start, end=end, participants=80)
    meeting_id = to_meeting(users, request_id)
    staf.dispose(request_id, "subkoordinator")  # 6
    letter = subko.when_ready("POST", "letters", "/api/v1/letters", json={"request_id": request_id})
    subko.dispose(request_id, "kabid", letter_id=letter["letter_id"])  # 7
    kabid.dispose(request_id, "kadis")  # 8
    kadis.when_ready("POST", "letters", f"/api/v1/letters/{letter['letter_id']}/send")  # 9
    opd.when_ready("POST", "letters", f"/api/v1/letters/{letter['letter_id']}/receipt")  # 10
    wait_until(lambda: "CaseClosed" in types(events_of(system, request_id)), what="CaseClosed")
    # Intake learns the closing from the stream, as the OPD's page shows it.
    wait_until(
        lambda: opd.ok("GET", "intake", f"/api/v1/requests/{request_id}")["status"] == "closed",
        what="intake noting the closed case",
    )

    refused = opd.call(
        "POST",
        "intake",
        f"/api/v1/requests/{request_id}/withdraw",
        json={"reason": "Acara ditunda"},
    )
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "case_closed"
    assert "can no longer be withdrawn" in error["message"]
    assert "tidak dapat dibatalkan" in error["pesan"]

    seen = types(events_of(system, request_id))
    assert "RequestWithdrawn" not in seen
    assert "MeetingCancelled" not in seen
    assert seen.count("CaseClosed") == 1
    assert case_of(kadis, request_id)["outcome"] == "meeting_provided"
    at_zoom = zoom_meeting(system, meeting_id)
    assert at_zoom.status_code == 200, at_zoom.text
    assert str(at_zoom.json()["id"]) == meeting_id
    scheduled = staf.ok("GET", "scheduler", f"/api/v1/meetings/{request_id}")
    assert scheduled["status"] == "meeting_created"
    assert scheduled["case_closed"]["outcome"] == "meeting_provided"


def test_a_withdrawal_the_case_accepts_cancels_the_meeting_after_the_case_closed(
    system: System, users: dict[str, User]
) -> None:
    opd = users["opd"]
    start, end = future_slot(17, 13)
    request_id = file_request(opd, start=start, end=end, participants=80)
    meeting_id = to_meeting(users, request_id)
    accepted = opd.ok(
        "POST",
        "intake",
        f"/api/v1/requests/{request_id}/withdraw",
        json={"reason": "Acara ditunda"},
    )
    assert accepted["status"] == "withdrawn"
    wait_until(
        lambda: "MeetingCancelled" in types(events_of(system, request_id)),
        what="MeetingCancelled",
    )
    messages = events_of(system, request_id)
    seen = types(messages)
    # The scheduler acted on the case's decision, not on the OPD's request.
    assert (
        seen.index("RequestWithdrawn") < seen.index("CaseClosed") < seen.index("MeetingCancelled")
    )
    closing = messages[seen.index("CaseClosed")]
    cancelling = messages[seen.index("MeetingCancelled")]
    assert closing.event.outcome == "withdrawn"  # type: ignore[attr-defined]
    assert cancelling.headers["sivicon-causation-id"] == closing.headers["ce-id"]
    assert cancelling.event.meeting_id == meeting_id  # type: ignore[attr-defined]
    refused = users["staf"].call(
        "POST", "scheduler", "/api/v1/meetings", json={"request_id": request_id}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "case_closed"
