"""The time limits of the SOP's timed steps, as pure functions.

Step 5 (the meeting) is due 15 minutes after the disposition to staff (step 4); step 8 (the
draft reported to the Kadis) one working day after the Kabid received it (step 7). The limits
themselves are in :mod:`shared.procedure`, which the audit checks too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


def meeting_deadline(disposed_to_staff_at: datetime) -> datetime:
    return disposed_to_staff_at + MEETING_LIMIT


def review_deadline(received_at: datetime, calendar: WorkingCalendar) -> datetime:
    return calendar.add_working_days(received_at, REVIEW_LIMIT_WORKING_DAYS)


def minutes_between(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 60, 1)


def sla_figures(
    limit: str, started: datetime, deadline: datetime, completed: datetime
) -> dict[str, Any]:
    """What a completed timed step records of its limit: the figures and whether it was late."""
    return {
        "limit": limit,
        "started_at": started,
        "deadline": deadline,
        "completed_at": completed,
        "minutes_taken": minutes_between(started, completed),
        "breached": completed > deadline,
    }
