"""The Case aggregate: the state of one request's procedure, its guards and its commands.

Commands check the procedure before any change and raise the errors of :mod:`.refusals`. What
the other services report returns ``False`` when it is recorded already (a redelivered or
republished event), and raises :class:`~shared.errors.OutOfOrder` when it cannot apply to the
case as it stands. What each stored event adds to the case is in :mod:`.events`.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.disposition import sla
from services.disposition.domain import events, refusals
from services.disposition.domain.events import STORED_AS, add_record
from services.disposition.domain.values import (
    Closure,
    Draft,
    Meeting,
    Record,
    RequestDetails,
    SentLetter,
    SlotCheck,
    actor_of,
    stored_actor,
)
from services.disposition.sla import SlaBreach
from shared import procedure
from shared.calendar import WorkingCalendar
from shared.events import Actor
from shared.procedure import REOPENED_BY_RETURN, required_steps
from shared.roles import effective_role


class Case(Aggregate):
    TOPIC = STORED_AS

    class Created(Aggregate.Created):
        TOPIC = f"{STORED_AS}.Created"  # the library's base, never stored itself

    if TYPE_CHECKING:  # set by Case.__init__; class annotations would become event fields
        request: RequestDetails
        records: list[Record]
        slot_checks: list[SlotCheck]
        drafts: list[Draft]
        meeting: Meeting | None
        branch: str | None  # "free" (to staf) or "full" (to opd), set at step 4
        forwarded_letter_id: UUID | None
        sent_letter: SentLetter | None
        sla_breaches: list[SlaBreach]
        last_return: Record | None  # the latest draft returned (steps 7 and 8 reopened)
        closed: Closure | None

    @classmethod
    def create_id(cls, request_id: UUID, **_: Any) -> UUID:
        return request_id

    @classmethod
    def open(
        cls, request_id: UUID, request: RequestDetails, by: Actor, caused_by: str | None
    ) -> Case:
        """Step 1: the case of a request, opened by its letter."""
        return cls(
            request_id=request_id,
            request=request.stored(),
            submitted_by=stored_actor(by),
            submitted_at=request.submitted_at,
            caused_by=caused_by,
        )

    @event("Opened", topic=f"{STORED_AS}.Opened")
    def __init__(
        self,
        *,
        request_id: UUID,
        request: dict[str, Any],
        submitted_by: dict[str, Any],
        submitted_at: datetime,
        caused_by: str | None,
    ) -> None:
        self.request = RequestDetails.from_stored(request)
        self.records = []
        self.slot_checks = []
        self.drafts = []
        self.meeting = None
        self.branch = None
        self.forwarded_letter_id = None
        self.sent_letter = None
        self.sla_breaches = []
        self.last_return = None
        self.closed = None
        sha256 = self.request.letter.document_sha256
        add_record(
            self,
            sop_step=1,
            kind="request",
            actor=actor_of(submitted_by),
            at=submitted_at,
            refs={"document_sha256": sha256},
        )

    Disposed = events.Disposed
    SlotCheckRecorded = events.SlotCheckRecorded
    MeetingRecorded = events.MeetingRecorded
    LetterDraftRecorded = events.LetterDraftRecorded
    LetterSentRecorded = events.LetterSentRecorded
    LetterReceiptRecorded = events.LetterReceiptRecorded
    DraftReturned = events.DraftReturned
    WithdrawalRecorded = events.WithdrawalRecorded
    WithdrawalRefused = events.WithdrawalRefused
    SlaBreachRecorded = events.SlaBreachRecorded
    Closed = events.Closed

    # ------------------------------------------------------------------ state, as read

    def _counts(self, record: Record) -> bool:
        """Whether ``record`` completes its step as the case stands: a returned draft reopens
        steps 7 and 8, so only their records after the latest return count."""
        if not record.completes_a_step or not record.sop_step:
            return False
        reopened = self.last_return is not None and record.sop_step in REOPENED_BY_RETURN
        return not reopened or record.seq > self.last_return.seq  # type: ignore[union-attr]

    @property
    def done_steps(self) -> set[int]:
        return {r.sop_step for r in self.records if r.sop_step and self._counts(r)}

    def step_record(self, step: int) -> Record | None:
        """The first record completing ``step`` as the case stands (later ones are corrections;
        after a returned draft, steps 7 and 8 count from their new records)."""
        return next((r for r in self.records if r.sop_step == step and self._counts(r)), None)

    @property
    def pending_step(self) -> int | None:
        if self.closed is not None:
            return None
        if self.branch == "full":
            return 10 if self.sent_letter else 4
        done = self.done_steps
        return next((s for s in range(2, 11) if s not in done), None)

    @property
    def current_role(self) -> str | None:
        step = self.pending_step
        return None if step is None else procedure.ROLE_FOR_STEP[step]

    @property
    def latest_slot_check(self) -> SlotCheck | None:
        return self.slot_checks[-1] if self.slot_checks else None

    @property
    def sifat(self) -> str:
        sifats = [r.sifat for r in self.records if r.sifat]
        return sifats[-1] if sifats else "biasa"

    def deadline_of(self, step: int, calendar: WorkingCalendar | None = None) -> datetime | None:
        """When the pending timed step (5 or 8) falls due, counted from the step before it."""
        if step == 5 and (start := self.step_record(4)) is not None and self.branch == "free":
            return sla.meeting_deadline(start.at)
        if step == 8 and (start := self.step_record(7)) is not None:
            return sla.review_deadline(start.at, calendar or WorkingCalendar())
        return None

    def minutes_for_meeting(self) -> float | None:
        start, done = self.step_record(4), self.step_record(5)
        return None if start is None or done is None else sla.minutes_between(start.at, done.at)

    def breached(self, step: int) -> bool:
        """Whether the pending round of ``step`` was found late already (a returned draft
        starts a new round of step 8, with its own limit)."""
        start = self.step_record(sla.TIMED_STEPS[step][0]) if step in sla.TIMED_STEPS else None
        return any(
            b.sop_step == step and (start is None or b.started_at == start.at)
            for b in self.sla_breaches
        )

    # ------------------------------------------------------------------ guards

    def _check_open(self) -> None:
        if self.closed is not None:
            raise refusals.case_closed(self.closed.outcome)

    def _check_slot_allows(self, to_role: str) -> None:
        check = self.latest_slot_check
        if check is None:
            raise refusals.schedule_not_checked()
        if to_role == "staf" and not check.available:
            raise refusals.schedule_full()
        if to_role == "opd" and check.available:
            raise refusals.schedule_available()

    def _letter_to_forward(self, letter_id: UUID | None) -> UUID:
        drafts = [d for d in self.drafts if d.kind == "meeting_provided"]
        if not drafts:
            raise refusals.no_draft()
        if letter_id is None:
            return drafts[-1].letter_id
        if all(d.letter_id != letter_id for d in drafts):
            raise refusals.not_a_draft_of_this_case(letter_id)
        return letter_id

    def _check_signer_did_not_review(self, signer: Actor) -> None:
        """Whoever gave the paraf of step 8 (as it counts now) may not sign at step 9."""
        review = self.step_record(8)
        if review is not None and review.actor.username == signer.username:
            raise refusals.reviewer_signed(signer.username)

    @staticmethod
    def _check_text(instruction: str, note: str, sifat: str) -> None:
        if len(instruction) > procedure.MAX_INSTRUCTION or len(note) > procedure.MAX_NOTE:
            raise refusals.text_too_long()
        if sifat not in procedure.SIFAT:
            raise refusals.unknown_sifat()

    # ------------------------------------------------------------------ dispositions

    def dispose(
        self,
        *,
        actor: Actor,
        to_role: str,
        instruction: str | None,
        note: str,
        sifat: str | None,
        letter_id: UUID | None,
        calendar: WorkingCalendar,
        at: datetime | None = None,
    ) -> Record:
        """Steps 2, 3, 4, 6, 7 and 8: the step is the one pending, if the actor's role holds it.

        ``at`` is for replaying history in tests; normally the event's own timestamp is used.
        """
        role = effective_role(actor)
        if role not in procedure.DISPOSING_STEPS:
            raise refusals.does_not_dispose(role)
        self._check_open()
        step = self.pending_step
        if step is None or step not in procedure.DISPOSING_STEPS[role]:
            raise refusals.not_your_turn(role, step, self.branch)
        if to_role not in procedure.TARGETS[step]:
            raise refusals.wrong_target(step, to_role, procedure.TARGETS[step])
        if step == 4:
            self._check_slot_allows(to_role)
        if step == 7:
            letter_id = self._letter_to_forward(letter_id)
        elif letter_id is not None:
            raise refusals.forwarded_only_at_step_7()
        instruction = (instruction or "").strip() or procedure.DEFAULT_INSTRUCTIONS[(step, to_role)]
        sifat = sifat or self.sifat
        self._check_text(instruction, note, sifat)
        self.trigger_event(
            self.Disposed,
            timestamp=at,
            sop_step=step,
            actor=stored_actor(actor),
            to_role=to_role,
            instruction=instruction,
            note=note.strip(),
            sifat=sifat,
            letter_id=letter_id,
            sla_deadline=self.deadline_of(8, calendar) if step == 8 else None,
        )
        record = self.records[-1]
        self._note_breach(record, caused_by=None)
        return record

    def return_draft(self, *, actor: Actor, note: str, at: datetime | None = None) -> Record:
        """Instead of the paraf (step 8) or the signature (step 9): the draft reply goes back to
        the Sub-coordinator with a note saying what to correct; steps 7 and 8 open again."""
        role = effective_role(actor)
        if role not in procedure.RETURNING_STEPS:
            raise refusals.does_not_return(role)
        self._check_open()
        step = self.pending_step
        if step != procedure.RETURNING_STEPS[role] or self.branch != "free":
            raise refusals.nothing_to_return(role, step, self.branch)
        note = note.strip()
        if not note:
            raise refusals.return_needs_note()
        self._check_text("", note, self.sifat)
        self.trigger_event(
            self.DraftReturned,
            timestamp=at,
            sop_step=step,
            actor=stored_actor(actor),
            to_role=procedure.RETURNED_TO,
            letter_id=self.forwarded_letter_id,
            note=note,
        )
        return self.records[-1]

    # ------------------------------------------------------------------ what others report

    def record_slot_check(self, check: SlotCheck, caused_by: str | None) -> bool:
        """The schedule check of step 4, made by the scheduler after step 3."""
        if check in self.slot_checks:
            return False
        self._check_open()
        if 3 not in self.done_steps:
            raise refusals.checked_before_step_3(self.pending_step)
        if self.branch is not None:
            raise refusals.step_4_done()
        self.trigger_event(
            self.SlotCheckRecorded,
            check=check.stored(),
            checked_at=check.checked_at,
            caused_by=caused_by,
        )
        return True

    def record_meeting(self, meeting: Meeting, actor: Actor, caused_by: str | None) -> bool:
        """Step 5: the meeting the staff created (or a replacement of it, as a new record)."""
        if self.meeting is not None and self.meeting.meeting_id == meeting.meeting_id:
            return False
        self._check_open()
        if self.branch != "free":
            raise refusals.not_disposed_to_staff()
        if self.sent_letter is not None:
            raise refusals.reply_sent_already()
        first = 5 not in self.done_steps
        self.trigger_event(
            self.MeetingRecorded,
            meeting=meeting.stored(),
            actor=stored_actor(actor),
            created_at=meeting.created_at,
            sla_deadline=self.deadline_of(5) if first else None,
            caused_by=caused_by,
        )
        self._note_breach(self.records[-1], caused_by=caused_by)
        return True

    def record_draft(self, draft: Draft, actor: Actor, caused_by: str | None) -> bool:
        """A reply letter drafted (part of step 7, or of step 4 when the schedule is full)."""
        if any(
            (d.letter_id, d.draft_sha256) == (draft.letter_id, draft.draft_sha256)
            for d in self.drafts
        ):
            return False
        self._check_open()
        if self.sent_letter is not None:
            raise refusals.reply_sent_already()
        if draft.kind == "meeting_provided" and self.meeting is None:
            raise refusals.no_meeting()
        check = self.latest_slot_check
        if draft.kind == "schedule_full" and (check is None or check.available):
            raise refusals.schedule_not_full()
        self.trigger_event(
            self.LetterDraftRecorded,
            actor=stored_actor(actor),
            caused_by=caused_by,
            **asdict(draft),
        )
        return True

    def record_letter_sent(self, letter: SentLetter, actor: Actor, caused_by: str | None) -> bool:
        """Step 9 (meeting provided), or the end of step 4 when the schedule is full."""
        if self.sent_letter is not None and self.sent_letter.letter_id == letter.letter_id:
            return False
        self._check_open()
        if self.sent_letter is not None:
            raise refusals.another_reply_sent()
        if all(d.letter_id != letter.letter_id for d in self.drafts):
            raise refusals.not_drafted(letter.letter_id)
        if letter.kind == "meeting_provided" and 8 not in self.done_steps:
            raise refusals.not_reported_to_kadis()
        if letter.kind == "meeting_provided":
            self._check_signer_did_not_review(actor)
        if letter.kind == "schedule_full" and self.branch != "full":
            raise refusals.full_reply_needs_step_4_to_opd()
        self.trigger_event(
            self.LetterSentRecorded,
            actor=stored_actor(actor),
            caused_by=caused_by,
            **asdict(letter),
        )
        return True

    def record_receipt(
        self, letter_id: UUID, actor: Actor, received_at: datetime, caused_by: str | None
    ) -> bool:
        """Step 10: the OPD received the reply; the case closes."""
        if any(
            r.kind == "letter_received" and r.refs["letter_id"] == str(letter_id)
            for r in self.records
        ):
            return False
        self._check_open()
        sent = self.sent_letter
        if sent is None or sent.letter_id != letter_id:
            raise refusals.not_sent(letter_id)
        self.trigger_event(
            self.LetterReceiptRecorded,
            letter_id=letter_id,
            actor=stored_actor(actor),
            received_at=received_at,
            caused_by=caused_by,
        )
        self.close(outcome=sent.kind, at=received_at, caused_by=caused_by)
        return True

    def withdraw(
        self, reason: str, actor: Actor, withdrawn_at: datetime, caused_by: str | None
    ) -> bool:
        """The OPD asked to withdraw: an open case closes as withdrawn; a closed one refuses
        (recorded once, as :class:`WithdrawalRefused`), and its outcome stands."""
        fields = {"reason": reason, "actor": stored_actor(actor), "withdrawn_at": withdrawn_at}
        if self.closed is None:
            self.trigger_event(self.WithdrawalRecorded, caused_by=caused_by, **fields)
            self.close(outcome="withdrawn", at=withdrawn_at, caused_by=caused_by)
            return True
        if self.closed.outcome == "withdrawn" or any(
            (r.kind, r.actor, r.at, r.note) == ("withdrawal_refused", actor, withdrawn_at, reason)
            for r in self.records
        ):
            return False
        self.trigger_event(
            self.WithdrawalRefused, outcome=self.closed.outcome, caused_by=caused_by, **fields
        )
        return True

    # ------------------------------------------------------------------ SLA

    def flag_overdue(self, now: datetime, calendar: WorkingCalendar) -> bool:
        """Record the breach of the pending timed step once its deadline has passed."""
        step = self.pending_step
        if step is None or step not in sla.TIMED_STEPS or self.breached(step):
            return False
        start = self.step_record(sla.TIMED_STEPS[step][0])
        deadline = self.deadline_of(step, calendar)
        if start is None or deadline is None:
            return False
        return self._record_breach(sla.overdue(step, start.at, deadline, now), caused_by=None)

    def _note_breach(self, record: Record, caused_by: str | None) -> None:
        step = record.sop_step
        if record.sla is not None and step is not None and not self.breached(step):
            self._record_breach(sla.late(step, record.sla), caused_by)  # else flagged while open

    def _record_breach(self, breach: SlaBreach | None, caused_by: str | None) -> bool:
        if breach is None:
            return False
        self.trigger_event(self.SlaBreachRecorded, caused_by=caused_by, **asdict(breach))
        return True

    # ------------------------------------------------------------------ closing

    def close(self, *, outcome: str, at: datetime, caused_by: str | None) -> None:
        """End the case; refused while a step of the outcome's path is missing."""
        self._check_open()
        if outcome != "withdrawn":
            missing = sorted(set(required_steps(outcome)) - self.done_steps)
            if not missing and (self.sent_letter is None or self.sent_letter.kind != outcome):
                missing = [9 if outcome == "meeting_provided" else 4]
            if missing:
                raise refusals.steps_missing(missing)
        steps = [  # as the case stands: a returned draft's first round of steps 7 and 8 left out
            {"sop_step": r.sop_step, "actor": stored_actor(r.actor), "at": r.at}
            for r in self.records
            if self._counts(r)
        ]
        self.trigger_event(
            self.Closed,
            outcome=outcome,
            steps=steps,
            meeting_minutes_taken=self.minutes_for_meeting(),
            sla_breaches=[b.sop_step for b in self.sla_breaches],
            closed_at=at,
            caused_by=caused_by,
        )
