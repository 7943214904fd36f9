"""What letters publishes: the reply letter drafted, sent (steps 4 and 9) and received (10)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from shared.events.base import (
    Actor,
    IntegrationEvent,
    LetterKind,
    UtcDateTime,
)


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
