"""The Case aggregate: the SOP's ten steps as a state machine, its guards and its time limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.disposition.domain import (
    Case,
    Closure,
    Draft,
    Meeting,
    Record,
    RequestDetails,
    SentLetter,
    SlotCheck,
)
from shared.calendar import WorkingCalendar
from shared.errors import Forbidden, InvalidInput, OutOfOrder
from tests.builders import (
    T0,
    letter_drafted,
    letter_sent,
    meeting_created,
    person,
    slot_checked,
    submitted,
)

CALENDAR = WorkingCalendar()


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def open_case(at: datetime = T0) -> Case:
    event = submitted(at=at)
    request = RequestDetails.from_stored(event.model_dump())
    return Case.open(event.request_id, request, person("opd"), "evt-submitted")


def dispose(case: Case, role: str, to_role: str, at: datetime, **kwargs: Any) -> Record:
    actor = kwargs.pop("actor", None) or person(role)
    args: dict[str, Any] = {"instruction": None, "note": "", "sifat": None, "letter_id": None}
    args.update(kwargs)
    return case.dispose(actor=actor, to_role=to_role, calendar=CALENDAR, at=at, **args)


def check_slot(case: Case, available: bool, at: datetime) -> bool:
    event = slot_checked(case.id, available=available, at=at)
    return case.record_slot_check(SlotCheck.from_stored(event.model_dump()), "evt-slot")


def create_meeting(case: Case, at: datetime, meeting_id: str = "812 3456 7890") -> bool:
    event = meeting_created(case.id, at=at, meeting_id=meeting_id)
    return case.record_meeting(
        Meeting.from_stored(event.model_dump()), person("staf"), "evt-meeting"
    )


def draft(
    case: Case,
    letter_id: UUID,
    at: datetime,
    kind: str = "meeting_provided",
    sha256: str = "b" * 64,
) -> bool:
    event = letter_drafted(case.id, letter_id, at=at, kind=kind, sha256=sha256)
    draft = Draft(letter_id, kind, event.hal, event.draft_sha256, at)
    return case.record_draft(draft, person("subkoordinator"), "evt-draft")


def send(case: Case, letter_id: UUID, at: datetime, kind: str = "meeting_provided") -> bool:
    event = letter_sent(case.id, letter_id, at=at, kind=kind)
    letter = SentLetter(
        letter_id, kind, event.number, event.channels, event.pdf_sha256, event.verification_url, at
    )
    return case.record_letter_sent(letter, event.signer, "evt-sent")


def receive(case: Case, letter_id: UUID, at: datetime) -> bool:
    return case.record_receipt(letter_id, person("opd"), at, "evt-received")


def to_step(case: Case, last: int, letter_id: UUID | None = None) -> None:
    """Walk the free branch through step ``last``, a few minutes apart."""
    letter_id = letter_id or uuid4()
    moves: list[Callable[[], object]] = [
        lambda: dispose(case, "kadis", "kabid", minutes(5)),
        lambda: dispose(case, "kabid", "subkoordinator", minutes(10)),
        lambda: (
            check_slot(case, True, minutes(11)),
            dispose(case, "subkoordinator", "staf", minutes(20)),
        ),
        lambda: create_meeting(case, minutes(30)),
        lambda: dispose(case, "staf", "subkoordinator", minutes(35)),
        lambda: (
            draft(case, letter_id, minutes(40)),
            dispose(case, "subkoordinator", "kabid", minutes(45)),
        ),
        lambda: dispose(case, "kabid", "kadis", minutes(120)),
        lambda: send(case, letter_id, minutes(180)),
        lambda: receive(case, letter_id, minutes(240)),
    ]
    for move in moves[: last - 1]:
        move()


def snapshot(case: Case) -> tuple[int, int, str | None]:
    return case.version, len(case.records), case.current_role


# --------------------------------------------------------------------------- both branches

TURNS = {
    1: "kadis",
    2: "kabid",
    3: "subkoordinator",
    4: "staf",
    5: "staf",
    6: "subkoordinator",
    7: "kabid",
    8: "kadis",
    9: "opd",
    10: None,
}


@pytest.mark.parametrize("last", range(1, 11))
def test_whose_turn_follows_the_procedure(last: int) -> None:
    case = open_case()
    to_step(case, last)
    assert case.current_role == TURNS[last]
    assert case.done_steps == set(range(1, last + 1))


def test_free_branch_records_all_ten_steps_and_closes_with_meeting_provided() -> None:
    case = open_case()
    letter_id = uuid4()
    to_step(case, 10, letter_id)
    assert case.closed == Closure("meeting_provided", minutes(240))
    assert case.done_steps == set(range(1, 11))
    assert case.pending_step is None
    steps = [r.sop_step for r in case.records if r.kind != "slot_check"]
    assert steps == [1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10]
    instructions = [r.instruction for r in case.records if r.kind == "disposition"]
    assert instructions[0] == "Proses lebih lanjut"
    assert instructions[1] == "Koordinasikan/konfirmasikan"
    assert instructions[4] == "Tanggapan dan saran"
    closed = case.collect_events()[-1]
    assert isinstance(closed, Case.Closed)
    assert [s["sop_step"] for s in closed.steps] == list(range(1, 11))
    assert closed.steps[4]["actor"]["username"] == "staf"
    assert closed.meeting_minutes_taken == 10.0
    assert closed.sla_breaches == []
    step7 = [r for r in case.records if r.kind == "disposition" and r.sop_step == 7]
    assert step7[0].refs == {"letter_id": str(letter_id)}


def test_full_branch_informs_the_opd_and_closes_with_schedule_full() -> None:
    case = open_case()
    to_step(case, 3)
    check_slot(case, False, minutes(11))
    with pytest.raises(OutOfOrder):
        dispose(case, "subkoordinator", "staf", minutes(12))
    dispose(case, "subkoordinator", "opd", minutes(15), note="Jadwal penuh pada tanggal itu")
    assert case.current_role == "subkoordinator"  # the schedule-full reply is still to be sent
    letter_id = uuid4()
    draft(case, letter_id, minutes(20), kind="schedule_full")
    send(case, letter_id, minutes(25), kind="schedule_full")
    assert case.current_role == "opd"
    receive(case, letter_id, minutes(60))
    assert case.closed == Closure("schedule_full", minutes(60))
    closed = case.collect_events()[-1]
    assert isinstance(closed, Case.Closed)
    assert [s["sop_step"] for s in closed.steps] == [1, 2, 3, 4, 4, 10]
    assert closed.steps[4]["actor"]["username"] == "subko"  # the Sub-coordinator informed the OPD
    assert closed.meeting_minutes_taken is None


# --------------------------------------------------------------------------- guards


@pytest.mark.parametrize("role", ["opd", "auditor", "operator", "admin"])
def test_a_role_that_never_disposes_is_forbidden_and_nothing_changes(role: str) -> None:
    case = open_case()
    before = snapshot(case)
    with pytest.raises(Forbidden) as refused:
        dispose(case, role, "kabid", minutes(1))
    assert refused.value.code == "wrong_role"
    assert refused.value.pesan != refused.value.message
    assert snapshot(case) == before


@pytest.mark.parametrize(
    ("last", "role", "to_role"),
    [
        (1, "kabid", "subkoordinator"),  # Kabid before Kadis
        (1, "kadis", "subkoordinator"),  # Kadis skipping Kabid
        (2, "kadis", "kabid"),  # step 2 again
        (3, "staf", "subkoordinator"),  # staff before the disposition to staff
        (4, "staf", "subkoordinator"),  # report before the meeting exists
        (6, "subkoordinator", "kadis"),  # the draft must go to Kabid
        (7, "kadis", "kabid"),  # Kadis does not dispose at step 8
    ],
)
def test_a_step_out_of_order_is_refused_and_nothing_changes(
    last: int, role: str, to_role: str
) -> None:
    case = open_case()
    to_step(case, last)
    before = snapshot(case)
    with pytest.raises(OutOfOrder) as refused:
        dispose(case, role, to_role, minutes(300))
    assert refused.value.status == 409
    assert snapshot(case) == before


def test_step_4_waits_for_the_schedule_check_and_follows_its_result() -> None:
    case = open_case()
    to_step(case, 3)
    with pytest.raises(OutOfOrder, match="not been checked"):
        dispose(case, "subkoordinator", "staf", minutes(12))
    check_slot(case, True, minutes(13))
    with pytest.raises(OutOfOrder, match="available"):
        dispose(case, "subkoordinator", "opd", minutes(14))
    assert dispose(case, "subkoordinator", "staf", minutes(15)).sop_step == 4


def test_step_7_needs_a_drafted_letter_of_this_case() -> None:
    case = open_case()
    to_step(case, 6)
    with pytest.raises(OutOfOrder, match="draft"):
        dispose(case, "subkoordinator", "kabid", minutes(50))
    draft(case, uuid4(), minutes(51))
    with pytest.raises(InvalidInput):
        dispose(case, "subkoordinator", "kabid", minutes(52), letter_id=uuid4())


def test_a_closed_case_takes_no_more_dispositions() -> None:
    case = open_case()
    to_step(case, 2)
    case.withdraw("batal", person("opd"), minutes(30), None)
    with pytest.raises(OutOfOrder, match="closed"):
        dispose(case, "kabid", "subkoordinator", minutes(31))


def test_a_case_cannot_be_closed_with_a_step_missing() -> None:
    case = open_case()
    to_step(case, 8)
    before = snapshot(case)
    with pytest.raises(OutOfOrder, match=r"\[9, 10\]"):
        case.close(outcome="meeting_provided", at=minutes(300), caused_by=None)
    full = open_case()
    to_step(full, 3)
    check_slot(full, False, minutes(11))
    dispose(full, "subkoordinator", "opd", minutes(12))
    with pytest.raises(OutOfOrder, match=r"\[10\]"):
        full.close(outcome="schedule_full", at=minutes(300), caused_by=None)
    assert snapshot(case) == before


# --------------------------------------------------------------------------- records


def test_an_acting_official_is_recorded_with_whose_role_they_held() -> None:
    case = open_case()
    plt = person("kabid", on_behalf_of="kadis")
    record = dispose(
        case, "kabid", "kabid", minutes(5), actor=plt, sifat="segera", note="Mohon segera"
    )
    assert record.actor.model_dump() == {
        "username": "kabid",
        "name": "Budi Santoso",
        "role": "kabid",
        "on_behalf_of": "kadis",
        "opd_code": None,
    }
    assert (record.sop_step, record.sifat, record.note) == (2, "segera", "Mohon segera")
    # The sifat carries down the chain unless changed.
    assert dispose(case, "kabid", "subkoordinator", minutes(6)).sifat == "segera"


def test_instruction_and_note_are_checked() -> None:
    case = open_case()
    with pytest.raises(InvalidInput):
        dispose(case, "kadis", "kabid", minutes(1), sifat="kilat")
    with pytest.raises(InvalidInput):
        dispose(case, "kadis", "kabid", minutes(1), note="x" * 2001)
    assert len(case.records) == 1


def test_the_same_report_twice_is_recorded_once() -> None:
    case = open_case()
    letter_id = uuid4()
    to_step(case, 3)
    assert check_slot(case, True, minutes(11)) is True
    assert check_slot(case, True, minutes(11)) is False
    dispose(case, "subkoordinator", "staf", minutes(20))
    assert check_slot(case, True, minutes(11)) is False  # even after step 4
    assert create_meeting(case, minutes(30)) is True
    assert create_meeting(case, minutes(30)) is False
    dispose(case, "staf", "subkoordinator", minutes(35))
    assert draft(case, letter_id, minutes(40)) is True
    assert draft(case, letter_id, minutes(40)) is False
    dispose(case, "subkoordinator", "kabid", minutes(45))
    dispose(case, "kabid", "kadis", minutes(50))
    assert send(case, letter_id, minutes(60)) is True
    assert send(case, letter_id, minutes(60)) is False
    assert receive(case, letter_id, minutes(70)) is True
    assert receive(case, letter_id, minutes(70)) is False  # the case is closed; still no error
    assert [r.sop_step for r in case.records] == [1, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9, 10]


def test_reports_that_cannot_apply_are_refused() -> None:
    case = open_case()
    with pytest.raises(OutOfOrder, match="step 3"):
        check_slot(case, True, minutes(1))
    with pytest.raises(OutOfOrder, match="not disposed to staff"):
        create_meeting(case, minutes(2))
    with pytest.raises(OutOfOrder, match="no meeting"):
        draft(case, uuid4(), minutes(3))
    with pytest.raises(OutOfOrder, match="not drafted"):
        send(case, uuid4(), minutes(4))
    with pytest.raises(OutOfOrder, match="not sent"):
        receive(case, uuid4(), minutes(5))
    letter_id = uuid4()
    to_step(case, 6)
    draft(case, letter_id, minutes(40))
    with pytest.raises(OutOfOrder, match="step 8"):
        send(case, letter_id, minutes(41))
    assert case.pending_step == 7


def test_a_withdrawal_closes_the_case_once() -> None:
    case = open_case()
    to_step(case, 4)
    assert case.withdraw("Rapat batal", person("opd"), minutes(25), "e") is True
    assert case.withdraw("Rapat batal", person("opd"), minutes(25), "e") is False
    assert case.closed == Closure("withdrawn", minutes(25))
    assert case.records[-1].kind == "withdrawal"
    assert case.records[-1].note == "Rapat batal"


def test_a_closed_case_refuses_a_withdrawal_and_keeps_its_outcome() -> None:
    case = open_case()
    to_step(case, 10)
    assert case.closed is not None
    closed = case.closed
    case.collect_events()

    def late() -> bool:
        return case.withdraw("Rapat batal", person("opd"), minutes(400), "e")

    assert late() is True
    assert late() is False  # the same withdrawal again: refused once
    assert case.closed == closed
    assert case.closed.outcome == "meeting_provided"
    [refusal] = case.collect_events()
    assert isinstance(refusal, Case.WithdrawalRefused)
    assert refusal.outcome == "meeting_provided"
    record = case.records[-1]
    assert (record.kind, record.sop_step, record.note) == (
        "withdrawal_refused",
        None,
        "Rapat batal",
    )
    assert record.actor == person("opd")
    assert case.done_steps == set(range(1, 11))


# --------------------------------------------------------------------------- service levels


def breaches(case: Case) -> list[Case.SlaBreachRecorded]:
    return [e for e in case.collect_events() if isinstance(e, Case.SlaBreachRecorded)]


@pytest.mark.parametrize(("taken", "late"), [(15, False), (15.5, True), (40, True)])
def test_the_meeting_is_due_15_minutes_after_the_disposition_to_staff(
    taken: float, late: bool
) -> None:
    case = open_case()
    to_step(case, 4)  # disposed to staff at minute 20
    create_meeting(case, minutes(20 + taken))
    found = breaches(case)
    assert bool(found) is late
    meeting_record = case.step_record(5)
    assert meeting_record is not None
    assert meeting_record.sla is not None
    assert meeting_record.sla.breached is late
    assert meeting_record.sla.minutes_taken == taken
    if late:
        assert (found[0].sop_step, found[0].deadline) == (5, minutes(35))
        assert found[0].limit == "15 menit"
        assert case.sla_breaches[0].sop_step == 5


def wita(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour - 8, minute, tzinfo=UTC)


def case_at_step_7(at: datetime) -> Case:
    case = open_case(at - timedelta(hours=2))
    letter_id = uuid4()
    dispose(case, "kadis", "kabid", at - timedelta(minutes=100))
    dispose(case, "kabid", "subkoordinator", at - timedelta(minutes=90))
    check_slot(case, True, at - timedelta(minutes=89))
    dispose(case, "subkoordinator", "staf", at - timedelta(minutes=80))
    create_meeting(case, at - timedelta(minutes=70))
    dispose(case, "staf", "subkoordinator", at - timedelta(minutes=60))
    draft(case, letter_id, at - timedelta(minutes=50))
    dispose(case, "subkoordinator", "kabid", at)
    case.collect_events()
    return case


@pytest.mark.parametrize(
    ("step7", "step8", "late"),
    [
        (wita(1, 12, 10), wita(2, 12, 10), False),  # Tuesday to Wednesday, on time
        (wita(1, 12, 10), wita(2, 12, 10, 1), True),
        (wita(4, 12, 10), wita(7, 12, 9), False),  # Friday to Monday: the weekend is not counted
        (wita(4, 12, 10), wita(7, 12, 10, 30), True),
        (wita(14, 8, 10), wita(18, 8, 9), False),  # Friday, then Monday 17 August (holiday)
        (wita(14, 8, 10), wita(18, 8, 11), True),
    ],
)
def test_the_review_is_due_one_working_day_after_step_7(
    step7: datetime, step8: datetime, late: bool
) -> None:
    case = case_at_step_7(step7)
    record = dispose(case, "kabid", "kadis", step8)
    assert record.sla is not None
    assert record.sla.breached is late
    found = breaches(case)
    assert bool(found) is late
    if late:
        assert found[0].sop_step == 8
        assert found[0].limit == "1 hari kerja"
        assert found[0].started_at == step7
        assert found[0].completed_at == step8


def test_an_overdue_meeting_is_flagged_while_still_open_and_only_once() -> None:
    case = open_case()
    to_step(case, 4)  # disposed to staff at minute 20: due at minute 35
    case.collect_events()
    assert not case.flag_overdue(minutes(35), CALENDAR)  # not past the deadline yet
    assert case.flag_overdue(minutes(36), CALENDAR)
    flagged = breaches(case)
    assert [(b.sop_step, b.deadline, b.completed_at) for b in flagged] == [(5, minutes(35), None)]
    assert not case.flag_overdue(minutes(50), CALENDAR)
    create_meeting(case, minutes(60))  # done late: already reported, not reported again
    assert breaches(case) == []
    assert case.step_record(5).sla.breached is True  # type: ignore[union-attr]


def test_an_overdue_review_is_flagged_after_one_working_day() -> None:
    step7 = wita(4, 12, 10)  # a Friday
    case = case_at_step_7(step7)
    assert not case.flag_overdue(wita(7, 12, 9), CALENDAR)  # Monday morning: still in time
    assert case.flag_overdue(wita(7, 12, 11), CALENDAR)
    assert [b.sop_step for b in breaches(case)] == [8]


def test_nothing_is_flagged_for_a_step_without_a_time_limit() -> None:
    case = open_case()
    to_step(case, 2)
    assert not case.flag_overdue(minutes(10_000), CALENDAR)


# --------------------------------------------------------------------------- returned drafts


def give_back(case: Case, role: str, at: datetime, note: str = "Jam rapat salah") -> Record:
    return case.return_draft(actor=person(role), note=note, at=at)


def test_kabid_returns_the_draft_and_steps_7_and_8_are_done_again() -> None:
    case, letter_id = open_case(), uuid4()
    to_step(case, 7, letter_id)  # step 7 done at minute 45: the draft is with Kabid
    record = give_back(case, "kabid", minutes(60), "  Perbaiki jam rapat  ")
    assert (record.kind, record.sop_step, record.to_role, record.note) == (
        "draft_returned",
        8,
        "subkoordinator",
        "Perbaiki jam rapat",
    )
    assert record.refs == {"letter_id": str(letter_id)}
    assert (case.pending_step, case.current_role, case.forwarded_letter_id) == (
        7,
        "subkoordinator",
        None,
    )
    assert case.done_steps == {1, 2, 3, 4, 5, 6}
    with pytest.raises(OutOfOrder):
        dispose(case, "kabid", "kadis", minutes(61))  # nothing to paraf now
    assert draft(case, letter_id, minutes(70), sha256="c" * 64)  # redrafted
    dispose(case, "subkoordinator", "kabid", minutes(75), letter_id=letter_id)
    assert (case.pending_step, case.forwarded_letter_id) == (8, letter_id)
    assert case.step_record(7).at == minutes(75)  # type: ignore[union-attr]
    dispose(case, "kabid", "kadis", minutes(80))
    send(case, letter_id, minutes(90))
    receive(case, letter_id, minutes(100))
    assert case.closed == Closure("meeting_provided", minutes(100))
    kinds = [(r.sop_step, r.kind) for r in case.records if r.sop_step in (7, 8)]
    assert kinds == [
        (7, "letter_drafted"),
        (7, "disposition"),
        (8, "draft_returned"),
        (7, "letter_drafted"),
        (7, "disposition"),
        (8, "disposition"),
    ]


def test_kadis_returns_the_draft_before_signing_and_it_goes_up_the_chain_again() -> None:
    case, letter_id = open_case(), uuid4()
    to_step(case, 8, letter_id)
    give_back(case, "kadis", minutes(130), "Tambahkan tembusan")
    assert case.pending_step == 7
    with pytest.raises(OutOfOrder):
        send(case, letter_id, minutes(131))  # a signature racing the return: the case refuses
    dispose(case, "subkoordinator", "kabid", minutes(140))  # forwarded as it was: allowed
    assert case.pending_step == 8
    give_back(case, "kabid", minutes(150), "Masih kurang tembusan")
    assert case.pending_step == 7
    assert case.last_return is not None
    assert case.last_return.note == "Masih kurang tembusan"


@pytest.mark.parametrize(
    ("role", "step", "error"),
    [
        ("subkoordinator", 7, Forbidden),  # only Kabid and Kadis return drafts
        ("staf", 7, Forbidden),
        ("opd", 7, Forbidden),
        ("kadis", 7, OutOfOrder),  # the draft is with Kabid, not with Kadis
        ("kabid", 8, OutOfOrder),  # Kabid gave the paraf already
        ("kabid", 6, OutOfOrder),  # nothing went up yet
        ("kabid", 3, OutOfOrder),
    ],
)
def test_only_who_holds_the_draft_may_return_it(
    role: str, step: int, error: type[Exception]
) -> None:
    case = open_case()
    to_step(case, step)
    case.collect_events()
    before = snapshot(case)
    with pytest.raises(error):
        give_back(case, role, minutes(500))
    assert snapshot(case) == before


def test_a_return_needs_a_note_and_a_closed_case_takes_none() -> None:
    case = open_case()
    to_step(case, 7)
    case.collect_events()
    for note in ("", "   "):
        with pytest.raises(InvalidInput):
            give_back(case, "kabid", minutes(60), note)
    with pytest.raises(InvalidInput):
        give_back(case, "kabid", minutes(60), "x" * 2001)
    assert case.pending_step == 8
    assert case.collect_events() == []
    case.withdraw("tidak jadi", person("opd"), minutes(70), "evt-withdrawn")
    with pytest.raises(OutOfOrder):
        give_back(case, "kabid", minutes(80))


def test_after_a_return_the_review_limit_counts_from_the_new_step_7() -> None:
    step7 = wita(1, 12, 10)  # Tuesday
    case = case_at_step_7(step7)
    assert case.flag_overdue(wita(2, 12, 11), CALENDAR)  # the first round ran late
    give_back(case, "kabid", wita(2, 12, 12))
    dispose(case, "subkoordinator", "kabid", wita(3, 12, 9))  # Thursday 3 December
    assert case.deadline_of(8, CALENDAR) == wita(4, 12, 9)
    assert not case.breached(8)  # the new round has its own limit
    assert not case.flag_overdue(wita(4, 12, 8), CALENDAR)
    assert case.flag_overdue(wita(4, 12, 10), CALENDAR)
    assert [(b.sop_step, b.started_at) for b in case.sla_breaches] == [
        (8, step7),
        (8, wita(3, 12, 9)),
    ]


# --------------------------------------------------------------------------- four eyes


def test_whoever_gave_the_paraf_of_step_8_may_not_sign_at_step_9() -> None:
    """A Kabid appointed Plt Kadis reviews as Kabid, then signs as Plt Kadis: refused; the
    reply of another Kadis is recorded."""
    case, letter_id = open_case(), uuid4()
    to_step(case, 8, letter_id)
    acting_head = person("kabid", on_behalf_of="kadis")  # the same username as the reviewer
    event = letter_sent(case.id, letter_id, at=minutes(180))
    letter = SentLetter(
        letter_id, event.kind, event.number, event.channels, event.pdf_sha256,
        event.verification_url, minutes(180),
    )  # fmt: skip
    before = snapshot(case)
    with pytest.raises(Forbidden) as refused:
        case.record_letter_sent(letter, acting_head, "evt-forged-sent")
    assert refused.value.code == "reviewer_may_not_sign"
    assert "langkah 8" in refused.value.pesan
    assert snapshot(case) == before
    assert case.record_letter_sent(letter, person("kadis"), "evt-sent")
    assert 9 in case.done_steps
