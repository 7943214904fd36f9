"""What the other services report about a case, as the case records it.

The schedule check and the meeting (scheduler), the reply letter drafted, sent and received
(letters), the withdrawal (intake). Each returns ``False`` when the same thing is recorded
already (a redelivered or republished event), and raises :class:`~shared.errors.OutOfOrder` when
it cannot apply to the case as it stands.

A withdrawal is the OPD's request, and the case decides it: while the case is open it closes the
case as ``withdrawn``; once the case is closed it is refused, and the refusal is recorded (who
asked, why, when, and the outcome that stands) so that the history shows the OPD asked and the
case said no. The other services act on ``CaseClosed``, not on the withdrawal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from services.disposition.casefile import CaseFile, sla_figures
from shared.errors import OutOfOrder
from shared.procedure import MEETING_LIMIT_TEXT
from shared.roles import SCHEDULER_ACTOR


class CaseReports(CaseFile):
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

        def apply(self, aggregate: CaseReports) -> None:
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

        def apply(self, aggregate: CaseReports) -> None:
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

        def apply(self, aggregate: CaseReports) -> None:
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

        def apply(self, aggregate: CaseReports) -> None:
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

        def apply(self, aggregate: CaseReports) -> None:
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

        def apply(self, aggregate: CaseReports) -> None:
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

        def apply(self, aggregate: CaseReports) -> None:
            aggregate._append(
                sop_step=None,
                kind="withdrawal_refused",
                actor=self.actor,
                at=self.withdrawn_at,
                note=self.reason,
                refs={"outcome": self.outcome, "refused_at": self.timestamp},
            )
