"""The request's file: what the letters service knows of one request (the request, the slot
check, the meeting, the dispositions of steps 4, 7 and 8, the case closed) and the letters
drafted for it. It decides which kind of reply may be drafted, and who may send it when; once
the case is closed (``CaseClosed``: the case, not letters, decides whether a withdrawal took
effect) nothing is drafted, sent or received."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.letters.values import (
    CaseClosure,
    Draft,
    MeetingCopy,
    RequestCopy,
    SlotCopy,
    letter_uuid,
    stored_actor,
)
from shared.errors import ClosedCase, Forbidden, OutOfOrder
from shared.events import Actor
from shared.roles import ROLE_NAMES, effective_role

MEETING_PROVIDED = "meeting_provided"
SCHEDULE_FULL = "schedule_full"
HAL = "Tanggapan atas Permohonan Fasilitas Zoom Meeting"


def _wrong_role(expected: str, actor: Actor, what_en: str, what_id: str) -> Forbidden:
    return Forbidden(
        f"{what_en} is for {expected}; you act as {effective_role(actor)}",
        f"{what_id} hanya oleh {ROLE_NAMES.get(expected, expected)}",
        code="wrong_role",
    )


def check_drafter(actor: Actor) -> None:
    if effective_role(actor) != "subkoordinator":
        raise _wrong_role("subkoordinator", actor, "drafting the reply", "konsep surat dibuat")


def check_not_reviewer(reviewed_by: str | None, signer: Actor) -> None:
    """One person may not both review (the paraf of step 8) and sign (step 9) the same letter,
    whatever role each time: a Kabid appointed Plt Kadis signs no draft they reviewed."""
    if reviewed_by is not None and reviewed_by == signer.username:
        raise Forbidden(
            f"{signer.username} reviewed this draft (SOP step 8) and may not also sign it "
            "(step 9): another official must sign",
            f"{signer.username} telah memaraf konsep surat ini (langkah 8) sehingga tidak dapat "
            "juga menandatanganinya (langkah 9); surat harus ditandatangani pejabat lain",
            code="reviewer_may_not_sign",
        )


def _already_sent() -> OutOfOrder:
    return OutOfOrder(
        "the reply to this request was already sent",
        "surat tanggapan untuk permohonan ini sudah dikirim",
    )


class RequestFile(Aggregate):
    """What the letters service knows of one request (its ID is the request's ID)."""

    @event("Opened")
    def __init__(self, id: UUID) -> None:
        self.request: RequestCopy | None = None
        self.slot: SlotCopy | None = None
        self.meeting: MeetingCopy | None = None
        self.cancelled_meeting_ids: list[str] = []
        self.full_reply_allowed = False
        self.forwarded_letter_id: UUID | None = None
        self.draft_forwarded = False
        self.ready_for_signature = False
        self.reviewed_by: str | None = None
        self.returned_at: datetime | None = None
        self.withdrawn = False
        self.case_closed: CaseClosure | None = None
        self.letter_ids: list[UUID] = []
        self.current_letter_id: UUID | None = None
        self.sent_letter_id: UUID | None = None

    @property
    def opd_code(self) -> str | None:
        """The agency the request (and so its reply) belongs to, once the request is known."""
        return self.request.opd_code if self.request is not None else None

    # ------------------------------------------------------------------ facts from events

    def note_request(self, request: RequestCopy, caused_by: str | None) -> None:
        if request != self.request:
            self._request_noted(request.stored(), caused_by)

    @event("RequestNoted")
    def _request_noted(self, request: dict[str, Any], caused_by: str | None) -> None:
        self.request = RequestCopy.from_stored(request)

    def note_slot(self, slot: SlotCopy, caused_by: str | None) -> None:
        if slot != self.slot:
            self._slot_noted(slot.stored(), caused_by)

    @event("SlotNoted")
    def _slot_noted(self, slot: dict[str, Any], caused_by: str | None) -> None:
        self.slot = SlotCopy.from_stored(slot)

    def note_meeting(self, meeting: MeetingCopy, caused_by: str | None) -> None:
        """A meeting already cancelled (a late copy of its creation) is not taken up again."""
        if meeting != self.meeting and meeting.meeting_id not in self.cancelled_meeting_ids:
            self._meeting_noted(meeting.stored(), caused_by)

    @event("MeetingNoted")
    def _meeting_noted(self, meeting: dict[str, Any], caused_by: str | None) -> None:
        self.meeting = MeetingCopy.from_stored(meeting)

    def note_meeting_cancelled(self, meeting_id: str, caused_by: str | None) -> None:
        if meeting_id not in self.cancelled_meeting_ids:
            self._meeting_cancellation_noted(meeting_id, caused_by)

    @event("MeetingCancellationNoted")
    def _meeting_cancellation_noted(self, meeting_id: str, caused_by: str | None) -> None:
        self.cancelled_meeting_ids.append(meeting_id)
        if self.meeting is not None and self.meeting.meeting_id == meeting_id:
            self.meeting = None

    def allow_full_reply(self, by: Actor, caused_by: str | None) -> None:
        """Step 4 to the OPD: the schedule-full reply may go out."""
        if not self.full_reply_allowed:
            self._full_reply_allowed(stored_actor(by), caused_by)

    @event("FullReplyAllowed")
    def _full_reply_allowed(self, by: dict[str, Any], caused_by: str | None) -> None:
        self.full_reply_allowed = True

    def _before_return(self, disposed_at: datetime | None) -> bool:
        """A disposition from before the latest return (a late copy) changes nothing now."""
        return None not in (disposed_at, self.returned_at) and disposed_at <= self.returned_at  # type: ignore[operator]

    def note_draft_forwarded(
        self,
        letter_id: UUID | None,
        by: Actor,
        caused_by: str | None,
        disposed_at: datetime | None = None,
    ) -> None:
        """Step 7 to Kabid: the draft went up (and can no longer be replaced)."""
        if not self.draft_forwarded and not self._before_return(disposed_at):
            stored_id = None if letter_id is None else str(letter_id)
            self._draft_forwarded(stored_id, stored_actor(by), caused_by)

    @event("DraftForwarded")
    def _draft_forwarded(
        self, letter_id: str | None, by: dict[str, Any], caused_by: str | None
    ) -> None:
        self.draft_forwarded = True
        self.forwarded_letter_id = letter_uuid(letter_id)

    def note_ready_for_signature(
        self, by: Actor, caused_by: str | None, disposed_at: datetime | None = None
    ) -> None:
        """Step 8 to Kadis: the meeting reply may be signed."""
        if not self.ready_for_signature and not self._before_return(disposed_at):
            self._ready_for_signature(stored_actor(by), caused_by)

    @event("ReadyForSignature")
    def _ready_for_signature(self, by: dict[str, Any], caused_by: str | None) -> None:
        self.ready_for_signature = True
        self.reviewed_by = by["username"]

    def note_draft_returned(
        self,
        letter_id: UUID | None,
        by: Actor,
        note: str,
        returned_at: datetime,
        caused_by: str | None,
    ) -> None:
        """Kabid or Kadis returned the draft: it may be redrafted, and must go up again
        (steps 7 and 8) before it is signed."""
        if self.returned_at is None or returned_at > self.returned_at:
            stored_id = None if letter_id is None else str(letter_id)
            self._draft_returned(
                stored_id, stored_actor(by), note, returned_at.isoformat(), caused_by
            )

    @event("DraftReturnedNoted")
    def _draft_returned(
        self,
        letter_id: str | None,
        by: dict[str, Any],
        note: str,
        returned_at: str,
        caused_by: str | None,
    ) -> None:
        self.draft_forwarded = False
        self.forwarded_letter_id = None
        self.ready_for_signature = False
        self.reviewed_by = None
        self.returned_at = datetime.fromisoformat(returned_at)

    @event("WithdrawalNoted")
    def note_withdrawn(self, reason: str, caused_by: str | None) -> None:
        # Stored before the case decided withdrawals; now ``CaseClosedNoted`` says so.
        self.withdrawn = True

    def note_case_closed(self, outcome: str, closed_at: datetime, caused_by: str | None) -> None:
        """A withdrawal counts only when the case closed as ``withdrawn``: the case decides."""
        if self.case_closed is None:
            self._case_closed_noted(outcome, closed_at.isoformat(), caused_by)

    @event("CaseClosedNoted")
    def _case_closed_noted(self, outcome: str, closed_at: str, caused_by: str | None) -> None:
        self.case_closed = CaseClosure(outcome, datetime.fromisoformat(closed_at))
        if outcome == "withdrawn":
            self.withdrawn = True

    # ------------------------------------------------------------------ letters

    def check_open(self) -> None:
        """Refuse (409 ``case_closed``) once the case is closed, withdrawn above all."""
        if self.withdrawn:
            raise ClosedCase(
                "the request was withdrawn by its agency and its case is closed",
                "permohonan telah ditarik oleh OPD pemohon dan kasusnya sudah ditutup",
            )
        if self.case_closed is not None:
            raise ClosedCase(
                f"the case of this request is closed ({self.case_closed.outcome})",
                "kasus permohonan ini sudah ditutup",
            )

    def draftable_kind(self) -> str | None:
        """Which reply may be drafted now, or None when the facts are not there yet."""
        if self.request is None or self.withdrawn or self.case_closed is not None:
            return None
        if self.sent_letter_id is not None:
            return None
        if self.meeting is not None:
            return MEETING_PROVIDED
        if self.slot is not None and not self.slot.available and self.full_reply_allowed:
            return SCHEDULE_FULL
        return None

    def check_may_draft(self, actor: Actor) -> str:
        """Return the kind of reply to draft, or refuse (403 wrong role, 409 not ready)."""
        check_drafter(actor)
        self.check_open()
        if self.sent_letter_id is not None:
            raise _already_sent()
        if self.request is None:
            raise OutOfOrder(
                "the request is not known here yet",
                "data permohonan belum diterima layanan surat",
            )
        if self.draft_forwarded:
            raise OutOfOrder(
                "the draft already went up to Kabid; it can no longer be replaced",
                "konsep surat sudah diteruskan ke Kabid dan tidak dapat diganti lagi",
            )
        kind = self.draftable_kind()
        if kind is None:
            raise OutOfOrder(
                "no reply can be drafted yet: no meeting was created, and the schedule was not "
                "reported full to the agency",
                "surat tanggapan belum dapat dibuat: meeting belum dibuat dan jadwal penuh belum "
                "diteruskan ke OPD",
            )
        return kind

    def draft(self, actor: Actor, drafted_at: datetime) -> Draft:
        """The content of a new draft, from the facts known now (refused as ``check_may_draft``)."""
        kind = self.check_may_draft(actor)
        return self._content(kind, drafted_at)

    def draft_content(self, drafted_at: datetime) -> Draft | None:
        """The content a draft would have now, or None when none may be drafted: what the
        drafting form starts from."""
        kind = None if self.draft_forwarded else self.draftable_kind()
        return None if kind is None else self._content(kind, drafted_at)

    def _content(self, kind: str, drafted_at: datetime) -> Draft:
        assert self.request is not None
        if kind == MEETING_PROVIDED:
            return Draft(kind, HAL, "Biasa", drafted_at, self.request, meeting=self.meeting)
        alternatives = self.slot.alternatives if self.slot is not None else ()
        return Draft(kind, HAL, "Biasa", drafted_at, self.request, alternatives=alternatives)

    def attach_letter(self, letter_id: UUID) -> None:
        self._letter_attached(str(letter_id))

    @event("LetterAttached")
    def _letter_attached(self, letter_id: str) -> None:
        self.letter_ids.append(UUID(letter_id))
        self.current_letter_id = UUID(letter_id)

    def check_sender(self, kind: str, actor: Actor) -> None:
        """Kadis (or a Plt) sends the meeting reply; the Sub-coordinator the schedule-full one."""
        if kind == MEETING_PROVIDED and effective_role(actor) != "kadis":
            raise _wrong_role("kadis", actor, "signing and sending the reply", "surat dikirim")
        if kind != MEETING_PROVIDED and effective_role(actor) != "subkoordinator":
            raise _wrong_role(
                "subkoordinator", actor, "sending the schedule-full reply", "surat dikirim"
            )

    def check_may_send(self, letter_id: UUID, kind: str, actor: Actor) -> None:
        """Who may send which kind, and when (403 wrong role, 409 out of order)."""
        self.check_sender(kind, actor)
        self.check_open()
        if self.sent_letter_id is not None:
            raise _already_sent()
        if kind == MEETING_PROVIDED:
            if self.meeting is None:
                raise OutOfOrder(
                    "the meeting in this letter was cancelled",
                    "meeting dalam surat ini telah dibatalkan",
                )
            if not self.ready_for_signature:
                raise OutOfOrder(
                    "Kabid has not yet reported the draft to Kadis (SOP step 8)",
                    "konsep surat belum diteruskan Kabid kepada Kadis (langkah 8)",
                )
            if self.forwarded_letter_id not in (None, letter_id):
                raise OutOfOrder(
                    "this is not the draft that went up to Kabid",
                    "surat ini bukan konsep yang diteruskan ke Kabid",
                )
            check_not_reviewer(self.reviewed_by, actor)
        elif not self.full_reply_allowed:
            raise OutOfOrder(
                "the schedule-full reply may be sent only after the case went to the agency "
                "(SOP step 4)",
                "surat jadwal penuh hanya dapat dikirim setelah disposisi ke OPD (langkah 4)",
            )

    def mark_sent(self, letter_id: UUID) -> None:
        self._letter_sent_noted(str(letter_id))

    @event("LetterSentNoted")
    def _letter_sent_noted(self, letter_id: str) -> None:
        self.sent_letter_id = UUID(letter_id)

    def check_may_receive(self, actor: Actor) -> None:
        if effective_role(actor) != "opd":
            raise _wrong_role("opd", actor, "acknowledging receipt", "tanda terima diberikan")
        if actor.opd_code is None or actor.opd_code != self.opd_code:
            raise Forbidden(
                "this letter is addressed to another agency",
                "surat ini ditujukan kepada OPD lain",
                code="wrong_agency",
            )
        self.check_open()
