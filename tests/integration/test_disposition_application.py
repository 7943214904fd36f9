"""The disposition application over a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.disposition.application import DispositionApplication
from services.disposition.integration import to_integration
from shared.errors import Forbidden, NotFound, OutOfOrder
from shared.events import CaseClosed, Disposed, IntegrationEvent, SlaBreached, WithdrawalRefused
from tests.builders import (
    letter_drafted,
    letter_received,
    letter_sent,
    meeting_created,
    slot_checked,
    submitted,
    who,
    withdrawn,
)

_positions = itertools.count(1)


def tracking() -> Tracking:
    return Tracking("SIVICON@test", next(_positions))


def published(app: DispositionApplication) -> list[IntegrationEvent]:
    out: list[IntegrationEvent] = []
    for notification in app.recorder.select_notifications(1, 1000):
        out.extend(to_integration(app.mapper.to_domain_event(notification)))
    return out


def walk_free_branch(app: DispositionApplication, request_id: UUID) -> UUID:
    now = datetime.now(UTC)
    letter_id = uuid4()
    app.dispose(request_id, who("kadis"), "kabid", sifat="segera")
    app.dispose(request_id, who("kabid"), "subkoordinator", note="Cek jadwal")
    app.record_slot_check(slot_checked(request_id, available=True, at=now), "e-slot", tracking())
    app.dispose(request_id, who("subkoordinator"), "staf")
    meeting = meeting_created(request_id, at=now + timedelta(minutes=5))
    app.record_meeting(meeting, "e-meeting", tracking())
    app.dispose(request_id, who("staf"), "subkoordinator")
    draft = letter_drafted(request_id, letter_id, at=now + timedelta(minutes=6))
    app.record_draft(draft, "e-draft", tracking())
    app.dispose(request_id, who("subkoordinator"), "kabid")
    # Step 8 by the Sub-coordinator acting for an absent Kabid (Plh).
    app.dispose(request_id, who("subkoordinator", on_behalf_of="kabid"), "kadis")
    return letter_id


@pytest.fixture
def app(store_env: dict[str, str]) -> DispositionApplication:
    return DispositionApplication(env=store_env)


def test_a_request_goes_through_all_ten_steps_and_survives_a_restart(
    app: DispositionApplication, store_env: dict[str, str]
) -> None:
    event = submitted()
    request_id = event.request_id
    assert app.open_case(event, "e-submitted", tracking()) is True
    letter_id = walk_free_branch(app, request_id)
    now = datetime.now(UTC)
    app.record_letter_sent(letter_sent(request_id, letter_id, at=now), "e-sent", tracking())
    app.record_receipt(letter_received(request_id, letter_id, at=now), "e-received", tracking())

    restarted = DispositionApplication(env=store_env)
    case = restarted.get_case(request_id, who("auditor"))
    assert (case["state"], case["outcome"], case["current_role"]) == (
        "closed",
        "meeting_provided",
        None,
    )
    assert case["meeting"]["meeting_id"] == "812 3456 7890"
    assert case["letter"]["sent"]["letter_id"] == str(letter_id)
    history = restarted.history(request_id, who("auditor"))
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
    assert restarted.inbox(who("auditor"))["total"] == 0
    assert restarted.list_cases(who("auditor"), "closed")["total"] == 1


def test_the_same_request_twice_opens_one_case_with_one_step_1(
    app: DispositionApplication,
) -> None:
    event = submitted()
    first, second = tracking(), tracking()
    assert app.open_case(event, "e-1", first) is True
    assert app.open_case(event, "e-2", second) is False
    assert app.has_tracking(first)
    assert app.has_tracking(second)
    records = app.history(event.request_id, who("kadis"))["records"]
    assert [r["sop_step"] for r in records] == [1]
    changed = submitted(event.request_id).model_copy(update={"agenda_number": "VC/2026/0099"})
    with pytest.raises(OutOfOrder):
        app.open_case(changed, "e-3", tracking())


def test_inboxes_follow_whose_turn_it_is(app: DispositionApplication) -> None:
    mine, other = submitted(), submitted(opd_code="DISDIK")
    app.open_case(mine, "e-1", tracking())
    app.open_case(other, "e-2", tracking())

    def ids(reader: dict[str, Any]) -> set[str]:
        return {row["case_id"] for row in app.inbox(reader)["items"]}

    both = {str(mine.request_id), str(other.request_id)}
    assert ids(who("kadis")) == both
    assert ids(who("kabid")) == set()
    app.dispose(mine.request_id, who("kadis"), "kabid")
    assert ids(who("kadis")) == {str(other.request_id)}
    assert ids(who("kabid")) == {str(mine.request_id)}
    assert ids(who("kabid", on_behalf_of="kadis")) == {str(other.request_id)}
    assert ids(who("opd")) == {str(mine.request_id)}
    assert ids(who("opd", opd_code="DISDIK")) == {str(other.request_id)}
    assert ids(who("auditor")) == both
    page = app.inbox(who("operator"), limit=1, offset=1)
    assert (page["total"], len(page["items"])) == (2, 1)
    row = app.inbox(who("kabid"))["items"][0]
    assert (row["pending_step"], row["agenda_number"], row["opd_code"]) == (
        3,
        "VC/2026/0042",
        "DINKES",
    )
    with pytest.raises(Forbidden):
        app.inbox(who("admin"))


def test_staff_see_the_case_before_and_after_creating_the_meeting(
    app: DispositionApplication,
) -> None:
    event = submitted()
    request_id = event.request_id
    app.open_case(event, "e-1", tracking())
    app.dispose(request_id, who("kadis"), "kabid")
    app.dispose(request_id, who("kabid"), "subkoordinator")
    now = datetime.now(UTC)
    app.record_slot_check(slot_checked(request_id, available=True, at=now), "e-2", tracking())
    assert app.inbox(who("subkoordinator"))["items"][0]["pending_step"] == 4
    app.dispose(request_id, who("subkoordinator"), "staf")
    [row] = app.inbox(who("staf"))["items"]
    assert row["pending_step"] == 5
    assert row["due_at"] is not None
    app.record_meeting(meeting_created(request_id, at=now), "e-3", tracking())
    assert app.inbox(who("staf"))["items"][0]["pending_step"] == 6


def test_an_opd_reads_only_its_own_cases(app: DispositionApplication) -> None:
    event = submitted()
    app.open_case(event, "e-1", tracking())
    assert app.get_case(event.request_id, who("opd"))["request"]["opd_code"] == "DINKES"
    with pytest.raises(Forbidden) as refused:
        app.get_case(event.request_id, who("opd", opd_code="DISDIK"))
    assert refused.value.status == 403
    with pytest.raises(Forbidden):
        app.history(event.request_id, who("admin"))


def test_refused_commands_store_nothing(app: DispositionApplication) -> None:
    event = submitted()
    app.open_case(event, "e-1", tracking())
    before = app.recorder.max_notification_id()
    with pytest.raises(Forbidden):
        app.dispose(event.request_id, who("opd"), "kabid")
    with pytest.raises(OutOfOrder):
        app.dispose(event.request_id, who("kabid"), "subkoordinator")
    with pytest.raises(NotFound):
        app.dispose(uuid4(), who("kadis"), "kabid")
    with pytest.raises(NotFound):
        app.record_meeting(meeting_created(uuid4(), at=datetime.now(UTC)), "e-2", tracking())
    assert app.recorder.max_notification_id() == before


def test_a_withdrawn_request_closes_its_case(app: DispositionApplication) -> None:
    event = submitted()
    app.open_case(event, "e-1", tracking())
    app.dispose(event.request_id, who("kadis"), "kabid")
    assert app.withdraw(withdrawn(event.request_id, at=datetime.now(UTC)), "e-2", tracking())
    assert not app.withdraw(withdrawn(event.request_id, at=datetime.now(UTC)), "e-3", tracking())
    assert app.get_case(event.request_id, who("kabid"))["outcome"] == "withdrawn"
    assert app.inbox(who("kabid"))["total"] == 0
    [closed] = [e for e in published(app) if isinstance(e, CaseClosed)]
    assert [s.sop_step for s in closed.steps] == [1, 2]


def test_a_withdrawal_after_the_case_closed_is_refused_and_recorded(
    app: DispositionApplication,
) -> None:
    """The race window: the OPD withdrew at intake before intake learnt that the case was
    closed. The case decides: its outcome stands, no second CaseClosed, the refusal is a fact
    in its history (and published, for whoever rebuilds the case from the stream)."""
    event = submitted()
    request_id = event.request_id
    app.open_case(event, "e-submitted", tracking())
    letter_id = walk_free_branch(app, request_id)
    now = datetime.now(UTC)
    app.record_letter_sent(letter_sent(request_id, letter_id, at=now), "e-sent", tracking())
    app.record_receipt(letter_received(request_id, letter_id, at=now), "e-received", tracking())

    late = withdrawn(request_id, at=now + timedelta(minutes=1))
    position = tracking()
    assert app.withdraw(late, "e-withdrawn", position) is True
    assert app.has_tracking(position)
    assert app.withdraw(late, "e-withdrawn-again", tracking()) is False  # recorded once

    case = app.get_case(request_id, who("auditor"))
    assert (case["state"], case["outcome"]) == ("closed", "meeting_provided")
    history = app.history(request_id, who("auditor"))
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
    app.open_case(event, "e-1", tracking())
    app.dispose(event.request_id, who("kadis"), "kabid", sifat="segera", note="Harap dibantu")
    app.dispose(event.request_id, who("kabid"), "subkoordinator", instruction="Cek jadwal")
    sheet = app.disposition_sheet(event.request_id, who("auditor"))
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
    app.open_case(event, "e-1", tracking())
    app.dispose(request_id, who("kadis"), "kabid")
    app.dispose(request_id, who("kabid"), "subkoordinator")
    now = datetime.now(UTC)
    app.record_slot_check(slot_checked(request_id, available=True, at=now), "e-2", tracking())
    app.dispose(request_id, who("subkoordinator"), "staf")
    assert app.flag_overdue_cases(now + timedelta(minutes=10)) == 0
    assert app.flag_overdue_cases(now + timedelta(minutes=20)) == 1
    assert app.flag_overdue_cases(now + timedelta(minutes=30)) == 0  # reported once
    breaches = [e for e in published(app) if isinstance(e, SlaBreached)]
    assert [(b.sop_step, b.completed_at) for b in breaches] == [(5, None)]
    assert app.get_case(request_id, who("auditor"))["sla_breaches"][0]["sop_step"] == 5
