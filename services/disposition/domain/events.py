"""The events a case stores, and what each adds to the case when applied.

Their fields are what existing stores hold and must not change; their topics are pinned
(``TOPIC``) to the names they were first stored under, when the case was one module
``services.disposition.domain``. Each ``apply`` builds the case's typed values (:mod:`.values`)
from the stored fields; the case (:mod:`.case`) decides which event to trigger.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from services.disposition.domain.values import (
    Closure,
    Draft,
    Meeting,
    Record,
    SentLetter,
    SlotCheck,
    actor_of,
)
from services.disposition.sla import SlaBreach, sla_figures
from shared.events import SCHEDULER_ACTOR
from shared.procedure import MEETING_LIMIT_TEXT, RETURN_INSTRUCTION, REVIEW_LIMIT_TEXT

if TYPE_CHECKING:
    from services.disposition.domain.case import Case

STORED_AS = "services.disposition.domain:Case"
"""The topic of the case as stored; each event's is ``STORED_AS.<name>``."""


def add_record(case: Case, **fields: Any) -> Record:
    record = Record(seq=len(case.records) + 1, **fields)
    case.records.append(record)
    return record


class Disposed(Aggregate.Event):
    TOPIC = f"{STORED_AS}.Disposed"

    sop_step: int
    actor: dict[str, Any]
    to_role: str
    instruction: str
    note: str
    sifat: str
    letter_id: UUID | None
    sla_deadline: datetime | None

    def apply(self, aggregate: Case) -> None:
        if self.sop_step == 4:
            aggregate.branch = "free" if self.to_role == "staf" else "full"
        if self.sop_step == 7:
            aggregate.forwarded_letter_id = self.letter_id
        sla = None
        if self.sla_deadline is not None:
            start = aggregate.step_record(7)
            assert start is not None
            sla = sla_figures(REVIEW_LIMIT_TEXT, start.at, self.sla_deadline, self.timestamp)
        add_record(
            aggregate,
            sop_step=self.sop_step,
            kind="disposition",
            actor=actor_of(self.actor),
            at=self.timestamp,
            to_role=self.to_role,
            instruction=self.instruction,
            note=self.note,
            sifat=self.sifat,
            refs={"letter_id": str(self.letter_id)} if self.letter_id else {},
            sla=sla,
        )


class DraftReturned(Aggregate.Event):
    """Kabid (step 8) or Kadis (step 9) sent the draft reply back to the Sub-coordinator with a
    note, instead of the paraf or the signature: steps 7 and 8 are open again."""

    TOPIC = f"{STORED_AS}.DraftReturned"

    sop_step: int
    actor: dict[str, Any]
    to_role: str
    letter_id: UUID | None
    note: str

    def apply(self, aggregate: Case) -> None:
        aggregate.forwarded_letter_id = None
        record = add_record(
            aggregate,
            sop_step=self.sop_step,
            kind="draft_returned",
            actor=actor_of(self.actor),
            at=self.timestamp,
            to_role=self.to_role,
            instruction=RETURN_INSTRUCTION,
            note=self.note,
            refs={"letter_id": str(self.letter_id)} if self.letter_id else {},
        )
        aggregate.last_return = record


class SlotCheckRecorded(Aggregate.Event):
    TOPIC = f"{STORED_AS}.SlotCheckRecorded"

    check: dict[str, Any]
    checked_at: datetime
    caused_by: str | None

    def apply(self, aggregate: Case) -> None:
        check = SlotCheck.from_stored(self.check)
        aggregate.slot_checks.append(check)
        add_record(
            aggregate,
            sop_step=4,
            kind="slot_check",
            actor=SCHEDULER_ACTOR,
            at=self.checked_at,
            note="jadwal tersedia" if check.available else "jadwal penuh",
            refs={"host_account_id": check.host_account_id},
        )


class MeetingRecorded(Aggregate.Event):
    TOPIC = f"{STORED_AS}.MeetingRecorded"

    meeting: dict[str, Any]
    actor: dict[str, Any]
    created_at: datetime
    sla_deadline: datetime | None
    caused_by: str | None

    def apply(self, aggregate: Case) -> None:
        sla = None
        if self.sla_deadline is not None:
            start = aggregate.step_record(4)
            assert start is not None
            sla = sla_figures(MEETING_LIMIT_TEXT, start.at, self.sla_deadline, self.created_at)
        meeting = aggregate.meeting = Meeting.from_stored(self.meeting)
        add_record(
            aggregate,
            sop_step=5,
            kind="meeting",
            actor=actor_of(self.actor),
            at=self.created_at,
            note="" if sla is not None else "pengganti Zoom Meeting sebelumnya",
            refs={
                "meeting_id": meeting.meeting_id,
                "join_url": meeting.join_url,
                "host_account_id": meeting.host_account_id,
                "created_via": meeting.created_via,
            },
            sla=sla,
        )


class LetterDraftRecorded(Aggregate.Event):
    TOPIC = f"{STORED_AS}.LetterDraftRecorded"

    letter_id: UUID
    kind: str
    hal: str
    draft_sha256: str
    actor: dict[str, Any]
    drafted_at: datetime
    caused_by: str | None

    def apply(self, aggregate: Case) -> None:
        aggregate.drafts.append(
            Draft(self.letter_id, self.kind, self.hal, self.draft_sha256, self.drafted_at)
        )
        add_record(
            aggregate,
            sop_step=7 if self.kind == "meeting_provided" else 4,
            kind="letter_drafted",
            actor=actor_of(self.actor),
            at=self.drafted_at,
            note=self.hal,
            refs={
                "letter_id": str(self.letter_id),
                "letter_kind": self.kind,
                "draft_sha256": self.draft_sha256,
            },
        )


class LetterSentRecorded(Aggregate.Event):
    TOPIC = f"{STORED_AS}.LetterSentRecorded"

    letter_id: UUID
    kind: str
    number: str
    actor: dict[str, Any]
    channels: list[str]
    pdf_sha256: str
    verification_url: str
    sent_at: datetime
    caused_by: str | None

    def apply(self, aggregate: Case) -> None:
        aggregate.sent_letter = SentLetter(
            letter_id=self.letter_id,
            kind=self.kind,
            number=self.number,
            channels=list(self.channels),
            pdf_sha256=self.pdf_sha256,
            verification_url=self.verification_url,
            sent_at=self.sent_at,
        )
        add_record(
            aggregate,
            sop_step=9 if self.kind == "meeting_provided" else 4,
            kind="letter_sent",
            actor=actor_of(self.actor),
            at=self.sent_at,
            refs={
                "letter_id": str(self.letter_id),
                "letter_kind": self.kind,
                "letter_number": self.number,
                "pdf_sha256": self.pdf_sha256,
                "verification_url": self.verification_url,
                "channels": list(self.channels),
            },
        )


class LetterReceiptRecorded(Aggregate.Event):
    TOPIC = f"{STORED_AS}.LetterReceiptRecorded"

    letter_id: UUID
    actor: dict[str, Any]
    received_at: datetime
    caused_by: str | None

    def apply(self, aggregate: Case) -> None:
        add_record(
            aggregate,
            sop_step=10,
            kind="letter_received",
            actor=actor_of(self.actor),
            at=self.received_at,
            refs={"letter_id": str(self.letter_id)},
        )


class WithdrawalRecorded(Aggregate.Event):
    TOPIC = f"{STORED_AS}.WithdrawalRecorded"

    reason: str
    actor: dict[str, Any]
    withdrawn_at: datetime
    caused_by: str | None

    def apply(self, aggregate: Case) -> None:
        add_record(
            aggregate,
            sop_step=None,
            kind="withdrawal",
            actor=actor_of(self.actor),
            at=self.withdrawn_at,
            note=self.reason,
        )


class WithdrawalRefused(Aggregate.Event):
    """A withdrawal that reached the case after it was closed: refused, outcome kept."""

    TOPIC = f"{STORED_AS}.WithdrawalRefused"

    reason: str
    actor: dict[str, Any]
    withdrawn_at: datetime
    outcome: str
    caused_by: str | None

    def apply(self, aggregate: Case) -> None:
        add_record(
            aggregate,
            sop_step=None,
            kind="withdrawal_refused",
            actor=actor_of(self.actor),
            at=self.withdrawn_at,
            note=self.reason,
            refs={
                "outcome": self.outcome,
                "refused_at": self.timestamp.astimezone(UTC).isoformat(),
            },
        )


class SlaBreachRecorded(Aggregate.Event):
    TOPIC = f"{STORED_AS}.SlaBreachRecorded"

    sop_step: int
    limit: str
    started_at: datetime
    deadline: datetime
    completed_at: datetime | None
    caused_by: str | None

    def apply(self, aggregate: Case) -> None:
        aggregate.sla_breaches.append(
            SlaBreach(self.sop_step, self.limit, self.started_at, self.deadline, self.completed_at)
        )


class Closed(Aggregate.Event):
    TOPIC = f"{STORED_AS}.Closed"

    outcome: str
    steps: list[dict[str, Any]]
    meeting_minutes_taken: float | None
    sla_breaches: list[int]
    closed_at: datetime
    caused_by: str | None

    def apply(self, aggregate: Case) -> None:
        aggregate.closed = Closure(self.outcome, self.closed_at)
