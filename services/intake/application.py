"""Intake's application: register request letters, answer machine submissions, list agencies.

It receives what the entry points parsed: a :class:`~services.intake.submissions.Filing` (from a
route, or from the inbound consumer with its tracking through ``process_event``), a
:class:`~services.intake.submissions.Refusal` to answer, and ``CaseClosed`` from disposition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import singledispatchmethod
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from services.intake.domain import (
    AgencyRegistry,
    AgendaBook,
    Rejection,
    Request,
    agenda_book_id,
    request_id_for,
)
from services.intake.submissions import Filing, Refusal, SubmissionInvalid
from services.intake.values import Agency, fingerprint
from services.intake.views import Duplicate, RequestRow, request_row
from shared.calendar import OFFICE_TIMEZONE
from shared.documents import DocumentStore, sha256_of
from shared.errors import NotFound, OutOfOrder
from shared.events import Actor, CaseClosed, FieldError
from shared.eventstore import ServiceApplication
from shared.readmodel import AggregateIndex

DEMO_AGENCIES = {
    "DINKES": "Dinas Kesehatan",
    "DISDIK": "Dinas Pendidikan",
    "BAPPEDA": "Badan Perencanaan Pembangunan Daerah",
    "DISPENDUK": "Dinas Kependudukan dan Pencatatan Sipil",
    "BPBD": "Badan Penanggulangan Bencana Daerah",
    "SETDA": "Sekretariat Daerah",
    "INSPEKTORAT": "Inspektorat Daerah",
}
ATTEMPTS = 50  # at taking an agenda number while other submissions take them too


class IntakeApplication(ServiceApplication):
    name = "intake"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        documents: DocumentStore,
        timezone: str = OFFICE_TIMEZONE,
    ) -> None:
        super().__init__(env=env)
        self.documents = documents
        self.tz = ZoneInfo(timezone)
        self._requests = AggregateIndex(self, Request, request_row)

    # ------------------------------------------------------------------ what it consumes

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Events no method is registered for change nothing."""

    @policy.register
    def _(self, domain_event: CaseClosed, processing_event: ProcessingEvent[UUID]) -> None:
        """From now on a withdrawal is refused. A request intake never registered is not
        intake's to note: only the position is recorded."""
        request: Request | None = self.get_or_none(domain_event.request_id)
        if request is not None and request.note_case_closed(
            domain_event.outcome, domain_event.closed_at
        ):
            processing_event.collect_events(request)

    @policy.register
    def _(self, domain_event: Filing, processing_event: ProcessingEvent[UUID]) -> None:
        """A machine submission from the stream (raise :class:`SubmissionInvalid` or
        ``OutOfOrder``: the consumer refuses it and answers with a :class:`Refusal`). A store
        refusing the agenda number (another submission took it first) is retried by the
        consumer, which then finds the number taken or the request registered."""
        _, changed, _ = self._file(domain_event, datetime.now(UTC))
        processing_event.collect_events(*changed)

    @policy.register
    def _(self, domain_event: Refusal, processing_event: ProcessingEvent[UUID]) -> None:
        """A refused machine submission, answered as ``RequestRejected``."""
        rejection = Rejection(
            client_ref=domain_event.client_ref,
            opd_code=domain_event.opd_code,
            errors=[e.model_dump() for e in domain_event.errors],
            received_at=datetime.now(UTC),
        )
        processing_event.collect_events(rejection)

    # ------------------------------------------------------------------ agencies

    def _registry(self) -> AgencyRegistry | None:
        registry: AgencyRegistry | None = self.get_or_none(AgencyRegistry.create_id())
        return registry

    def agencies(self) -> dict[str, str]:
        """The agencies' names by code."""
        return {agency.code: agency.name for agency in self.agency_details()}

    def agency_details(self) -> list[Agency]:
        """The agencies with their address and e-mail, by code."""
        registry = self._registry()
        return sorted(registry.agencies.values(), key=lambda a: a.code) if registry else []

    def agency(self, code: str) -> Agency:
        registry = self._registry()
        agency = registry.agencies.get(code.strip().upper()) if registry else None
        if agency is None:
            raise NotFound(f"no agency {code!r}", f"OPD {code!r} tidak dikenal")
        return agency

    def register_agency(
        self, code: str, name: str, address: str | None = None, email: str | None = None
    ) -> Agency:
        """Register an agency or change its details (an address or e-mail left ``None`` stays
        as it was)."""
        registry = self._registry() or AgencyRegistry()
        agency = registry.register(code, name, address, email)
        self.save(registry)
        return agency

    def seed_demo_agencies(self) -> None:
        registry = self._registry() or AgencyRegistry()
        for code, name in DEMO_AGENCIES.items():
            if code not in registry.agencies:
                registry.register(code, name)
        self.save(registry)

    # ------------------------------------------------------------------ submitting

    def submit(self, filing: Filing, *, now: datetime | None = None) -> tuple[Request, bool]:
        """Register a request letter; return it and whether it is new.

        Resending the same ``client_ref`` with the same content returns the first request,
        whatever happened to it since (the meeting time passed, it was withdrawn), and over NATS
        publishes its answer again; with other content it is refused, so a client never
        silently loses a change. A refused submission binds nothing: a resend is checked afresh.
        """
        for _attempt in range(ATTEMPTS):
            request, changed, created = self._file(filing, now or datetime.now(UTC))
            try:
                self.save(*changed)
            except IntegrityError:
                # Another submission took this agenda number first, or the same client
                # reference was registered concurrently: look again.
                continue
            return request, created
        raise OutOfOrder(
            "the agenda book is too busy; try again",
            "buku agenda sedang sibuk, coba lagi",
            code="busy",
        )

    def _file(self, filing: Filing, now: datetime) -> tuple[Request, Sequence[Aggregate], bool]:
        """The request a filing registers or finds again, what to record, whether it is new."""
        document = sha256_of(filing.pdf) if filing.pdf is not None else None
        print_ = fingerprint(
            filing.opd_code, filing.requester, filing.letter, filing.meeting, document
        )
        client_ref = filing.client_ref
        request_id = request_id_for(filing.opd_code, client_ref) if client_ref else uuid4()
        existing = self._existing(request_id, print_)
        if existing is not None:
            # Over HTTP the reply is the answer; over NATS the client reads its answer from
            # the stream, so the one answer is published again (``AnswerRepeated``).
            if filing.channel != "nats":
                return existing, (), False
            existing.repeat_answer(filing.message_id)
            return existing, (existing,), False
        agencies = self.agencies()
        errors = self._unknown_agency(filing.opd_code, agencies) + filing.meeting.problems(now)
        if errors:
            raise SubmissionInvalid(errors)
        if filing.pdf is not None:
            self.documents.put(filing.pdf)
        year = now.astimezone(self.tz).year
        book: AgendaBook = self.get_or_none(agenda_book_id(year)) or AgendaBook(year)
        book.take_number(request_id)
        seq, number = book.next_number()
        request = Request.register(
            request_id,
            opd_code=filing.opd_code,
            opd_name=agencies[filing.opd_code],
            channel=filing.channel,
            client_ref=client_ref,
            fingerprint=print_,
            requester=filing.requester,
            letter=filing.letter.with_document(document),
            meeting=filing.meeting,
            submitted_by=filing.submitted_by,
            agenda=(year, seq, number),
            credentials=filing.credentials,
        )
        return request, (book, request), True

    def _existing(self, request_id: UUID, print_: str) -> Request | None:
        request: Request | None = self.get_or_none(request_id)
        if request is None:
            return None
        if request.fingerprint != print_:
            raise OutOfOrder(
                f"client reference {request.client_ref!r} was already used for another request "
                f"(agenda {request.agenda_number})",
                f"nomor referensi {request.client_ref!r} sudah dipakai untuk permohonan lain "
                f"(agenda {request.agenda_number})",
                code="client_ref_reused",
            )
        return request

    @staticmethod
    def _unknown_agency(opd_code: str, agencies: Mapping[str, str]) -> list[FieldError]:
        if opd_code in agencies:
            return []
        return [FieldError(field="opd_code", message=f"unknown agency {opd_code!r}")]

    # ------------------------------------------------------------------ after submitting

    def withdraw(self, request_id: UUID, reason: str, by: Actor) -> Request:
        """The OPD asks to withdraw (``RequestWithdrawn``); refused once the case is closed.

        The case decides: a withdrawal that reaches it after it closed is refused there, and
        this request then shows the case's outcome (``status`` ``closed``).
        """
        request = self.get_request(request_id)
        request.withdraw(reason, by)
        self.save(request)
        return request

    def get_request(self, request_id: UUID) -> Request:
        request: Request | None = self.get_or_none(request_id)
        if not isinstance(request, Request):
            raise NotFound(f"no request {request_id}", "permohonan tidak ditemukan")
        return request

    def letter_document(self, request_id: UUID) -> tuple[Request, bytes]:
        request = self.get_request(request_id)
        sha = request.letter.document_sha256
        if not sha:
            raise NotFound(
                "this request came without a letter PDF",
                "permohonan ini tidak melampirkan berkas surat",
            )
        return request, self.documents.get(sha)

    def list_requests(self) -> list[RequestRow]:
        """Every request, newest first."""
        rows = self._requests.rows()
        return sorted(rows, key=lambda row: (row.submitted_at, row.agenda_number), reverse=True)

    def duplicates(self, request_id: UUID) -> tuple[Request, list[Duplicate]]:
        """The request, and its agency's other requests filed with the same letter number
        (ignoring case and surrounding spaces) or the same PDF, newest first: most likely the
        same letter sent twice."""
        request = self.get_request(request_id)
        number, sha = request.letter.number.strip().casefold(), request.letter.document_sha256
        found = []
        for row in self.list_requests():
            if row.opd_code != request.opd_code or row.request_id == request.id:
                continue
            same_number = row.letter.number.strip().casefold() == number
            same_pdf = sha is not None and row.letter.document_sha256 == sha
            if same_number or same_pdf:
                found.append(Duplicate(request=row, same_number=same_number, same_pdf=same_pdf))
        return request, found
