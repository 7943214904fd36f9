"""The disposition application: cases opened, disposed and reported on; cases read and listed.

Dispositions come from the HTTP API and are saved with ``save``. What the other services report
arrives as their integration events through the library's ``process_event``: the ``policy`` has
one method per event, collects the case it changed (nothing for a duplicate), and the library
stores it with the message's tracking in one transaction; a report that can never apply raises a
:class:`~shared.errors.SiviconError` and is dead-lettered. Lists and inboxes read an
:class:`~shared.readmodel.AggregateIndex` of the cases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from functools import singledispatchmethod
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import IntegrityError

from services.disposition.calendar_keeper import CalendarKeeper
from services.disposition.domain import (
    Case,
    Draft,
    Meeting,
    Record,
    RequestDetails,
    SentLetter,
    SlotCheck,
)
from services.disposition.search import CaseSearch, counters
from services.disposition.sheet import DispositionSheet
from services.disposition.views import CasePage, CaseRow, CaseView, HistoryView, InboxCounters
from shared.access import check_kind, check_owner, may_read
from shared.calendar import OFFICE_TIMEZONE, WorkingCalendar
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
from shared.readmodel import AggregateIndex
from shared.roles import OFFICE_ROLES, effective_role

COMMAND_ATTEMPTS = 3

# The fields of ``RequestSubmitted`` the case keeps.
REQUEST_FIELDS = {field.name for field in fields(RequestDetails)}


class DispositionApplication(ServiceApplication):
    def __init__(
        self, env: Mapping[str, str] | None = None, timezone: str = OFFICE_TIMEZONE
    ) -> None:
        super().__init__(env=env)
        # The admin's holidays and office hours; a change rebuilds the rows' deadlines.
        self.office_calendar = CalendarKeeper(self, timezone, lambda: self.cases.refresh())
        self.cases = AggregateIndex(self, Case, self._row)

    @property
    def calendar(self) -> WorkingCalendar:
        """The office's working calendar, as its administrator last changed it."""
        return self.office_calendar.current()

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
        return self._decide(
            case_id,
            lambda case: case.dispose(
                actor=actor,
                to_role=to_role,
                instruction=instruction,
                note=note,
                sifat=sifat,
                letter_id=letter_id,
                calendar=self.calendar,
            ),
        )

    def return_draft(self, case_id: UUID, actor: Actor, note: str) -> Record:
        """Kabid (step 8) or Kadis (step 9) returns the draft reply with a note."""
        return self._decide(case_id, lambda case: case.return_draft(actor=actor, note=note))

    def _decide(self, case_id: UUID, command: Callable[[Case], Record]) -> Record:
        """Run ``command`` on the case as stored and save what it decided; when a report about
        the same case was stored meanwhile, decide again on the fresh state."""
        for attempt in range(COMMAND_ATTEMPTS):
            case = self._case(case_id)
            record = command(case)
            try:
                self.save(case)
            except IntegrityError:
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
        calendar = self.calendar  # read first: a changed calendar refreshes the rows' due_at
        for row in self.cases.rows():
            if row.closed or row.due_at is None or row.due_at >= now:
                continue
            case = self._case(row.case_id)
            if case.flag_overdue(now, calendar):
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

    def inbox(
        self,
        reader: Actor,
        limit: int = 50,
        offset: int = 0,
        search: CaseSearch | None = None,
        now: datetime | None = None,
    ) -> CasePage:
        """Open cases waiting for the reader's role (an OPD: its agency's open cases), the
        longest waiting first, narrowed by ``search``."""
        rows = sorted(self._inbox_rows(reader), key=lambda r: r.waiting_since)
        return self._page(rows, search, limit, offset, now)

    def inbox_counters(self, reader: Actor, now: datetime | None = None) -> InboxCounters:
        """The reader's inbox in figures: open, new, due soon and overdue cases."""
        return counters(self._inbox_rows(reader), now or datetime.now(UTC))

    def list_cases(
        self,
        reader: Actor,
        status: Literal["all", "open", "closed"] = "all",
        limit: int = 50,
        offset: int = 0,
        search: CaseSearch | None = None,
        now: datetime | None = None,
    ) -> CasePage:
        """Every case the reader may read, newest first, optionally only open or closed ones,
        narrowed by ``search``."""
        rows = self._rows_for(reader)
        if status != "all":
            rows = [r for r in rows if r.closed == (status == "closed")]
        rows.sort(key=lambda r: r.opened_at, reverse=True)
        return self._page(rows, search, limit, offset, now)

    def _inbox_rows(self, reader: Actor) -> list[CaseRow]:
        role = effective_role(reader)
        rows = [r for r in self._rows_for(reader) if not r.closed]
        if role in OFFICE_ROLES:
            rows = [r for r in rows if r.current_role == role]
        return rows

    def _page(
        self,
        rows: list[CaseRow],
        search: CaseSearch | None,
        limit: int,
        offset: int,
        now: datetime | None,
    ) -> CasePage:
        """One page of the ``rows`` that match ``search``, at ``now`` (by default: now)."""
        if search is not None and search.active:
            moment, zone = now or datetime.now(UTC), ZoneInfo(self.calendar.timezone)
            found = [r for r in rows if search.matches(r, moment, zone)]
        else:
            found = rows
        return CasePage(
            items=found[offset : offset + limit],
            total=len(found),
            limit=limit,
            offset=offset,
            unfiltered_total=len(rows),
        )

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
