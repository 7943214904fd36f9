"""What a reply letter is made of, as typed values: the copies of the facts it cites (the request,
the slot check, the meeting), the draft's content, the sending and the receipt.

Stored events keep these as JSON-shaped primitives (their fields never change, so that existing
stores replay); the aggregates build these values from them in their mutators
(``from_stored``), and turn a value back into its stored form (``stored``) when they record it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from shared.errors import InvalidInput
from shared.events import Actor, MeetingCreated, RequestSubmitted, SlotChecked

MAX_PARAGRAPHS = 20
MAX_PARAGRAPH_CHARS = 2000


def iso(moment: datetime) -> str:
    """A time as the events carry it (UTC as ``Z``, like the integration events' JSON)."""
    return moment.isoformat().replace("+00:00", "Z")


def actor_of(stored: Mapping[str, Any]) -> Actor:
    return Actor.model_validate(dict(stored))


def stored_actor(actor: Actor) -> dict[str, Any]:
    return actor.model_dump(mode="json")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> Period:
        return cls(datetime.fromisoformat(stored["start"]), datetime.fromisoformat(stored["end"]))

    def stored(self) -> dict[str, Any]:
        return {"start": iso(self.start), "end": iso(self.end)}


def _periods(stored: Sequence[Mapping[str, Any]]) -> tuple[Period, ...]:
    return tuple(Period.from_stored(p) for p in stored)


@dataclass(frozen=True)
class RequestCopy:
    """The request as the letter cites it (from ``RequestSubmitted``)."""

    opd_code: str
    opd_name: str
    agenda_number: str
    requester_name: str
    requester_position: str
    letter_number: str
    letter_date: date
    letter_subject: str
    topic: str
    start: datetime
    end: datetime
    participants: int

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> RequestCopy:
        return cls(
            opd_code=stored["opd_code"],
            opd_name=stored["opd_name"],
            agenda_number=stored["agenda_number"],
            requester_name=stored["requester_name"],
            requester_position=stored["requester_position"],
            letter_number=stored["letter_number"],
            letter_date=date.fromisoformat(stored["letter_date"]),
            letter_subject=stored["letter_subject"],
            topic=stored["topic"],
            start=datetime.fromisoformat(stored["start"]),
            end=datetime.fromisoformat(stored["end"]),
            participants=int(stored["participants"]),
        )

    @classmethod
    def of(cls, event: RequestSubmitted) -> RequestCopy:
        return cls(
            opd_code=event.opd_code,
            opd_name=event.opd_name,
            agenda_number=event.agenda_number,
            requester_name=event.requester.name,
            requester_position=event.requester.position,
            letter_number=event.letter.number,
            letter_date=event.letter.date,
            letter_subject=event.letter.subject,
            topic=event.meeting.topic,
            start=event.meeting.start,
            end=event.meeting.end,
            participants=event.meeting.participants,
        )

    def stored(self) -> dict[str, Any]:
        return {
            "opd_code": self.opd_code,
            "opd_name": self.opd_name,
            "agenda_number": self.agenda_number,
            "requester_name": self.requester_name,
            "requester_position": self.requester_position,
            "letter_number": self.letter_number,
            "letter_date": self.letter_date.isoformat(),
            "letter_subject": self.letter_subject,
            "topic": self.topic,
            "start": iso(self.start),
            "end": iso(self.end),
            "participants": self.participants,
        }


@dataclass(frozen=True)
class SlotCopy:
    """The scheduler's answer for the time asked (from ``SlotChecked``)."""

    available: bool
    start: datetime
    end: datetime
    conflicts: tuple[Period, ...]
    alternatives: tuple[Period, ...]
    checked_at: datetime

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> SlotCopy:
        return cls(
            available=bool(stored["available"]),
            start=datetime.fromisoformat(stored["start"]),
            end=datetime.fromisoformat(stored["end"]),
            conflicts=_periods(stored["conflicts"]),
            alternatives=_periods(stored["alternatives"]),
            checked_at=datetime.fromisoformat(stored["checked_at"]),
        )

    @classmethod
    def of(cls, event: SlotChecked) -> SlotCopy:
        return cls(
            available=event.available,
            start=event.start,
            end=event.end,
            conflicts=tuple(Period(c.start, c.end) for c in event.conflicts),
            alternatives=tuple(Period(a.start, a.end) for a in event.alternatives),
            checked_at=event.checked_at,
        )

    def stored(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "start": iso(self.start),
            "end": iso(self.end),
            "conflicts": [c.stored() for c in self.conflicts],
            "alternatives": [a.stored() for a in self.alternatives],
            "checked_at": iso(self.checked_at),
        }


@dataclass(frozen=True)
class MeetingCopy:
    """The Zoom meeting the letter gives (from ``MeetingCreated``)."""

    meeting_id: str
    passcode: str
    join_url: str
    host_email: str
    topic: str
    start: datetime
    end: datetime

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> MeetingCopy:
        return cls(
            meeting_id=stored["meeting_id"],
            passcode=stored["passcode"],
            join_url=stored["join_url"],
            host_email=stored["host_email"],
            topic=stored["topic"],
            start=datetime.fromisoformat(stored["start"]),
            end=datetime.fromisoformat(stored["end"]),
        )

    @classmethod
    def of(cls, event: MeetingCreated) -> MeetingCopy:
        return cls(
            meeting_id=event.meeting_id,
            passcode=event.passcode,
            join_url=event.join_url,
            host_email=event.host_email,
            topic=event.topic,
            start=event.start,
            end=event.end,
        )

    def stored(self) -> dict[str, Any]:
        return {
            "meeting_id": self.meeting_id,
            "passcode": self.passcode,
            "join_url": self.join_url,
            "host_email": self.host_email,
            "topic": self.topic,
            "start": iso(self.start),
            "end": iso(self.end),
        }


@dataclass(frozen=True)
class CaseClosure:
    outcome: str
    closed_at: datetime


@dataclass(frozen=True)
class Draft:
    """The content of a draft, as printed: a snapshot of the facts when it was drafted, with
    the meeting (meeting reply) or the alternatives offered (schedule-full reply), and the
    body's paragraphs as drafted (plain text, the Sub-coordinator's edit or the generated
    wording). ``body`` is None for a draft recorded before the body was kept: it is printed with
    the generated wording, as it was then."""

    kind: str
    hal: str
    sifat: str
    drafted_at: datetime
    request: RequestCopy
    meeting: MeetingCopy | None = None
    alternatives: tuple[Period, ...] | None = None
    body: tuple[str, ...] | None = None

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> Draft:
        meeting, alternatives = stored.get("meeting"), stored.get("alternatives")
        return cls(
            kind=stored["kind"],
            hal=stored["hal"],
            sifat=stored.get("sifat", "Biasa"),
            drafted_at=datetime.fromisoformat(stored["drafted_at"]),
            request=RequestCopy.from_stored(stored["request"]),
            meeting=None if meeting is None else MeetingCopy.from_stored(meeting),
            alternatives=None if alternatives is None else _periods(alternatives),
        )

    def stored(self) -> dict[str, Any]:
        content: dict[str, Any] = {
            "kind": self.kind,
            "hal": self.hal,
            "sifat": self.sifat,
            "drafted_at": self.drafted_at.isoformat(),
            "request": self.request.stored(),
        }
        if self.meeting is not None:
            content["meeting"] = self.meeting.stored()
        if self.alternatives is not None:
            content["alternatives"] = [a.stored() for a in self.alternatives]
        return content


def _paragraph(text: str) -> str:
    """One paragraph as printed: its lines joined by single spaces, outer blanks removed."""
    return " ".join(text.split())


def letter_body(paragraphs: Sequence[str]) -> tuple[str, ...]:
    """The body's paragraphs as the Sub-coordinator wrote them, checked: plain text (no
    control characters), not empty, at most ``MAX_PARAGRAPHS`` paragraphs of at most
    ``MAX_PARAGRAPH_CHARS`` characters each. Blank paragraphs are dropped."""
    body = tuple(p for p in (_paragraph(text) for text in paragraphs) if p)
    if not body:
        raise _invalid_body("the letter's body is empty", "isi surat tidak boleh kosong")
    if len(body) > MAX_PARAGRAPHS:
        raise _invalid_body(
            f"the letter's body has {len(body)} paragraphs; at most {MAX_PARAGRAPHS}",
            f"isi surat terdiri atas {len(body)} paragraf; paling banyak {MAX_PARAGRAPHS} paragraf",
        )
    for number, paragraph in enumerate(body, start=1):
        if len(paragraph) > MAX_PARAGRAPH_CHARS:
            raise _invalid_body(
                f"paragraph {number} has {len(paragraph)} characters; at most "
                f"{MAX_PARAGRAPH_CHARS}",
                f"paragraf ke-{number} terdiri atas {len(paragraph)} karakter; paling banyak "
                f"{MAX_PARAGRAPH_CHARS} karakter",
            )
        if any(unicodedata.category(char) == "Cc" for char in paragraph):
            raise _invalid_body(
                f"paragraph {number} holds a character that cannot be printed",
                f"paragraf ke-{number} memuat karakter yang tidak dapat dicetak",
            )
    return body


def _invalid_body(message: str, pesan: str) -> InvalidInput:
    return InvalidInput(
        message, pesan, code="invalid_body", details=[{"field": "body", "message": pesan}]
    )


@dataclass(frozen=True)
class SentLetter:
    """The letter as signed and sent: its number in the register, signer, PDF and link."""

    number: str
    serial: int
    signer: Actor
    channels: tuple[str, ...]
    pdf_sha256: str
    verification_url: str
    sent_at: datetime


@dataclass(frozen=True)
class Receipt:
    """The addressed agency's acknowledgement (SOP step 10)."""

    received_by: Actor
    received_at: datetime


def letter_uuid(stored: str | None) -> UUID | None:
    return None if stored is None else UUID(stored)
