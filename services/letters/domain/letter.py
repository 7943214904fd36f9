"""The letter and the register: one reply letter (a draft with its content snapshot, sent once
with its number, signer and PDF hash, received once; a newer draft supersedes an unsent one),
and the office's outgoing-letter book that numbers the letters without gaps. The register is
saved in the same transaction as the letter it numbers, so a number is never lost or given
twice (a concurrent sender gets a version conflict and retries)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.letters.values import Draft, Receipt, SentLetter, actor_of, stored_actor
from shared.errors import OutOfOrder
from shared.events import Actor

REGISTER_NAMESPACE = uuid5(NAMESPACE_URL, "https://sivicon/letters/register")


def register_id(unit: str, year: int) -> UUID:
    return uuid5(REGISTER_NAMESPACE, f"{unit}:{year}")


class Letter(Aggregate):
    """One reply letter: a draft with its content, then sent once, then received once."""

    class Drafted(Aggregate.Created):
        """The draft, with its content's facts (``content``) and, since version 2, the body's
        paragraphs as drafted (``body``, plain text), which the signed letter prints."""

        class_version = 2
        request_id: str
        kind: str
        hal: str
        content: dict[str, Any]
        draft_sha256: str
        drafted_by: dict[str, Any]
        drafted_at: str
        body: list[str] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """A draft stored before the body was kept: printed with the generated wording."""
            state["body"] = None

    @event(Drafted)
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
        body: list[str] | None,
    ) -> None:
        self.request_id = UUID(request_id)
        self.kind = kind
        self.hal = hal
        self.draft = replace(Draft.from_stored(content), body=None if body is None else tuple(body))
        self.draft_sha256 = draft_sha256
        self.drafted_by = actor_of(drafted_by)
        self.drafted_at = datetime.fromisoformat(drafted_at)
        self.status = "draft"
        self.superseded_by: UUID | None = None
        self.sent: SentLetter | None = None
        self.receipt: Receipt | None = None

    @classmethod
    def drafted(
        cls, id: UUID, request_id: UUID, draft: Draft, draft_sha256: str, by: Actor
    ) -> Letter:
        return cls(
            id=id,
            request_id=str(request_id),
            kind=draft.kind,
            hal=draft.hal,
            content=draft.stored(),
            draft_sha256=draft_sha256,
            drafted_by=stored_actor(by),
            drafted_at=draft.drafted_at.isoformat(),
            body=None if draft.body is None else list(draft.body),
        )

    @property
    def opd_code(self) -> str:
        """The addressed agency."""
        return self.draft.request.opd_code

    @property
    def is_sent(self) -> bool:
        return self.status in ("sent", "received")

    def check_is_draft(self) -> None:
        if self.status == "superseded":
            raise OutOfOrder(
                "this draft was replaced by a newer one",
                "konsep surat ini sudah diganti dengan konsep yang lebih baru",
            )
        if self.status != "draft":
            raise OutOfOrder("this letter was already sent", "surat ini sudah dikirim")

    def supersede(self, by_letter_id: UUID) -> None:
        self._superseded(str(by_letter_id))

    @event("Superseded")
    def _superseded(self, by_letter_id: str) -> None:
        self.status = "superseded"
        self.superseded_by = UUID(by_letter_id)

    def send(self, sent: SentLetter) -> None:
        self.check_is_draft()
        self._sent(
            str(self.request_id), self.kind, sent.number, sent.serial, stored_actor(sent.signer),
            list(sent.channels), sent.pdf_sha256, sent.verification_url, sent.sent_at.isoformat(),
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
        self.sent = SentLetter(
            number=number,
            serial=serial,
            signer=actor_of(signer),
            channels=tuple(channels),
            pdf_sha256=pdf_sha256,
            verification_url=verification_url,
            sent_at=datetime.fromisoformat(sent_at),
        )

    def receive(self, receipt: Receipt) -> None:
        if self.status == "received":
            raise OutOfOrder(
                "receipt of this letter was already acknowledged",
                "penerimaan surat ini sudah dikonfirmasi",
            )
        if self.status != "sent":
            raise OutOfOrder("this letter has not been sent yet", "surat ini belum dikirim")
        self._received(
            str(self.request_id), stored_actor(receipt.received_by), receipt.received_at.isoformat()
        )

    @event("Received")
    def _received(self, request_id: str, received_by: dict[str, Any], received_at: str) -> None:
        self.status = "received"
        self.receipt = Receipt(actor_of(received_by), datetime.fromisoformat(received_at))


class LetterRegister(Aggregate):
    """The outgoing-letter book of one unit for one year: serials 1, 2, 3, ... without gaps."""

    @event("Opened")
    def __init__(self, id: UUID, unit: str, year: int) -> None:
        self.unit = unit
        self.year = year
        self.last_serial = 0
        self.letters: list[UUID] = []

    def assign(self, letter_id: UUID) -> int:
        """The next serial, recorded against ``letter_id``."""
        self._number_assigned(str(letter_id), self.last_serial + 1)
        return self.last_serial

    @event("NumberAssigned")
    def _number_assigned(self, letter_id: str, serial: int) -> None:
        self.last_serial = serial
        self.letters.append(UUID(letter_id))
