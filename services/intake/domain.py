"""Intake: request letters registered in the agenda book (SOP step 1).

* :class:`Request` is one registered request letter: who asked (:class:`Requester`), the letter
  (:class:`Letter`), the meeting wished (:class:`Meeting`), a withdrawal asked by its agency
  (:class:`Withdrawal`), and how the case ended (:class:`CaseEnding`). Whether the request may
  still be withdrawn is the case's to say (disposition): intake learns that the case was closed
  from ``CaseClosed`` and refuses a withdrawal from then on.
* :class:`AgendaBook` gives agenda numbers, one book per year, gap-free: a number is taken in the
  same save as the request it numbers, so no number exists without its request.
* :class:`Rejection` records a machine submission that was refused, so the sender gets an answer.
* :class:`AgencyRegistry` lists the agencies (OPD) that may ask, with their address and e-mail
  (:class:`~services.intake.values.Agency`).

The stored events keep the plain values they were recorded with (``requester``, ``letter``,
``meeting`` and actors as dicts); the aggregates hold them as frozen values
(``services.intake.values``, :class:`~shared.events.Actor`), built in the event mutators.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.intake.values import (
    Agency,
    CaseEnding,
    Channel,
    Letter,
    Meeting,
    Requester,
    Status,
    Withdrawal,
)
from shared.errors import ClosedCase, Forbidden, InvalidInput, OutOfOrder
from shared.events import Actor, FieldError, Outcome, RequestSubmitted
from shared.validation import EMAIL_PATTERN

NAMESPACE = uuid5(NAMESPACE_URL, "https://sivicon.tarakankota.go.id/intake")


def request_id_for(opd_code: str, client_ref: str) -> UUID:
    """A client's reference names one request for ever: resending it finds the same request."""
    return uuid5(NAMESPACE, f"request:{opd_code}:{client_ref}")


def agenda_book_id(year: int) -> UUID:
    return uuid5(NAMESPACE, f"agenda:{year}")


REGISTRY_ID = uuid5(NAMESPACE, "agencies")

OUTCOME_LABELS = {
    "meeting_provided": "Zoom Meeting disediakan",
    "schedule_full": "jadwal penuh",
    "withdrawn": "dibatalkan oleh OPD",
}


# What a request was registered with, as its answer (``RequestSubmitted``) tells it: the
# event's fields but its ID and time, which the aggregate has as its own.
REGISTRATION = tuple(
    name for name in RequestSubmitted.model_fields if name not in ("request_id", "submitted_at")
)


def format_agenda_number(year: int, seq: int) -> str:
    return f"VC/{year}/{seq:04d}"


class AgendaBook(Aggregate):
    @event("Opened")
    def __init__(self, year: int) -> None:
        self.year = year
        self.last_seq = 0

    @classmethod
    def create_id(cls, year: int) -> UUID:
        return agenda_book_id(year)

    @event("NumberTaken")
    def take_number(self, request_id: UUID) -> None:
        self.last_seq += 1

    def next_number(self) -> tuple[int, str]:
        return self.last_seq, format_agenda_number(self.year, self.last_seq)


class Request(Aggregate):
    @event("Submitted")
    def __init__(
        self,
        *,
        request_id: UUID,
        opd_code: str,
        opd_name: str,
        channel: Channel,
        client_ref: str | None,
        fingerprint: str,
        requester: dict[str, Any],
        letter: dict[str, Any],
        meeting: dict[str, Any],
        submitted_by: dict[str, Any],
        agenda_year: int,
        agenda_seq: int,
        agenda_number: str,
    ) -> None:
        self.opd_code = opd_code
        self.opd_name = opd_name
        self.channel = channel
        self.client_ref = client_ref
        self.fingerprint = fingerprint
        self.requester = Requester.from_dict(requester)
        self.letter = Letter.from_dict(letter)
        self.meeting = Meeting.from_dict(meeting)
        self.submitted_by = Actor.model_validate(submitted_by)
        self.agenda_year = agenda_year
        self.agenda_seq = agenda_seq
        self.agenda_number = agenda_number
        self.withdrawn: Withdrawal | None = None
        self.case_closed: CaseEnding | None = None
        self.credentials: str | None = None

    @classmethod
    def create_id(cls, request_id: UUID, **_: Any) -> UUID:
        return request_id

    @classmethod
    def register(
        cls,
        request_id: UUID,
        *,
        opd_code: str,
        opd_name: str,
        channel: Channel,
        client_ref: str | None,
        fingerprint: str,
        requester: Requester,
        letter: Letter,
        meeting: Meeting,
        submitted_by: Actor,
        agenda: tuple[int, int, str],
        credentials: str | None = None,
    ) -> Request:
        """Register a request letter under its agenda number ``(year, seq, number)``; a machine
        submission records the NATS user (``credentials``) it came from."""
        year, seq, number = agenda
        request = cls(
            request_id=request_id,
            opd_code=opd_code,
            opd_name=opd_name,
            channel=channel,
            client_ref=client_ref,
            fingerprint=fingerprint,
            requester=requester.as_dict(),
            letter=letter.as_dict(),
            meeting=meeting.as_dict(),
            submitted_by=submitted_by.model_dump(),
            agenda_year=year,
            agenda_seq=seq,
            agenda_number=number,
        )
        if credentials is not None:
            request._note_credentials(credentials)
        return request

    @event("CredentialsNoted")
    def _note_credentials(self, credentials: str) -> None:
        """Which NATS credentials sent a machine submission: recorded beside the registration
        (a stored event of its own, so that ``Submitted`` stays as it was stored)."""
        self.credentials = credentials

    def registration(self) -> dict[str, Any]:
        """The registration as its ``Submitted`` event recorded it."""
        stored = {
            "requester": self.requester.as_dict(),
            "letter": self.letter.as_dict(),
            "meeting": self.meeting.as_dict(),
            "submitted_by": self.submitted_by.model_dump(),
        }
        return {name: stored.get(name, getattr(self, name)) for name in REGISTRATION}

    def repeat_answer(self, message_id: str | None) -> None:
        """The client sent this request again (it may have missed the answer): it is answered
        again with the one answer, the registration as it was first made, whatever happened
        to the request since."""
        self._repeat_answer(
            message_id=message_id, registration=self.registration(), submitted_at=self.created_on
        )

    @event("AnswerRepeated")
    def _repeat_answer(
        self, message_id: str | None, registration: dict[str, Any], submitted_at: datetime
    ) -> None:
        pass

    def withdraw(self, reason: str, by: Actor) -> None:
        if by.opd_code != self.opd_code:
            raise Forbidden(
                "only the requesting agency may withdraw its request",
                "hanya OPD pemohon yang dapat membatalkan permohonannya",
                code="wrong_agency",
            )
        closed = self.case_closed
        if closed is not None and closed.outcome != "withdrawn":
            outcome = closed.outcome
            raise ClosedCase(
                f"the case of this request was closed ({outcome}): "
                "a closed request can no longer be withdrawn",
                f"kasus permohonan ini sudah ditutup ({OUTCOME_LABELS.get(outcome, outcome)}): "
                "permohonan yang sudah ditutup tidak dapat dibatalkan",
            )
        if self.withdrawn is not None:
            raise OutOfOrder("the request was already withdrawn", "permohonan sudah dibatalkan")
        if not reason.strip():
            raise InvalidInput("give a reason for withdrawing", "alasan pembatalan wajib diisi")
        self._withdraw(reason=reason.strip(), by=by.model_dump())

    @event("Withdrawn")
    def _withdraw(self, reason: str, by: dict[str, Any]) -> None:
        self.withdrawn = Withdrawal(reason, Actor.model_validate(by))

    def note_case_closed(self, outcome: Outcome, closed_at: datetime) -> bool:
        """The case was closed (``CaseClosed``); False when that was noted already."""
        if self.case_closed is not None:
            return False
        self._note_case_closed(outcome=outcome, closed_at=closed_at)
        return True

    @event("CaseClosedNoted")
    def _note_case_closed(self, outcome: Outcome, closed_at: datetime) -> None:
        self.case_closed = CaseEnding(outcome, closed_at)

    @property
    def status(self) -> Status:
        """``submitted``; ``withdrawn`` once asked (and the case closed so, or not yet closed);
        ``closed`` when the case ended otherwise, a withdrawal asked too late included."""
        closed = self.case_closed
        if closed is not None:
            return "withdrawn" if closed.outcome == "withdrawn" else "closed"
        return "withdrawn" if self.withdrawn is not None else "submitted"

    @property
    def withdrawal_refused(self) -> bool:
        """Asked before intake heard the case was closed, then refused by the case."""
        closed = self.case_closed
        return self.withdrawn is not None and closed is not None and closed.outcome != "withdrawn"


class Rejection(Aggregate):
    @event("Recorded")
    def __init__(
        self,
        *,
        client_ref: str | None,
        opd_code: str,
        errors: list[dict[str, str]],
        received_at: datetime,
    ) -> None:
        self.client_ref = client_ref
        self.opd_code = opd_code
        self.errors = tuple(FieldError.model_validate(e) for e in errors)
        self.received_at = received_at


MAX_ADDRESS = 500  # characters of an agency's address (alamat), line breaks included


class AgencyRegistry(Aggregate):
    """The agencies by code. Registering a known code changes its details: the caller (the
    administrator's page) decides whether that is meant, since adding must never rename."""

    @event("Opened")
    def __init__(self) -> None:
        self.agencies: dict[str, Agency] = {}

    @classmethod
    def create_id(cls) -> UUID:
        return REGISTRY_ID

    class Registered(Aggregate.Event):
        """An agency registered, or its details changed: its code and name and, since
        version 2, its address (lines joined by ``\\n``) and e-mail, ``""`` when not given."""

        class_version = 2
        code: str
        name: str
        address: str
        email: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Registered before agencies had an address or e-mail: none recorded."""
            state["address"] = ""
            state["email"] = ""

    def register(
        self, code: str, name: str, address: str | None = None, email: str | None = None
    ) -> Agency:
        """Register ``code`` or change its details; an address or e-mail not given (``None``)
        stays as it was, ``""`` clears it."""
        code = code.strip().upper()
        if not code.isalnum() or not 2 <= len(code) <= 20:
            raise InvalidInput(
                f"agency code {code!r} must be 2 to 20 letters or digits",
                f"kode OPD {code!r} harus 2 sampai 20 huruf atau angka",
                details=[{"field": "code", "message": "2 to 20 letters or digits"}],
            )
        if not name.strip():
            raise InvalidInput(
                "the agency needs a name",
                "nama OPD wajib diisi",
                details=[{"field": "name", "message": "required"}],
            )
        known = self.agencies.get(code)
        agency = Agency(
            code,
            name.strip(),
            _address(address) if address is not None else known.address if known else "",
            _email(email) if email is not None else known.email if known else "",
        )
        if agency != known:
            self._register(
                code=agency.code, name=agency.name, address=agency.address, email=agency.email
            )
        return agency

    @event(Registered)
    def _register(self, code: str, name: str, address: str, email: str) -> None:
        self.agencies[code] = Agency(code, name, address, email)


def _address(text: str) -> str:
    """The address, each line trimmed and blank lines left out (a browser sends ``\\r\\n``)."""
    address = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    if len(address) > MAX_ADDRESS:
        raise InvalidInput(
            f"the address is longer than {MAX_ADDRESS} characters",
            f"alamat OPD paling panjang {MAX_ADDRESS} karakter",
            details=[{"field": "address", "message": f"at most {MAX_ADDRESS} characters"}],
        )
    return address


def _email(text: str) -> str:
    email = text.strip()
    if email and not re.fullmatch(EMAIL_PATTERN, email):
        raise InvalidInput(
            f"{email!r} is not an e-mail address",
            f"alamat e-mail OPD {email!r} tidak valid",
            details=[{"field": "email", "message": "not an e-mail address"}],
        )
    return email
