"""One request through all ten steps of the SOP, each step an HTTP call by the right user,
over the real system: every service its own process, a real nats-server, SQLite stores."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.launcher import System
from shared import subjects
from tests.e2e.harness import User, file_request, login, wait_until
from tests.support import StreamMessage, read_stream

WITA = "+08:00"


def future_slot(days: int, hour: int, hours: int = 2) -> tuple[str, str]:
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    start = f"{day.isoformat()}T{hour:02d}:00:00{WITA}"
    end = f"{day.isoformat()}T{hour + hours:02d}:00:00{WITA}"
    return start, end


# The free branch's events in causal order (each first occurrence), and its dispositions.
FREE_BRANCH_ORDER = (
    "RequestSubmitted",
    "Disposed",
    "SlotChecked",
    "MeetingCreated",
    "LetterDrafted",
    "LetterSent",
    "LetterReceived",
    "CaseClosed",
)


def assert_the_free_branch_in_order(messages: list[StreamMessage]) -> None:
    """The stream holds the free branch in causal order, with the six dispositions."""
    seen = types(messages)
    positions = [seen.index(name) for name in FREE_BRANCH_ORDER]
    assert positions == sorted(positions), seen
    assert [
        m.event.sop_step for m in messages if m.headers["ce-type"] == "sivicon.Disposed.v1"
    ] == [2, 3, 4, 6, 7, 8]


def events_of(system: System, request_id: str) -> list[StreamMessage]:
    """The request's events, without the copies of answers sent to machine clients."""
    messages = asyncio.run(read_stream(system.nats_url, subjects.request_filter(request_id)))
    return [m for m in messages if not m.subject.startswith(subjects.ANSWERS_PREFIX + ".")]


def types(messages: list[StreamMessage]) -> list[str]:
    return [m.headers["ce-type"].split(".")[1] for m in messages]


def case_of(user: User, request_id: str) -> Any:
    response = user.call("GET", "disposition", f"/api/v1/cases/{request_id}")
    return response.json() if response.status_code == 200 else None


@pytest.fixture(scope="module")
def users(system: System) -> dict[str, User]:
    names = {
        "opd": "opd.dinkes",
        "kadis": "kadis",
        "kabid": "kabid",
        "subko": "subko",
        "staf": "staf",
        "auditor": "auditor",
    }
    return {role: login(system, username) for role, username in names.items()}


def test_free_branch_runs_all_ten_steps_and_closes_the_case(
    system: System, users: dict[str, User]
) -> None:
    opd, kadis, kabid, subko, staf = (users[k] for k in ("opd", "kadis", "kabid", "subko", "staf"))
    start, end = future_slot(10, 9)
    request_id = file_request(opd, start=start, end=end, participants=150)  # step 1
    wait_until(lambda: case_of(kadis, request_id), what="case opened")
    # A step out of order, or by the wrong role, is refused and changes nothing.
    early = kabid.call(
        "POST",
        "disposition",
        f"/api/v1/cases/{request_id}/dispositions",
        json={"to_role": "subkoordinator"},
    )
    assert early.status_code == 409, early.text
    wrong = opd.call(
        "POST", "disposition", f"/api/v1/cases/{request_id}/dispositions", json={"to_role": "kabid"}
    )
    assert wrong.status_code == 403, wrong.text
    assert wrong.json()["error"]["code"] == "wrong_role"
    not_yet = staf.call(
        "POST",
        "disposition",
        f"/api/v1/cases/{request_id}/dispositions",
        json={"to_role": "subkoordinator"},
    )
    assert not_yet.status_code == 409, not_yet.text
    kadis.dispose(request_id, "kabid", instruction="Proses lebih lanjut", sifat="segera")  # 2
    kabid.dispose(request_id, "subkoordinator", instruction="Koordinasikan")  # 3
    subko.dispose(request_id, "staf", instruction="Buatkan ID meeting dan password")  # 4
    meeting = staf.when_ready(
        "POST", "scheduler", "/api/v1/meetings", json={"request_id": request_id}
    )  # 5
    assert meeting["meeting"]["join_url"].startswith("https://zoom.us/j/")
    staf.dispose(request_id, "subkoordinator", instruction="Meeting sudah dibuat")  # 6
    letter = subko.when_ready(
        "POST", "letters", "/api/v1/letters", json={"request_id": request_id}
    )  # 7 (draft)
    letter_id = letter["letter_id"]
    subko.dispose(request_id, "kabid", instruction="Mohon diperiksa", letter_id=letter_id)  # 7
    kabid.dispose(request_id, "kadis", instruction="Mohon ditandatangani")  # 8
    sent = kadis.when_ready("POST", "letters", f"/api/v1/letters/{letter_id}/send")  # 9
    assert sent["number"]
    opd.when_ready("POST", "letters", f"/api/v1/letters/{letter_id}/receipt")  # 10

    closed = wait_until(
        lambda: "CaseClosed" in types(events_of(system, request_id)), what="CaseClosed"
    )
    assert closed
    messages = events_of(system, request_id)
    seen = types(messages)
    assert_the_free_branch_in_order(messages)
    for message in messages:
        for header in (
            "ce-specversion",
            "ce-id",
            "ce-source",
            "ce-type",
            "ce-time",
            "ce-subject",
            "Nats-Msg-Id",
            "traceparent",
            "sivicon-correlation-id",
        ):
            assert message.headers.get(header), (header, message.subject)
        assert message.headers["ce-subject"] == request_id
    closing = messages[seen.index("CaseClosed")].event
    assert closing.outcome == "meeting_provided"  # type: ignore[attr-defined]
    sent_event = messages[seen.index("LetterSent")].event
    pdf = kadis.call("GET", "letters", f"/api/v1/letters/{letter_id}/pdf")
    import hashlib

    assert hashlib.sha256(pdf.content).hexdigest() == sent_event.pdf_sha256  # type: ignore[attr-defined]
    # Anyone holding the printed letter can check it on the portal, without logging in.
    verification = httpx.get(sent_event.verification_url)  # type: ignore[attr-defined]
    assert verification.status_code == 200
    assert sent_event.pdf_sha256 in verification.text  # type: ignore[attr-defined]
    assert sent["number"] in verification.text

    history = users["auditor"].ok("GET", "disposition", f"/api/v1/cases/{request_id}/history")
    steps = [r for r in history["records"] if r.get("sop_step")]
    recorded = sorted({s["sop_step"] for s in steps})
    assert recorded == list(range(1, 11))
    for step in steps:
        assert step["actor"]["username"]
        assert step["at"]
    by_step = {s["sop_step"]: s["actor"]["username"] for s in steps}
    assert by_step[2] == "kadis"
    assert by_step[5] == "staf"
    assert by_step[10] == "opd.dinkes"


def test_full_branch_informs_the_opd_and_closes_with_schedule_full(
    system: System, users: dict[str, User]
) -> None:
    opd, kadis, kabid, subko = (users[k] for k in ("opd", "kadis", "kabid", "subko"))
    start, end = future_slot(12, 13)
    # Take every host account at that time (100, 300 and 500 participants).
    for participants in (450, 250, 90):
        other = file_request(
            opd, start=start, end=end, participants=participants, topic=f"Rapat {participants}"
        )
        wait_until(lambda other=other: case_of(kadis, other), what="case opened")
        kadis.dispose(other, "kabid")
        kabid.dispose(other, "subkoordinator")
        wait_until(lambda other=other: "SlotChecked" in types(events_of(system, other)))
        checked = next(
            m.event
            for m in events_of(system, other)
            if m.headers["ce-type"] == "sivicon.SlotChecked.v1"
        )
        assert checked.available  # type: ignore[attr-defined]

    request_id = file_request(opd, start=start, end=end, participants=50)
    wait_until(lambda: case_of(kadis, request_id), what="case opened")
    kadis.dispose(request_id, "kabid")
    kabid.dispose(request_id, "subkoordinator")
    wait_until(lambda: "SlotChecked" in types(events_of(system, request_id)))
    check = next(
        m.event
        for m in events_of(system, request_id)
        if m.headers["ce-type"] == "sivicon.SlotChecked.v1"
    )
    assert not check.available  # type: ignore[attr-defined]
    assert check.alternatives  # type: ignore[attr-defined]
    # Staff cannot be asked to create a meeting for a full schedule.
    refused = subko.call(
        "POST", "disposition", f"/api/v1/cases/{request_id}/dispositions", json={"to_role": "staf"}
    )
    assert refused.status_code == 409
    subko.dispose(request_id, "opd", instruction="Jadwal penuh, informasikan ke OPD")  # step 4
    letter = subko.when_ready("POST", "letters", "/api/v1/letters", json={"request_id": request_id})
    assert letter["kind"] == "schedule_full"
    subko.when_ready("POST", "letters", f"/api/v1/letters/{letter['letter_id']}/send")
    opd.when_ready("POST", "letters", f"/api/v1/letters/{letter['letter_id']}/receipt")
    wait_until(lambda: "CaseClosed" in types(events_of(system, request_id)), what="CaseClosed")
    messages = events_of(system, request_id)
    closing = next(m.event for m in messages if m.headers["ce-type"] == "sivicon.CaseClosed.v1")
    assert closing.outcome == "schedule_full"  # type: ignore[attr-defined]
    assert "MeetingCreated" not in types(messages)
    sent = next(m.event for m in messages if m.headers["ce-type"] == "sivicon.LetterSent.v1")
    assert sent.kind == "schedule_full"  # type: ignore[attr-defined]


def test_sivicon_tail_prints_one_request_s_events_with_actors(
    system: System, users: dict[str, User]
) -> None:
    opd, kadis = users["opd"], users["kadis"]
    start, end = future_slot(14, 9)
    request_id = file_request(opd, start=start, end=end, participants=30)
    wait_until(lambda: case_of(kadis, request_id), what="case opened")
    kadis.dispose(request_id, "kabid")
    wait_until(lambda: "Disposed" in types(events_of(system, request_id)))
    sivicon = Path(sys.executable).parent / "sivicon"
    out = subprocess.run(
        [str(sivicon), "tail", "--request", request_id, "--limit", "2"],
        env={**system.env},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.splitlines()
    assert out[0].split() == ["time", "(WITA)", "type", "request", "actor"]
    assert "sivicon.RequestSubmitted.v1" in out[1]
    assert request_id in out[1]
    assert "Staf Dinas Kesehatan" in out[1] or "[opd]" in out[1]
    assert "sivicon.Disposed.v1" in out[2]
    assert "[kadis]" in out[2]
    assert "step 2" in out[2]


def test_the_portal_publishes_the_asyncapi_document_to_operators(system: System) -> None:
    anonymous = httpx.get(system.urls["portal"] + "/api/v1/asyncapi.json", timeout=30)
    assert anonymous.status_code == 401
    document = login(system, "operator").ok("GET", "portal", "/api/v1/asyncapi.json")
    assert "sivicon.RequestSubmitted.v1" in document["channels"]


def test_sivicon_audit_rebuilds_a_closed_case_from_the_stream(system: System) -> None:
    closed = [
        m.headers["ce-subject"]
        for m in asyncio.run(read_stream(system.nats_url, "sivicon.disposition.CaseClosed.*"))
        if m.event.outcome == "meeting_provided"  # type: ignore[attr-defined]
    ]
    assert closed, "runs after the free-branch test, which closes a case"
    sivicon = Path(sys.executable).parent / "sivicon"
    result = subprocess.run(
        [str(sivicon), "audit", closed[0]],
        env={**system.env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    steps = {line.split()[0] for line in lines[2:-1]}
    assert {str(n) for n in range(1, 11)} <= steps
    assert "Kepala Dinas" in result.stdout
    assert lines[-1] == "case closed (meeting_provided); every step of the procedure is recorded"
    open_case = subprocess.run(
        [str(sivicon), "audit", "00000000-0000-0000-0000-000000000000"],
        env={**system.env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert open_case.returncode == 1
    assert "no events" in open_case.stdout
