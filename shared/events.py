"""The integration events: the contract between SIVICON's services and towards other systems.

Each event is a frozen pydantic model with a version. A field is never removed or renamed within a
version: a change that breaks a consumer is a new class (``...V2``) with ``version = 2``, and the
producer publishes both until every consumer has moved. The wire type is
``sivicon.<EventName>.v<version>`` (the CloudEvents ``ce-type``); the body is the model's JSON.

Times are timezone-aware; they travel in UTC.
"""

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


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Actor(_Model):
    """Who did a step: the user, the role they acted in, and whose role they held (Plt/Plh)."""

    username: str
    name: str
    role: Role
    on_behalf_of: Role | None = None
    opd_code: str | None = None


class Requester(_Model):
    name: str = Field(min_length=1, max_length=200)
    position: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=4, max_length=40)
    email: str = Field(min_length=3, max_length=200, pattern=EMAIL_PATTERN)


class LetterRef(_Model):
    """The request letter (Surat Permohonan) as registered; the PDF is kept by its SHA-256."""

    number: str
    date: date
    subject: str
    document_sha256: str | None = None


class MeetingWish(_Model):
    topic: str
    start: UtcDateTime
    end: UtcDateTime
    participants: int
    notes: str = ""


class IntegrationEvent(_Model):
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


class RequestSubmitted(IntegrationEvent):
    """A valid request letter was registered and given an agenda number (SOP step 1)."""

    event_name: ClassVar[str] = "RequestSubmitted"
    producer: ClassVar[str] = "intake"

    agenda_number: str
    agenda_year: int
    agenda_seq: int
    opd_code: str
    opd_name: str
    channel: Literal["http", "nats"]
    client_ref: str | None
    requester: Requester
    letter: LetterRef
    meeting: MeetingWish
    submitted_by: Actor
    submitted_at: UtcDateTime


class FieldError(_Model):
    field: str
    message: str


class RequestRejected(IntegrationEvent):
    """A machine submission was refused. ``request_id`` is a fresh ID: no request exists."""

    event_name: ClassVar[str] = "RequestRejected"
    producer: ClassVar[str] = "intake"

    client_ref: str | None
    opd_code: str
    errors: list[FieldError]
    received_at: UtcDateTime


class RequestWithdrawn(IntegrationEvent):
    """The requesting OPD withdrew its request."""

    event_name: ClassVar[str] = "RequestWithdrawn"
    producer: ClassVar[str] = "intake"

    reason: str
    withdrawn_by: Actor
    withdrawn_at: UtcDateTime


class Disposed(IntegrationEvent):
    """The case moved from one role to another (a disposition, a report, or a draft forwarded).

    ``sop_step`` is the step of the procedure this movement completes: 2 (Kadis to Kabid),
    3 (Kabid to Sub-coordinator), 4 (Sub-coordinator to staff, or to the OPD when the schedule is
    full), 6 (staff reports to the Sub-coordinator), 7 (draft to Kabid), 8 (Kabid to Kadis).
    """

    event_name: ClassVar[str] = "Disposed"
    producer: ClassVar[str] = "disposition"

    sop_step: int = Field(ge=1, le=10)
    by: Actor
    to_role: Role
    instruction: str
    note: str = ""
    sifat: Sifat = "biasa"
    letter_id: UUID | None = None
    disposed_at: UtcDateTime


class Conflict(_Model):
    request_id: UUID | None
    host_account_id: str
    start: UtcDateTime
    end: UtcDateTime


class Slot(_Model):
    host_account_id: str
    start: UtcDateTime
    end: UtcDateTime


class SlotChecked(IntegrationEvent):
    """The schedule was checked: available (a host account is held) or full (with alternatives)."""

    event_name: ClassVar[str] = "SlotChecked"
    producer: ClassVar[str] = "scheduler"

    available: bool
    host_account_id: str | None
    host_account_name: str | None
    capacity: int | None
    start: UtcDateTime
    end: UtcDateTime
    participants: int
    buffer_minutes: int
    conflicts: list[Conflict]
    alternatives: list[Slot]
    checked_at: UtcDateTime


class MeetingCreated(IntegrationEvent):
    """A meeting exists (SOP step 5), created through the provider's API or entered by hand."""

    event_name: ClassVar[str] = "MeetingCreated"
    producer: ClassVar[str] = "scheduler"

    provider: Literal["zoom"]
    meeting_id: str
    passcode: str
    join_url: str
    host_account_id: str
    host_email: str
    topic: str
    start: UtcDateTime
    end: UtcDateTime
    created_via: Literal["api", "manual"]
    created_by: Actor
    created_at: UtcDateTime


class MeetingCancelled(IntegrationEvent):
    """A meeting (or a hold) was cancelled and the host account released."""

    event_name: ClassVar[str] = "MeetingCancelled"
    producer: ClassVar[str] = "scheduler"

    meeting_id: str | None
    host_account_id: str
    reason: str
    cancelled_by: Actor
    cancelled_at: UtcDateTime


class LetterDrafted(IntegrationEvent):
    """A reply letter (Surat Tanggapan) was drafted: meeting provided, or schedule full."""

    event_name: ClassVar[str] = "LetterDrafted"
    producer: ClassVar[str] = "letters"

    letter_id: UUID
    kind: LetterKind
    hal: str
    draft_sha256: str
    drafted_by: Actor
    drafted_at: UtcDateTime


class LetterSent(IntegrationEvent):
    """The reply was signed and sent (SOP step 9, or step 4 when the schedule is full)."""

    event_name: ClassVar[str] = "LetterSent"
    producer: ClassVar[str] = "letters"

    letter_id: UUID
    kind: LetterKind
    number: str
    signer: Actor
    channels: list[str]
    pdf_sha256: str
    verification_url: str
    sent_at: UtcDateTime


class LetterReceived(IntegrationEvent):
    """The requesting OPD acknowledged receipt of the reply (SOP step 10)."""

    event_name: ClassVar[str] = "LetterReceived"
    producer: ClassVar[str] = "letters"

    letter_id: UUID
    received_by: Actor
    received_at: UtcDateTime


class StepRecord(_Model):
    sop_step: int
    actor: Actor
    at: UtcDateTime


class CaseClosed(IntegrationEvent):
    """The case ended, with its outcome and a service-level summary."""

    event_name: ClassVar[str] = "CaseClosed"
    producer: ClassVar[str] = "disposition"

    outcome: Outcome
    steps: list[StepRecord]
    meeting_minutes_taken: float | None
    sla_breaches: list[int]
    closed_at: UtcDateTime


class WithdrawalRefused(IntegrationEvent):
    """A withdrawal (``RequestWithdrawn``) reached the case after it was closed: the case refused
    it and its outcome stands. No second ``CaseClosed`` follows, and nothing is cancelled.

    The case decides whether a withdrawal takes effect; this is its answer when it says no, so
    that whoever rebuilds the case from the stream sees that the OPD asked and was refused.
    """

    event_name: ClassVar[str] = "WithdrawalRefused"
    producer: ClassVar[str] = "disposition"

    reason: str
    withdrawn_by: Actor
    withdrawn_at: UtcDateTime
    outcome: Outcome
    refused_at: UtcDateTime


class SlaBreached(IntegrationEvent):
    """A step ran past its time limit (step 5: 15 minutes; step 8: one working day).

    Published once per step: when the deadline passes with the step still open
    (``completed_at`` null), or, if nobody noticed in time, when the step is completed late.
    """

    event_name: ClassVar[str] = "SlaBreached"
    producer: ClassVar[str] = "disposition"

    sop_step: int
    limit: str
    started_at: UtcDateTime
    deadline: UtcDateTime
    completed_at: UtcDateTime | None


ALL_EVENTS: tuple[type[IntegrationEvent], ...] = (
    RequestSubmitted,
    RequestRejected,
    RequestWithdrawn,
    Disposed,
    SlotChecked,
    MeetingCreated,
    MeetingCancelled,
    LetterDrafted,
    LetterSent,
    LetterReceived,
    CaseClosed,
    SlaBreached,
    WithdrawalRefused,
)

EVENTS_BY_TYPE: dict[str, type[IntegrationEvent]] = {e.ce_type(): e for e in ALL_EVENTS}


class SubmissionRequester(Requester):
    pass


class SubmissionLetter(_Model):
    number: str = Field(min_length=1, max_length=100)
    date: date
    subject: str = Field(min_length=1, max_length=300)
    pdf_base64: str | None = None


class SubmissionMeeting(_Model):
    topic: str = Field(min_length=1, max_length=200)
    start: AwareDatetime
    end: AwareDatetime
    participants: int = Field(ge=1, le=1000)
    notes: str = Field(default="", max_length=2000)


class Submission(_Model):
    """A request as other government systems send it (NATS inbound subject or HTTP JSON)."""

    client_ref: str = Field(min_length=1, max_length=100)
    requester: SubmissionRequester
    letter: SubmissionLetter
    meeting: SubmissionMeeting
