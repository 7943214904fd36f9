"""Rebuilding one request's history from the event stream alone, as an auditor does.

It reads every event of the request (``sivicon.*.*.<request_id>``) and lays them out as the
steps of the SOP: who did what, in which role (and on whose behalf), when; and it says which
steps of the procedure are missing for the way the case went. A request may be named by its
agenda number too, found in the stream's ``RequestSubmitted`` events (:func:`requests_with_agenda`).

A withdrawal is the OPD's request; what became of it is the case's answer: ``CaseClosed``
(``withdrawn``) when it took effect, ``WithdrawalRefused`` when it came after the case was closed
(the outcome then stands). A draft reply returned (``DraftReturned``) by Kabid or Kadis reopens
steps 7 and 8: they count only when done again after it.

Every message's signature is checked first (:func:`check_signatures`, with the keyring the admin
published or a keyring file): a message not signed by its producer is named, with the reason,
and is not counted as a step. The copies of intake's answers to machine clients
(``sivicon.answers.<OPD>.<id>``) are checked too, and not counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from shared import subjects
from shared.envelope import EnvelopeError, from_message
from shared.events import (
    Actor,
    CaseClosed,
    Disposed,
    DraftReturned,
    IntegrationEvent,
    LetterDrafted,
    LetterReceived,
    LetterSent,
    MeetingCancelled,
    MeetingCreated,
    RequestSubmitted,
    RequestWithdrawn,
    SlaBreached,
    SlotChecked,
    WithdrawalRefused,
)
from shared.procedure import MEETING_PROVIDED_STEPS, REOPENED_BY_RETURN, SCHEDULE_FULL_STEPS
from shared.roles import ROLE_NAMES
from shared.signing import Keyring, SignatureRefused, verify_event


@dataclass(frozen=True)
class Entry:
    step: int | None
    what: str
    actor: Actor | None
    at: datetime


def _entry(event: IntegrationEvent) -> Entry | None:
    if isinstance(event, RequestSubmitted):
        return Entry(
            1,
            f"request letter {event.letter.number} registered as agenda "
            f"{event.agenda_number} ({event.opd_name})",
            event.submitted_by,
            event.submitted_at,
        )
    if isinstance(event, Disposed):
        to = ROLE_NAMES.get(event.to_role, event.to_role)
        return Entry(
            event.sop_step, f"disposed to {to}: {event.instruction}", event.by, event.disposed_at
        )
    if isinstance(event, DraftReturned):
        return Entry(
            None,
            f"draft reply returned to {ROLE_NAMES.get(event.to_role, event.to_role)} at step "
            f"{event.sop_step}, steps 7 and 8 to be done again: {event.note}",
            event.by,
            event.returned_at,
        )
    if isinstance(event, SlotChecked):
        result = (
            f"available on {event.host_account_name}"
            if event.available
            else f"full ({len(event.alternatives)} alternatives offered)"
        )
        return Entry(None, f"schedule checked: {result}", None, event.checked_at)
    if isinstance(event, MeetingCreated):
        return Entry(
            5,
            f"meeting {event.meeting_id} created ({event.created_via}) on {event.host_email}",
            event.created_by,
            event.created_at,
        )
    if isinstance(event, MeetingCancelled):
        return Entry(
            None, f"meeting cancelled: {event.reason}", event.cancelled_by, event.cancelled_at
        )
    if isinstance(event, LetterDrafted):
        step = 7 if event.kind == "meeting_provided" else 4
        return Entry(step, f"reply drafted ({event.kind})", event.drafted_by, event.drafted_at)
    if isinstance(event, LetterSent):
        step = 9 if event.kind == "meeting_provided" else 4
        return Entry(
            step,
            f"reply {event.number} signed and sent, PDF sha256 {event.pdf_sha256[:16]}…",
            event.signer,
            event.sent_at,
        )
    if isinstance(event, LetterReceived):
        return Entry(10, "reply received by the OPD", event.received_by, event.received_at)
    if isinstance(event, RequestWithdrawn):
        return Entry(
            None, f"withdrawal asked: {event.reason}", event.withdrawn_by, event.withdrawn_at
        )
    if isinstance(event, WithdrawalRefused):
        return Entry(
            None,
            f"withdrawal refused, the case was already closed ({event.outcome}): {event.reason}",
            event.withdrawn_by,
            event.refused_at,
        )
    if isinstance(event, SlaBreached):
        late = "still open" if event.completed_at is None else "completed late"
        return Entry(
            None,
            f"time limit of step {event.sop_step} ({event.limit}) passed, {late}",
            None,
            event.deadline,
        )
    if isinstance(event, CaseClosed):
        return Entry(None, f"case closed: {event.outcome}", None, event.closed_at)
    return None  # RequestRejected has no request; nothing else belongs to a case


@dataclass(frozen=True)
class StoredMessage:
    """A message as the stream holds it."""

    sequence: int
    subject: str
    headers: Mapping[str, str]
    data: bytes


@dataclass(frozen=True)
class Failed:
    """A message of the history that is not a proven event: why, and what it claimed to be."""

    sequence: int
    subject: str
    ce_type: str
    event_id: str
    reason: str


@dataclass(frozen=True)
class Checked:
    events: list[IntegrationEvent]
    failed: list[Failed]


def check_signatures(messages: Iterable[StoredMessage], keyring: Keyring) -> Checked:
    """The events signed by their producers, in stream order, and every message that is not
    (unsigned, a bad signature, an unknown key, the wrong producer, or not an event at all)."""
    events: list[IntegrationEvent] = []
    failed: list[Failed] = []
    for message in messages:
        headers = message.headers
        try:
            verify_event(keyring, message.subject, headers, message.data)
            event = from_message(headers, message.data).event
        except (SignatureRefused, EnvelopeError) as exc:
            kind, event_id = headers.get("ce-type", ""), headers.get("ce-id", "")
            failed.append(Failed(message.sequence, message.subject, kind, event_id, str(exc)))
            continue
        if not message.subject.startswith(subjects.ANSWERS_PREFIX + "."):
            events.append(event)  # an answer's copy is the event it copies
    return Checked(events, failed)


@dataclass(frozen=True)
class Audit:
    entries: list[Entry]
    outcome: str | None
    missing: list[int]
    failed: list[Failed] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.outcome is not None and not self.missing


def _distinct(stream: Iterable[IntegrationEvent]) -> list[IntegrationEvent]:
    """The events once each: an identical repeat (intake answering a client's resend with the
    same ``RequestSubmitted``) is the same fact, not a second step."""
    seen: set[tuple[str, str]] = set()
    events = []
    for event in stream:
        key = (event.ce_type(), event.model_dump_json())
        if key not in seen:
            seen.add(key)
            events.append(event)
    return events


def audit(stream: Iterable[IntegrationEvent], failed: Iterable[Failed] = ()) -> Audit:
    """The history of the (proven) events ``stream``; ``failed`` names the messages of the
    request that failed the signature check (:func:`check_signatures`), counted for nothing."""
    events = _distinct(stream)
    entries = [e for e in map(_entry, events) if e is not None]
    outcome = None
    branch_full = False
    for event in events:
        if isinstance(event, CaseClosed):
            outcome = event.outcome
        if isinstance(event, Disposed) and event.sop_step == 4 and event.to_role == "opd":
            branch_full = True
    path = SCHEDULE_FULL_STEPS if branch_full else MEETING_PROVIDED_STEPS
    if outcome == "withdrawn":
        path = ()
    done: set[int] = set()
    for event, entry in zip(events, map(_entry, events), strict=True):
        if isinstance(event, DraftReturned):
            done -= set(REOPENED_BY_RETURN)  # the draft goes up the chain again
        elif entry is not None and entry.step is not None and not isinstance(event, LetterDrafted):
            done.add(entry.step)  # a draft documents step 7; its forwarding completes it
    return Audit(entries, outcome, [s for s in path if s not in done], list(failed))


def requests_with_agenda(stream: Iterable[IntegrationEvent], agenda_number: str) -> list[UUID]:
    """The requests registered under ``agenda_number``, as their ``RequestSubmitted`` say: one,
    or none when the number is unknown (the agenda book never gives a number twice)."""
    wanted = agenda_number.strip().upper()
    found: list[UUID] = []
    for event in stream:
        if (
            isinstance(event, RequestSubmitted)
            and event.agenda_number.upper() == wanted
            and event.request_id not in found
        ):
            found.append(event.request_id)
    return found


def _who(actor: Actor | None) -> str:
    if actor is None:
        return "(system)"
    role = ROLE_NAMES.get(actor.role, actor.role)
    acting = (
        f", a.n. {ROLE_NAMES.get(actor.on_behalf_of, actor.on_behalf_of)}"
        if actor.on_behalf_of
        else ""
    )
    return f"{actor.name} ({role}{acting})"


def render(result: Audit, tz: ZoneInfo) -> list[str]:
    lines = [
        f"NOT SIGNED BY ITS PRODUCER, not counted: stream message {f.sequence}, "
        f"{f.ce_type or '(no ce-type)'} ce-id {f.event_id or '(none)'} on {f.subject}: "
        f"{f.reason}"
        for f in result.failed
    ]
    lines.append(f"{'step':<5} {'when (WITA)':<19}  {'who':<45}  what")
    for entry in result.entries:
        step = str(entry.step) if entry.step else "-"
        when = entry.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{step:<5} {when:<19}  {_who(entry.actor):<45}  {entry.what}")
    if result.outcome is None:
        lines.append(f"case still open; steps not yet recorded: {result.missing}")
    elif result.missing:
        lines.append(f"case closed ({result.outcome}) BUT steps missing: {result.missing}")
    else:
        lines.append(f"case closed ({result.outcome}); every step of the procedure is recorded")
    if result.failed:
        lines.append(
            f"{len(result.failed)} message(s) of this request fail the signature check "
            "(named above) and were not counted"
        )
    return lines
