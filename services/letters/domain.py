"""The reply letter (Surat Tanggapan): what the letters service knows of a request, the letters
drafted for it, and the office's letter register that numbers them.

Three aggregates:

* :class:`RequestFile` (id = the request's ID): the facts a letter needs, learnt from events
  (the request, the slot check, the meeting, the dispositions of steps 4, 7 and 8, the case
  closed), and the letters drafted for the request. It decides which kind of letter may be
  drafted, and who may send it when; once the case is closed (``CaseClosed``: the case, not
  letters, decides whether a withdrawal took effect) nothing is drafted, sent or received.
* :class:`Letter` (id = a fresh UUID): one draft with its content snapshot; it is sent once
  (number, signer, PDF hash) and received once. A newer draft supersedes an unsent one.
* :class:`LetterRegister` (id derived from unit and year): the outgoing-letter book; it hands out
  serial numbers without gaps. It is saved in the same transaction as the letter it numbers, so a
  number is never lost or given twice (a concurrent sender gets a version conflict and retries).

Facts are kept as JSON-shaped primitives (strings, numbers, lists, dicts).
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.errors import ClosedCase, Forbidden, OutOfOrder
from shared.roles import ROLE_NAMES, effective_role

MEETING_PROVIDED = "meeting_provided"
SCHEDULE_FULL = "schedule_full"
HAL = "Tanggapan atas Permohonan Fasilitas Zoom Meeting"

REGISTER_NAMESPACE = uuid5(NAMESPACE_URL, "https://sivicon/letters/register")


def register_id(unit: str, year: int) -> UUID:
    return uuid5(REGISTER_NAMESPACE, f"{unit}:{year}")


def _wrong_role(expected: str, actor: dict[str, Any], what_en: str, what_id: str) -> Forbidden:
    return Forbidden(
        f"{what_en} is for {expected}; you act as {effective_role(actor)}",
        f"{what_id} hanya oleh {ROLE_NAMES.get(expected, expected)}",
        code="wrong_role",
    )


def check_drafter(actor: dict[str, Any]) -> None:
    if effective_role(actor) != "subkoordinator":
        raise _wrong_role("subkoordinator", actor, "drafting the reply", "konsep surat dibuat")


class RequestFile(Aggregate):
    """What the letters service knows of one request (its ID is the request's ID)."""

    @event("Opened")
    def __init__(self, id: UUID) -> None:
        self.request: dict[str, Any] | None = None
        self.slot: dict[str, Any] | None = None
        self.meeting: dict[str, Any] | None = None
        self.cancelled_meeting_ids: list[str] = []
        self.full_reply_allowed = False
        self.forwarded_letter_id: str | None = None
        self.draft_forwarded = False
        self.ready_for_signature = False
        self.withdrawn = False
        self.case_closed: dict[str, Any] | None = None
        self.letter_ids: list[str] = []
        self.current_letter_id: str | None = None
        self.sent_letter_id: str | None = None

    # ------------------------------------------------------------------ facts from events

    @event("RequestNoted")
    def note_request(self, request: dict[str, Any], caused_by: str | None) -> None:
        self.request = request

    @event("SlotNoted")
    def note_slot(self, slot: dict[str, Any], caused_by: str | None) -> None:
        self.slot = slot

    @event("MeetingNoted")
    def note_meeting(self, meeting: dict[str, Any], caused_by: str | None) -> None:
        self.meeting = meeting

    @event("MeetingCancellationNoted")
    def note_meeting_cancelled(self, meeting_id: str, caused_by: str | None) -> None:
        self.cancelled_meeting_ids.append(meeting_id)
        if self.meeting and self.meeting.get("meeting_id") == meeting_id:
            self.meeting = None

    @event("FullReplyAllowed")
    def allow_full_reply(self, by: dict[str, Any], caused_by: str | None) -> None:
        self.full_reply_allowed = True

    @event("DraftForwarded")
    def note_draft_forwarded(
        self, letter_id: str | None, by: dict[str, Any], caused_by: str | None
    ) -> None:
        self.draft_forwarded = True
        self.forwarded_letter_id = letter_id

    @event("ReadyForSignature")
    def note_ready_for_signature(self, by: dict[str, Any], caused_by: str | None) -> None:
        self.ready_for_signature = True

    @event("WithdrawalNoted")
    def note_withdrawn(self, reason: str, caused_by: str | None) -> None:
        # Stored before the case decided withdrawals; now ``CaseClosedNoted`` says so.
        self.withdrawn = True

    @event("CaseClosedNoted")
    def note_case_closed(self, outcome: str, closed_at: str, caused_by: str | None) -> None:
        self.case_closed = {"outcome": outcome, "closed_at": closed_at}
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
                f"the case of this request is closed ({self.case_closed['outcome']})",
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
        if self.slot is not None and not self.slot.get("available") and self.full_reply_allowed:
            return SCHEDULE_FULL
        return None

    def check_may_draft(self, actor: dict[str, Any]) -> str:
        """Return the kind of reply to draft, or refuse (403 wrong role, 409 not ready)."""
        check_drafter(actor)
        self.check_open()
        if self.sent_letter_id is not None:
            raise OutOfOrder(
                "the reply to this request was already sent",
                "surat tanggapan untuk permohonan ini sudah dikirim",
            )
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

    @event("LetterAttached")
    def attach_letter(self, letter_id: str) -> None:
        self.letter_ids.append(letter_id)
        self.current_letter_id = letter_id

    def check_sender(self, kind: str, actor: dict[str, Any]) -> None:
        """Kadis (or a Plt) sends the meeting reply; the Sub-coordinator the schedule-full one."""
        if kind == MEETING_PROVIDED and effective_role(actor) != "kadis":
            raise _wrong_role("kadis", actor, "signing and sending the reply", "surat dikirim")
        if kind != MEETING_PROVIDED and effective_role(actor) != "subkoordinator":
            raise _wrong_role(
                "subkoordinator", actor, "sending the schedule-full reply", "surat dikirim"
            )

    def check_may_send(self, letter_id: str, kind: str, actor: dict[str, Any]) -> None:
        """Who may send which kind, and when (403 wrong role, 409 out of order)."""
        self.check_sender(kind, actor)
        self.check_open()
        if self.sent_letter_id is not None:
            raise OutOfOrder(
                "the reply to this request was already sent",
                "surat tanggapan untuk permohonan ini sudah dikirim",
            )
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
        elif not self.full_reply_allowed:
            raise OutOfOrder(
                "the schedule-full reply may be sent only after the case went to the agency "
                "(SOP step 4)",
                "surat jadwal penuh hanya dapat dikirim setelah disposisi ke OPD (langkah 4)",
            )

    @event("LetterSentNoted")
    def mark_sent(self, letter_id: str) -> None:
        self.sent_letter_id = letter_id

    def check_may_receive(self, actor: dict[str, Any]) -> None:
        if effective_role(actor) != "opd":
            raise _wrong_role("opd", actor, "acknowledging receipt", "tanda terima diberikan")
        own = self.request.get("opd_code") if self.request else None
        if actor.get("opd_code") is None or actor.get("opd_code") != own:
            raise Forbidden(
                "this letter is addressed to another agency",
                "surat ini ditujukan kepada OPD lain",
                code="wrong_agency",
            )
        self.check_open()


class Letter(Aggregate):
    """One reply letter: a draft with its content, then sent once, then received once."""

    @event("Drafted")
    def __init__(
        self,
        id: UUID,
        request_id: str,
        kind: str,
        hal: str,
        content: dict[str, Any],
        draft_sha256: str,
        drafted_by: dict[str, Any],
        drafted_at: str,
    ) -> None:
        self.request_id = request_id
        self.kind = kind
        self.hal = hal
        self.content = content
        self.draft_sha256 = draft_sha256
        self.drafted_by = drafted_by
        self.drafted_at = drafted_at
        self.status = "draft"
        self.superseded_by: str | None = None
        self.number: str | None = None
        self.serial: int | None = None
        self.signer: dict[str, Any] | None = None
        self.channels: list[str] = []
        self.pdf_sha256: str | None = None
        self.verification_url: str | None = None
        self.sent_at: str | None = None
        self.received_by: dict[str, Any] | None = None
        self.received_at: str | None = None

    def check_is_draft(self) -> None:
        if self.status == "superseded":
            raise OutOfOrder(
                "this draft was replaced by a newer one",
                "konsep surat ini sudah diganti dengan konsep yang lebih baru",
            )
        if self.status != "draft":
            raise OutOfOrder("this letter was already sent", "surat ini sudah dikirim")

    @event("Superseded")
    def supersede(self, by_letter_id: str) -> None:
        self.status = "superseded"
        self.superseded_by = by_letter_id

    def send(
        self,
        *,
        number: str,
        serial: int,
        signer: dict[str, Any],
        channels: list[str],
        pdf_sha256: str,
        verification_url: str,
        sent_at: str,
    ) -> None:
        self.check_is_draft()
        self._sent(
            self.request_id, self.kind, number, serial, signer, channels, pdf_sha256,
            verification_url, sent_at,
        )  # fmt: skip

    @event("Sent")
    def _sent(
        self,
        request_id: str,
        kind: str,
        number: str,
        serial: int,
        signer: dict[str, Any],
        channels: list[str],
        pdf_sha256: str,
        verification_url: str,
        sent_at: str,
    ) -> None:
        self.status = "sent"
        self.number = number
        self.serial = serial
        self.signer = signer
        self.channels = list(channels)
        self.pdf_sha256 = pdf_sha256
        self.verification_url = verification_url
        self.sent_at = sent_at

    def receive(self, received_by: dict[str, Any], received_at: str) -> None:
        if self.status == "received":
            raise OutOfOrder(
                "receipt of this letter was already acknowledged",
                "penerimaan surat ini sudah dikonfirmasi",
            )
        if self.status != "sent":
            raise OutOfOrder("this letter has not been sent yet", "surat ini belum dikirim")
        self._received(self.request_id, received_by, received_at)

    @event("Received")
    def _received(self, request_id: str, received_by: dict[str, Any], received_at: str) -> None:
        self.status = "received"
        self.received_by = received_by
        self.received_at = received_at


class LetterRegister(Aggregate):
    """The outgoing-letter book of one unit for one year: serials 1, 2, 3, ... without gaps."""

    @event("Opened")
    def __init__(self, id: UUID, unit: str, year: int) -> None:
        self.unit = unit
        self.year = year
        self.last_serial = 0
        self.letters: list[str] = []

    def assign(self, letter_id: str) -> int:
        """The next serial, recorded against ``letter_id``."""
        self._number_assigned(letter_id, self.last_serial + 1)
        return self.last_serial

    @event("NumberAssigned")
    def _number_assigned(self, letter_id: str, serial: int) -> None:
        self.last_serial = serial
        self.letters.append(letter_id)
