"""What the entry points hand to the application: a request letter as filed (:class:`Filing`),
parsed and checked from the OPD's form (``api.py``) or from a machine client's JSON body, over
HTTP (``api.py``) or on ``sivicon.inbound.requests.<opd>`` (``consumers.py``); and a refused
machine submission (:class:`Refusal`), to be answered with ``RequestRejected``."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from services.intake.values import Channel, Letter, Meeting, Requester
from shared.errors import InvalidInput, TooLarge
from shared.events import Actor, FieldError, Submission
from shared.pdf_checks import PdfRefused, check_pdf
from shared.validation import bounded

MAX_INBOUND_PDF_BYTES = 700 * 1024


@dataclass(frozen=True)
class Filing:
    """A request letter as filed, its fields checked; ``message_id`` is the ``Nats-Msg-Id`` or
    ``Idempotency-Key`` it came with. Whether its agency exists and its meeting can still be
    held is the application's to check."""

    opd_code: str
    channel: Channel
    client_ref: str | None
    requester: Requester
    letter: Letter
    meeting: Meeting
    pdf: bytes | None
    submitted_by: Actor
    message_id: str | None = None
    credentials: str | None = None  # the NATS user a machine submission came from


@dataclass(frozen=True)
class Refusal:
    """A machine submission refused for these field errors, answered as ``RequestRejected``."""

    opd_code: str
    client_ref: str | None
    errors: tuple[FieldError, ...]


class SubmissionInvalid(InvalidInput):
    """A submission with field errors; ``errors`` lists each field and what is wrong."""

    def __init__(self, errors: list[FieldError]) -> None:
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
        super().__init__(
            f"the request is not valid: {summary}",
            f"permohonan tidak valid: {summary}",
            details=[e.model_dump() for e in errors],
        )
        self.errors = errors


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


def _inbound_pdf(pdf_base64: str | None, errors: list[FieldError]) -> bytes | None:
    """The letter PDF a machine client sent, or ``None``; what is wrong with it goes to
    ``errors``."""
    if pdf_base64 is None:
        return None
    try:
        pdf = base64.b64decode(pdf_base64, validate=True)
    except (binascii.Error, ValueError):
        errors.append(FieldError(field="letter.pdf_base64", message="is not base64"))
        return None
    if len(pdf) > MAX_INBOUND_PDF_BYTES:
        message = f"the PDF is {len(pdf)} bytes; at most {MAX_INBOUND_PDF_BYTES}"
        errors.append(FieldError(field="letter.pdf_base64", message=message))
    else:
        try:
            check_pdf(pdf)
        except PdfRefused as refused:
            errors.append(FieldError(field="letter.pdf_base64", message=refused.message))
    return pdf


def parse_submission(
    body: bytes,
    *,
    opd_code: str,
    channel: Channel,
    submitted_by: Actor,
    message_id: str | None,
    credentials: str | None = None,
) -> Filing:
    """A machine client's JSON body (:class:`shared.events.Submission`) as a :class:`Filing`
    for the sender's agency ``opd_code``; raise :class:`SubmissionInvalid` naming every field
    at fault (a body naming another agency too)."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        error = FieldError(field="(body)", message="the body is not valid JSON")
        raise SubmissionInvalid([error]) from None
    try:
        submission = Submission.model_validate(raw)
    except ValidationError as exc:
        raise SubmissionInvalid(_pydantic_errors(exc)) from None
    errors: list[FieldError] = []
    if message_id and not names_client_ref(message_id, submission.client_ref):
        message = f"does not match the message ID / Idempotency-Key {message_id!r}"
        errors.append(FieldError(field="client_ref", message=message))
    if submission.opd_code is not None and submission.opd_code.upper() != opd_code:
        message = f"names agency {submission.opd_code!r}, but the sender is agency {opd_code}"
        errors.append(FieldError(field="opd_code", message=message))
    pdf = _inbound_pdf(submission.letter.pdf_base64, errors)
    if errors:
        raise SubmissionInvalid(errors)
    requester, letter, meeting = submission.requester, submission.letter, submission.meeting
    return Filing(
        opd_code=opd_code,
        channel=channel,
        client_ref=submission.client_ref,
        requester=Requester(requester.name, requester.position, requester.phone, requester.email),
        letter=Letter(letter.number, letter.date, letter.subject),
        meeting=Meeting(
            meeting.topic, meeting.start, meeting.end, meeting.participants, meeting.notes
        ),
        pdf=pdf,
        submitted_by=submitted_by,
        message_id=message_id,
        credentials=credentials,
    )


def check_letter_pdf(data: bytes, limit: int) -> bytes:
    """The letter PDF uploaded with the OPD's form, refused when too large, not a PDF, or
    carrying JavaScript or embedded files (:func:`shared.pdf_checks.check_pdf`)."""
    if len(data) > limit:
        raise TooLarge(
            f"the letter PDF is {len(data)} bytes; at most {limit} bytes are accepted",
            f"berkas surat {len(data)} byte; maksimal {limit} byte",
        )
    check_pdf(data)
    return data


def office_time(value: str, field: str, tz: ZoneInfo) -> datetime:
    """A form's date and time; without an offset it is the office's local time (WITA)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{field}: not a date and time ({value!r})",
            f"{field}: format tanggal dan jam tidak valid",
        ) from None
    return bounded(parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz), field)
