"""Stored domain events of the Case, as the integration events other services read."""

from __future__ import annotations

from typing import Any

from services.disposition.domain import Case
from shared.events import (
    Actor,
    CaseClosed,
    Disposed,
    DraftReturned,
    IntegrationEvent,
    SlaBreached,
    StepRecord,
    WithdrawalRefused,
)


def to_integration(domain_event: Any) -> list[IntegrationEvent]:
    """The outbox relay calls this for every stored event; internal ones map to nothing."""
    if isinstance(domain_event, Case.Disposed):
        return [
            Disposed(
                request_id=domain_event.originator_id,
                sop_step=domain_event.sop_step,
                by=Actor.model_validate(domain_event.actor),
                to_role=domain_event.to_role,
                instruction=domain_event.instruction,
                note=domain_event.note,
                sifat=domain_event.sifat,
                letter_id=domain_event.letter_id,
                disposed_at=domain_event.timestamp,
            )
        ]
    if isinstance(domain_event, Case.DraftReturned):
        return [
            DraftReturned(
                request_id=domain_event.originator_id,
                sop_step=domain_event.sop_step,
                by=Actor.model_validate(domain_event.actor),
                to_role=domain_event.to_role,
                letter_id=domain_event.letter_id,
                note=domain_event.note,
                returned_at=domain_event.timestamp,
            )
        ]
    if isinstance(domain_event, Case.SlaBreachRecorded):
        return [
            SlaBreached(
                request_id=domain_event.originator_id,
                sop_step=domain_event.sop_step,
                limit=domain_event.limit,
                started_at=domain_event.started_at,
                deadline=domain_event.deadline,
                completed_at=domain_event.completed_at,
            )
        ]
    if isinstance(domain_event, Case.Closed):
        return [
            CaseClosed(
                request_id=domain_event.originator_id,
                outcome=domain_event.outcome,
                steps=[
                    StepRecord(
                        sop_step=s["sop_step"], actor=Actor.model_validate(s["actor"]), at=s["at"]
                    )
                    for s in domain_event.steps
                ],
                meeting_minutes_taken=domain_event.meeting_minutes_taken,
                sla_breaches=domain_event.sla_breaches,
                closed_at=domain_event.closed_at,
            )
        ]
    if isinstance(domain_event, Case.WithdrawalRefused):
        return [
            WithdrawalRefused(
                request_id=domain_event.originator_id,
                reason=domain_event.reason,
                withdrawn_by=Actor.model_validate(domain_event.actor),
                withdrawn_at=domain_event.withdrawn_at,
                outcome=domain_event.outcome,
                refused_at=domain_event.timestamp,
            )
        ]
    return []
