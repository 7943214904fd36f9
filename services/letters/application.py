"""The letters application: facts from events, drafting, sending, receipt, reading, verification.

Verbs take and return primitives. Consumer-facing verbs (``note_*``) take the message's tracking
and save it with their effect. Every PDF is stored content-addressed; events carry its SHA-256.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError, Tracking

from services.letters.domain import (
    HAL,
    MEETING_PROVIDED,
    Letter,
    LetterRegister,
    RequestFile,
    check_drafter,
    register_id,
)
from services.letters.pdf import Office, render_letter, signature_for
from shared.documents import DocumentStore
from shared.errors import Forbidden, NotFound, OutOfOrder
from shared.eventstore import ServiceApplication
from shared.roles import OFFICE_ROLES, effective_role

OFFICE_READERS = (*OFFICE_ROLES, "auditor", "operator")
SEND_ATTEMPTS = 20


def _now() -> datetime:
    return datetime.now(UTC)


def _retrying(command: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a command again when a concurrent writer moved one of its aggregates first
    (the register's next number, above all): the version conflict is the lock."""
    for _ in range(SEND_ATTEMPTS):
        try:
            return command()
        except IntegrityError:
            continue
    raise OutOfOrder(
        "the letter register is busy; please try again",
        "buku agenda surat sedang sibuk; silakan coba lagi",
        code="busy",
    )


class LettersApplication(ServiceApplication):
    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        documents: DocumentStore,
        verification_base: str,
        office: Office | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        super().__init__(env=env)
        self.documents = documents
        self.verification_base = verification_base.rstrip("/")
        self.office = office or Office()
        self.clock = clock

    # ------------------------------------------------------------------ facts from events

    def _file(self, request_id: UUID) -> RequestFile:
        found: RequestFile | None = self.get_or_none(request_id)
        return found if found is not None else RequestFile(id=request_id)

    def note_request(
        self, event: dict[str, Any], *, caused_by: str | None, tracking: Tracking | None
    ) -> None:
        file = self._file(UUID(event["request_id"]))
        request = {
            "opd_code": event["opd_code"],
            "opd_name": event["opd_name"],
            "agenda_number": event["agenda_number"],
            "requester_name": event["requester"]["name"],
            "requester_position": event["requester"]["position"],
            "letter_number": event["letter"]["number"],
            "letter_date": event["letter"]["date"],
            "letter_subject": event["letter"]["subject"],
            "topic": event["meeting"]["topic"],
            "start": event["meeting"]["start"],
            "end": event["meeting"]["end"],
            "participants": event["meeting"]["participants"],
        }
        if file.request != request:
            file.note_request(request, caused_by)
        self.save_tracked(file, tracking=tracking)

    def note_slot(
        self, event: dict[str, Any], *, caused_by: str | None, tracking: Tracking | None
    ) -> None:
        file = self._file(UUID(event["request_id"]))
        slot = {
            "available": event["available"],
            "start": event["start"],
            "end": event["end"],
            "conflicts": [{"start": c["start"], "end": c["end"]} for c in event["conflicts"]],
            "alternatives": [{"start": s["start"], "end": s["end"]} for s in event["alternatives"]],
            "checked_at": event["checked_at"],
        }
        if file.slot != slot:
            file.note_slot(slot, caused_by)
        self.save_tracked(file, tracking=tracking)

    def note_meeting(
        self, event: dict[str, Any], *, caused_by: str | None, tracking: Tracking | None
    ) -> None:
        file = self._file(UUID(event["request_id"]))
        meeting = {
            key: event[key]
            for key in ("meeting_id", "passcode", "join_url", "host_email", "topic", "start", "end")
        }
        if file.meeting != meeting and meeting["meeting_id"] not in file.cancelled_meeting_ids:
            file.note_meeting(meeting, caused_by)
        self.save_tracked(file, tracking=tracking)

    def note_meeting_cancelled(
        self, event: dict[str, Any], *, caused_by: str | None, tracking: Tracking | None
    ) -> None:
        meeting_id = event.get("meeting_id")
        if not meeting_id:  # a hold released, no meeting: nothing printed changes
            self.save_tracked(tracking=tracking)
            return
        file = self._file(UUID(event["request_id"]))
        if meeting_id not in file.cancelled_meeting_ids:
            file.note_meeting_cancelled(meeting_id, caused_by)
        self.save_tracked(file, tracking=tracking)

    def note_disposed(
        self, event: dict[str, Any], *, caused_by: str | None, tracking: Tracking | None
    ) -> None:
        """Steps that matter to letters: 4 to the OPD, 7 to Kabid, 8 to Kadis."""
        step, to_role, by = event["sop_step"], event["to_role"], event["by"]
        if (step, to_role) not in ((4, "opd"), (7, "kabid"), (8, "kadis")):
            self.save_tracked(tracking=tracking)
            return
        file = self._file(UUID(event["request_id"]))
        if step == 4 and to_role == "opd" and not file.full_reply_allowed:
            file.allow_full_reply(by, caused_by)
        elif step == 7 and to_role == "kabid" and not file.draft_forwarded:
            file.note_draft_forwarded(event.get("letter_id"), by, caused_by)
        elif step == 8 and to_role == "kadis" and not file.ready_for_signature:
            file.note_ready_for_signature(by, caused_by)
        self.save_tracked(file, tracking=tracking)

    def note_case_closed(
        self, event: dict[str, Any], *, caused_by: str | None, tracking: Tracking | None
    ) -> None:
        """``CaseClosed``: nothing more is drafted, sent or received for the request. A
        withdrawal counts only when the case closed as ``withdrawn``: the case decides."""
        file = self._file(UUID(event["request_id"]))
        if file.case_closed is None:
            file.note_case_closed(event["outcome"], event["closed_at"], caused_by)
        self.save_tracked(file, tracking=tracking)

    # ------------------------------------------------------------------ commands

    def draft(self, request_id: UUID, actor: dict[str, Any]) -> dict[str, Any]:
        """Draft the reply (Surat Tanggapan); an unsent earlier draft is superseded."""
        return _retrying(lambda: self._draft_once(request_id, actor))

    def _draft_once(self, request_id: UUID, actor: dict[str, Any]) -> dict[str, Any]:
        check_drafter(actor)
        file: RequestFile | None = self.get_or_none(request_id)
        if file is None:
            raise NotFound(
                f"no request {request_id} is known to the letters service",
                "permohonan tidak ditemukan",
            )
        kind = file.check_may_draft(actor)
        assert file.request is not None
        drafted_at = self.clock().isoformat()
        content: dict[str, Any] = {
            "kind": kind,
            "hal": HAL,
            "sifat": "Biasa",
            "drafted_at": drafted_at,
            "request": dict(file.request),
        }
        if kind == MEETING_PROVIDED:
            content["meeting"] = dict(file.meeting or {})
        else:
            content["alternatives"] = list((file.slot or {}).get("alternatives", []))
        pdf = render_letter(
            content,
            office=self.office,
            signature=signature_for(self.office, kind, None),
            draft=True,
        )
        draft_sha256 = self.documents.put(pdf)
        letter_id = uuid4()
        letter = Letter(
            id=letter_id,
            request_id=str(request_id),
            kind=kind,
            hal=HAL,
            content=content,
            draft_sha256=draft_sha256,
            drafted_by=actor,
            drafted_at=drafted_at,
        )
        previous: Letter | None = None
        if file.current_letter_id is not None:
            previous = self.repository.get(UUID(file.current_letter_id))
            if previous.status == "draft":
                previous.supersede(str(letter_id))
        file.attach_letter(str(letter_id))
        self.save(letter, file, previous)
        return self._view(letter)

    def send(self, letter_id: UUID, actor: dict[str, Any]) -> dict[str, Any]:
        """Sign and send: number from the register, final PDF, verification link."""
        return _retrying(lambda: self._send_once(letter_id, actor))

    def _send_once(self, letter_id: UUID, actor: dict[str, Any]) -> dict[str, Any]:
        letter = self._letter(letter_id)
        file: RequestFile = self.repository.get(UUID(letter.request_id))
        file.check_sender(letter.kind, actor)
        letter.check_is_draft()
        file.check_may_send(str(letter_id), letter.kind, actor)
        sent_at = self.clock()
        year = sent_at.astimezone(self.office.zone).year
        register: LetterRegister | None = self.get_or_none(register_id(self.office.unit_code, year))
        if register is None:
            register = LetterRegister(
                id=register_id(self.office.unit_code, year), unit=self.office.unit_code, year=year
            )
        serial = register.assign(str(letter_id))
        number = f"{self.office.classification}/{serial:04d}/{self.office.unit_code}"
        verification_url = f"{self.verification_base}/{letter_id}"
        pdf = self._render_final(letter, number, sent_at, actor, verification_url)
        pdf_sha256 = self.documents.put(pdf)
        letter.send(
            number=number,
            serial=serial,
            signer=actor,
            channels=["portal"],
            pdf_sha256=pdf_sha256,
            verification_url=verification_url,
            sent_at=sent_at.isoformat(),
        )
        file.mark_sent(str(letter_id))
        self.save(letter, file, register)
        return self._view(letter)

    def _render_final(
        self,
        letter: Letter,
        number: str,
        sent_at: datetime,
        signer: dict[str, Any],
        verification_url: str,
    ) -> bytes:
        return render_letter(
            letter.content,
            office=self.office,
            signature=signature_for(self.office, letter.kind, signer),
            number=number,
            letter_date=sent_at,
            verification_url=verification_url,
        )

    def receive(self, letter_id: UUID, actor: dict[str, Any]) -> dict[str, Any]:
        """The addressed agency acknowledges receipt (SOP step 10)."""
        return _retrying(lambda: self._receive_once(letter_id, actor))

    def _receive_once(self, letter_id: UUID, actor: dict[str, Any]) -> dict[str, Any]:
        letter = self._letter(letter_id)
        file: RequestFile = self.repository.get(UUID(letter.request_id))
        file.check_may_receive(actor)
        letter.receive(actor, self.clock().isoformat())
        self.save(letter)
        return self._view(letter)

    # ------------------------------------------------------------------ queries

    def _letter(self, letter_id: UUID) -> Letter:
        letter = self.get_or_none(letter_id)
        if not isinstance(letter, Letter):
            raise NotFound(f"no letter {letter_id}", "surat tidak ditemukan")
        return letter

    def _readable(self, letter_id: UUID, reader: dict[str, Any]) -> Letter:
        letter = self._letter(letter_id)
        role = effective_role(reader)
        if role in OFFICE_READERS:
            return letter
        if role == "opd":
            opd_code = letter.content["request"].get("opd_code")
            if reader.get("opd_code") != opd_code:
                raise Forbidden(
                    "this letter is addressed to another agency",
                    "surat ini ditujukan kepada OPD lain",
                    code="wrong_agency",
                )
            if letter.status not in ("sent", "received"):
                # A draft is the office's working paper until it is signed and sent.
                raise NotFound(f"no letter {letter_id}", "surat tidak ditemukan")
            return letter
        raise Forbidden(
            f"letters are not readable in the role {role}",
            "Anda tidak berwenang membaca surat",
            code="wrong_role",
        )

    def letter(self, letter_id: UUID, reader: dict[str, Any]) -> dict[str, Any]:
        return self._view(self._readable(letter_id, reader))

    def letter_pdf(self, letter_id: UUID, reader: dict[str, Any]) -> tuple[bytes, str]:
        """The PDF: the signed one once sent, else the draft; and a file name for it."""
        letter = self._readable(letter_id, reader)
        sha = letter.pdf_sha256 or letter.draft_sha256
        name = (letter.number or f"konsep-{letter_id}").replace("/", "-")
        return self.documents.get(sha), f"{name}.pdf"

    def _check_request_reader(self, file: RequestFile | None, reader: dict[str, Any]) -> None:
        role = effective_role(reader)
        if role in OFFICE_READERS:
            return
        if role != "opd":
            raise Forbidden(
                f"letters are not readable in the role {role}",
                "Anda tidak berwenang membaca surat",
                code="wrong_role",
            )
        if file is not None and reader.get("opd_code") != (file.request or {}).get("opd_code"):
            raise Forbidden(
                "this request belongs to another agency",
                "permohonan ini milik OPD lain",
                code="wrong_agency",
            )

    def letters_of(self, request_id: UUID, reader: dict[str, Any]) -> list[dict[str, Any]]:
        file: RequestFile | None = self.get_or_none(request_id)
        self._check_request_reader(file, reader)
        if file is None:
            return []
        letters = [self._letter(UUID(i)) for i in file.letter_ids]
        if effective_role(reader) == "opd":
            letters = [x for x in letters if x.status in ("sent", "received")]
        return [self._view(x) for x in letters]

    def request_status(self, request_id: UUID, reader: dict[str, Any]) -> dict[str, Any]:
        """What the letters service knows of a request, and whether a reply may be drafted."""
        file: RequestFile | None = self.get_or_none(request_id)
        self._check_request_reader(file, reader)
        if file is None:
            raise NotFound(
                f"no request {request_id} is known to the letters service",
                "permohonan tidak ditemukan",
            )
        return {
            "request_id": str(request_id),
            "request_known": file.request is not None,
            "opd_code": (file.request or {}).get("opd_code"),
            "slot_available": None if file.slot is None else bool(file.slot["available"]),
            "meeting_id": (file.meeting or {}).get("meeting_id"),
            "full_reply_allowed": file.full_reply_allowed,
            "draft_forwarded": file.draft_forwarded,
            "ready_for_signature": file.ready_for_signature,
            "withdrawn": file.withdrawn,
            "case_outcome": (file.case_closed or {}).get("outcome"),
            "draftable_kind": None if file.draft_forwarded else file.draftable_kind(),
            "current_letter_id": file.current_letter_id,
            "sent_letter_id": file.sent_letter_id,
            "letter_ids": list(file.letter_ids),
        }

    def verify(self, letter_id: UUID) -> dict[str, Any]:
        """Public: what a recipient needs to check a printout of a sent letter."""
        letter = self.get_or_none(letter_id)
        if not isinstance(letter, Letter) or letter.status not in ("sent", "received"):
            raise NotFound(
                f"no sent letter {letter_id}", "tidak ada surat terkirim dengan kode tersebut"
            )
        assert letter.signer is not None
        assert letter.sent_at is not None
        signature = signature_for(self.office, letter.kind, letter.signer)
        sent_at = datetime.fromisoformat(letter.sent_at)
        return {
            "valid": True,
            "letter_id": str(letter.id),
            "number": letter.number,
            "date": sent_at.astimezone(self.office.zone).date().isoformat(),
            "sent_at": letter.sent_at,
            "hal": letter.hal,
            "kind": letter.kind,
            "addressee": letter.content["request"]["opd_name"],
            "signer_name": letter.signer["name"],
            "signer_jabatan": " ".join(signature.jabatan).rstrip(","),
            "pdf_sha256": letter.pdf_sha256,
            "office": self.office.name,
        }

    def _view(self, letter: Letter) -> dict[str, Any]:
        request = letter.content["request"]
        return {
            "letter_id": str(letter.id),
            "request_id": letter.request_id,
            "kind": letter.kind,
            "hal": letter.hal,
            "status": letter.status,
            "opd_code": request.get("opd_code"),
            "opd_name": request.get("opd_name"),
            "agenda_number": request.get("agenda_number"),
            "drafted_by": letter.drafted_by,
            "drafted_at": letter.drafted_at,
            "draft_sha256": letter.draft_sha256,
            "superseded_by": letter.superseded_by,
            "number": letter.number,
            "signer": letter.signer,
            "channels": list(letter.channels),
            "sent_at": letter.sent_at,
            "pdf_sha256": letter.pdf_sha256,
            "verification_url": letter.verification_url,
            "received_by": letter.received_by,
            "received_at": letter.received_at,
            "meeting": letter.content.get("meeting"),
            "alternatives": letter.content.get("alternatives"),
        }
