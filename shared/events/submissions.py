"""A request as other government systems send it: the inbound contract (NATS or HTTP JSON)."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, Field

from shared.events.base import FrozenModel, Requester


class SubmissionRequester(Requester):
    pass


class SubmissionLetter(FrozenModel):
    number: str = Field(min_length=1, max_length=100)
    date: date
    subject: str = Field(min_length=1, max_length=300)
    pdf_base64: str | None = None


class SubmissionMeeting(FrozenModel):
    topic: str = Field(min_length=1, max_length=200)
    start: AwareDatetime
    end: AwareDatetime
    participants: int = Field(ge=1, le=1000)
    notes: str = Field(default="", max_length=2000)


class Submission(FrozenModel):
    """A request as other government systems send it (NATS inbound subject or HTTP JSON)."""

    client_ref: str = Field(min_length=1, max_length=100)
    requester: SubmissionRequester
    letter: SubmissionLetter
    meeting: SubmissionMeeting
