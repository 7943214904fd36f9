"""Rebuilding a case from its events: the auditor's view and its completeness verdict."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from services.audit import audit, render, requests_with_agenda
from shared.events import Disposed, IntegrationEvent, WithdrawalRefused
from tests.builders import (
    T0,
    case_closed,
    disposed,
    draft_returned,
    letter_drafted,
    letter_received,
    letter_sent,
    meeting_created,
    slot_checked,
    submitted,
    withdrawn,
)


def free_branch(skip: int | None = None) -> list[IntegrationEvent]:
    first = submitted(at=T0)
    rid, letter = first.request_id, uuid4()
    events: list[IntegrationEvent] = [
        first,
        disposed(rid, 2, "kabid", at=T0 + timedelta(minutes=5)),
        disposed(rid, 3, "subkoordinator", at=T0 + timedelta(minutes=10)),
        slot_checked(rid, available=True, at=T0 + timedelta(minutes=11)),
        disposed(rid, 4, "staf", at=T0 + timedelta(minutes=15)),
        meeting_created(rid, at=T0 + timedelta(minutes=20)),
        disposed(rid, 6, "subkoordinator", at=T0 + timedelta(minutes=25)),
        letter_drafted(rid, letter, at=T0 + timedelta(minutes=30)),
        disposed(rid, 7, "kabid", at=T0 + timedelta(minutes=35)),
        disposed(rid, 8, "kadis", at=T0 + timedelta(minutes=40)),
        letter_sent(rid, letter, at=T0 + timedelta(minutes=50)),
        letter_received(rid, letter, at=T0 + timedelta(minutes=60)),
        case_closed(rid, "meeting_provided"),
    ]
    return [e for e in events if not (isinstance(e, Disposed) and e.sop_step == skip)]


def test_a_complete_case_is_laid_out_step_by_step() -> None:
    result = audit(free_branch())
    assert result.complete
    assert [e.step for e in result.entries if e.step] == [1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10]
    lines = render(result, ZoneInfo("Asia/Makassar"))
    assert lines[-1] == "case closed (meeting_provided); every step of the procedure is recorded"
    assert "2026-12-01 09:05:00" in lines[2]  # 01:05 UTC is 09:05 WITA


def test_a_missing_step_is_named() -> None:
    result = audit(free_branch(skip=6))
    assert not result.complete
    assert result.missing == [6]
    assert "BUT steps missing: [6]" in render(result, ZoneInfo("Asia/Makassar"))[-1]


def test_a_returned_draft_needs_steps_7_and_8_again() -> None:
    events = free_branch()
    rid, letter = events[0].request_id, events[7].letter_id  # type: ignore[attr-defined]
    at = T0 + timedelta(minutes=45)
    returned = draft_returned(rid, letter, step=9, note="Tambahkan tembusan", at=at)
    redone = [
        letter_drafted(rid, letter, at=at + timedelta(minutes=1), sha256="c" * 64),
        disposed(rid, 7, "kabid", at=at + timedelta(minutes=2)),
        disposed(rid, 8, "kadis", at=at + timedelta(minutes=3)),
    ]
    before_signing = events[:10]
    result = audit([*before_signing, returned, *redone[:2]])
    assert result.missing == [8, 9, 10]  # drafted and forwarded again, no paraf yet
    assert audit([*before_signing, returned, redone[0]]).missing == [7, 8, 9, 10]
    complete = audit([*before_signing, returned, *redone, *events[10:]])
    assert complete.complete
    lines = render(complete, ZoneInfo("Asia/Makassar"))
    [line] = [x for x in lines if "draft reply returned" in x]
    assert "at step 9" in line
    assert line.endswith("Tambahkan tembusan")


def test_the_schedule_full_path_needs_only_its_own_steps() -> None:
    first = submitted(at=T0)
    rid = first.request_id
    events: list[IntegrationEvent] = [
        first,
        disposed(rid, 2, "kabid", at=T0 + timedelta(minutes=5)),
        disposed(rid, 3, "subkoordinator", at=T0 + timedelta(minutes=10)),
        slot_checked(rid, available=False, at=T0 + timedelta(minutes=11)),
        disposed(rid, 4, "opd", at=T0 + timedelta(minutes=15)),
    ]
    still_open = audit(events)
    assert still_open.outcome is None
    assert still_open.missing == [10]


def test_an_answer_repeated_for_a_resend_is_not_a_second_step() -> None:
    events = free_branch()
    first = events[0]
    # Intake answered a machine client's resend: the same RequestSubmitted, read back again.
    events.insert(4, type(first).model_validate_json(first.model_dump_json()))
    result = audit(events)
    assert result.complete
    assert [e.step for e in result.entries if e.step] == [1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10]
    assert sum("registered as agenda" in line for line in render(result, ZoneInfo("UTC"))) == 1


def test_a_withdrawal_the_case_refused_leaves_the_outcome_and_says_so() -> None:
    """In the stream the withdrawal may come before the CaseClosed it lost to; the case's
    answer (``WithdrawalRefused``) says what became of it."""
    events = free_branch()
    rid = events[0].request_id
    asked = withdrawn(rid, at=T0 + timedelta(minutes=61))
    refused = WithdrawalRefused(
        request_id=rid,
        reason=asked.reason,
        withdrawn_by=asked.withdrawn_by,
        withdrawn_at=asked.withdrawn_at,
        outcome="meeting_provided",
        refused_at=T0 + timedelta(minutes=62),
    )
    result = audit([*events[:-1], asked, events[-1], refused])
    assert result.complete
    assert result.outcome == "meeting_provided"
    lines = render(result, ZoneInfo("Asia/Makassar"))
    assert any("withdrawal asked: Rapat dibatalkan" in line for line in lines)
    [refusal] = [line for line in lines if "withdrawal refused" in line]
    assert "already closed (meeting_provided)" in refusal
    assert "dr. Sri Wahyuni" in refusal
    assert lines[-1] == "case closed (meeting_provided); every step of the procedure is recorded"


def test_an_agenda_number_names_its_request_once_however_often_it_was_answered() -> None:
    first = submitted(seq=42)
    resend = type(first).model_validate_json(first.model_dump_json())
    stream = [submitted(seq=41), first, resend, submitted(seq=43)]
    assert requests_with_agenda(stream, "VC/2026/0042") == [first.request_id]
    assert requests_with_agenda(stream, " vc/2026/0042 ") == [first.request_id]
    assert requests_with_agenda(stream, "VC/2026/0044") == []
