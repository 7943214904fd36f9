"""The disposition application: cases opened, disposed and reported on; cases read and listed.

Dispositions come from the HTTP API and are saved with ``save``. What the other services report
arrives as their integration events through the library's ``process_event``: the ``policy`` has
one method per event, collects the case it changed (nothing for a duplicate), and the library
stores it with the message's tracking in one transaction; a report that can never apply raises a
:class:`~shared.errors.SiviconError` and is dead-lettered. Lists and inboxes read an
:class:`~shared.readmodel.AggregateIndex` of the cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime
from functools import singledispatchmethod
from typing import Any, Literal
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import IntegrityError

from services.disposition.domain import (
    Case,
    Draft,
    Meeting,
    Record,
    RequestDetails,
    SentLetter,
    SlotCheck,
)
from services.disposition.sheet import DispositionSheet
from services.disposition.views import CaseRow, CaseView, HistoryView
from shared.access import check_kind, check_owner, may_read
from shared.calendar import WorkingCalendar
from shared.errors import NotFound, OutOfOrder
from shared.events import (
    Actor,
    LetterDrafted,
    LetterReceived,
    LetterSent,
    MeetingCreated,
    RequestSubmitted,
    RequestWithdrawn,
    SlotChecked,
)
from shared.eventstore import ServiceApplication, cause_of
from shared.httpapi import Page, page
from shared.readmodel import AggregateIndex
from shared.roles import OFFICE_ROLES, effective_role

COMMAND_ATTEMPTS = 3

# The fields of ``RequestSubmitted`` the case keeps.
REQUEST_FIELDS = {field.name for field in fields(RequestDetails)}


class DispositionApplication(ServiceApplication):
    def __init__(
        self, env: Mapping[str, str] | None = None, calendar: WorkingCalendar | None = None
    ) -> None:
        super().__init__(env=env)
        self.calendar = calendar or WorkingCalendar()
        self.cases = AggregateIndex(self, Case, self._row)

    # ------------------------------------------------------------------ commands (HTTP)

    def dispose(
        self,
        case_id: UUID,
        actor: Actor,
        to_role: str,
        instruction: str | None = None,
        note: str = "",
        sifat: str | None = None,
        letter_id: UUID | None = None,
    ) -> Record:
        """Steps 2, 3, 4, 6, 7, 8; returns the new record."""
        for attempt in range(COMMAND_ATTEMPTS):
            case = self._case(case_id)
            record = case.dispose(
                actor=actor,
                to_role=to_role,
                instruction=instruction,
                note=note,
                sifat=sifat,
                letter_id=letter_id,
                calendar=self.calendar,
            )
            try:
                self.save(case)
            except IntegrityError:
                # A report about the same case was stored meanwhile: decide again on fresh state.
                if attempt == COMMAND_ATTEMPTS - 1:
                    raise OutOfOrder(
                        "the case changed meanwhile; please try again",
                        "kasus baru saja berubah; silakan coba lagi",
                    ) from None
                continue
            return record
        raise AssertionError("unreachable")

    def flag_overdue_cases(self, now: datetime | None = None) -> int:
        """Record ``SlaBreached`` for every open case whose timed step is past its deadline."""
        now = now or datetime.now(UTC)
        flagged = 0
        for row in self.cases.rows():
            if row.closed or row.due_at is None or row.due_at >= now:
                continue
            case = self._case(row.case_id)
            if case.flag_overdue(now, self.calendar):
                try:
                    self.save(case)
                except IntegrityError:
                    continue  # the case moved meanwhile; the next round looks again
                flagged += 1
        return flagged

    # ------------------------------------------------------------------ reports (consumed)

    @singledispatchmethod
    def policy(self, event: Any, processing: ProcessingEvent[UUID]) -> None:
        """Events no method is registered for change nothing. Each method below collects the
        case it changed; a duplicate collects nothing (only its position is recorded)."""

    @policy.register
    def _(self, event: RequestSubmitted, processing: ProcessingEvent[UUID]) -> None:
        """Step 1: a case per request; the same request again opens nothing."""
        request = RequestDetails.from_stored(event.model_dump(include=REQUEST_FIELDS))
        existing = self.get_or_none(event.request_id)
        if existing is None:
            cause = cause_of(processing)
            processing.collect_events(
                Case.open(event.request_id, request, event.submitted_by, cause)
            )
        elif existing.request != request:
            raise OutOfOrder(
                f"case {event.request_id} was opened from different request details",
                "kasus untuk permohonan ini sudah dibuka dengan data berbeda",
            )

    @policy.register
    def _(self, event: SlotChecked, processing: ProcessingEvent[UUID]) -> None:
        case = self._case(event.request_id)
        check = SlotCheck.from_stored(event.model_dump(exclude={"request_id"}))
        if case.record_slot_check(check, cause_of(processing)):
            processing.collect_events(case)

    @policy.register
    def _(self, event: MeetingCreated, processing: ProcessingEvent[UUID]) -> None:
        case = self._case(event.request_id)
        meeting = Meeting.from_stored(event.model_dump(exclude={"request_id", "created_by"}))
        if case.record_meeting(meeting, event.created_by, cause_of(processing)):
            processing.collect_events(case)

    @policy.register
    def _(self, event: LetterDrafted, processing: ProcessingEvent[UUID]) -> None:
        case = self._case(event.request_id)
        draft = Draft(event.letter_id, event.kind, event.hal, event.draft_sha256, event.drafted_at)
        if case.record_draft(draft, event.drafted_by, cause_of(processing)):
            processing.collect_events(case)

    @policy.register
    def _(self, event: LetterSent, processing: ProcessingEvent[UUID]) -> None:
        case = self._case(event.request_id)
        letter = SentLetter(
            event.letter_id,
            event.kind,
            event.number,
            list(event.channels),
            event.pdf_sha256,
            event.verification_url,
            event.sent_at,
        )
        if case.record_letter_sent(letter, event.signer, cause_of(processing)):
            processing.collect_events(case)

    @policy.register
    def _(self, event: LetterReceived, processing: ProcessingEvent[UUID]) -> None:
        case = self._case(event.request_id)
        cause = cause_of(processing)
        if case.record_receipt(event.letter_id, event.received_by, event.received_at, cause):
            processing.collect_events(case)

    @policy.register
    def _(self, event: RequestWithdrawn, processing: ProcessingEvent[UUID]) -> None:
        """The OPD asked to withdraw; the case decides: an open case closes as ``withdrawn``,
        a closed one records the refusal (``WithdrawalRefused``) and keeps its outcome."""
        case = self._case(event.request_id)
        cause = cause_of(processing)
        if case.withdraw(event.reason, event.withdrawn_by, event.withdrawn_at, cause):
            processing.collect_events(case)

    # ------------------------------------------------------------------ queries

    def get_case(self, case_id: UUID, reader: Actor) -> CaseView:
        return CaseView.of(self._readable(case_id, reader), self.calendar)

    def history(self, case_id: UUID, reader: Actor) -> HistoryView:
        return HistoryView.of(self._readable(case_id, reader), self.calendar)

    def disposition_sheet(self, case_id: UUID, reader: Actor) -> DispositionSheet:
        return DispositionSheet.of(self._readable(case_id, reader), self.calendar.timezone)

    def inbox(self, reader: Actor, limit: int = 50, offset: int = 0) -> Page[CaseRow]:
        """Open cases waiting for the reader's role (an OPD: its agency's open cases)."""
        role = effective_role(reader)
        rows = [r for r in self._rows_for(reader) if not r.closed]
        if role in OFFICE_ROLES:
            rows = [r for r in rows if r.current_role == role]
        return page(sorted(rows, key=lambda r: r.waiting_since), limit, offset)

    def list_cases(
        self,
        reader: Actor,
        status: Literal["all", "open", "closed"] = "all",
        limit: int = 50,
        offset: int = 0,
    ) -> Page[CaseRow]:
        """Every case the reader may read, newest first, optionally only open or closed ones."""
        rows = self._rows_for(reader)
        if status != "all":
            rows = [r for r in rows if r.closed == (status == "closed")]
        return page(sorted(rows, key=lambda r: r.opened_at, reverse=True), limit, offset)

    def _rows_for(self, reader: Actor) -> list[CaseRow]:
        check_kind(reader, "case")
        return [r for r in self.cases.rows() if may_read(reader, "case", r.opd_code)]

    def _row(self, case: Case) -> CaseRow:
        return CaseRow.of(case, self.calendar)

    def _case(self, case_id: UUID) -> Case:
        case = self.get_or_none(case_id)
        if not isinstance(case, Case):
            raise NotFound(f"no case {case_id}", "kasus tidak ditemukan")
        return case

    def _readable(self, case_id: UUID, reader: Actor) -> Case:
        check_kind(reader, "case")
        case = self._case(case_id)
        check_owner(reader, "case", case.request.opd_code)
        return case
