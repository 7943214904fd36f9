"""Disposition: the Case aggregate, the record of SOP 067/32/SOP/DKISP/2022 for one request.

A case is opened by the request letter (step 1) and moves down the office's chain by
dispositions (steps 2, 3, 4, 6, 7, 8) and by what the other services report (the schedule check,
the meeting of step 5, the reply letter drafted, sent (step 9, or step 4 when the schedule is
full) and received (step 10)). Every change is a new record: who (username, name, role, on whose
behalf), when, the instruction and the note; nothing is edited in place. Its ID is the request's.

Commands check the procedure before any change and raise :mod:`shared.errors`. Reports from
other services return ``False`` when they were recorded already (a duplicate), and raise
:class:`~shared.errors.OutOfOrder` when they cannot apply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.disposition.casefile import label, sla_figures
from services.disposition.procedure import (
    DEFAULT_INSTRUCTIONS,
    DISPOSING_STEPS,
    MAX_INSTRUCTION,
    MAX_NOTE,
    ROLE_FOR_STEP,
    SIFAT,
    TARGETS,
)
from services.disposition.reports import CaseReports
from shared.calendar import WorkingCalendar
from shared.errors import Forbidden, InvalidInput, OutOfOrder
from shared.procedure import REVIEW_LIMIT_TEXT
from shared.roles import effective_role


class Case(CaseReports):
    @classmethod
    def create_id(cls, request_id: UUID, **_: Any) -> UUID:
        return request_id

    @event("Opened")
    def __init__(
        self,
        *,
        request_id: UUID,
        request: dict[str, Any],
        submitted_by: dict[str, Any],
        submitted_at: datetime,
        caused_by: str | None,
    ) -> None:
        self.request = request
        self.records = []
        self.slot_checks = []
        self.drafts = []
        self.meeting = None
        self.branch = None
        self.forwarded_letter_id = None
        self.sent_letter = None
        self.sla_breaches = []
        self.closed = None
        self._append(
            sop_step=1,
            kind="request",
            actor=submitted_by,
            at=submitted_at,
            refs={"document_sha256": request["letter"].get("document_sha256")},
        )

    # ------------------------------------------------------------------ dispositions

    def dispose(
        self,
        *,
        actor: dict[str, Any],
        to_role: str,
        instruction: str | None,
        note: str,
        sifat: str | None,
        letter_id: UUID | None,
        calendar: WorkingCalendar,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Steps 2, 3, 4, 6, 7 and 8: the step is the one pending, if the actor's role holds it.

        ``at`` is for replaying history in tests; normally the event's own timestamp is used.
        """
        role = effective_role(actor)
        if role not in DISPOSING_STEPS:
            raise Forbidden(
                f"a {role} does not dispose cases",
                f"{label(role)} tidak berwenang mendisposisi",
                code="wrong_role",
            )
        self._check_open()
        step = self.pending_step
        if step not in DISPOSING_STEPS[role]:
            raise self._not_your_turn(role, step)
        if to_role not in TARGETS[step]:
            targets = " or ".join(TARGETS[step])
            raise OutOfOrder(
                f"at step {step} the case goes to {targets}, not to {to_role}",
                f"pada langkah {step} disposisi ditujukan kepada "
                f"{' atau '.join(label(t) for t in TARGETS[step])}, bukan {label(to_role)}",
            )
        if step == 4:
            self._check_slot_allows(to_role)
        if step == 7:
            letter_id = self._letter_to_forward(letter_id)
        elif letter_id is not None:
            raise InvalidInput(
                "a letter is forwarded only at step 7", "surat hanya diteruskan pada langkah 7"
            )
        instruction = (instruction or "").strip() or DEFAULT_INSTRUCTIONS[(step, to_role)]
        sifat = sifat or self.sifat
        self._check_text(instruction, note, sifat)
        self.trigger_event(
            self.Disposed,
            timestamp=at,
            sop_step=step,
            actor=actor,
            to_role=to_role,
            instruction=instruction,
            note=note.strip(),
            sifat=sifat,
            letter_id=letter_id,
            sla_deadline=self.deadline_of(8, calendar) if step == 8 else None,
        )
        record = self.records[-1]
        self._note_breach(record, caused_by=None)
        return record

    def _not_your_turn(self, role: str, step: int | None) -> OutOfOrder:
        if step is None:
            return OutOfOrder("the case has no step pending", "tidak ada langkah yang menunggu")
        if step == 4 and self.branch == "full":
            return OutOfOrder(
                "step 4 is done; the schedule-full reply is to be sent to the OPD",
                "langkah 4 sudah dilakukan; surat jadwal penuh perlu dikirim ke OPD",
            )
        if step == 5:
            return OutOfOrder(
                "the meeting has not been created yet (step 5)",
                "jadwal Zoom Meeting belum dibuat (langkah 5)",
            )
        return OutOfOrder(
            f"the case is at step {step}, the turn of {ROLE_FOR_STEP[step]}, not of {role}",
            f"kasus berada pada langkah {step}, giliran {label(ROLE_FOR_STEP[step])}",
        )

    def _check_slot_allows(self, to_role: str) -> None:
        check = self.latest_slot_check
        if check is None:
            raise OutOfOrder("the schedule has not been checked yet", "jadwal belum selesai dicek")
        if to_role == "staf" and not check["available"]:
            raise OutOfOrder(
                "the schedule is full: inform the OPD instead of disposing to staff",
                "jadwal penuh: informasikan kepada OPD, bukan disposisi ke staf",
            )
        if to_role == "opd" and check["available"]:
            raise OutOfOrder(
                "the schedule is available: dispose to staff to create the meeting",
                "jadwal tersedia: disposisikan ke staf untuk membuat Zoom Meeting",
            )

    def _letter_to_forward(self, letter_id: UUID | None) -> UUID:
        drafts = [d for d in self.drafts if d["kind"] == "meeting_provided"]
        if not drafts:
            raise OutOfOrder("draft the reply letter first", "draf surat tanggapan belum dibuat")
        if letter_id is None:
            return drafts[-1]["letter_id"]  # type: ignore[no-any-return]
        if all(d["letter_id"] != letter_id for d in drafts):
            raise InvalidInput(
                f"letter {letter_id} is not a reply drafted for this case",
                "surat tersebut bukan draf tanggapan untuk permohonan ini",
            )
        return letter_id

    @staticmethod
    def _check_text(instruction: str, note: str, sifat: str) -> None:
        if len(instruction) > MAX_INSTRUCTION or len(note) > MAX_NOTE:
            raise InvalidInput(
                f"instruction is at most {MAX_INSTRUCTION} and note {MAX_NOTE} characters",
                f"instruksi paling banyak {MAX_INSTRUCTION} dan catatan {MAX_NOTE} karakter",
            )
        if sifat not in SIFAT:
            raise InvalidInput(
                f"sifat must be one of {', '.join(SIFAT)}",
                f"sifat harus salah satu dari {', '.join(SIFAT)}",
            )

    class Disposed(Aggregate.Event):
        sop_step: int
        actor: dict[str, Any]
        to_role: str
        instruction: str
        note: str
        sifat: str
        letter_id: UUID | None
        sla_deadline: datetime | None

        def apply(self, aggregate: Case) -> None:
            if self.sop_step == 4:
                aggregate.branch = "free" if self.to_role == "staf" else "full"
            if self.sop_step == 7:
                aggregate.forwarded_letter_id = self.letter_id
            sla = None
            if self.sla_deadline is not None:
                start = aggregate.step_record(7)
                assert start is not None
                sla = sla_figures(REVIEW_LIMIT_TEXT, start["at"], self.sla_deadline, self.timestamp)
            aggregate._append(
                sop_step=self.sop_step,
                kind="disposition",
                actor=self.actor,
                at=self.timestamp,
                to_role=self.to_role,
                instruction=self.instruction,
                note=self.note,
                sifat=self.sifat,
                refs={"letter_id": str(self.letter_id)} if self.letter_id else {},
                sla=sla,
            )
