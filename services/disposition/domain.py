"""Disposition: the Case aggregate, the record of SOP 067/32/SOP/DKISP/2022 for one request.

A case is opened by the request letter (step 1) and moves down the office's chain by
dispositions (steps 2, 3, 4, 6, 7, 8) and by what the other services tell it (the schedule check,
the meeting of step 5, the reply letter drafted, sent (step 9, or step 4 when the schedule is
full) and received (step 10), the withdrawal). Its ID is the request's.

Every change is a new record (SOP step, kind, actor, time, addressee, instruction, note, sifat,
references, SLA figures): who (username, name, role, on whose behalf), when, what; records are
only ever appended. Commands check the procedure before any change and raise
:mod:`shared.errors`. What other services report returns ``False`` when it is recorded already (a
redelivered or republished event), and raises :class:`~shared.errors.OutOfOrder` when it cannot
apply to the case as it stands. The case closes when its outcome's path is complete, and refuses
to close while a step of it is missing.

A withdrawal is the OPD's request, and the case decides it: while the case is open it closes the
case as ``withdrawn``; once the case is closed it is refused, and the refusal is recorded (who
asked, why, when, and the outcome that stands) so that the history shows the OPD asked and the
case said no. The other services act on ``CaseClosed``, not on the withdrawal.

The time limits are counted by the pure functions of :mod:`services.disposition.sla`; the
procedure's tables are in :mod:`services.disposition.procedure`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.disposition.procedure import (
    DEFAULT_INSTRUCTIONS,
    DISPOSING_STEPS,
    MAX_INSTRUCTION,
    MAX_NOTE,
    ROLE_FOR_STEP,
    SIFAT,
    TARGETS,
)
from services.disposition.sla import (
    TIMED_STEPS,
    meeting_deadline,
    minutes_between,
    review_deadline,
    sla_figures,
)
from shared.calendar import WorkingCalendar
from shared.errors import Forbidden, InvalidInput, OutOfOrder
from shared.procedure import MEETING_LIMIT_TEXT, REVIEW_LIMIT_TEXT, required_steps
from shared.roles import ROLE_NAMES, SCHEDULER_ACTOR, effective_role

# Record kinds that complete a step of the procedure (the others document it).
STEP_KINDS = ("request", "disposition", "meeting", "letter_sent", "letter_received")


def label(role: str | None) -> str:
    return ROLE_NAMES.get(role or "", role or "-")


class Case(Aggregate):
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
            return meeting_deadline(start["at"])
        if step == 8 and (start := self.step_record(7)) is not None:
            return review_deadline(start["at"], calendar or WorkingCalendar())
        return None

    def minutes_for_meeting(self) -> float | None:
        start, done = self.step_record(4), self.step_record(5)
        if start is None or done is None:
            return None
        return minutes_between(start["at"], done["at"])

    def breached(self, step: int) -> bool:
        return any(b["sop_step"] == step for b in self.sla_breaches)

    # ------------------------------------------------------------------ guards

    def _check_open(self) -> None:
        if self.closed is not None:
            raise OutOfOrder(
                f"the case is closed ({self.closed['outcome']})",
                "kasus sudah ditutup",
            )

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

    # ------------------------------------ what the other services report

    def record_slot_check(
        self, *, check: dict[str, Any], checked_at: datetime, caused_by: str | None
    ) -> bool:
        """The schedule check of step 4, made by the scheduler after step 3."""
        if any(c == check for c in self.slot_checks):
            return False
        self._check_open()
        if 3 not in self.done_steps:
            raise OutOfOrder(
                f"the schedule is checked after step 3; the case is at step {self.pending_step}",
                "jadwal dicek setelah disposisi Kepala Bidang (langkah 3)",
            )
        if self.branch is not None:
            raise OutOfOrder(
                "step 4 is done already; a new schedule check cannot change it",
                "langkah 4 sudah dilakukan; pengecekan jadwal baru tidak berlaku",
            )
        self.trigger_event(
            self.SlotCheckRecorded, check=check, checked_at=checked_at, caused_by=caused_by
        )
        return True

    class SlotCheckRecorded(Aggregate.Event):
        check: dict[str, Any]
        checked_at: datetime
        caused_by: str | None

        def apply(self, aggregate: Case) -> None:
            aggregate.slot_checks.append(self.check)
            aggregate._append(
                sop_step=4,
                kind="slot_check",
                actor=SCHEDULER_ACTOR,
                at=self.checked_at,
                note="jadwal tersedia" if self.check["available"] else "jadwal penuh",
                refs={"host_account_id": self.check.get("host_account_id")},
            )

    def record_meeting(
        self,
        *,
        meeting: dict[str, Any],
        actor: dict[str, Any],
        created_at: datetime,
        caused_by: str | None,
    ) -> bool:
        """Step 5: the meeting the staff created (or a replacement of it, as a new record)."""
        if self.meeting is not None and self.meeting["meeting_id"] == meeting["meeting_id"]:
            return False
        self._check_open()
        if self.branch != "free":
            raise OutOfOrder(
                "the case was not disposed to staff to create a meeting (step 4)",
                "permohonan belum didisposisikan ke staf untuk dibuatkan Zoom Meeting",
            )
        if self.sent_letter is not None:
            raise OutOfOrder("the reply letter was sent already", "surat tanggapan sudah dikirim")
        first = 5 not in self.done_steps
        self.trigger_event(
            self.MeetingRecorded,
            meeting=meeting,
            actor=actor,
            created_at=created_at,
            sla_deadline=self.deadline_of(5) if first else None,
            caused_by=caused_by,
        )
        self._note_breach(self.records[-1], caused_by=caused_by)
        return True

    class MeetingRecorded(Aggregate.Event):
        meeting: dict[str, Any]
        actor: dict[str, Any]
        created_at: datetime
        sla_deadline: datetime | None
        caused_by: str | None

        def apply(self, aggregate: Case) -> None:
            sla = None
            if self.sla_deadline is not None:
                start = aggregate.step_record(4)
                assert start is not None
                sla = sla_figures(
                    MEETING_LIMIT_TEXT, start["at"], self.sla_deadline, self.created_at
                )
            aggregate.meeting = self.meeting
            aggregate._append(
                sop_step=5,
                kind="meeting",
                actor=self.actor,
                at=self.created_at,
                note="" if sla is not None else "pengganti Zoom Meeting sebelumnya",
                refs={
                    k: self.meeting.get(k)
                    for k in ("meeting_id", "join_url", "host_account_id", "created_via")
                },
                sla=sla,
            )

    def record_draft(
        self,
        *,
        letter_id: UUID,
        kind: str,
        hal: str,
        draft_sha256: str,
        actor: dict[str, Any],
        drafted_at: datetime,
        caused_by: str | None,
    ) -> bool:
        """A reply letter drafted (part of step 7, or of step 4 when the schedule is full)."""
        if any(
            d["letter_id"] == letter_id and d["draft_sha256"] == draft_sha256 for d in self.drafts
        ):
            return False
        self._check_open()
        if self.sent_letter is not None:
            raise OutOfOrder("the reply letter was sent already", "surat tanggapan sudah dikirim")
        if kind == "meeting_provided" and self.meeting is None:
            raise OutOfOrder(
                "no meeting was created for this case (step 5)",
                "Zoom Meeting untuk permohonan ini belum dibuat (langkah 5)",
            )
        check = self.latest_slot_check
        if kind == "schedule_full" and (check is None or check["available"]):
            raise OutOfOrder(
                "the schedule check did not find the schedule full",
                "hasil pengecekan jadwal tidak menyatakan jadwal penuh",
            )
        self.trigger_event(
            self.LetterDraftRecorded,
            letter_id=letter_id,
            kind=kind,
            hal=hal,
            draft_sha256=draft_sha256,
            actor=actor,
            drafted_at=drafted_at,
            caused_by=caused_by,
        )
        return True

    class LetterDraftRecorded(Aggregate.Event):
        letter_id: UUID
        kind: str
        hal: str
        draft_sha256: str
        actor: dict[str, Any]
        drafted_at: datetime
        caused_by: str | None

        def apply(self, aggregate: Case) -> None:
            draft = {
                "letter_id": self.letter_id,
                "kind": self.kind,
                "hal": self.hal,
                "draft_sha256": self.draft_sha256,
                "drafted_at": self.drafted_at,
            }
            aggregate.drafts.append(draft)
            aggregate._append(
                sop_step=7 if self.kind == "meeting_provided" else 4,
                kind="letter_drafted",
                actor=self.actor,
                at=self.drafted_at,
                note=self.hal,
                refs={
                    "letter_id": str(self.letter_id),
                    "letter_kind": self.kind,
                    "draft_sha256": self.draft_sha256,
                },
            )

    def record_letter_sent(
        self,
        *,
        letter_id: UUID,
        kind: str,
        number: str,
        actor: dict[str, Any],
        channels: list[str],
        pdf_sha256: str,
        verification_url: str,
        sent_at: datetime,
        caused_by: str | None,
    ) -> bool:
        """Step 9 (meeting provided), or the end of step 4 when the schedule is full."""
        if self.sent_letter is not None and self.sent_letter["letter_id"] == letter_id:
            return False
        self._check_open()
        if self.sent_letter is not None:
            raise OutOfOrder("another reply was sent already", "surat tanggapan lain sudah dikirim")
        if self.draft(letter_id) is None:
            raise OutOfOrder(
                f"letter {letter_id} was not drafted for this case",
                "surat tersebut bukan draf tanggapan untuk permohonan ini",
            )
        if kind == "meeting_provided" and 8 not in self.done_steps:
            raise OutOfOrder(
                "the draft has not been reported to the Kadis yet (step 8)",
                "draf surat belum dilaporkan kepada Kepala Dinas (langkah 8)",
            )
        if kind == "schedule_full" and self.branch != "full":
            raise OutOfOrder(
                "a schedule-full reply needs step 4 to have gone to the OPD",
                "surat jadwal penuh memerlukan langkah 4 kepada OPD",
            )
        self.trigger_event(
            self.LetterSentRecorded,
            letter_id=letter_id,
            kind=kind,
            number=number,
            actor=actor,
            channels=channels,
            pdf_sha256=pdf_sha256,
            verification_url=verification_url,
            sent_at=sent_at,
            caused_by=caused_by,
        )
        return True

    class LetterSentRecorded(Aggregate.Event):
        letter_id: UUID
        kind: str
        number: str
        actor: dict[str, Any]
        channels: list[str]
        pdf_sha256: str
        verification_url: str
        sent_at: datetime
        caused_by: str | None

        def apply(self, aggregate: Case) -> None:
            aggregate.sent_letter = {
                "letter_id": self.letter_id,
                "kind": self.kind,
                "number": self.number,
                "channels": self.channels,
                "pdf_sha256": self.pdf_sha256,
                "verification_url": self.verification_url,
                "sent_at": self.sent_at,
            }
            aggregate._append(
                sop_step=9 if self.kind == "meeting_provided" else 4,
                kind="letter_sent",
                actor=self.actor,
                at=self.sent_at,
                refs={
                    "letter_id": str(self.letter_id),
                    "letter_kind": self.kind,
                    "letter_number": self.number,
                    "pdf_sha256": self.pdf_sha256,
                    "verification_url": self.verification_url,
                    "channels": self.channels,
                },
            )

    def record_receipt(
        self,
        *,
        letter_id: UUID,
        actor: dict[str, Any],
        received_at: datetime,
        caused_by: str | None,
    ) -> bool:
        """Step 10: the OPD received the reply; the case closes."""
        if any(
            r["kind"] == "letter_received" and r["refs"]["letter_id"] == str(letter_id)
            for r in self.records
        ):
            return False
        self._check_open()
        if self.sent_letter is None or self.sent_letter["letter_id"] != letter_id:
            raise OutOfOrder(
                f"letter {letter_id} was not sent for this case",
                "surat tersebut belum dikirim untuk permohonan ini",
            )
        self.trigger_event(
            self.LetterReceiptRecorded,
            letter_id=letter_id,
            actor=actor,
            received_at=received_at,
            caused_by=caused_by,
        )
        self.close(outcome=self.sent_letter["kind"], at=received_at, caused_by=caused_by)
        return True

    class LetterReceiptRecorded(Aggregate.Event):
        letter_id: UUID
        actor: dict[str, Any]
        received_at: datetime
        caused_by: str | None

        def apply(self, aggregate: Case) -> None:
            aggregate._append(
                sop_step=10,
                kind="letter_received",
                actor=self.actor,
                at=self.received_at,
                refs={"letter_id": str(self.letter_id)},
            )

    def withdraw(
        self, *, reason: str, actor: dict[str, Any], withdrawn_at: datetime, caused_by: str | None
    ) -> bool:
        """The OPD asked to withdraw: an open case closes as withdrawn; a closed one refuses
        (recorded once, as :class:`WithdrawalRefused`), and its outcome stands."""
        if self.closed is not None and self.closed["outcome"] == "withdrawn":
            return False
        if self.closed is not None:
            if any(
                r["kind"] == "withdrawal_refused"
                and r["actor"] == actor
                and r["at"] == withdrawn_at
                and r["note"] == reason
                for r in self.records
            ):
                return False
            self.trigger_event(
                self.WithdrawalRefused,
                reason=reason,
                actor=actor,
                withdrawn_at=withdrawn_at,
                outcome=self.closed["outcome"],
                caused_by=caused_by,
            )
            return True
        self.trigger_event(
            self.WithdrawalRecorded,
            reason=reason,
            actor=actor,
            withdrawn_at=withdrawn_at,
            caused_by=caused_by,
        )
        self.close(outcome="withdrawn", at=withdrawn_at, caused_by=caused_by)
        return True

    class WithdrawalRecorded(Aggregate.Event):
        reason: str
        actor: dict[str, Any]
        withdrawn_at: datetime
        caused_by: str | None

        def apply(self, aggregate: Case) -> None:
            aggregate._append(
                sop_step=None,
                kind="withdrawal",
                actor=self.actor,
                at=self.withdrawn_at,
                note=self.reason,
            )

    class WithdrawalRefused(Aggregate.Event):
        """A withdrawal that reached the case after it was closed: refused, outcome kept."""

        reason: str
        actor: dict[str, Any]
        withdrawn_at: datetime
        outcome: str
        caused_by: str | None

        def apply(self, aggregate: Case) -> None:
            aggregate._append(
                sop_step=None,
                kind="withdrawal_refused",
                actor=self.actor,
                at=self.withdrawn_at,
                note=self.reason,
                refs={"outcome": self.outcome, "refused_at": self.timestamp},
            )

    # ------------------------------------------------------------------ SLA

    def flag_overdue(self, now: datetime, calendar: WorkingCalendar) -> bool:
        """Record the breach of the pending timed step once its deadline has passed."""
        step = self.pending_step
        if step is None or step not in TIMED_STEPS or self.breached(step):
            return False
        counted_from, limit = TIMED_STEPS[step]
        deadline = self.deadline_of(step, calendar)
        start = self.step_record(counted_from)
        if deadline is None or start is None or now <= deadline:
            return False
        self.trigger_event(
            self.SlaBreachRecorded,
            sop_step=step,
            limit=limit,
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

        def apply(self, aggregate: Case) -> None:
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

        def apply(self, aggregate: Case) -> None:
            aggregate.closed = {"outcome": self.outcome, "at": self.closed_at}
