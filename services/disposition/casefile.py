"""The case file: what is recorded of one request, how it is read, its time limits, its closing.

:class:`CaseFile` is the base of the :class:`~services.disposition.domain.Case` aggregate: the
records (each: SOP step, kind, actor, time, addressee, instruction, note, sifat, references, SLA
figures), the queries over them (which steps are done, which is pending and whose turn it is),
the SLA breach record and the closing, which is refused while a step of the outcome's path is
missing. Records are only ever appended.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from services.disposition.procedure import ROLE_FOR_STEP
from shared.calendar import WorkingCalendar
from shared.errors import OutOfOrder
from shared.procedure import (
    MEETING_LIMIT,
    MEETING_LIMIT_TEXT,
    REVIEW_LIMIT_TEXT,
    REVIEW_LIMIT_WORKING_DAYS,
    required_steps,
)
from shared.roles import ROLE_NAMES

# Record kinds that complete a step of the procedure (the others document it).
STEP_KINDS = ("request", "disposition", "meeting", "letter_sent", "letter_received")


def label(role: str | None) -> str:
    return ROLE_NAMES.get(role or "", role or "-")


def sla_figures(
    limit: str, started: datetime, deadline: datetime, completed: datetime
) -> dict[str, Any]:
    return {
        "limit": limit,
        "started_at": started,
        "deadline": deadline,
        "completed_at": completed,
        "minutes_taken": round((completed - started).total_seconds() / 60, 1),
        "breached": completed > deadline,
    }


class CaseFile(Aggregate):
    if TYPE_CHECKING:  # set by Case.__init__; class annotations would become event fields
        request: dict[str, Any]
        records: list[dict[str, Any]]
        slot_checks: list[dict[str, Any]]
        drafts: list[dict[str, Any]]
        meeting: dict[str, Any] | None
        branch: str | None  # "free" (to staf) or "full" (to opd), set at step 4
        forwarded_letter_id: UUID | None
        sent_letter: dict[str, Any] | None
        sla_breaches: list[dict[str, Any]]
        closed: dict[str, Any] | None

    # ------------------------------------------------------------------ state, as read

    def _append(self, **record: Any) -> dict[str, Any]:
        row = {
            "seq": len(self.records) + 1,
            "to_role": None,
            "instruction": "",
            "note": "",
            "sifat": None,
            "refs": {},
            "sla": None,
            **record,
        }
        self.records.append(row)
        return row

    @property
    def done_steps(self) -> set[int]:
        return {r["sop_step"] for r in self.records if r["kind"] in STEP_KINDS}

    def step_record(self, step: int) -> dict[str, Any] | None:
        """The first record completing ``step`` (later ones are corrections)."""
        return next(
            (r for r in self.records if r["sop_step"] == step and r["kind"] in STEP_KINDS), None
        )

    @property
    def pending_step(self) -> int | None:
        if self.closed is not None:
            return None
        done = self.done_steps
        if self.branch == "full":
            return 10 if self.sent_letter else 4
        return next((s for s in range(2, 11) if s not in done), None)

    @property
    def current_role(self) -> str | None:
        step = self.pending_step
        return None if step is None else ROLE_FOR_STEP[step]

    @property
    def latest_slot_check(self) -> dict[str, Any] | None:
        return self.slot_checks[-1] if self.slot_checks else None

    @property
    def sifat(self) -> str:
        sifats = [r["sifat"] for r in self.records if r["sifat"]]
        return sifats[-1] if sifats else "biasa"

    def draft(self, letter_id: UUID) -> dict[str, Any] | None:
        found = [d for d in self.drafts if d["letter_id"] == letter_id]
        return found[-1] if found else None

    def deadline_of(self, step: int, calendar: WorkingCalendar | None = None) -> datetime | None:
        """When the pending timed step (5 or 8) falls due, counted from the step before it."""
        if step == 5 and (start := self.step_record(4)) is not None and self.branch == "free":
            return start["at"] + MEETING_LIMIT  # type: ignore[no-any-return]
        if step == 8 and (start := self.step_record(7)) is not None:
            calendar = calendar or WorkingCalendar()
            return calendar.add_working_days(start["at"], REVIEW_LIMIT_WORKING_DAYS)
        return None

    def minutes_for_meeting(self) -> float | None:
        start, done = self.step_record(4), self.step_record(5)
        if start is None or done is None:
            return None
        minutes: float = (done["at"] - start["at"]).total_seconds() / 60
        return round(minutes, 1)

    # ------------------------------------------------------------------ guards

    def _check_open(self) -> None:
        if self.closed is not None:
            raise OutOfOrder(
                f"the case is closed ({self.closed['outcome']})",
                "kasus sudah ditutup",
            )

    # ------------------------------------------------------------------ SLA

    def breached(self, step: int) -> bool:
        return any(b["sop_step"] == step for b in self.sla_breaches)

    def flag_overdue(self, now: datetime, calendar: WorkingCalendar) -> bool:
        """Record the breach of the pending timed step once its deadline has passed."""
        step = self.pending_step
        if step not in (5, 8) or self.breached(step):
            return False
        deadline = self.deadline_of(step, calendar)
        start = self.step_record(4 if step == 5 else 7)
        if deadline is None or start is None or now <= deadline:
            return False
        self.trigger_event(
            self.SlaBreachRecorded,
            sop_step=step,
            limit=MEETING_LIMIT_TEXT if step == 5 else REVIEW_LIMIT_TEXT,
            started_at=start["at"],
            deadline=deadline,
            completed_at=None,
            caused_by=None,
        )
        return True

    def _note_breach(self, record: dict[str, Any], caused_by: str | None) -> None:
        sla = record["sla"]
        if sla is None or not sla["breached"] or self.breached(record["sop_step"]):
            return  # on time, or already flagged when the deadline passed
        self.trigger_event(
            self.SlaBreachRecorded,
            sop_step=record["sop_step"],
            limit=sla["limit"],
            started_at=sla["started_at"],
            deadline=sla["deadline"],
            completed_at=sla["completed_at"],
            caused_by=caused_by,
        )

    class SlaBreachRecorded(Aggregate.Event):
        sop_step: int
        limit: str
        started_at: datetime
        deadline: datetime
        completed_at: datetime | None
        caused_by: str | None

        def apply(self, aggregate: CaseFile) -> None:
            aggregate.sla_breaches.append(
                {
                    "sop_step": self.sop_step,
                    "limit": self.limit,
                    "started_at": self.started_at,
                    "deadline": self.deadline,
                    "completed_at": self.completed_at,
                }
            )

    # ------------------------------------------------------------------ closing

    def close(self, *, outcome: str, at: datetime, caused_by: str | None) -> None:
        """End the case; refused while a step of the outcome's path is missing."""
        self._check_open()
        if outcome != "withdrawn":
            missing = sorted(set(required_steps(outcome)) - self.done_steps)
            if not missing and (self.sent_letter is None or self.sent_letter["kind"] != outcome):
                missing = [9 if outcome == "meeting_provided" else 4]
            if missing:
                raise OutOfOrder(
                    f"the case cannot be closed: steps {missing} are not recorded",
                    f"kasus belum dapat ditutup: langkah {missing} belum tercatat",
                )
        steps = [
            {"sop_step": r["sop_step"], "actor": r["actor"], "at": r["at"]}
            for r in self.records
            if r["kind"] in STEP_KINDS
        ]
        self.trigger_event(
            self.Closed,
            outcome=outcome,
            steps=steps,
            meeting_minutes_taken=self.minutes_for_meeting(),
            sla_breaches=[b["sop_step"] for b in self.sla_breaches],
            closed_at=at,
            caused_by=caused_by,
        )

    class Closed(Aggregate.Event):
        outcome: str
        steps: list[dict[str, Any]]
        meeting_minutes_taken: float | None
        sla_breaches: list[int]
        closed_at: datetime
        caused_by: str | None

        def apply(self, aggregate: CaseFile) -> None:
            aggregate.closed = {"outcome": self.outcome, "at": self.closed_at}
