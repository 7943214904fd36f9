"""The parts every event is made of: the base class, who did it (``Actor``), times in UTC, and
the values several events share."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from shared.roles import Role
from shared.validation import EMAIL_PATTERN


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDateTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A time with its offset, carried in UTC: events never depend on where they were made."""

Sifat = Literal["biasa", "segera", "sangat_segera", "rahasia"]
Outcome = Literal["meeting_provided", "schedule_full", "withdrawn"]
LetterKind = Literal["meeting_provided", "schedule_full"]


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Actor(FrozenModel):
    """Who did a step: the user, the role they acted in, and whose role they held (Plt/Plh)."""

    username: str
    name: str
    role: Role
    on_behalf_of: Role | None = None
    opd_code: str | None = None


SCHEDULER_ACTOR = Actor(username="scheduler", name="Sistem penjadwalan", role="system")
"""The scheduler as the actor of what it does on its own (a slot check, the cancellation of a
withdrawn case's meeting)."""


class Requester(FrozenModel):
    name: str = Field(min_length=1, max_length=200)
    position: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=4, max_length=40)
    email: str = Field(min_length=3, max_length=200, pattern=EMAIL_PATTERN)


class LetterRef(FrozenModel):
    """The request letter (Surat Permohonan) as registered; the PDF is kept by its SHA-256."""

    number: str
    date: date
    subject: str
    document_sha256: str | None = None


class MeetingWish(FrozenModel):
    topic: str
    start: UtcDateTime
    end: UtcDateTime
    participants: int
    notes: str = ""


class IntegrationEvent(FrozenModel):
    """Base of every event; ``request_id`` is also the case ID and the subject's last token."""

    event_name: ClassVar[str]
    version: ClassVar[int] = 1
    producer: ClassVar[str]

    request_id: UUID

    @classmethod
    def ce_type(cls) -> str:
        return f"sivicon.{cls.event_name}.v{cls.version}"

    def subject_token(self) -> str:
        return str(self.request_id)


class FieldError(FrozenModel):
    field: str
    message: str


class Conflict(FrozenModel):
    request_id: UUID | None
    host_account_id: str
    start: UtcDateTime
    end: UtcDateTime


class Slot(FrozenModel):
    host_account_id: str
    start: UtcDateTime
    end: UtcDateTime


class StepRecord(FrozenModel):
    sop_step: int
    actor: Actor
    at: UtcDateTime
