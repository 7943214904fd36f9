"""The integration events: the contract between SIVICON's services and towards other systems.

Each event is a frozen pydantic model with a version. A field is never removed or renamed within a
version: a change that breaks a consumer is a new class (``...V2``) with ``version = 2``, and the
producer publishes both until every consumer has moved. The wire type is
``sivicon.<EventName>.v<version>`` (the CloudEvents ``ce-type``); the body is the model's JSON.

Times are timezone-aware; they travel in UTC.
"""

from __future__ import annotations

from shared.events.base import (
    SCHEDULER_ACTOR,
    Actor,
    Conflict,
    FieldError,
    IntegrationEvent,
    LetterKind,
    LetterRef,
    MeetingWish,
    Outcome,
    Requester,
    Sifat,
    Slot,
    StepRecord,
    UtcDateTime,
)
from shared.events.disposition import (
    CaseClosed,
    Disposed,
    DraftReturned,
    SlaBreached,
    WithdrawalRefused,
)
from shared.events.intake import RequestRejected, RequestSubmitted, RequestWithdrawn
from shared.events.letters import LetterDrafted, LetterReceived, LetterSent
from shared.events.scheduler import MeetingCancelled, MeetingCreated, SlotChecked
from shared.events.submissions import (
    Submission,
    SubmissionLetter,
    SubmissionMeeting,
    SubmissionRequester,
)

ALL_EVENTS: tuple[type[IntegrationEvent], ...] = (
    RequestSubmitted,
    RequestRejected,
    RequestWithdrawn,
    Disposed,
    DraftReturned,
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

__all__ = [
    "ALL_EVENTS",
    "EVENTS_BY_TYPE",
    "SCHEDULER_ACTOR",
    "Actor",
    "CaseClosed",
    "Conflict",
    "Disposed",
    "DraftReturned",
    "FieldError",
    "IntegrationEvent",
    "LetterDrafted",
    "LetterKind",
    "LetterReceived",
    "LetterRef",
    "LetterSent",
    "MeetingCancelled",
    "MeetingCreated",
    "MeetingWish",
    "Outcome",
    "RequestRejected",
    "RequestSubmitted",
    "RequestWithdrawn",
    "Requester",
    "Sifat",
    "SlaBreached",
    "Slot",
    "SlotChecked",
    "StepRecord",
    "Submission",
    "SubmissionLetter",
    "SubmissionMeeting",
    "SubmissionRequester",
    "UtcDateTime",
    "WithdrawalRefused",
]
