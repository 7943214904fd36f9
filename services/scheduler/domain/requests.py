"""What the scheduler remembers of each meeting request, from the wish to how its case ended.

The stored events keep the fields they were first written with (plain dicts for the licence, the
conflicts, the alternatives and the actors: existing stores replay them); their mutators build
the typed values of :mod:`.values` from those fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.scheduler.domain.policy import Slot
from services.scheduler.domain.values import (
    CaseClosing,
    Conflict,
    HeldAccount,
    Hold,
    Meeting,
    SlotCheck,
    StaffTask,
    Withdrawal,
)
from shared.errors import ClosedCase, NotFound, OutOfOrder
from shared.events import Actor

Status = Literal[
    "submitted", "available", "full", "staff_task_open", "meeting_created", "withdrawn"
]


class MeetingRequest(Aggregate):
    """What the scheduler knows of one request: the wish, the check, the hold, the meeting, and
    how its case ended.

    Whether the request is still alive is the case's to say (disposition), not the scheduler's:
    the hold is released only when ``CaseClosed`` says ``withdrawn`` (``Withdrawn``, which is
    published as ``MeetingCancelled``), and a closed case takes no meeting any more.
    """

    @staticmethod
    def create_id(request_id: UUID) -> UUID:
        return request_id

    @event("Remembered")
    def __init__(
        self,
        request_id: UUID,
        topic: str,
        start: datetime,
        end: datetime,
        participants: int,
        opd_code: str,
        opd_name: str,
        agenda_number: str,
        caused_by: str | None,
    ) -> None:
        self.topic = topic
        self.start = start
        self.end = end
        self.participants = participants
        self.opd_code = opd_code
        self.opd_name = opd_name
        self.agenda_number = agenda_number
        self.check: SlotCheck | None = None
        self.hold: Hold | None = None
        self.staff_task: StaffTask | None = None
        self.meeting: Meeting | None = None
        self.withdrawn: Withdrawal | None = None
        self.case_closed: CaseClosing | None = None

    # ---- guards

    @property
    def closed(self) -> bool:
        return self.case_closed is not None or self.withdrawn is not None

    def check_case_open(self) -> None:
        if self.withdrawn is not None:
            raise ClosedCase(
                "the request was withdrawn by its OPD and its case is closed",
                "permohonan telah dibatalkan oleh OPD dan kasusnya sudah ditutup",
            )
        if self.case_closed is not None:
            raise ClosedCase(
                f"the case of this request is closed ({self.case_closed.outcome})",
                "kasus permohonan ini sudah ditutup",
            )

    def check_can_create_meeting(self) -> Hold:
        """The hold the meeting is to be made on, once the procedure allows it."""
        self.check_case_open()
        if self.meeting is not None:
            raise OutOfOrder(
                f"the meeting for this request exists already ({self.meeting.meeting_id})",
                f"rapat untuk permohonan ini sudah dibuat ({self.meeting.meeting_id})",
            )
        if self.staff_task is None:
            raise OutOfOrder(
                "the request has not been disposed to staff yet (SOP step 4)",
                "permohonan belum didisposisikan kepada staf (langkah 4 SOP)",
            )
        if self.hold is None:
            raise OutOfOrder(
                "no host account is held for this request: the schedule was full",
                "tidak ada akun host yang dipesan untuk permohonan ini: jadwal penuh",
            )
        return self.hold

    # ---- changes

    def record_check(self, check: SlotCheck, days: Sequence[str], caused_by: str | None) -> None:
        """Record the check; when it found a licence, hold it on ``days``."""
        self._slot_checked(
            start=check.start,
            end=check.end,
            participants=check.participants,
            available=check.available,
            host_account=None if check.host is None else check.host.fields(),
            days=list(days),
            buffer_minutes=check.buffer_minutes,
            conflicts=[c.fields() for c in check.conflicts],
            alternatives=[a.as_dict() for a in check.alternatives],
            checked_at=check.checked_at,
            caused_by=caused_by,
        )

    @event("SlotChecked")
    def _slot_checked(
        self,
        start: datetime,
        end: datetime,
        participants: int,
        available: bool,
        host_account: dict[str, Any] | None,
        days: list[str],
        buffer_minutes: int,
        conflicts: list[dict[str, Any]],
        alternatives: list[dict[str, Any]],
        checked_at: datetime,
        caused_by: str | None,
    ) -> None:
        host = None if host_account is None else HeldAccount.from_fields(host_account)
        self.check = SlotCheck(
            start=start,
            end=end,
            participants=participants,
            available=available,
            host=host,
            buffer_minutes=buffer_minutes,
            conflicts=tuple(Conflict.from_fields(c) for c in conflicts),
            alternatives=tuple(
                Slot(a["host_account_id"], a["start"], a["end"]) for a in alternatives
            ),
            checked_at=checked_at,
        )
        if available and host is not None:
            self.hold = Hold(host, tuple(days))

    def open_staff_task(self, opened_at: datetime, by: Actor, caused_by: str | None) -> None:
        self._staff_task_opened(
            opened_at=opened_at, disposed_by=by.model_dump(), caused_by=caused_by
        )

    @event("StaffTaskOpened")
    def _staff_task_opened(
        self, opened_at: datetime, disposed_by: dict[str, Any], caused_by: str | None
    ) -> None:
        self.staff_task = StaffTask(opened_at, Actor.model_validate(disposed_by))

    def record_meeting(self, meeting: Meeting) -> None:
        self._meeting_recorded(
            meeting_id=meeting.meeting_id,
            passcode=meeting.passcode,
            join_url=meeting.join_url,
            host_account_id=meeting.host_account_id,
            host_email=meeting.host_email,
            topic=self.topic,
            start=self.start,
            end=self.end,
            created_via=meeting.created_via,
            created_by=meeting.created_by.model_dump(),
            created_at=meeting.created_at,
        )

    @event("MeetingRecorded")
    def _meeting_recorded(
        self,
        meeting_id: str,
        passcode: str,
        join_url: str,
        host_account_id: str,
        host_email: str,
        topic: str,
        start: datetime,
        end: datetime,
        created_via: str,
        created_by: dict[str, Any],
        created_at: datetime,
    ) -> None:
        self.meeting = Meeting(
            meeting_id=meeting_id,
            passcode=passcode,
            join_url=join_url,
            host_account_id=host_account_id,
            host_email=host_email,
            created_via=created_via,
            created_by=Actor.model_validate(created_by),
            created_at=created_at,
        )

    def withdraw(self, reason: str, by: Actor, at: datetime, caused_by: str | None) -> None:
        """Release the hold (and the meeting, if any): the case was closed as withdrawn."""
        self._withdrawn(
            reason=reason,
            withdrawn_by=by.model_dump(),
            withdrawn_at=at,
            released_host_account_id=self.hold.account.host_account_id if self.hold else None,
            released_meeting_id=self.meeting.meeting_id if self.meeting else None,
            caused_by=caused_by,
        )

    @event("Withdrawn")
    def _withdrawn(
        self,
        reason: str,
        withdrawn_by: dict[str, Any],
        withdrawn_at: datetime,
        released_host_account_id: str | None,
        released_meeting_id: str | None,
        caused_by: str | None,
    ) -> None:
        self.withdrawn = Withdrawal(reason, Actor.model_validate(withdrawn_by), withdrawn_at)
        self.hold = None

    @event("CaseClosedNoted")
    def note_case_closed(self, outcome: str, closed_at: datetime, caused_by: str | None) -> None:
        self.case_closed = CaseClosing(outcome, closed_at)

    # ---- what it comes to

    @property
    def minutes_taken(self) -> float | None:
        """From the staff task opening to the meeting recorded (the 15-minute limit)."""
        if self.meeting is None or self.staff_task is None:
            return None
        taken: timedelta = self.meeting.created_at - self.staff_task.opened_at
        return round(taken.total_seconds() / 60, 1)

    @property
    def status(self) -> Status:
        if self.withdrawn is not None:
            return "withdrawn"
        if self.meeting is not None:
            return "meeting_created"
        if self.staff_task is not None:
            return "staff_task_open"
        if self.check is not None:
            return "available" if self.check.available else "full"
        return "submitted"


def not_found(request_id: UUID) -> NotFound:
    return NotFound(
        f"request {request_id} is unknown to the scheduler",
        f"permohonan {request_id} tidak dikenal oleh penjadwal",
    )
