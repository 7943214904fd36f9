"""Stored domain events of the letters service -> the integration events it publishes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from services.letters.domain import Letter
from shared.events import Actor, IntegrationEvent, LetterDrafted, LetterReceived, LetterSent

# The classes the @event decorator made (mypy cannot see them; Drafted is declared, for its
# version, but its instances' fields are the mypy-unseen ones too).
_DRAFTED: Any = Letter.Drafted
_SENT: Any = Letter.Sent  # type: ignore[attr-defined]
_RECEIVED: Any = Letter.Received  # type: ignore[attr-defined]


def to_integration(domain_event: Any) -> list[IntegrationEvent]:
    """Stored domain events -> the contract. Only the letter's life is published."""
    if isinstance(domain_event, _DRAFTED):
        return [
            LetterDrafted(
                request_id=UUID(domain_event.request_id),
                letter_id=domain_event.originator_id,
                kind=domain_event.kind,
                hal=domain_event.hal,
                draft_sha256=domain_event.draft_sha256,
                drafted_by=Actor.model_validate(domain_event.drafted_by),
                drafted_at=datetime.fromisoformat(domain_event.drafted_at),
            )
        ]
    if isinstance(domain_event, _SENT):
        return [
            LetterSent(
                request_id=UUID(domain_event.request_id),
                letter_id=domain_event.originator_id,
                kind=domain_event.kind,
                number=domain_event.number,
                signer=Actor.model_validate(domain_event.signer),
                channels=list(domain_event.channels),
                pdf_sha256=domain_event.pdf_sha256,
                verification_url=domain_event.verification_url,
                sent_at=datetime.fromisoformat(domain_event.sent_at),
            )
        ]
    if isinstance(domain_event, _RECEIVED):
        return [
            LetterReceived(
                request_id=UUID(domain_event.request_id),
                letter_id=domain_event.originator_id,
                received_by=Actor.model_validate(domain_event.received_by),
                received_at=datetime.fromisoformat(domain_event.received_at),
            )
        ]
    return []
