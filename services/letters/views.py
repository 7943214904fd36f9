"""What the letters API shows: a letter, what letters knows of a request, and the public
verification of a sent letter. Response models (pydantic, so ``/openapi.json`` states them) and
the functions that build them from the aggregates. Times are sent in UTC (ISO 8601)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Literal, cast
from uuid import UUID

from pydantic import BaseModel, Field

from services.letters.domain import Letter, RequestFile
from services.letters.office import Office, signature_for
from services.letters.values import MeetingCopy, Period
from services.letters.wording import body_of, default_body
from shared.events import Actor, LetterKind

LetterStatus = Literal["draft", "superseded", "sent", "received"]


class PeriodView(BaseModel):
    start: datetime
    end: datetime


class MeetingView(BaseModel):
    """The Zoom meeting as the letter gives it."""

    meeting_id: str
    passcode: str
    join_url: str
    host_email: str
    topic: str
    start: datetime
    end: datetime


class LetterView(BaseModel):
    """One reply letter: its kind and status, who drafted, signed and received it, its
    number, the hashes of its PDFs and its verification link; what it gives the agency."""

    letter_id: UUID
    request_id: UUID
    kind: LetterKind
    hal: str
    status: LetterStatus
    opd_code: str
    opd_name: str
    agenda_number: str
    drafted_by: Actor
    drafted_at: datetime
    draft_sha256: str = Field(description="SHA-256 of the draft's PDF (marked KONSEP)")
    superseded_by: UUID | None
    number: str | None = Field(description="from the letter register, once sent")
    signer: Actor | None
    channels: list[str]
    sent_at: datetime | None
    pdf_sha256: str | None = Field(description="SHA-256 of the signed PDF, once sent")
    verification_url: str | None
    received_by: Actor | None
    received_at: datetime | None
    meeting: MeetingView | None = Field(description="the meeting reply's meeting")
    alternatives: list[PeriodView] | None = Field(
        description="the schedule-full reply's alternative times"
    )
    body: list[str] = Field(
        description="the body's paragraphs as drafted (plain text), which the letter prints; "
        "the meeting's details or the alternative times follow the first paragraph ending "
        "with a colon"
    )


class LetterStatusView(BaseModel):
    """What the letters service knows of a request, and which reply may be drafted now."""

    request_id: UUID
    request_known: bool
    opd_code: str | None
    slot_available: bool | None
    meeting_id: str | None
    full_reply_allowed: bool
    draft_forwarded: bool
    ready_for_signature: bool
    withdrawn: bool
    case_outcome: str | None
    draftable_kind: LetterKind | None
    current_letter_id: UUID | None
    sent_letter_id: UUID | None
    letter_ids: list[UUID]
    default_body: list[str] | None = Field(
        description="the body's paragraphs SIVICON would write for a draft now (plain text), "
        "to start an edit from; null when no reply may be drafted now"
    )


class VerificationView(BaseModel):
    """Public: what a recipient needs to check a printout of a sent letter."""

    valid: Literal[True] = True
    letter_id: UUID
    number: str
    date: dt.date = Field(description="the letter's date, in the office's time zone")
    sent_at: datetime
    hal: str
    kind: LetterKind
    addressee: str
    signer_name: str
    signer_jabatan: str = Field(description="the signer's position, as the signature block")
    pdf_sha256: str
    office: str


def _period(period: Period) -> PeriodView:
    return PeriodView(start=period.start, end=period.end)


def _meeting(meeting: MeetingCopy) -> MeetingView:
    return MeetingView(
        meeting_id=meeting.meeting_id,
        passcode=meeting.passcode,
        join_url=meeting.join_url,
        host_email=meeting.host_email,
        topic=meeting.topic,
        start=meeting.start,
        end=meeting.end,
    )


def letter_view(letter: Letter, office: Office) -> LetterView:
    content, sent, receipt = letter.draft, letter.sent, letter.receipt
    alternatives = content.alternatives
    return LetterView(
        letter_id=letter.id,
        request_id=letter.request_id,
        kind=cast(LetterKind, letter.kind),
        hal=letter.hal,
        status=cast(LetterStatus, letter.status),
        opd_code=content.request.opd_code,
        opd_name=content.request.opd_name,
        agenda_number=content.request.agenda_number,
        drafted_by=letter.drafted_by,
        drafted_at=letter.drafted_at,
        draft_sha256=letter.draft_sha256,
        superseded_by=letter.superseded_by,
        number=sent.number if sent else None,
        signer=sent.signer if sent else None,
        channels=list(sent.channels) if sent else [],
        sent_at=sent.sent_at if sent else None,
        pdf_sha256=sent.pdf_sha256 if sent else None,
        verification_url=sent.verification_url if sent else None,
        received_by=receipt.received_by if receipt else None,
        received_at=receipt.received_at if receipt else None,
        meeting=_meeting(content.meeting) if content.meeting else None,
        alternatives=None if alternatives is None else [_period(p) for p in alternatives],
        body=list(body_of(content, office)),
    )


def letter_status_view(file: RequestFile, office: Office, now: datetime) -> LetterStatusView:
    draftable = None if file.draft_forwarded else file.draftable_kind()
    content = file.draft_content(now)
    return LetterStatusView(
        request_id=file.id,
        request_known=file.request is not None,
        opd_code=file.opd_code,
        slot_available=None if file.slot is None else file.slot.available,
        meeting_id=file.meeting.meeting_id if file.meeting else None,
        full_reply_allowed=file.full_reply_allowed,
        draft_forwarded=file.draft_forwarded,
        ready_for_signature=file.ready_for_signature,
        withdrawn=file.withdrawn,
        case_outcome=file.case_closed.outcome if file.case_closed else None,
        draftable_kind=cast(LetterKind | None, draftable),
        current_letter_id=file.current_letter_id,
        sent_letter_id=file.sent_letter_id,
        letter_ids=list(file.letter_ids),
        default_body=None if content is None else list(default_body(content, office)),
    )


def verification_view(letter: Letter, office: Office) -> VerificationView:
    """A sent letter as its verification page shows it: the date and the signer's position
    as printed on it (the office's time zone and signature block)."""
    sent = letter.sent
    assert sent is not None
    return VerificationView(
        letter_id=letter.id,
        number=sent.number,
        date=sent.sent_at.astimezone(office.zone).date(),
        sent_at=sent.sent_at,
        hal=letter.hal,
        kind=cast(LetterKind, letter.kind),
        addressee=letter.draft.request.opd_name,
        signer_name=sent.signer.name,
        signer_jabatan=signature_for(office, letter.kind, sent.signer).position,
        pdf_sha256=sent.pdf_sha256,
        office=office.name,
    )
