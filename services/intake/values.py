"""What a request letter says, as frozen values: who asks (:class:`Requester`), the letter
(:class:`Letter`), the meeting wished (:class:`Meeting`), and what happened to it since
(:class:`Withdrawal`, :class:`CaseEnding`).

Each is built from, and turned back into, the plain dict its stored event holds (``from_dict``,
``as_dict``): the stored events never change, the aggregates hold these values.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

from shared.events import Actor, FieldError, Outcome

Channel = Literal["http", "nats"]
Status = Literal["submitted", "withdrawn", "closed"]


@dataclass(frozen=True)
class Requester:
    name: str
    position: str
    phone: str
    email: str

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> Requester:
        return cls(stored["name"], stored["position"], stored["phone"], stored["email"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "position": self.position,
            "phone": self.phone,
            "email": self.email,
        }


@dataclass(frozen=True)
class Letter:
    """The request letter; its PDF is kept by SHA-256 (``None``: filed without one)."""

    number: str
    date: date
    subject: str
    document_sha256: str | None = None

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> Letter:
        return cls(
            stored["number"],
            date.fromisoformat(str(stored["date"])),
            stored["subject"],
            stored.get("document_sha256"),
        )

    def with_document(self, document_sha256: str | None) -> Letter:
        return replace(self, document_sha256=document_sha256)

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "date": self.date.isoformat(),
            "subject": self.subject,
            "document_sha256": self.document_sha256,
        }


@dataclass(frozen=True)
class Meeting:
    """The meeting wished; times are aware and kept in UTC, whatever offset the client wrote."""

    topic: str
    start: datetime
    end: datetime
    participants: int
    notes: str = ""

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> Meeting:
        return cls(
            stored["topic"],
            datetime.fromisoformat(str(stored["start"])).astimezone(UTC),
            datetime.fromisoformat(str(stored["end"])).astimezone(UTC),
            int(stored["participants"]),
            stored.get("notes", ""),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "start": self.start.astimezone(UTC).isoformat(),
            "end": self.end.astimezone(UTC).isoformat(),
            "participants": self.participants,
            "notes": self.notes,
        }

    def problems(self, now: datetime) -> list[FieldError]:
        """What makes this meeting impossible to ask for at ``now``."""
        errors = []
        if self.end <= self.start:
            errors.append(FieldError(field="meeting.end", message="must be after meeting.start"))
        if self.start < now:
            errors.append(FieldError(field="meeting.start", message="lies in the past"))
        if (self.end - self.start).total_seconds() > 24 * 3600:
            errors.append(FieldError(field="meeting.end", message="a meeting lasts at most 24 h"))
        return errors


def fingerprint(
    opd_code: str, requester: Requester, letter: Letter, meeting: Meeting, document: str | None
) -> str:
    """What makes two submissions of one ``client_ref`` the same request (stored: it must not
    change, or resends of requests already registered would be refused)."""
    content = {k: v for k, v in letter.as_dict().items() if k != "document_sha256"}
    payload = {"requester": requester.as_dict(), "letter": content, "meeting": meeting.as_dict()}
    canonical = json.dumps(
        {"opd": opd_code, "body": payload, "doc": document},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Withdrawal:
    reason: str
    by: Actor


@dataclass(frozen=True)
class CaseEnding:
    """How the case of the request was closed (``CaseClosed``)."""

    outcome: Outcome
    at: datetime


@dataclass(frozen=True)
class Agency:
    """An agency (OPD) that may ask: its code, name, and where to write to it (``""``: not
    recorded). The address (alamat) may span lines."""

    code: str
    name: str
    address: str = ""
    email: str = ""
