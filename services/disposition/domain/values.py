"""What a case records, as frozen values built from its stored events' fields.

The stored events keep the JSON form they always had (so that existing stores replay); each
value here is read from that form with :meth:`from_stored` and written back with :meth:`stored`,
one pydantic adapter each, so the two never drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Self
from uuid import UUID

from pydantic import TypeAdapter

from services.disposition.sla import SlaFigures
from shared.events import (
    Actor,
    Conflict,
    LetterRef,
    MeetingWish,
    Requester,
    Slot,
)

RecordKind = Literal[
    "request",
    "disposition",
    "slot_check",
    "meeting",
    "letter_drafted",
    "letter_sent",
    "letter_received",
    "withdrawal",
    "draft_returned",
    "withdrawal_refused",
]

# Record kinds that complete a step of the procedure (the others document it).
STEP_KINDS: frozenset[str] = frozenset(
    {"request", "disposition", "meeting", "letter_sent", "letter_received"}
)

Refs = Mapping[str, str | list[str] | None]
"""What a record points to: a letter, a meeting, a document's SHA-256 (as text)."""


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(kind: type) -> TypeAdapter[Any]:
    if kind not in _ADAPTERS:
        _ADAPTERS[kind] = TypeAdapter(kind)
    return _ADAPTERS[kind]


class _Stored:
    """Conversion from and to the JSON form a stored event keeps the value in."""

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> Self:
        value: Self = _adapter(cls).validate_python(dict(stored))
        return value

    def stored(self) -> dict[str, Any]:
        stored: dict[str, Any] = _adapter(type(self)).dump_python(self, mode="json")
        return stored


@dataclass(frozen=True)
class RequestDetails(_Stored):
    """What the case keeps of the request: enough for the Lembar Disposisi and the inboxes."""

    agenda_number: str
    agenda_year: int
    agenda_seq: int
    opd_code: str
    opd_name: str
    channel: str
    client_ref: str | None
    requester: Requester
    letter: LetterRef
    meeting: MeetingWish
    submitted_at: datetime


@dataclass(frozen=True)
class SlotCheck(_Stored):
    """The schedule check of step 4: a host account held, or the schedule full."""

    available: bool
    host_account_id: str | None
    host_account_name: str | None
    capacity: int | None
    start: datetime
    end: datetime
    participants: int
    buffer_minutes: int
    conflicts: list[Conflict]
    alternatives: list[Slot]
    checked_at: datetime


@dataclass(frozen=True)
class Meeting(_Stored):
    """The meeting of step 5, as the scheduler created it."""

    provider: str
    meeting_id: str
    passcode: str
    join_url: str
    host_account_id: str
    host_email: str
    topic: str
    start: datetime
    end: datetime
    created_via: str
    created_at: datetime


@dataclass(frozen=True)
class Draft:
    """A reply letter drafted: ``meeting_provided`` (step 7) or ``schedule_full`` (step 4)."""

    letter_id: UUID
    kind: str
    hal: str
    draft_sha256: str
    drafted_at: datetime


@dataclass(frozen=True)
class SentLetter:
    """The reply signed and sent (step 9, or the end of step 4 when the schedule is full)."""

    letter_id: UUID
    kind: str
    number: str
    channels: list[str]
    pdf_sha256: str
    verification_url: str
    sent_at: datetime


@dataclass(frozen=True)
class Closure:
    outcome: str
    at: datetime


@dataclass(frozen=True)
class Record:
    """One line of the case's history: SOP step, kind, who, when, to whom, what was said."""

    seq: int
    sop_step: int | None
    kind: RecordKind
    actor: Actor
    at: datetime
    to_role: str | None = None
    instruction: str = ""
    note: str = ""
    sifat: str | None = None
    refs: Refs = field(default_factory=dict)
    sla: SlaFigures | None = None

    @property
    def completes_a_step(self) -> bool:
        return self.kind in STEP_KINDS


def actor_of(stored: Mapping[str, Any]) -> Actor:
    return Actor.model_validate(stored)


def stored_actor(actor: Actor) -> dict[str, Any]:
    return actor.model_dump(mode="json")
