"""The search and filters of the case lists and inboxes, and the inbox's counters: pure functions
over :class:`~services.disposition.views.CaseRow` at a given moment.

They run in the service, over every case the caller may read, so that a page of the answer and
its ``total`` agree with the whole list, however long it grows (the portal used to filter the
first 500 rows it fetched, and missed the rest). Whether a case is new, due soon or overdue
depends on the moment asked, never on when its row was built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from services.disposition.views import CaseRow, InboxCounters
from shared.errors import InvalidInput
from shared.procedure import DUE_SOON, NEW_WITHIN

Urgency = Literal["new", "due_soon", "overdue"]


def is_new(row: CaseRow, now: datetime) -> bool:
    """Open, and at its current step (or opened) within :data:`NEW_WITHIN`."""
    return not row.closed and now - row.waiting_since <= NEW_WITHIN


def is_overdue(row: CaseRow, now: datetime) -> bool:
    """Open, and its step's deadline has passed."""
    return not row.closed and row.due_at is not None and row.due_at < now


def is_due_soon(row: CaseRow, now: datetime) -> bool:
    """Open, and :data:`DUE_SOON` or less left before its step's deadline."""
    return not row.closed and row.due_at is not None and now <= row.due_at <= now + DUE_SOON


URGENCY = {"new": is_new, "due_soon": is_due_soon, "overdue": is_overdue}


@dataclass(frozen=True)
class CaseSearch:
    """What a list is narrowed to: each given criterion must hold (all of them, together)."""

    text: str = ""
    agency: str = ""
    date_from: date | None = None
    date_to: date | None = None
    state: Urgency | None = None
    step: int | None = None
    request_ids: frozenset[UUID] = frozenset()

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput(
                "date_from is after date_to",
                "tanggal awal sesudah tanggal akhir",
                details=[{"field": "date_to", "message": "must not be before date_from"}],
            )

    @property
    def active(self) -> bool:
        return self != CaseSearch()

    def matches(self, row: CaseRow, now: datetime, zone: ZoneInfo) -> bool:
        text, agency = self.text.strip().casefold(), self.agency.strip().casefold()
        searched = (row.agenda_number, row.letter_number, row.hal, row.meeting_topic)
        meeting_day = row.meeting_start.astimezone(zone).date()
        return (
            (not text or any(text in field.casefold() for field in searched))
            and (not agency or agency in f"{row.opd_code} {row.opd_name}".casefold())
            and (self.date_from is None or meeting_day >= self.date_from)
            and (self.date_to is None or meeting_day <= self.date_to)
            and (self.state is None or URGENCY[self.state](row, now))
            and (self.step is None or row.pending_step == self.step)
            and (not self.request_ids or row.case_id in self.request_ids)
        )


def counters(rows: Iterable[CaseRow], now: datetime) -> InboxCounters:
    """How many of the open ``rows`` are new, open at all, due soon and overdue."""
    open_rows = [r for r in rows if not r.closed]
    return InboxCounters(
        new=sum(is_new(r, now) for r in open_rows),
        open=len(open_rows),
        due_soon=sum(is_due_soon(r, now) for r in open_rows),
        overdue=sum(is_overdue(r, now) for r in open_rows),
    )
