"""Rebuilding one request's history from the event stream alone, as an auditor does.

It reads every event of the request (``sivicon.*.*.<request_id>``) and lays them out as the
steps of the SOP: who did what, in which role (and on whose behalf), when; and it says which
steps of the procedure are missing for the way the case went. A request may be named by its
agenda number too, found in the stream's ``RequestSubmitted`` events (:func:`requests_with_agenda`).

A withdrawal is the OPD's request; what became of it is the case's answer: ``CaseClosed``
(``withdrawn``) when it took effect, ``WithdrawalRefused`` when it came after the case was closed
(the outcome then stands). A draft reply returned (``DraftReturned``) by Kabid or Kadis reopens
steps 7 and 8: they count only when done again after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

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
class Audit:
    entries: list[Entry]
    outcome: str | None
    missing: list[int]

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


def audit(stream: Iterable[IntegrationEvent]) -> Audit:
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
    return Audit(entries, outcome, [s for s in path if s not in done])


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
    lines = [f"{'step':<5} {'when (WITA)':<19}  {'who':<45}  what"]
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
    return lines
