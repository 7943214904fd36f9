"""The disposition service's integration events: the upstream events it reads (built here for the
other disposition tests too) and the mapping of its stored events to the ones it publishes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from services.disposition.domain import Case
from services.disposition.integration import to_integration
from shared.calendar import WorkingCalendar
from shared.events import (
    Actor,
    CaseClosed,
    Disposed,
    LetterDrafted,
    LetterReceived,
    LetterRef,
    LetterSent,
    MeetingCreated,
    MeetingWish,
    Requester,
    RequestSubmitted,
    RequestWithdrawn,
    SlaBreached,
    Slot,
    SlotChecked,
)

# Tuesday 1 December 2026, 09:00 WITA.
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)

PEOPLE: dict[str, tuple[str, str]] = {
    "opd": ("opd.dinkes", "dr. Sri Wahyuni"),
    "kadis": ("kadis", "Hendrik Arfandi"),
    "kabid": ("kabid", "Budi Santoso"),
    "subkoordinator": ("subko", "Rina Marlina"),
    "staf": ("staf", "Andi Pratama"),
    "auditor": ("auditor", "Inspektorat"),
    "operator": ("operator", "Operator"),
    "admin": ("admin", "Admin"),
}


def person(role: str, *, on_behalf_of: str | None = None, opd_code: str | None = None) -> Actor:
    username, name = PEOPLE[role]
    return Actor(
        username=username,
        name=name,
        role=role,
        on_behalf_of=on_behalf_of,
        opd_code=opd_code or ("DINKES" if role == "opd" else None),
    )


def who(role: str, **kwargs: Any) -> dict[str, Any]:
    return person(role, **kwargs).model_dump(mode="json")


def submitted(
    request_id: UUID | None = None, at: datetime = T0, opd: str = "DINKES"
) -> RequestSubmitted:
    return RequestSubmitted(
        request_id=request_id or uuid4(),
        agenda_number="VC/2026/0042",
        agenda_year=2026,
        agenda_seq=42,
        opd_code=opd,
        opd_name="Dinas Kesehatan" if opd == "DINKES" else f"Dinas {opd}",
        channel="http",
        client_ref=None,
        requester=Requester(
            name="dr. Sri Wahyuni",
            position="Kepala Dinas Kesehatan",
            phone="+62 811 555 0101",
            email="dinkes@tarakankota.go.id",
        ),
        letter=LetterRef(
            number="800/412/DINKES",
            date=date(2026, 11, 27),
            subject="Permohonan Fasilitas Zoom Meeting Rapat Koordinasi Posyandu",
            document_sha256="a" * 64,
        ),
        meeting=MeetingWish(
            topic="Rapat Koordinasi Posyandu",
            start=datetime(2026, 12, 3, 1, 0, tzinfo=UTC),
            end=datetime(2026, 12, 3, 3, 0, tzinfo=UTC),
            participants=150,
        ),
        submitted_by=person("opd", opd_code=opd),
        submitted_at=at,
    )


def slot_checked(request_id: UUID, *, available: bool, at: datetime) -> SlotChecked:
    start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    return SlotChecked(
        request_id=request_id,
        available=available,
        host_account_id="zoom-1" if available else None,
        host_account_name="Zoom DKISP 1" if available else None,
        capacity=300 if available else None,
        start=start,
        end=start + timedelta(hours=2),
        participants=150,
        buffer_minutes=15,
        conflicts=[],
        alternatives=[]
        if available
        else [
            Slot(
                host_account_id="zoom-1",
                start=start + timedelta(days=1),
                end=start + timedelta(days=1, hours=2),
            )
        ],
        checked_at=at,
    )


def meeting_created(
    request_id: UUID, *, at: datetime, meeting_id: str = "812 3456 7890"
) -> MeetingCreated:
    start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    return MeetingCreated(
        request_id=request_id,
        provider="zoom",
        meeting_id=meeting_id,
        passcode="posyandu",
        join_url=f"https://zoom.us/j/{meeting_id.replace(' ', '')}",
        host_account_id="zoom-1",
        host_email="zoom1@tarakankota.go.id",
        topic="Rapat Koordinasi Posyandu",
        start=start,
        end=start + timedelta(hours=2),
        created_via="api",
        created_by=person("staf"),
        created_at=at,
    )


def letter_drafted(
    request_id: UUID, letter_id: UUID, *, at: datetime, kind: str = "meeting_provided"
) -> LetterDrafted:
    return LetterDrafted(
        request_id=request_id,
        letter_id=letter_id,
        kind=kind,
        hal="Tanggapan atas Permohonan Fasilitas Zoom Meeting",
        draft_sha256="b" * 64,
        drafted_by=person("subkoordinator"),
        drafted_at=at,
    )


def letter_sent(
    request_id: UUID, letter_id: UUID, *, at: datetime, kind: str = "meeting_provided"
) -> LetterSent:
    return LetterSent(
        request_id=request_id,
        letter_id=letter_id,
        kind=kind,
        number="000.1.2/0123/DKISP",
        signer=person("kadis" if kind == "meeting_provided" else "subkoordinator"),
        channels=["portal", "email"],
        pdf_sha256="c" * 64,
        verification_url=f"https://sivicon.tarakankota.go.id/verify/{letter_id}",
        sent_at=at,
    )


def letter_received(request_id: UUID, letter_id: UUID, *, at: datetime) -> LetterReceived:
    return LetterReceived(
        request_id=request_id, letter_id=letter_id, received_by=person("opd"), received_at=at
    )


def withdrawn(request_id: UUID, *, at: datetime) -> RequestWithdrawn:
    return RequestWithdrawn(
        request_id=request_id,
        reason="Rapat dibatalkan",
        withdrawn_by=person("opd"),
        withdrawn_at=at,
    )


# --------------------------------------------------------------------------- the mapping


def _opened_case() -> Case:
    event = submitted()
    return Case(
        request_id=event.request_id,
        request=event.model_dump(mode="json"),
        submitted_by=who("opd"),
        submitted_at=event.submitted_at,
        caused_by="evt-1",
    )


def test_a_disposition_is_published_as_disposed_with_the_actor_and_step() -> None:
    case = _opened_case()
    case.dispose(
        actor=who("kabid", on_behalf_of="kadis"),
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
    case.withdraw(
        reason="batal", actor=who("opd"), withdrawn_at=T0 + timedelta(hours=1), caused_by="e9"
    )
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
            actor=who(role),
            to_role=to_role,
            instruction=None,
            note="",
            sifat=None,
            letter_id=None,
            calendar=calendar,
            at=T0 + timedelta(minutes=minutes),
        )
    check = slot_checked(case.id, available=True, at=T0 + timedelta(minutes=3))
    case.record_slot_check(
        check=check.model_dump(mode="json"), checked_at=check.checked_at, caused_by=None
    )
    case.dispose(
        actor=who("subkoordinator"),
        to_role="staf",
        instruction=None,
        note="",
        sifat=None,
        letter_id=None,
        calendar=calendar,
        at=T0 + timedelta(minutes=10),
    )
    meeting = meeting_created(case.id, at=T0 + timedelta(minutes=40))
    case.record_meeting(
        meeting=meeting.model_dump(mode="json"),
        actor=who("staf"),
        created_at=meeting.created_at,
        caused_by="evt-meeting",
    )
    *_, breach = case.collect_events()
    [published] = to_integration(breach)
    assert isinstance(published, SlaBreached)
    assert isinstance(breach, Case.SlaBreachRecorded)
    assert published.sop_step == 5
    assert published.started_at == T0 + timedelta(minutes=10)
    assert published.deadline == T0 + timedelta(minutes=25)
    assert published.completed_at == T0 + timedelta(minutes=40)
    assert breach.caused_by == "evt-meeting"
