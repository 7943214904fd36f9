"""The disposition service's integration events: the mapping of its stored events to the ones
it publishes."""

from __future__ import annotations

from datetime import timedelta

from services.disposition.domain import Case, Meeting, RequestDetails, SlotCheck
from services.disposition.integration import to_integration
from shared.calendar import WorkingCalendar
from shared.events import CaseClosed, Disposed, SlaBreached
from tests.builders import T0, meeting_created, person, slot_checked, submitted


def _opened_case() -> Case:
    event = submitted()
    request = RequestDetails.from_stored(event.model_dump())
    return Case.open(event.request_id, request, person("opd"), "evt-1")


def test_a_disposition_is_published_as_disposed_with_the_actor_and_step() -> None:
    case = _opened_case()
    case.dispose(
        actor=person("kabid", on_behalf_of="kadis"),
        to_role="kabid",
        instruction=None,
        note="segera",
        sifat="segera",
        letter_id=None,
        calendar=WorkingCalendar(),
        at=T0 + timedelta(minutes=5),
    )
    opened, disposed = case.collect_events()
    assert to_integration(opened) == []
    [published] = to_integration(disposed)
    assert isinstance(published, Disposed)
    assert published.request_id == case.id
    assert published.sop_step == 2
    assert published.by == person("kabid", on_behalf_of="kadis")
    assert published.to_role == "kabid"
    assert published.instruction == "Proses lebih lanjut"
    assert published.sifat == "segera"
    assert published.disposed_at == T0 + timedelta(minutes=5)


def test_a_withdrawal_is_published_as_case_closed_with_the_steps_so_far() -> None:
    case = _opened_case()
    case.withdraw("batal", person("opd"), T0 + timedelta(hours=1), "e9")
    *_, closed = case.collect_events()
    [published] = to_integration(closed)
    assert isinstance(published, CaseClosed)
    assert published.outcome == "withdrawn"
    assert [(s.sop_step, s.actor.username) for s in published.steps] == [(1, "opd.dinkes")]
    assert published.closed_at == T0 + timedelta(hours=1)
    assert published.meeting_minutes_taken is None


def test_a_late_meeting_is_published_as_sla_breached() -> None:
    case = _opened_case()
    calendar = WorkingCalendar()
    for role, to_role, minutes in (("kadis", "kabid", 1), ("kabid", "subkoordinator", 2)):
        case.dispose(
            actor=person(role),
            to_role=to_role,
            instruction=None,
            note="",
            sifat=None,
            letter_id=None,
            calendar=calendar,
            at=T0 + timedelta(minutes=minutes),
        )
    check = slot_checked(case.id, available=True, at=T0 + timedelta(minutes=3))
    case.record_slot_check(SlotCheck.from_stored(check.model_dump()), None)
    case.dispose(
        actor=person("subkoordinator"),
        to_role="staf",
        instruction=None,
        note="",
        sifat=None,
        letter_id=None,
        calendar=calendar,
        at=T0 + timedelta(minutes=10),
    )
    meeting = meeting_created(case.id, at=T0 + timedelta(minutes=40))
    case.record_meeting(Meeting.from_stored(meeting.model_dump()), person("staf"), "evt-meeting")
    *_, breach = case.collect_events()
    [published] = to_integration(breach)
    assert isinstance(published, SlaBreached)
    assert isinstance(breach, Case.SlaBreachRecorded)
    assert published.sop_step == 5
    assert published.started_at == T0 + timedelta(minutes=10)
    assert published.deadline == T0 + timedelta(minutes=25)
    assert published.completed_at == T0 + timedelta(minutes=40)
    assert breach.caused_by == "evt-meeting"
