"""The disposition application over a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel

from services.disposition.application import DispositionApplication
from services.disposition.integration import to_integration
from shared.errors import Forbidden, NotFound, OutOfOrder
from shared.events import (
    Actor,
    CaseClosed,
    Disposed,
    IntegrationEvent,
    SlaBreached,
    WithdrawalRefused,
)
from shared.messaging import Consumed
from tests.builders import (
    letter_drafted,
    letter_received,
    letter_sent,
    meeting_created,
    person,
    slot_checked,
    submitted,
    withdrawn,
)

_positions = itertools.count(1)
SYSTEM = Actor(username="scheduler", name="Sistem penjadwalan", role="system")


def shown(view: BaseModel) -> dict[str, Any]:
    """A view as the API sends it (JSON)."""
    return view.model_dump(mode="json")


def deliver(app: DispositionApplication, event: IntegrationEvent, event_id: str) -> Consumed:
    """Hand the event to the application as the consumer does, with its tracking."""
    tracking = Consumed("SIVICON@test", next(_positions), event_id=event_id)
    app.process_event(event, tracking)
    return tracking


def published(app: DispositionApplication) -> list[IntegrationEvent]:
    out: list[IntegrationEvent] = []
    for notification in app.recorder.select_notifications(1, 1000):
        out.extend(to_integration(app.mapper.to_domain_event(notification)))
    return out


def walk_free_branch(app: DispositionApplication, request_id: UUID) -> UUID:
    now = datetime.now(UTC)
    letter_id = uuid4()
    app.dispose(request_id, person("kadis"), "kabid", sifat="segera")
    app.dispose(request_id, person("kabid"), "subkoordinator", note="Cek jadwal")
    deliver(app, slot_checked(request_id, available=True, at=now), "e-slot")
    app.dispose(request_id, person("subkoordinator"), "staf")
    meeting = meeting_created(request_id, at=now + timedelta(minutes=5))
    deliver(app, meeting, "e-meeting")
    app.dispose(request_id, person("staf"), "subkoordinator")
    draft = letter_drafted(request_id, letter_id, at=now + timedelta(minutes=6))
    deliver(app, draft, "e-draft")
    app.dispose(request_id, person("subkoordinator"), "kabid")
    # Step 8 by the Sub-coordinator acting for an absent Kabid (Plh).
    app.dispose(request_id, person("subkoordinator", on_behalf_of="kabid"), "kadis")
    return letter_id


@pytest.fixture
def app(store_env: dict[str, str]) -> DispositionApplication:
    return DispositionApplication(env=store_env)


def test_a_request_goes_through_all_ten_steps_and_survives_a_restart(
    app: DispositionApplication, store_env: dict[str, str]
) -> None:
    event = submitted()
    request_id = event.request_id
    deliver(app, event, "e-submitted")
    letter_id = walk_free_branch(app, request_id)
    now = datetime.now(UTC)
    deliver(app, letter_sent(request_id, letter_id, at=now), "e-sent")
    deliver(app, letter_received(request_id, letter_id, at=now), "e-received")

    restarted = DispositionApplication(env=store_env)
    case = shown(restarted.get_case(request_id, person("auditor")))
    assert (case["state"], case["outcome"], case["current_role"]) == (
        "closed",
        "meeting_provided",
        None,
    )
    assert case["meeting"]["meeting_id"] == "812 3456 7890"
    assert case["letter"]["sent"]["letter_id"] == str(letter_id)
    history = shown(restarted.history(request_id, person("auditor")))
    assert history["steps_done"] == list(range(1, 11))
    assert history["sla"]["step_5"]["breached"] is False
    assert history["sla"]["step_8"]["breached"] is False
    events = published(restarted)
    disposed = [e for e in events if isinstance(e, Disposed)]
    assert [d.sop_step for d in disposed] == [2, 3, 4, 6, 7, 8]
    assert disposed[4].letter_id == letter_id
    assert (disposed[5].by.role, disposed[5].by.on_behalf_of) == ("subkoordinator", "kabid")
    [closed] = [e for e in events if isinstance(e, CaseClosed)]
    assert closed.outcome == "meeting_provided"
    assert [s.sop_step for s in closed.steps] == list(range(1, 11))
    assert shown(restarted.inbox(person("auditor")))["total"] == 0
    assert shown(restarted.list_cases(person("auditor"), "closed"))["total"] == 1


def test_the_same_request_twice_opens_one_case_with_one_step_1(
    app: DispositionApplication,
) -> None:
    event = submitted()
    first = deliver(app, event, "e-1")
    second = deliver(app, event, "e-2")  # nothing new is stored but the position
    assert app.has_tracking(first)
    assert app.has_tracking(second)
    records = shown(app.history(event.request_id, person("kadis")))["records"]
    assert [r["sop_step"] for r in records] == [1]
    changed = submitted(event.request_id).model_copy(update={"agenda_number": "VC/2026/0099"})
    with pytest.raises(OutOfOrder):
        deliver(app, changed, "e-3")


def test_inboxes_follow_whose_turn_it_is(app: DispositionApplication) -> None:
    mine, other = submitted(), submitted(opd_code="DISDIK")
    deliver(app, mine, "e-1")
    deliver(app, other, "e-2")

    def ids(reader: Actor) -> set[str]:
        return {row["case_id"] for row in shown(app.inbox(reader))["items"]}

    both = {str(mine.request_id), str(other.request_id)}
    assert ids(person("kadis")) == both
    assert ids(person("kabid")) == set()
    app.dispose(mine.request_id, person("kadis"), "kabid")
    assert ids(person("kadis")) == {str(other.request_id)}
    assert ids(person("kabid")) == {str(mine.request_id)}
    assert ids(person("kabid", on_behalf_of="kadis")) == {str(other.request_id)}
    assert ids(person("opd")) == {str(mine.request_id)}
    assert ids(person("opd", opd_code="DISDIK")) == {str(other.request_id)}
    assert ids(person("auditor")) == both
    page = shown(app.inbox(person("operator"), limit=1, offset=1))
    assert (page["total"], len(page["items"])) == (2, 1)
    row = shown(app.inbox(person("kabid")))["items"][0]
    assert (row["pending_step"], row["agenda_number"], row["opd_code"]) == (
        3,
        "VC/2026/0042",
        "DINKES",
    )
    assert ids(person("admin")) == both  # one read-access table: admin reads cases too
    with pytest.raises(Forbidden):
        app.inbox(SYSTEM)


def test_staff_see_the_case_before_and_after_creating_the_meeting(
    app: DispositionApplication,
) -> None:
    event = submitted()
    request_id = event.request_id
    deliver(app, event, "e-1")
    app.dispose(request_id, person("kadis"), "kabid")
    app.dispose(request_id, person("kabid"), "subkoordinator")
    now = datetime.now(UTC)
    deliver(app, slot_checked(request_id, available=True, at=now), "e-2")
    assert shown(app.inbox(person("subkoordinator")))["items"][0]["pending_step"] == 4
    app.dispose(request_id, person("subkoordinator"), "staf")
    [row] = shown(app.inbox(person("staf")))["items"]
    assert row["pending_step"] == 5
    assert row["due_at"] is not None
    deliver(app, meeting_created(request_id, at=now), "e-3")
    assert shown(app.inbox(person("staf")))["items"][0]["pending_step"] == 6


def test_an_opd_reads_only_its_own_cases(app: DispositionApplication) -> None:
    event = submitted()
    deliver(app, event, "e-1")
    assert shown(app.get_case(event.request_id, person("opd")))["request"]["opd_code"] == "DINKES"
    with pytest.raises(Forbidden) as refused:
        app.get_case(event.request_id, person("opd", opd_code="DISDIK"))
    assert refused.value.status == 403
    with pytest.raises(Forbidden):
        app.history(event.request_id, SYSTEM)


def test_refused_commands_store_nothing(app: DispositionApplication) -> None:
    event = submitted()
    deliver(app, event, "e-1")
    before = app.recorder.max_notification_id()
    with pytest.raises(Forbidden):
        app.dispose(event.request_id, person("opd"), "kabid")
    with pytest.raises(OutOfOrder):
        app.dispose(event.request_id, person("kabid"), "subkoordinator")
    with pytest.raises(NotFound):
        app.dispose(uuid4(), person("kadis"), "kabid")
    with pytest.raises(NotFound):
        deliver(app, meeting_created(uuid4(), at=datetime.now(UTC)), "e-2")
    assert app.recorder.max_notification_id() == before


def test_a_reply_signed_by_whoever_gave_the_paraf_of_step_8_is_not_recorded(
    app: DispositionApplication,
) -> None:
    event = submitted()
    request_id = event.request_id
    deliver(app, event, "e-submitted")
    letter_id = walk_free_branch(app, request_id)  # step 8 by the Sub-coordinator as Plh Kabid
    same_person = person("subkoordinator", on_behalf_of="kadis")
    sent = letter_sent(request_id, letter_id, at=datetime.now(UTC))
    before = app.recorder.max_notification_id()
    with pytest.raises(Forbidden) as refused:
        deliver(app, sent.model_copy(update={"signer": same_person}), "e-sent-by-reviewer")
    assert refused.value.code == "reviewer_may_not_sign"
    assert app.recorder.max_notification_id() == before
    assert shown(app.get_case(request_id, person("auditor")))["letter"]["sent"] is None
    deliver(app, sent, "e-sent")
    assert shown(app.get_case(request_id, person("auditor")))["letter"]["sent"] is not None


def test_a_withdrawn_request_closes_its_case(app: DispositionApplication) -> None:
    event = submitted()
    deliver(app, event, "e-1")
    app.dispose(event.request_id, person("kadis"), "kabid")
    deliver(app, withdrawn(event.request_id, at=datetime.now(UTC)), "e-2")
    deliver(app, withdrawn(event.request_id, at=datetime.now(UTC)), "e-3")  # changes nothing
    assert shown(app.get_case(event.request_id, person("kabid")))["outcome"] == "withdrawn"
    assert shown(app.inbox(person("kabid")))["total"] == 0
    [closed] = [e for e in published(app) if isinstance(e, CaseClosed)]
    assert [s.sop_step for s in closed.steps] == [1, 2]
    assert not [e for e in published(app) if isinstance(e, WithdrawalRefused)]


def test_a_withdrawal_after_the_case_closed_is_refused_and_recorded(
    app: DispositionApplication,
) -> None:
    """The race window: the OPD withdrew at intake before intake learnt that the case was
    closed. The case decides: its outcome stands, no second CaseClosed, the refusal is a fact
    in its history (and published, for whoever rebuilds the case from the stream)."""
    event = submitted()
    request_id = event.request_id
    deliver(app, event, "e-submitted")
    letter_id = walk_free_branch(app, request_id)
    now = datetime.now(UTC)
    deliver(app, letter_sent(request_id, letter_id, at=now), "e-sent")
    deliver(app, letter_received(request_id, letter_id, at=now), "e-received")

    late = withdrawn(request_id, at=now + timedelta(minutes=1))
    position = deliver(app, late, "e-withdrawn")
    assert app.has_tracking(position)
    deliver(app, late, "e-withdrawn-again")  # recorded once

    case = shown(app.get_case(request_id, person("auditor")))
    assert (case["state"], case["outcome"]) == ("closed", "meeting_provided")
    history = shown(app.history(request_id, person("auditor")))
    refusal = history["records"][-1]
    assert refusal["kind"] == "withdrawal_refused"
    assert refusal["actor"]["username"] == "opd.dinkes"
    assert refusal["note"] == "Rapat dibatalkan"
    assert refusal["refs"]["outcome"] == "meeting_provided"
    assert "ditolak" in refusal["step_name"]
    assert [r["kind"] for r in history["records"]].count("withdrawal_refused") == 1
    assert history["steps_done"] == list(range(1, 11))

    events = published(app)
    assert [e.outcome for e in events if isinstance(e, CaseClosed)] == ["meeting_provided"]
    [refused] = [e for e in events if isinstance(e, WithdrawalRefused)]
    assert (refused.outcome, refused.reason) == ("meeting_provided", "Rapat dibatalkan")
    assert refused.withdrawn_by.username == "opd.dinkes"
    assert refused.withdrawn_at == late.withdrawn_at


def test_the_disposition_sheet_lists_each_forward(app: DispositionApplication) -> None:
    event = submitted(at=datetime(2026, 11, 30, 17, 0, tzinfo=UTC))  # 1 Dec 01:00 WITA
    deliver(app, event, "e-1")
    app.dispose(event.request_id, person("kadis"), "kabid", sifat="segera", note="Harap dibantu")
    app.dispose(event.request_id, person("kabid"), "subkoordinator", instruction="Cek jadwal")
    sheet = shown(app.disposition_sheet(event.request_id, person("auditor")))
    assert sheet["letter_from"] == "Dinas Kesehatan"
    assert (sheet["letter_number"], sheet["letter_date"]) == ("800/412/DINKES", "2026-11-27")
    assert sheet["received_date"] == "2026-12-01"
    assert (sheet["agenda_number"], sheet["sifat"]) == ("VC/2026/0042", "segera")
    assert sheet["hal"].startswith("Permohonan Fasilitas Zoom Meeting")
    first, second = sheet["forwards"]
    assert (first["from_role"], first["to_role"], first["initials"]) == ("kadis", "kabid", "HA")
    assert (first["instruction"], first["note"]) == ("Proses lebih lanjut", "Harap dibantu")
    assert (second["instruction"], second["sifat"]) == ("Cek jadwal", "segera")


def test_a_meeting_not_created_in_time_is_reported_while_still_open(
    app: DispositionApplication,
) -> None:
    event = submitted()
    request_id = event.request_id
    deliver(app, event, "e-1")
    app.dispose(request_id, person("kadis"), "kabid")
    app.dispose(request_id, person("kabid"), "subkoordinator")
    now = datetime.now(UTC)
    deliver(app, slot_checked(request_id, available=True, at=now), "e-2")
    app.dispose(request_id, person("subkoordinator"), "staf")
    assert app.flag_overdue_cases(now + timedelta(minutes=10)) == 0
    assert app.flag_overdue_cases(now + timedelta(minutes=20)) == 1
    assert app.flag_overdue_cases(now + timedelta(minutes=30)) == 0  # reported once
    breaches = [e for e in published(app) if isinstance(e, SlaBreached)]
    assert [(b.sop_step, b.completed_at) for b in breaches] == [(5, None)]
    assert shown(app.get_case(request_id, person("auditor")))["sla_breaches"][0]["sop_step"] == 5
