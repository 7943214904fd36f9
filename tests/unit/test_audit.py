"""Rebuilding a case from its events: the auditor's view and its completeness verdict."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from services.audit import StoredMessage, audit, check_signatures, render, requests_with_agenda
from shared import subjects
from shared.envelope import to_body, to_headers
from shared.events import Disposed, IntegrationEvent, WithdrawalRefused
from shared.signing import Keyring
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
from tests.support import published_keyring, signed, signing_key


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


def stored_history(
    events: list[IntegrationEvent], forged: dict[int, str] | None = None
) -> list[StoredMessage]:
    """The events as the stream holds them, signed by their producers; those at the indexes
    of ``forged`` signed as told there instead (``"unsigned"`` or another service's name)."""
    messages = []
    for index, event in enumerate(events, start=1):
        subject, body = subjects.event_subject(event), to_body(event)
        headers = to_headers(event, event_id=f"e-{index}", time=T0)
        how = (forged or {}).get(index)
        key = "unsigned" if how == "unsigned" else signing_key(how) if how else None
        messages.append(StoredMessage(index, subject, signed(subject, headers, body, key), body))
    return messages


def test_an_event_not_signed_by_its_producer_is_named_and_not_counted() -> None:
    history = free_branch()
    # The receipt forged unsigned, and Kadis's step 8 signed with the letters service's key.
    checked = check_signatures(
        stored_history(history, {10: "letters", 12: "unsigned"}), Keyring(published_keyring())
    )
    assert [(f.sequence, f.ce_type) for f in checked.failed] == [
        (10, "sivicon.Disposed.v1"),
        (12, "sivicon.LetterReceived.v1"),
    ]
    assert checked.failed[0].reason == (
        "wrong producer: signed by letters, but ce-source names disposition"
    )
    assert checked.failed[1].reason.startswith("unsigned")
    result = audit(checked.events, checked.failed)
    assert result.missing == [8, 10]
    lines = render(result, ZoneInfo("Asia/Makassar"))
    assert lines[0] == (
        "NOT SIGNED BY ITS PRODUCER, not counted: stream message 10, sivicon.Disposed.v1 ce-id "
        f"e-10 on sivicon.disposition.Disposed.{history[0].request_id}: wrong producer: signed "
        "by letters, but ce-source names disposition"
    )
    assert lines[-1].startswith("2 message(s) of this request fail the signature check")


def test_the_copy_of_an_answer_to_a_machine_client_is_checked_but_not_counted_twice() -> None:
    first = submitted(at=T0)
    [message] = stored_history([first])
    copy_subject = subjects.answer_subject(first.opd_code, first.request_id)
    copy_headers = {**message.headers, "Nats-Msg-Id": "e-1:answer"}
    copy = StoredMessage(
        2,
        copy_subject,
        signed(copy_subject, copy_headers, message.data, signing_key("intake")),
        message.data,
    )
    forged_copy = StoredMessage(3, copy_subject, dict(copy_headers), message.data)
    checked = check_signatures([message, copy, forged_copy], Keyring(published_keyring()))
    assert checked.events == [first]
    assert [(f.sequence, f.reason.split(":")[0]) for f in checked.failed] == [(3, "bad signature")]
