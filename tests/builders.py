"""Builders for the integration events and request bodies the tests feed the services: one
definition each, with the facts of one case (Dinas Kesehatan asks for a Zoom meeting for its
Posyandu coordination, 3 December 2026, 09.00 to 11.00 WITA). Every builder takes the few
values a test varies as keyword arguments and fixes the rest."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from shared.events import (
    Actor,
    CaseClosed,
    Conflict,
    Disposed,
    DraftReturned,
    LetterDrafted,
    LetterReceived,
    LetterRef,
    LetterSent,
    MeetingCreated,
    MeetingWish,
    Requester,
    RequestSubmitted,
    RequestWithdrawn,
    Slot,
    SlotChecked,
)
from tests.pdfs import make_pdf

# Tuesday 1 December 2026, 09:00 WITA: the request arrives.
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
# Thursday 3 December 2026, 09:00 to 11:00 WITA: the meeting asked for.
START = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
END = START + timedelta(hours=2)

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

# Who disposes at each SOP step (step 2: the Kadis to the Kabid, ... step 8: the Kabid back).
DISPOSED_BY = {3: "kabid", 4: "subkoordinator", 6: "staf", 7: "subkoordinator", 8: "kabid"}


def person(role: str, *, on_behalf_of: str | None = None, opd_code: str | None = None) -> Actor:
    username, name = PEOPLE[role]
    if role == "opd":
        opd_code = opd_code or "DINKES"
        username = f"opd.{opd_code.lower()}"
    return Actor(
        username=username,
        name=name,
        role=role,  # type: ignore[arg-type]
        on_behalf_of=on_behalf_of,
        opd_code=opd_code,
    )


def who(role: str, **kwargs: Any) -> dict[str, Any]:
    return person(role, **kwargs).model_dump(mode="json")


# --------------------------------------------------------------------------- intake


def request_form(**fields: str) -> dict[str, str]:
    """The fields of the OPD's request form (``POST /api/v1/requests``, with the letter PDF)."""
    return {
        "requester_name": "dr. Sri Wahyuni",
        "requester_position": "Kepala Dinas Kesehatan",
        "requester_phone": "+62 811 555 0101",
        "requester_email": "dinkes@tarakankota.go.id",
        "letter_number": "800/412/DINKES",
        "letter_date": "2026-11-27",
        "letter_subject": "Permohonan Fasilitas Zoom Meeting",
        "topic": "Rapat Posyandu",
        "start": "2031-12-03T09:00",
        "end": "2031-12-03T11:00",
        "participants": "150",
        **fields,
    }


def submission(client_ref: str, **meeting: object) -> dict[str, object]:
    """A machine client's submission body (`Submission`), for a meeting three days ahead."""
    start = datetime.now(UTC) + timedelta(days=3)
    return {
        "client_ref": client_ref,
        "requester": {
            "name": "dr. Sri Wahyuni",
            "position": "Kepala Dinas Kesehatan",
            "phone": "+62 811 555 0101",
            "email": "dinkes@tarakankota.go.id",
        },
        "letter": {
            "number": "800/412/DINKES",
            "date": "2026-11-27",
            "subject": "Permohonan Fasilitas Zoom Meeting",
            "pdf_base64": base64.b64encode(make_pdf()).decode(),
        },
        "meeting": {
            "topic": "Rapat Koordinasi Posyandu",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
            "participants": 150,
            "notes": "",
            **meeting,
        },
    }


def submitted(
    request_id: UUID | None = None,
    *,
    at: datetime = T0,
    opd_code: str = "DINKES",
    start: datetime = START,
    end: datetime = END,
    participants: int = 150,
    seq: int = 42,
) -> RequestSubmitted:
    return RequestSubmitted(
        request_id=request_id or uuid4(),
        agenda_number=f"VC/{at.year}/{seq:04d}",
        agenda_year=at.year,
        agenda_seq=seq,
        opd_code=opd_code,
        opd_name="Dinas Kesehatan" if opd_code == "DINKES" else f"Dinas {opd_code}",
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
            topic="Rapat Koordinasi Posyandu", start=start, end=end, participants=participants
        ),
        submitted_by=person("opd", opd_code=opd_code),
        submitted_at=at,
    )


def withdrawn(request_id: UUID, *, at: datetime = T0) -> RequestWithdrawn:
    return RequestWithdrawn(
        request_id=request_id,
        reason="Rapat dibatalkan",
        withdrawn_by=person("opd"),
        withdrawn_at=at,
    )


# --------------------------------------------------------------------------- disposition


def disposed(
    request_id: UUID,
    step: int,
    to_role: str,
    letter_id: UUID | str | None = None,
    *,
    by: str | None = None,
    at: datetime = T0,
) -> Disposed:
    """The disposition of SOP step ``step``, by whoever the SOP has dispose there."""
    return Disposed(
        request_id=request_id,
        sop_step=step,
        by=person(by or DISPOSED_BY.get(step, "kadis")),
        to_role=to_role,  # type: ignore[arg-type]
        instruction="Proses lebih lanjut",
        letter_id=UUID(str(letter_id)) if letter_id else None,
        disposed_at=at,
    )


def draft_returned(
    request_id: UUID,
    letter_id: UUID | str | None,
    *,
    step: int = 8,
    note: str = "Perbaiki jam rapat",
    at: datetime = T0,
) -> DraftReturned:
    """Kabid (step 8) or Kadis (step 9) sends the draft back to the Sub-coordinator."""
    return DraftReturned(
        request_id=request_id,
        sop_step=step,
        by=person("kabid" if step == 8 else "kadis"),
        to_role="subkoordinator",
        letter_id=UUID(str(letter_id)) if letter_id else None,
        note=note,
        returned_at=at,
    )


def case_closed(
    request_id: UUID, outcome: str = "withdrawn", *, at: datetime = T0 + timedelta(hours=5)
) -> CaseClosed:
    return CaseClosed(
        request_id=request_id,
        outcome=outcome,  # type: ignore[arg-type]
        steps=[],
        meeting_minutes_taken=None,
        sla_breaches=[],
        closed_at=at,
    )


# --------------------------------------------------------------------------- scheduler


def slot_checked(request_id: UUID, *, available: bool, at: datetime = T0) -> SlotChecked:
    """Zoom 1 held for the meeting, or the schedule full with one alternative four hours later."""
    return SlotChecked(
        request_id=request_id,
        available=available,
        host_account_id="zoom-1" if available else None,
        host_account_name="Zoom DKISP 1" if available else None,
        capacity=300 if available else None,
        start=START,
        end=END,
        participants=150,
        buffer_minutes=15,
        conflicts=[]
        if available
        else [Conflict(request_id=uuid4(), host_account_id="zoom-1", start=START, end=END)],
        alternatives=[]
        if available
        else [
            Slot(
                host_account_id="zoom-1",
                start=START + timedelta(hours=4),
                end=END + timedelta(hours=4),
            )
        ],
        checked_at=at,
    )


def meeting_created(
    request_id: UUID, meeting_id: str = "812 3456 7890", *, at: datetime = T0
) -> MeetingCreated:
    return MeetingCreated(
        request_id=request_id,
        provider="zoom",
        meeting_id=meeting_id,
        passcode="posyandu",
        join_url=f"https://zoom.us/j/{meeting_id.replace(' ', '')}",
        host_account_id="zoom-1",
        host_email="zoom1@tarakankota.go.id",
        topic="Rapat Koordinasi Posyandu",
        start=START,
        end=END,
        created_via="api",
        created_by=person("staf"),
        created_at=at,
    )


# --------------------------------------------------------------------------- letters


def letter_drafted(
    request_id: UUID,
    letter_id: UUID,
    *,
    at: datetime = T0,
    kind: str = "meeting_provided",
    sha256: str = "b" * 64,
) -> LetterDrafted:
    return LetterDrafted(
        request_id=request_id,
        letter_id=letter_id,
        kind=kind,  # type: ignore[arg-type]
        hal="Tanggapan atas Permohonan Fasilitas Zoom Meeting",
        draft_sha256=sha256,
        drafted_by=person("subkoordinator"),
        drafted_at=at,
    )


def letter_sent(
    request_id: UUID, letter_id: UUID, *, at: datetime = T0, kind: str = "meeting_provided"
) -> LetterSent:
    """Signed by the Kadis when a meeting is provided, by the Sub-coordinator otherwise."""
    return LetterSent(
        request_id=request_id,
        letter_id=letter_id,
        kind=kind,  # type: ignore[arg-type]
        number="000.1.2/0123/DKISP",
        signer=person("kadis" if kind == "meeting_provided" else "subkoordinator"),
        channels=["portal", "email"],
        pdf_sha256="c" * 64,
        verification_url=f"https://sivicon.tarakankota.go.id/verify/{letter_id}",
        sent_at=at,
    )


def letter_received(request_id: UUID, letter_id: UUID, *, at: datetime = T0) -> LetterReceived:
    return LetterReceived(
        request_id=request_id, letter_id=letter_id, received_by=person("opd"), received_at=at
    )
