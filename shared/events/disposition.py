"""What disposition publishes: the case's movements, its end, and its refusals and breaches."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from shared.events.base import (
    Actor,
    IntegrationEvent,
    Outcome,
    Sifat,
    StepRecord,
    UtcDateTime,
)
from shared.roles import Role


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


class DraftReturned(IntegrationEvent):
    """The draft reply went back to the Sub-coordinator with a note, instead of Kabid's paraf
    (``sop_step`` 8) or Kadis's signature (``sop_step`` 9). Steps 7 and 8 are open again: the
    reply may be redrafted, and it goes up the chain again with ``Disposed`` steps 7 and 8.
    ``letter_id`` is the draft that had gone up, if one had.
    """

    event_name: ClassVar[str] = "DraftReturned"
    producer: ClassVar[str] = "disposition"

    sop_step: int = Field(ge=8, le=9)
    by: Actor
    to_role: Role
    letter_id: UUID | None = None
    note: str = Field(min_length=1)
    returned_at: UtcDateTime


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
