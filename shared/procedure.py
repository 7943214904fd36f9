"""What SOP 067/32/SOP/DKISP/2022 fixes that more than one part of the system checks: the steps
each way of ending a case requires, and the time limits of steps 5 and 8.

The disposition service holds the case to them; ``sivicon audit`` checks a request's events
against them. Pure standard library.
"""

from __future__ import annotations

from datetime import timedelta

# The schedule was free: all ten steps, the meeting (5) and the reply signed by Kadis (9).
MEETING_PROVIDED_STEPS = tuple(range(1, 11))
# The schedule was full: the Subkoordinator informs the OPD at step 4, which receives it (10).
SCHEDULE_FULL_STEPS = (1, 2, 3, 4, 10)


def required_steps(outcome: str) -> tuple[int, ...]:
    """The steps that must be recorded before a case may close with ``outcome``."""
    return MEETING_PROVIDED_STEPS if outcome == "meeting_provided" else SCHEDULE_FULL_STEPS


# Step 5: staff create the meeting within 15 minutes of the disposition to them (step 4).
MEETING_LIMIT = timedelta(minutes=15)
MEETING_LIMIT_TEXT = "15 menit"
# Step 8: Kabid reports the draft reply to Kadis within one working day of receiving it (step 7).
REVIEW_LIMIT_WORKING_DAYS = 1
REVIEW_LIMIT_TEXT = "1 hari kerja"
