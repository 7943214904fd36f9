"""What the scheduler remembers of each meeting request, from the wish to how its case ended."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from shared.errors import ClosedCase, NotFound, OutOfOrder
from shared.procedure import MEETING_LIMIT


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
        self.check: dict[str, Any] | None = None
        self.hold: dict[str, Any] | None = None
        self.staff_task_opened_at: datetime | None = None
        self.staff_task_opened_by: dict[str, Any] | None = None
        self.meeting: dict[str, Any] | None = None
        self.withdrawn: dict[str, Any] | None = None
        self.case_closed: dict[str, Any] | None = None

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
                f"the case of this request is closed ({self.case_closed['outcome']})",
                "kasus permohonan ini sudah ditutup",
            )

    def check_can_create_meeting(self) -> None:
        self.check_case_open()
        if self.meeting is not None:
            raise OutOfOrder(
                f"the meeting for this request exists already ({self.meeting['meeting_id']})",
                f"rapat untuk permohonan ini sudah dibuat ({self.meeting['meeting_id']})",
            )
        if self.staff_task_opened_at is None:
            raise OutOfOrder(
                "the request has not been disposed to staff yet (SOP step 4)",
                "permohonan belum didisposisikan kepada staf (langkah 4 SOP)",
            )
        if self.hold is None:
            raise OutOfOrder(
                "no host account is held for this request: the schedule was full",
                "tidak ada akun host yang dipesan untuk permohonan ini: jadwal penuh",
            )

    # ---- changes

    @event("SlotChecked")
    def record_check(
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
        self.check = {
            "available": available,
            "host_account": host_account,
            "buffer_minutes": buffer_minutes,
            "conflicts": conflicts,
            "alternatives": alternatives,
            "checked_at": checked_at,
        }
        if available and host_account is not None:
            self.hold = {**host_account, "days": days}

    @event("StaffTaskOpened")
    def open_staff_task(
        self, opened_at: datetime, disposed_by: dict[str, Any], caused_by: str | None
    ) -> None:
        self.staff_task_opened_at = opened_at
        self.staff_task_opened_by = disposed_by

    @event("MeetingRecorded")
    def record_meeting(
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
        self.meeting = {
            "provider": "zoom",
            "meeting_id": meeting_id,
            "passcode": passcode,
            "join_url": join_url,
            "host_account_id": host_account_id,
            "host_email": host_email,
            "created_via": created_via,
            "created_by": created_by,
            "created_at": created_at,
        }

    @event("Withdrawn")
    def withdraw(
        self,
        reason: str,
        withdrawn_by: dict[str, Any],
        withdrawn_at: datetime,
        released_host_account_id: str | None,
        released_meeting_id: str | None,
        caused_by: str | None,
    ) -> None:
        self.withdrawn = {"reason": reason, "by": withdrawn_by, "at": withdrawn_at}
        self.hold = None

    @event("CaseClosedNoted")
    def note_case_closed(self, outcome: str, closed_at: datetime, caused_by: str | None) -> None:
        self.case_closed = {"outcome": outcome, "at": closed_at}

    # ---- views

    def as_dict(self) -> dict[str, Any]:
        deadline = self.staff_task_opened_at + MEETING_LIMIT if self.staff_task_opened_at else None
        minutes_taken = None
        if self.meeting is not None and self.staff_task_opened_at is not None:
            taken = self.meeting["created_at"] - self.staff_task_opened_at
            minutes_taken = round(taken.total_seconds() / 60, 1)
        return {
            "request_id": str(self.id),
            "agenda_number": self.agenda_number,
            "opd_code": self.opd_code,
            "opd_name": self.opd_name,
            "topic": self.topic,
            "start": self.start,
            "end": self.end,
            "participants": self.participants,
            "status": self.status,
            "check": self.check,
            "hold": self.hold,
            "staff_task": None
            if self.staff_task_opened_at is None
            else {
                "opened_at": self.staff_task_opened_at,
                "opened_by": self.staff_task_opened_by,
                "deadline": deadline,
                "minutes_taken": minutes_taken,
            },
            "meeting": self.meeting,
            "withdrawn": self.withdrawn,
            "case_closed": self.case_closed,
        }

    @property
    def status(self) -> str:
        if self.withdrawn is not None:
            return "withdrawn"
        if self.meeting is not None:
            return "meeting_created"
        if self.staff_task_opened_at is not None:
            return "staff_task_open"
        if self.check is not None:
            return "available" if self.check["available"] else "full"
        return "submitted"


def not_found(request_id: UUID) -> NotFound:
    return NotFound(
        f"request {request_id} is unknown to the scheduler",
        f"permohonan {request_id} tidak dikenal oleh penjadwal",
    )
