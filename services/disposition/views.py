"""What the disposition API shows: the case, its audit history, a row of a list or an inbox,
each a response model built from a :class:`~services.disposition.domain.Case` (the Lembar
Disposisi, a document, is :mod:`services.disposition.sheet`).

Times are sent in UTC (ISO 8601). What the case records as a value (the request, the slot
check, the meeting, the drafts, the letter sent, the SLA figures) is shown as that value, field
for field.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.disposition.domain import (
    Case,
    Draft,
    Meeting,
    Record,
    RequestDetails,
    SentLetter,
    SlotCheck,
)
from services.disposition.sla import SlaBreach, SlaFigures
from shared.calendar import WorkingCalendar
from shared.httpapi import Page
from shared.procedure import MEETING_LIMIT_TEXT, REVIEW_LIMIT_TEXT, STEP_NAMES
from shared.roles import ROLE_NAMES

# What a record outside the ten steps is called in the history.
OTHER_RECORDS = {
    "withdrawal": "Permohonan dibatalkan oleh OPD pemohon",
    "withdrawal_refused": "Pembatalan oleh OPD pemohon ditolak: kasus sudah ditutup",
    "draft_returned": "Draf surat tanggapan dikembalikan kepada Subkoordinator untuk diperbaiki",
}


class View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ActorView(View):
    username: str
    name: str
    role: str
    on_behalf_of: str | None


class RecordView(View):
    """One record of the history: who did what at which SOP step, when, and what it refers to."""

    seq: int
    sop_step: int | None
    step_name: str
    kind: str
    actor: ActorView
    role: str
    on_behalf_of: str | None
    at: datetime
    to_role: str | None
    instruction: str
    note: str
    sifat: str | None
    refs: dict[str, str | list[str] | None]
    sla: SlaFigures | None

    @classmethod
    def of(cls, record: Record) -> RecordView:
        step, actor = record.sop_step, record.actor
        return cls(
            seq=record.seq,
            sop_step=step,
            step_name=OTHER_RECORDS.get(record.kind) or (STEP_NAMES[step] if step else ""),
            kind=record.kind,
            actor=ActorView.model_validate(actor),
            role=actor.role,
            on_behalf_of=actor.on_behalf_of,
            at=record.at,
            to_role=record.to_role,
            instruction=record.instruction,
            note=record.note,
            sifat=record.sifat,
            refs=dict(record.refs),
            sla=record.sla,
        )


class DispositionView(RecordView):
    """The record a disposition added, with its case."""

    case_id: UUID

    @classmethod
    def recorded(cls, case_id: UUID, record: Record) -> DispositionView:
        return cls(case_id=case_id, **dict(RecordView.of(record)))


class LetterState(View):
    drafts: list[Draft]
    forwarded_letter_id: UUID | None
    sent: SentLetter | None


class CaseView(View):
    """The case: state, request, whose turn it is, slot check, meeting, letter, outcome."""

    case_id: UUID
    state: Literal["open", "closed"]
    opened_at: datetime
    request: RequestDetails
    pending_step: int | None
    pending_step_name: str | None
    current_role: str | None
    current_role_label: str | None
    due_at: datetime | None
    steps_done: list[int]
    branch: str | None
    sifat: str
    slot_check: SlotCheck | None
    meeting: Meeting | None
    letter: LetterState
    returned: RecordView | None = None
    """The latest return of the draft reply (Kabid at step 8 or Kadis at step 9), with its note."""
    sla_breaches: list[SlaBreach]
    closed: bool
    outcome: str | None
    closed_at: datetime | None

    @classmethod
    def of(cls, case: Case, calendar: WorkingCalendar) -> CaseView:
        pending = case.pending_step
        return cls(
            case_id=case.id,
            state="closed" if case.closed else "open",
            opened_at=case.created_on,
            request=case.request,
            pending_step=pending,
            pending_step_name=STEP_NAMES.get(pending) if pending else None,
            current_role=case.current_role,
            current_role_label=ROLE_NAMES.get(case.current_role or ""),
            due_at=_due_at(case, calendar),
            steps_done=sorted(case.done_steps),
            branch=case.branch,
            sifat=case.sifat,
            slot_check=case.latest_slot_check,
            meeting=case.meeting,
            letter=LetterState(
                drafts=case.drafts,
                forwarded_letter_id=case.forwarded_letter_id,
                sent=case.sent_letter,
            ),
            returned=RecordView.of(case.last_return) if case.last_return else None,
            sla_breaches=case.sla_breaches,
            closed=case.closed is not None,
            outcome=case.closed.outcome if case.closed else None,
            closed_at=case.closed.at if case.closed else None,
        )


class SlaSummary(View):
    """A timed step's limit: whether it applies to this case and, once done, the figures."""

    applies: bool
    completed: bool | None = None
    limit: str
    started_at: datetime | None = None
    deadline: datetime | None = None
    completed_at: datetime | None = None
    minutes_taken: float | None = None
    breached: bool | None = None

    @classmethod
    def of(cls, case: Case, step: int, limit: str, calendar: WorkingCalendar) -> SlaSummary:
        start = case.step_record(4 if step == 5 else 7)
        done = case.step_record(step)
        if start is None or (step == 5 and case.branch != "free"):
            return cls(limit=limit, applies=False)
        if done is not None and done.sla is not None:
            return cls.model_validate({**asdict(done.sla), "applies": True, "completed": True})
        deadline = case.deadline_of(step, calendar)
        return cls(
            applies=True, completed=False, limit=limit, started_at=start.at, deadline=deadline
        )


class HistorySla(View):
    step_5: SlaSummary
    step_8: SlaSummary
    meeting_minutes_taken: float | None
    breaches: list[SlaBreach]


class HistoryView(View):
    """Every record of the case (SOP steps 1 to 10, who, when, what), with the SLA figures."""

    case_id: UUID
    agenda_number: str
    records: list[RecordView]
    steps_done: list[int]
    sla: HistorySla
    closed: bool
    outcome: str | None
    closed_at: datetime | None

    @classmethod
    def of(cls, case: Case, calendar: WorkingCalendar) -> HistoryView:
        return cls(
            case_id=case.id,
            agenda_number=case.request.agenda_number,
            records=[RecordView.of(r) for r in case.records],
            steps_done=sorted(case.done_steps),
            sla=HistorySla(
                step_5=SlaSummary.of(case, 5, MEETING_LIMIT_TEXT, calendar),
                step_8=SlaSummary.of(case, 8, REVIEW_LIMIT_TEXT, calendar),
                meeting_minutes_taken=case.minutes_for_meeting(),
                breaches=case.sla_breaches,
            ),
            closed=case.closed is not None,
            outcome=case.closed.outcome if case.closed else None,
            closed_at=case.closed.at if case.closed else None,
        )


class CaseRow(View):
    """A case in a list or an inbox: the request in brief and whose turn it is."""

    case_id: UUID
    agenda_number: str
    opd_code: str
    opd_name: str
    hal: str
    letter_number: str
    meeting_topic: str
    meeting_start: datetime
    meeting_end: datetime
    pending_step: int | None
    pending_step_name: str | None
    current_role: str | None
    sifat: str
    opened_at: datetime
    case_opened_at: datetime
    waiting_since: datetime
    due_at: datetime | None
    closed: bool
    outcome: str | None
    branch: str | None = None
    """Step 4's way: ``free`` (to staff) or ``full`` (to the OPD), once taken."""

    @classmethod
    def of(cls, case: Case, calendar: WorkingCalendar) -> CaseRow:
        pending = case.pending_step
        request = case.request
        return cls(
            case_id=case.id,
            agenda_number=request.agenda_number,
            opd_code=request.opd_code,
            opd_name=request.opd_name,
            hal=request.letter.subject,
            letter_number=request.letter.number,
            meeting_topic=request.meeting.topic,
            meeting_start=request.meeting.start,
            meeting_end=request.meeting.end,
            pending_step=pending,
            pending_step_name=STEP_NAMES.get(pending) if pending else None,
            current_role=case.current_role,
            sifat=case.sifat,
            opened_at=case.records[0].at,
            case_opened_at=case.created_on,
            waiting_since=case.records[-1].at,
            due_at=_due_at(case, calendar),
            closed=case.closed is not None,
            outcome=case.closed.outcome if case.closed else None,
            branch=case.branch,
        )


class CasePage(Page[CaseRow]):
    """One page of the cases that match the search and filters; ``total`` counts the matches."""

    unfiltered_total: int = Field(
        description="how many cases the list holds without the search and filters"
    )


class InboxCounters(BaseModel):
    """The caller's inbox in figures: its open cases, and how many of them are new, due soon
    (2 hours or less before the step's deadline) or overdue, at the moment asked."""

    new: int = Field(description="reached their current step within the last 24 hours")
    open: int = Field(description="every open case of the inbox")
    due_soon: int = Field(description="2 hours or less left before the step's deadline")
    overdue: int = Field(description="past the step's deadline")


def _due_at(case: Case, calendar: WorkingCalendar) -> datetime | None:
    pending = case.pending_step
    return case.deadline_of(pending, calendar) if pending is not None else None
