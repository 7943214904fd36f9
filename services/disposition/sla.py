"""The time limits of the SOP's timed steps, as pure functions and the figures they record.

Step 5 (the meeting) is due 15 minutes after the disposition to staff (step 4); step 8 (the
draft reported to the Kadis) one working day after the Kabid received it (step 7), counted with
the office's working calendar as the administrator keeps it (holidays, office hours; a draft
received outside office hours counts from the next opening: see
:meth:`shared.calendar.WorkingCalendar.add_working_days`). A deadline is recorded with the step
that meets it, so a later change of the calendar moves only deadlines still pending. The limits
themselves are in :mod:`shared.procedure`, which the audit checks too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.calendar import WorkingCalendar
from shared.procedure import (
    MEETING_LIMIT,
    MEETING_LIMIT_TEXT,
    REVIEW_LIMIT_TEXT,
    REVIEW_LIMIT_WORKING_DAYS,
)

# Each timed step, the step its time is counted from, and its limit as the record states it.
TIMED_STEPS: dict[int, tuple[int, str]] = {
    5: (4, MEETING_LIMIT_TEXT),
    8: (7, REVIEW_LIMIT_TEXT),
}


@dataclass(frozen=True)
class SlaFigures:
    """What a completed timed step records of its limit: the figures and whether it was late."""

    limit: str
    started_at: datetime
    deadline: datetime
    completed_at: datetime
    minutes_taken: float
    breached: bool


@dataclass(frozen=True)
class SlaBreach:
    """A timed step found late: when it was done (``None``: flagged while still open)."""

    sop_step: int
    limit: str
    started_at: datetime
    deadline: datetime
    completed_at: datetime | None


def meeting_deadline(disposed_to_staff_at: datetime) -> datetime:
    return disposed_to_staff_at + MEETING_LIMIT


def review_deadline(received_at: datetime, calendar: WorkingCalendar) -> datetime:
    return calendar.add_working_days(received_at, REVIEW_LIMIT_WORKING_DAYS)


def minutes_between(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 60, 1)


def sla_figures(
    limit: str, started: datetime, deadline: datetime, completed: datetime
) -> SlaFigures:
    return SlaFigures(
        limit=limit,
        started_at=started,
        deadline=deadline,
        completed_at=completed,
        minutes_taken=minutes_between(started, completed),
        breached=completed > deadline,
    )


def late(step: int, figures: SlaFigures) -> SlaBreach | None:
    """The breach a timed step done after its deadline records (``None`` if done in time)."""
    if not figures.breached:
        return None
    return SlaBreach(
        step, figures.limit, figures.started_at, figures.deadline, figures.completed_at
    )


def overdue(step: int, started_at: datetime, deadline: datetime, now: datetime) -> SlaBreach | None:
    """The breach of a timed step still open once its deadline has passed (``None`` before)."""
    if now <= deadline:
        return None
    return SlaBreach(step, TIMED_STEPS[step][1], started_at, deadline, None)
