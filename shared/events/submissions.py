"""A request as other government systems send it: the inbound contract (NATS or HTTP JSON)."""

from __future__ import annotations

from pydantic import Field

from shared.events.base import FrozenModel, Requester
from shared.validation import BoundedAwareDatetime, BoundedDate


class SubmissionRequester(Requester):
    pass


class SubmissionLetter(FrozenModel):
    number: str = Field(min_length=1, max_length=100)
    date: BoundedDate
    subject: str = Field(min_length=1, max_length=300)
    pdf_base64: str | None = None


class SubmissionMeeting(FrozenModel):
    topic: str = Field(min_length=1, max_length=200)
    start: BoundedAwareDatetime
    end: BoundedAwareDatetime
    participants: int = Field(ge=1, le=1000)
    notes: str = Field(default="", max_length=2000)


class Submission(FrozenModel):
    """A request as other government systems send it (NATS inbound subject or HTTP JSON).

    ``opd_code``, when given, must be the sender's own agency (the one its NATS user or its
    token belongs to): a submission for another agency is refused."""

    client_ref: str = Field(min_length=1, max_length=100)
    opd_code: str | None = Field(default=None, max_length=20)
    requester: SubmissionRequester
    letter: SubmissionLetter
    meeting: SubmissionMeeting
