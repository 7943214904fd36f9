"""Intake's application: register request letters, answer machine submissions, list agencies."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.persistence import IntegrityError, Tracking
from pydantic import ValidationError

from services.intake.domain import (
    AgencyRegistry,
    AgendaBook,
    Rejection,
    Request,
    agenda_book_id,
    request_id_for,
)
from shared.calendar import OFFICE_TIMEZONE
from shared.documents import DocumentStore, looks_like_pdf, sha256_of
from shared.errors import InvalidInput, NotFound, OutOfOrder, TooLarge
from shared.events import (
    Actor,
    FieldError,
    Submission,
)
from shared.eventstore import ServiceApplication

MAX_INBOUND_PDF_BYTES = 700 * 1024
DEMO_AGENCIES = {
    "DINKES": "Dinas Kesehatan",
    "DISDIK": "Dinas Pendidikan",
    "BAPPEDA": "Badan Perencanaan Pembangunan Daerah",
    "DISPENDUK": "Dinas Kependudukan dan Pencatatan Sipil",
    "BPBD": "Badan Penanggulangan Bencana Daerah",
    "SETDA": "Sekretariat Daerah",
    "INSPEKTORAT": "Inspektorat Daerah",
}


class SubmissionInvalid(InvalidInput):
    """A submission with field errors; ``errors`` lists each field and what is wrong."""

    def __init__(self, errors: list[FieldError]) -> None:
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
        super().__init__(
            f"the request is not valid: {summary}", f"permohonan tidak valid: {summary}"
        )
        self.errors = errors


def _pydantic_errors(exc: ValidationError) -> list[FieldError]:
    out = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err.get("loc", ())) or "(body)"
        message = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            message = "unknown field: not part of the submission format"
        elif err.get("type") == "missing":
            message = "required field is missing"
        out.append(FieldError(field=field, message=message))
    return out


def names_client_ref(message_id: str, client_ref: str) -> bool:
    """Whether a message ID (``Nats-Msg-Id``, ``Idempotency-Key``) is the submission's
    ``client_ref``, or a resend of it: ``<client_ref>/<tag>``, e.g. ``SIMPEG-2026-000123/2``,
    a new message ID the stream's duplicate window does not drop."""
    if message_id == client_ref:
        return True
    return message_id.startswith(client_ref + "/") and len(message_id) > len(client_ref) + 1


def client_ref_answered(body: bytes, message_id: str | None) -> str | None:
    """The ``client_ref`` a refusal answers: the body's when the message ID names it (a
    resend), else the message ID, all a sender of an unreadable body gave."""
    try:
        client_ref = json.loads(body).get("client_ref")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return message_id
    if isinstance(client_ref, str) and message_id and names_client_ref(message_id, client_ref):
        return client_ref
    return message_id


def fingerprint(opd_code: str, payload: Mapping[str, Any], document_sha256: str | None) -> str:
    canonical = json.dumps(
        {"opd": opd_code, "body": payload, "doc": document_sha256},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


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

    # ------------------------------------------------------------------ agencies

    def _registry(self) -> AgencyRegistry | None:
        registry: AgencyRegistry | None = self.get_or_none(AgencyRegistry.create_id())
        return registry

    def agencies(self) -> dict[str, str]:
        registry = self._registry()
        return dict(sorted(registry.agencies.items())) if registry else {}

    def register_agency(self, code: str, name: str) -> dict[str, str]:
        registry = self._registry() or AgencyRegistry()
        registry.register(code, name)
        self.save(registry)
        return self.agencies()

    def seed_demo_agencies(self) -> None:
        registry = self._registry() or AgencyRegistry()
        for code, name in DEMO_AGENCIES.items():
            if code not in registry.agencies:
                registry.register(code, name)
        self.save(registry)

    # ------------------------------------------------------------------ submitting

    def submit_json(
        self,
        *,
        opd_code: str,
        body: bytes,
        channel: str,
        submitted_by: Actor,
        client_ref_hint: str | None = None,
        tracking: Tracking | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """A machine submission (NATS or HTTP JSON). Raise :class:`SubmissionInvalid`."""
        try:
            raw = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise SubmissionInvalid(
                [FieldError(field="(body)", message="the body is not valid JSON")]
            ) from None
        try:
            submission = Submission.model_validate(raw)
        except ValidationError as exc:
            raise SubmissionInvalid(_pydantic_errors(exc)) from None
        errors: list[FieldError] = []
        if client_ref_hint and not names_client_ref(client_ref_hint, submission.client_ref):
            errors.append(
                FieldError(
                    field="client_ref",
                    message=f"does not match the message ID / Idempotency-Key {client_ref_hint!r}",
                )
            )
        pdf = None
        if submission.letter.pdf_base64 is not None:
            try:
                pdf = base64.b64decode(submission.letter.pdf_base64, validate=True)
            except (binascii.Error, ValueError):
                errors.append(FieldError(field="letter.pdf_base64", message="is not base64"))
            else:
                if len(pdf) > MAX_INBOUND_PDF_BYTES:
                    errors.append(
                        FieldError(
                            field="letter.pdf_base64",
                            message=f"the PDF is {len(pdf)} bytes; at most {MAX_INBOUND_PDF_BYTES}",
                        )
                    )
                elif not looks_like_pdf(pdf):
                    errors.append(FieldError(field="letter.pdf_base64", message="is not a PDF"))
        if errors:
            raise SubmissionInvalid(errors)
        payload = submission.model_dump(mode="json")
        payload["letter"].pop("pdf_base64", None)
        return self.submit(
            opd_code=opd_code,
            channel=channel,
            client_ref=submission.client_ref,
            requester=payload["requester"],
            letter=payload["letter"],
            meeting=payload["meeting"],
            pdf=pdf,
            submitted_by=submitted_by,
            tracking=tracking,
            message_id=client_ref_hint,
        )

    def submit(
        self,
        *,
        opd_code: str,
        channel: str,
        client_ref: str | None,
        requester: dict[str, Any],
        letter: dict[str, Any],
        meeting: dict[str, Any],
        pdf: bytes | None,
        submitted_by: Actor,
        tracking: Tracking | None = None,
        now: datetime | None = None,
        message_id: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Register a request letter; return its view and whether it is new.

        Resending the same ``client_ref`` with the same content returns the first request,
        whatever happened to it since (the meeting time passed, it was withdrawn), and over NATS
        publishes its answer again; with other content it is refused, so a client never
        silently loses a change. A refused submission binds nothing: a resend is checked afresh.
        """
        now = now or datetime.now(UTC)
        agencies = self.agencies()
        normalised = {  # stored in UTC, whatever offset the client wrote
            **meeting,
            "start": datetime.fromisoformat(str(meeting["start"])).astimezone(UTC).isoformat(),
            "end": datetime.fromisoformat(str(meeting["end"])).astimezone(UTC).isoformat(),
        }
        document_sha = sha256_of(pdf) if pdf is not None else None
        payload = {"requester": requester, "letter": letter, "meeting": normalised}
        print_ = fingerprint(opd_code, payload, document_sha)
        request_id = request_id_for(opd_code, client_ref) if client_ref else uuid4()
        existing = self._existing(request_id, print_)
        if existing is not None:
            return self._answer_again(existing, channel, message_id, tracking), False
        errors = self._check(opd_code, agencies, meeting, now)
        if errors:
            raise SubmissionInvalid(errors)
        meeting = normalised
        if pdf is not None:
            self.documents.put(pdf)
        year = now.astimezone(self.tz).year
        for _attempt in range(50):
            book = self.get_or_none(agenda_book_id(year)) or AgendaBook(year)
            book.take_number(request_id)
            seq, number = book.next_number()
            request = Request(
                request_id=request_id,
                opd_code=opd_code,
                opd_name=agencies[opd_code],
                channel=channel,
                client_ref=client_ref,
                fingerprint=print_,
                requester=requester,
                letter={**letter, "document_sha256": document_sha},
                meeting=meeting,
                submitted_by=submitted_by.model_dump(),
                agenda_year=year,
                agenda_seq=seq,
                agenda_number=number,
            )
            try:
                self.save_tracked(book, request, tracking=tracking)
            except IntegrityError:
                # Another submission took this agenda number first, or the same client
                # reference was registered concurrently: look again.
                existing = self._existing(request_id, print_)
                if existing is not None:
                    return self._answer_again(existing, channel, message_id, tracking), False
                if tracking is not None and self.has_tracking(tracking):
                    return self.get_request(request_id), False
                continue
            return self._view(request), True
        raise OutOfOrder(
            "the agenda book is too busy; try again",
            "buku agenda sedang sibuk, coba lagi",
            code="busy",
        )

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

    def _answer_again(
        self, request: Request, channel: str, message_id: str | None, tracking: Tracking | None
    ) -> dict[str, Any]:
        """A registered submission sent again. Over HTTP this reply is the answer; over NATS
        the client reads its answer from the stream, so the one answer is published again
        (``AnswerRepeated``, recorded with the message's tracking)."""
        if channel == "nats":
            request.repeat_answer(message_id)
            self.save_tracked(request, tracking=tracking)
        return self._view(request)

    def _check(
        self, opd_code: str, agencies: dict[str, str], meeting: dict[str, Any], now: datetime
    ) -> list[FieldError]:
        errors = []
        if opd_code not in agencies:
            errors.append(FieldError(field="opd_code", message=f"unknown agency {opd_code!r}"))
        start = datetime.fromisoformat(str(meeting["start"]))
        end = datetime.fromisoformat(str(meeting["end"]))
        if end <= start:
            errors.append(FieldError(field="meeting.end", message="must be after meeting.start"))
        if start < now:
            errors.append(FieldError(field="meeting.start", message="lies in the past"))
        if (end - start).total_seconds() > 24 * 3600:
            errors.append(FieldError(field="meeting.end", message="a meeting lasts at most 24 h"))
        return errors

    def reject(
        self,
        *,
        opd_code: str,
        client_ref: str | None,
        errors: list[FieldError],
        tracking: Tracking | None,
    ) -> UUID:
        """Record a refused machine submission, answered as ``RequestRejected``."""
        rejection = Rejection(
            client_ref=client_ref,
            opd_code=opd_code,
            errors=[e.model_dump() for e in errors],
            received_at=datetime.now(UTC),
        )
        self.save_tracked(rejection, tracking=tracking)
        return rejection.id

    def check_letter_pdf(self, data: bytes, limit: int) -> None:
        if len(data) > limit:
            raise TooLarge(
                f"the letter PDF is {len(data)} bytes; at most {limit} bytes are accepted",
                f"berkas surat {len(data)} byte; maksimal {limit} byte",
            )
        if not looks_like_pdf(data):
            raise InvalidInput(
                "the request letter must be a PDF file",
                "surat permohonan harus berkas PDF",
                code="not_a_pdf",
            )

    # ------------------------------------------------------------------ after submitting

    def withdraw(self, request_id: UUID, reason: str, by: Actor) -> dict[str, Any]:
        """The OPD asks to withdraw (``RequestWithdrawn``); refused once the case is closed.

        The case decides: a withdrawal that reaches it after it closed is refused there, and
        this request then shows the case's outcome (``status`` ``closed``).
        """
        request = self._get(request_id)
        request.withdraw(reason, by.model_dump())
        self.save(request)
        return self._view(request)

    def note_case_closed(
        self, request_id: UUID, *, outcome: str, closed_at: datetime, tracking: Tracking | None
    ) -> bool:
        """``CaseClosed``: from now on a withdrawal is refused. A request intake never
        registered is not intake's to note: only the position is recorded."""
        request: Request | None = self.get_or_none(request_id)
        noted = request is not None and request.note_case_closed(outcome, closed_at)
        self.save_tracked(*([request] if request is not None else []), tracking=tracking)
        return noted

    def _get(self, request_id: UUID) -> Request:
        request: Request | None = self.get_or_none(request_id)
        if request is None:
            raise NotFound(f"no request {request_id}", "permohonan tidak ditemukan")
        return request

    def get_request(self, request_id: UUID) -> dict[str, Any]:
        return self._view(self._get(request_id))

    def letter_document(self, request_id: UUID) -> tuple[dict[str, Any], bytes]:
        view = self.get_request(request_id)
        sha = view["letter"].get("document_sha256")
        if not sha:
            raise NotFound(
                "this request came without a letter PDF",
                "permohonan ini tidak melampirkan berkas surat",
            )
        return view, self.documents.get(sha)

    def list_requests(
        self, opd_code: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Requests newest first; ``opd_code`` limits to one agency."""
        submitted = Request.Submitted  # type: ignore[attr-defined]
        topic = f"{submitted.__module__}:{submitted.__qualname__}"
        ids: list[UUID] = []
        start = 1
        while True:
            page = self.recorder.select_notifications(start, 500, topics=[topic])
            ids.extend(UUID(str(n.originator_id)) for n in page)
            if len(page) < 500:
                break
            start = page[-1].id + 1
        views = [self._view(self._get(i)) for i in reversed(ids)]
        if opd_code is not None:
            views = [v for v in views if v["opd_code"] == opd_code]
        return views[offset : offset + limit]

    @staticmethod
    def _view(request: Request) -> dict[str, Any]:
        closed = request.case_closed
        return {
            "request_id": str(request.id),
            "agenda_number": request.agenda_number,
            "opd_code": request.opd_code,
            "opd_name": request.opd_name,
            "channel": request.channel,
            "client_ref": request.client_ref,
            "requester": request.requester,
            "letter": request.letter,
            "meeting": request.meeting,
            "submitted_by": request.submitted_by,
            "submitted_at": request.created_on.isoformat(),
            "status": request.status,
            "withdrawn": request.withdrawn,
            "case_outcome": closed["outcome"] if closed else None,
            "case_closed_at": closed["at"].isoformat() if closed else None,
            "withdrawal_refused": bool(
                request.withdrawn and closed and closed["outcome"] != "withdrawn"
            ),
        }
