"""The disposition application: cases opened, disposed and reported on; cases read and listed.

Commands take and return primitives and dicts. The methods the consumers call take the
integration event, the ID of the message that carried it (``caused_by``) and its ``tracking``,
and store the effect and the tracking atomically; they return ``False`` for a duplicate (already
recorded, nothing new stored but the tracking). Listing (inboxes) reads :class:`CaseDirectory`,
a projection of the notification log kept in memory and caught up before each read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking

from services.disposition.domain import Case
from services.disposition.views import (
    case_view,
    disposition_sheet,
    history_view,
    inbox_row,
    record_view,
)
from shared.calendar import WorkingCalendar
from shared.errors import Forbidden, NotFound, OutOfOrder
from shared.events import (
    LetterDrafted,
    LetterReceived,
    LetterSent,
    MeetingCreated,
    RequestSubmitted,
    RequestWithdrawn,
    SlotChecked,
)
from shared.eventstore import ServiceApplication
from shared.roles import OFFICE_ROLES, effective_role

READ_ALL_ROLES = (*OFFICE_ROLES, "auditor", "operator")
COMMAND_ATTEMPTS = 3


class DispositionApplication(ServiceApplication):
    def __init__(
        self, env: Mapping[str, str] | None = None, calendar: WorkingCalendar | None = None
    ) -> None:
        super().__init__(env=env)
        self.calendar = calendar or WorkingCalendar()
        self.directory = CaseDirectory(self)

    # ------------------------------------------------------------------ commands (HTTP)

    def dispose(
        self,
        case_id: UUID,
        actor: dict[str, Any],
        to_role: str,
        instruction: str | None = None,
        note: str = "",
        sifat: str | None = None,
        letter_id: UUID | None = None,
    ) -> dict[str, Any]:
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
            return {"case_id": str(case_id), **record_view(record)}
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ reports (consumers)

    def open_case(self, event: RequestSubmitted, caused_by: str | None, tracking: Tracking) -> bool:
        """Step 1: a case per request; the same request again opens nothing."""
        request = _request_details(event)
        existing = self.get_or_none(event.request_id)
        if existing is not None:
            if existing.request != request:
                raise OutOfOrder(
                    f"case {event.request_id} was opened from different request details",
                    "kasus untuk permohonan ini sudah dibuka dengan data berbeda",
                )
            self.save_tracked(tracking=tracking)
            return False
        case = Case(
            request_id=event.request_id,
            request=request,
            submitted_by=event.submitted_by.model_dump(mode="json"),
            submitted_at=event.submitted_at,
            caused_by=caused_by,
        )
        self.save_tracked(case, tracking=tracking)
        return True

    def record_slot_check(
        self, event: SlotChecked, caused_by: str | None, tracking: Tracking
    ) -> bool:
        check = event.model_dump(mode="json", exclude={"request_id"})
        return self._report(
            event.request_id,
            lambda case: case.record_slot_check(
                check=check, checked_at=event.checked_at, caused_by=caused_by
            ),
            tracking,
        )

    def record_meeting(
        self, event: MeetingCreated, caused_by: str | None, tracking: Tracking
    ) -> bool:
        meeting = event.model_dump(mode="json", exclude={"request_id", "created_by"})
        return self._report(
            event.request_id,
            lambda case: case.record_meeting(
                meeting=meeting,
                actor=event.created_by.model_dump(mode="json"),
                created_at=event.created_at,
                caused_by=caused_by,
            ),
            tracking,
        )

    def record_draft(self, event: LetterDrafted, caused_by: str | None, tracking: Tracking) -> bool:
        return self._report(
            event.request_id,
            lambda case: case.record_draft(
                letter_id=event.letter_id,
                kind=event.kind,
                hal=event.hal,
                draft_sha256=event.draft_sha256,
                actor=event.drafted_by.model_dump(mode="json"),
                drafted_at=event.drafted_at,
                caused_by=caused_by,
            ),
            tracking,
        )

    def record_letter_sent(
        self, event: LetterSent, caused_by: str | None, tracking: Tracking
    ) -> bool:
        return self._report(
            event.request_id,
            lambda case: case.record_letter_sent(
                letter_id=event.letter_id,
                kind=event.kind,
                number=event.number,
                actor=event.signer.model_dump(mode="json"),
                channels=list(event.channels),
                pdf_sha256=event.pdf_sha256,
                verification_url=event.verification_url,
                sent_at=event.sent_at,
                caused_by=caused_by,
            ),
            tracking,
        )

    def record_receipt(
        self, event: LetterReceived, caused_by: str | None, tracking: Tracking
    ) -> bool:
        return self._report(
            event.request_id,
            lambda case: case.record_receipt(
                letter_id=event.letter_id,
                actor=event.received_by.model_dump(mode="json"),
                received_at=event.received_at,
                caused_by=caused_by,
            ),
            tracking,
        )

    def withdraw(self, event: RequestWithdrawn, caused_by: str | None, tracking: Tracking) -> bool:
        """The OPD asked to withdraw; the case decides: an open case closes as ``withdrawn``,
        a closed one records the refusal (``WithdrawalRefused``) and keeps its outcome."""
        return self._report(
            event.request_id,
            lambda case: case.withdraw(
                reason=event.reason,
                actor=event.withdrawn_by.model_dump(mode="json"),
                withdrawn_at=event.withdrawn_at,
                caused_by=caused_by,
            ),
            tracking,
        )

    def flag_overdue_cases(self, now: datetime | None = None) -> int:
        """Record ``SlaBreached`` for every open case whose timed step is past its deadline."""
        now = now or datetime.now(UTC)
        flagged = 0
        for row in self.directory.rows():
            due = row["due_at"]
            if row["closed"] or due is None or datetime.fromisoformat(due) >= now:
                continue
            case = self._case(UUID(row["case_id"]))
            if case.flag_overdue(now, self.calendar):
                try:
                    self.save(case)
                except IntegrityError:
                    continue  # the case moved meanwhile; the next round looks again
                flagged += 1
        return flagged

    def _report(self, case_id: UUID, change: Callable[[Case], bool], tracking: Tracking) -> bool:
        case = self._case(case_id)
        applied = change(case)
        self.save_tracked(case, tracking=tracking)
        return applied

    # ------------------------------------------------------------------ queries

    def get_case(self, case_id: UUID, reader: dict[str, Any]) -> dict[str, Any]:
        return case_view(self._readable(case_id, reader), self.calendar)

    def history(self, case_id: UUID, reader: dict[str, Any]) -> dict[str, Any]:
        return history_view(self._readable(case_id, reader), self.calendar)

    def disposition_sheet(self, case_id: UUID, reader: dict[str, Any]) -> dict[str, Any]:
        return disposition_sheet(self._readable(case_id, reader), self.calendar.timezone)

    def inbox(self, reader: dict[str, Any], limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """Open cases waiting for the reader's role (an OPD: its agency's open cases)."""
        role = effective_role(reader)
        rows = [r for r in self.directory.rows() if not r["closed"]]
        if role in OFFICE_ROLES:
            rows = [r for r in rows if r["current_role"] == role]
        elif role == "opd":
            rows = [r for r in rows if r["opd_code"] == reader.get("opd_code")]
        elif role not in READ_ALL_ROLES:
            raise _cannot_read(role)
        return _page(sorted(rows, key=lambda r: r["waiting_since"]), limit, offset)

    def list_cases(
        self, reader: dict[str, Any], status: str = "all", limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """Every case the reader may read, newest first, optionally only open or closed ones."""
        role = effective_role(reader)
        rows = self.directory.rows()
        if role == "opd":
            rows = [r for r in rows if r["opd_code"] == reader.get("opd_code")]
        elif role not in READ_ALL_ROLES:
            raise _cannot_read(role)
        if status != "all":
            rows = [r for r in rows if r["closed"] == (status == "closed")]
        return _page(sorted(rows, key=lambda r: r["opened_at"], reverse=True), limit, offset)

    def _case(self, case_id: UUID) -> Case:
        case = self.get_or_none(case_id)
        if not isinstance(case, Case):
            raise NotFound(f"no case {case_id}", "kasus tidak ditemukan")
        return case

    def _readable(self, case_id: UUID, reader: dict[str, Any]) -> Case:
        role = effective_role(reader)
        if role not in (*READ_ALL_ROLES, "opd"):
            raise _cannot_read(role)
        case = self._case(case_id)
        if role == "opd" and case.request["opd_code"] != reader.get("opd_code"):
            raise Forbidden(
                "this case belongs to another agency",
                "permohonan ini milik OPD lain",
                code="wrong_agency",
            )
        return case


class CaseDirectory:
    """One row per case (as :func:`inbox_row`), built from the notification log.

    Before each read it reads the notifications stored since it last looked and reloads the
    cases they belong to, so it is right after a restart and whatever process wrote the store.
    """

    def __init__(self, app: DispositionApplication, batch_size: int = 500) -> None:
        self._app = app
        self._batch_size = batch_size
        self._position = 0
        self._rows: dict[UUID, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def rows(self) -> list[dict[str, Any]]:
        with self._lock:
            self._catch_up()
            return list(self._rows.values())

    def _catch_up(self) -> None:
        touched: set[UUID] = set()
        while True:
            batch = self._app.recorder.select_notifications(self._position + 1, self._batch_size)
            if not batch:
                break
            touched.update(UUID(str(n.originator_id)) for n in batch)
            self._position = batch[-1].id
        for case_id in touched:
            case = self._app.get_or_none(case_id)
            if isinstance(case, Case):
                self._rows[case_id] = inbox_row(case, self._app.calendar)


def _request_details(event: RequestSubmitted) -> dict[str, Any]:
    """What the case keeps of the request: enough for the Lembar Disposisi and the inboxes."""
    return event.model_dump(
        mode="json",
        include={
            "agenda_number",
            "agenda_year",
            "agenda_seq",
            "opd_code",
            "opd_name",
            "channel",
            "client_ref",
            "requester",
            "letter",
            "meeting",
            "submitted_at",
        },
    )


def _cannot_read(role: str) -> Forbidden:
    return Forbidden(
        f"a {role} does not read cases", "peran Anda tidak dapat melihat kasus", code="wrong_role"
    )


def _page(rows: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    return {
        "items": rows[offset : offset + limit],
        "total": len(rows),
        "limit": limit,
        "offset": offset,
    }
