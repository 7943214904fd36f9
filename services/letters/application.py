"""The letters application: what it learns from other services' events (its ``policy``), the
reply drafted, signed and sent, its receipt, and who may read it.

Commands and queries take typed values (the caller as an ``Actor``, IDs) and return the
``Letter`` or ``RequestFile`` itself; ``views.py`` turns them into what the API shows. Every PDF
is stored content-addressed; the events carry its SHA-256.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import singledispatchmethod
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import IntegrityError

from services.letters.domain import (
    Letter,
    LetterRegister,
    RequestFile,
    check_drafter,
    register_id,
)
from services.letters.office import Office, signature_for
from services.letters.pdf import render_letter
from services.letters.values import (
    MeetingCopy,
    Receipt,
    RequestCopy,
    SentLetter,
    SlotCopy,
    letter_body,
)
from services.letters.wording import default_body
from shared.access import OWN_AGENCY_ONLY, check_kind, check_owner
from shared.documents import DocumentStore
from shared.errors import NotFound, OutOfOrder
from shared.events import (
    Actor,
    CaseClosed,
    Disposed,
    DraftReturned,
    MeetingCancelled,
    MeetingCreated,
    RequestSubmitted,
    SlotChecked,
)
from shared.eventstore import ServiceApplication, cause_of
from shared.roles import effective_role

SEND_ATTEMPTS = 20
# The dispositions letters acts on: step 4 to the OPD (the schedule-full reply may go out),
# step 7 to Kabid (the draft went up), step 8 to Kadis (the reply may be signed).
DISPOSITIONS = {(4, "opd"), (7, "kabid"), (8, "kadis")}

T = TypeVar("T")


def _now() -> datetime:
    return datetime.now(UTC)


def _retrying(command: Callable[[], T]) -> T:
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


def _no_request(request_id: UUID) -> NotFound:
    return NotFound(
        f"no request {request_id} is known to the letters service", "permohonan tidak ditemukan"
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

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Events no method is registered for change nothing."""

    @policy.register
    def _(self, domain_event: RequestSubmitted, processing_event: ProcessingEvent[UUID]) -> None:
        file = self._file(domain_event.request_id)
        file.note_request(RequestCopy.of(domain_event), cause_of(processing_event))
        processing_event.collect_events(file)

    @policy.register
    def _(self, domain_event: SlotChecked, processing_event: ProcessingEvent[UUID]) -> None:
        file = self._file(domain_event.request_id)
        file.note_slot(SlotCopy.of(domain_event), cause_of(processing_event))
        processing_event.collect_events(file)

    @policy.register
    def _(self, domain_event: MeetingCreated, processing_event: ProcessingEvent[UUID]) -> None:
        file = self._file(domain_event.request_id)
        file.note_meeting(MeetingCopy.of(domain_event), cause_of(processing_event))
        processing_event.collect_events(file)

    @policy.register
    def _(self, domain_event: MeetingCancelled, processing_event: ProcessingEvent[UUID]) -> None:
        if not domain_event.meeting_id:  # a hold released, no meeting: nothing printed changes
            return
        file = self._file(domain_event.request_id)
        file.note_meeting_cancelled(domain_event.meeting_id, cause_of(processing_event))
        processing_event.collect_events(file)

    @policy.register
    def _(self, domain_event: Disposed, processing_event: ProcessingEvent[UUID]) -> None:
        step, by = (domain_event.sop_step, domain_event.to_role), domain_event.by
        if step not in DISPOSITIONS:
            return
        file, caused_by = self._file(domain_event.request_id), cause_of(processing_event)
        if step == (4, "opd"):
            file.allow_full_reply(by, caused_by)
        elif step == (7, "kabid"):
            file.note_draft_forwarded(
                domain_event.letter_id, by, caused_by, domain_event.disposed_at
            )
        else:
            file.note_ready_for_signature(by, caused_by, domain_event.disposed_at)
        processing_event.collect_events(file)

    @policy.register
    def _(self, domain_event: DraftReturned, processing_event: ProcessingEvent[UUID]) -> None:
        """Kabid or Kadis returned the draft: the Sub-coordinator may redraft it."""
        file = self._file(domain_event.request_id)
        file.note_draft_returned(
            domain_event.letter_id,
            domain_event.by,
            domain_event.note,
            domain_event.returned_at,
            cause_of(processing_event),
        )
        processing_event.collect_events(file)

    @policy.register
    def _(self, domain_event: CaseClosed, processing_event: ProcessingEvent[UUID]) -> None:
        """Nothing more is drafted, sent or received for the request once its case closed."""
        file = self._file(domain_event.request_id)
        file.note_case_closed(
            domain_event.outcome, domain_event.closed_at, cause_of(processing_event)
        )
        processing_event.collect_events(file)

    # ------------------------------------------------------------------ commands

    def draft(self, request_id: UUID, actor: Actor, body: Sequence[str] | None = None) -> Letter:
        """Draft the reply (Surat Tanggapan) with the body's paragraphs as the Sub-coordinator
        edited them (``body``, plain text), or the generated wording; an unsent earlier draft
        is superseded. The signed letter prints exactly this body."""
        return _retrying(lambda: self._draft_once(request_id, actor, body))

    def _draft_once(self, request_id: UUID, actor: Actor, body: Sequence[str] | None) -> Letter:
        check_drafter(actor)
        file: RequestFile | None = self.get_or_none(request_id)
        if file is None:
            raise _no_request(request_id)
        content = file.draft(actor, self.clock())
        paragraphs = letter_body(body) if body is not None else default_body(content, self.office)
        content = replace(content, body=paragraphs)
        unsigned = signature_for(self.office, content.kind, None)
        pdf = render_letter(content, office=self.office, signature=unsigned, draft=True)
        letter = Letter.drafted(uuid4(), request_id, content, self.documents.put(pdf), actor)
        previous: Letter | None = None
        if file.current_letter_id is not None:
            previous = self._letter(file.current_letter_id)
            if previous.status == "draft":
                previous.supersede(letter.id)
        file.attach_letter(letter.id)
        self.save(letter, file, previous)
        return letter

    def send(self, letter_id: UUID, actor: Actor) -> Letter:
        """Sign and send: number from the register, final PDF, verification link."""
        return _retrying(lambda: self._send_once(letter_id, actor))

    def _send_once(self, letter_id: UUID, actor: Actor) -> Letter:
        letter = self._letter(letter_id)
        file: RequestFile = self.repository.get(letter.request_id)
        file.check_sender(letter.kind, actor)
        letter.check_is_draft()
        file.check_may_send(letter_id, letter.kind, actor)
        sent_at = self.clock()
        register = self._register(sent_at.astimezone(self.office.zone).year)
        serial = register.assign(letter_id)
        number = self.office.letter_number(serial)
        verification_url = f"{self.verification_base}/{letter_id}"
        pdf = render_letter(
            letter.draft,
            office=self.office,
            signature=signature_for(self.office, letter.kind, actor),
            number=number,
            letter_date=sent_at,
            verification_url=verification_url,
        )
        sent = SentLetter(
            number=number,
            serial=serial,
            signer=actor,
            channels=("portal",),
            pdf_sha256=self.documents.put(pdf),
            verification_url=verification_url,
            sent_at=sent_at,
        )
        letter.send(sent)
        file.mark_sent(letter_id)
        self.save(letter, file, register)
        return letter

    def _register(self, year: int) -> LetterRegister:
        unit = self.office.unit_code
        register: LetterRegister | None = self.get_or_none(register_id(unit, year))
        if register is None:
            register = LetterRegister(id=register_id(unit, year), unit=unit, year=year)
        return register

    def receive(self, letter_id: UUID, actor: Actor) -> Letter:
        """The addressed agency acknowledges receipt (SOP step 10)."""
        return _retrying(lambda: self._receive_once(letter_id, actor))

    def _receive_once(self, letter_id: UUID, actor: Actor) -> Letter:
        letter = self._letter(letter_id)
        file: RequestFile = self.repository.get(letter.request_id)
        file.check_may_receive(actor)
        letter.receive(Receipt(actor, self.clock()))
        self.save(letter)
        return letter

    # ------------------------------------------------------------------ reading

    def _letter(self, letter_id: UUID) -> Letter:
        letter = self.get_or_none(letter_id)
        if not isinstance(letter, Letter):
            raise NotFound(f"no letter {letter_id}", "surat tidak ditemukan")
        return letter

    def letter(self, letter_id: UUID, reader: Actor) -> Letter:
        """A letter its reader may see (``shared.access``); to the addressed agency, only once
        it was sent: a draft is the office's working paper, so for them it does not exist."""
        letter = self._letter(letter_id)
        check_owner(reader, "letter", letter.opd_code)
        if effective_role(reader) in OWN_AGENCY_ONLY and not letter.is_sent:
            raise NotFound(f"no letter {letter_id}", "surat tidak ditemukan")
        return letter

    def letter_pdf(self, letter_id: UUID, reader: Actor) -> tuple[bytes, str]:
        """The PDF: the signed one once sent, else the draft; and a file name for it."""
        letter = self.letter(letter_id, reader)
        sha = letter.sent.pdf_sha256 if letter.sent else letter.draft_sha256
        name = (letter.sent.number if letter.sent else f"konsep-{letter_id}").replace("/", "-")
        return self.documents.get(sha), f"{name}.pdf"

    def letters_of(self, request_id: UUID, reader: Actor) -> list[Letter]:
        """The letters drafted for a request, oldest first (an agency: only the sent ones)."""
        check_kind(reader, "letter")
        file: RequestFile | None = self.get_or_none(request_id)
        if file is None:
            return []
        check_owner(reader, "letter", file.opd_code)
        letters = [self._letter(letter_id) for letter_id in file.letter_ids]
        if effective_role(reader) in OWN_AGENCY_ONLY:
            letters = [letter for letter in letters if letter.is_sent]
        return letters

    def request_file(self, request_id: UUID, reader: Actor) -> RequestFile:
        """What the letters service knows of a request, for those who may read its letters."""
        check_kind(reader, "letter")
        file: RequestFile | None = self.get_or_none(request_id)
        if file is None:
            raise _no_request(request_id)
        check_owner(reader, "letter", file.opd_code)
        return file

    def verify(self, letter_id: UUID) -> Letter:
        """Public: a sent letter, for whoever holds its printout (else 404)."""
        letter = self.get_or_none(letter_id)
        if not isinstance(letter, Letter) or not letter.is_sent:
            raise NotFound(
                f"no sent letter {letter_id}", "tidak ada surat terkirim dengan kode tersebut"
            )
        return letter
