"""What the case page shows of a step action: which partial (under ``templates/kasus/aksi/``) the
signed-in user sees now, with its context, asked of the services that hold the step (the
scheduler for the staff's meeting, the letters service for the reply letter).

Staff see the meeting form at SOP step 5; the Sub-coordinator the draft at step 7 (or step 4's
schedule-full reply); Kabid the letter to review (step 8); Kadis the letter to sign (step 9); the
signer the letter as sent until the agency acknowledges it. Anyone else sees nothing here.
"""

from __future__ import annotations

from typing import Any

from services.portal.backend import Backend, Refusal
from services.portal.sessions import Session
from shared.roles import effective_role

MEETING_PROVIDED, SCHEDULE_FULL = "meeting_provided", "schedule_full"
SIGNER = {MEETING_PROVIDED: "kadis", SCHEDULE_FULL: "subkoordinator"}

Action = tuple[str, dict[str, Any]]


async def step_action(backend: Backend, session: Session, case: dict[str, Any]) -> Action | None:
    """The partial to include on the case page for this user now, with its context (``action``);
    None when this user has no such action on the case now. A service that cannot answer is
    said in the partial: the rest of the case page still shows."""
    try:
        return await _step_action(backend, session, case)
    except Refusal as refusal:
        template = "kasus/aksi/tidak_tersedia.html"
        return template, {"template": template, "pesan": refusal.pesan}


async def _step_action(backend: Backend, session: Session, case: dict[str, Any]) -> Action | None:
    if case.get("closed"):
        return None
    role, step = effective_role(session.actor), case.get("pending_step")
    sent = (case.get("letter") or {}).get("sent")
    if sent and role == SIGNER[sent["kind"]]:
        return await _sent_in_view(backend, session, str(case["case_id"]), sent["letter_id"])
    if case.get("current_role") != role:
        return None
    case_id = str(case["case_id"])
    if step == 5 and role == "staf":
        return await meeting_action(backend, session, case_id)
    if step == 7 and role == "subkoordinator":
        return await draft_action(backend, session, case_id, MEETING_PROVIDED)
    if step == 4 and case.get("branch") == "full" and role == "subkoordinator":
        return await draft_action(backend, session, case_id, SCHEDULE_FULL)
    if step == 8 and role == "kabid":
        return await _letter_in_view(backend, session, case, "kasus/aksi/tinjau.html")
    if step == 9 and role == "kadis":
        return await _letter_in_view(backend, session, case, "kasus/aksi/tanda_tangan.html")
    return None


async def meeting_action(
    backend: Backend,
    session: Session,
    case_id: str,
    *,
    error: str | None = None,
    entered: dict[str, str] | None = None,
    field_errors: dict[str, str] | None = None,
) -> Action:
    """Staff's meeting partial: the meeting if there is one, else the button to create it through
    Zoom and the form to enter one made by hand (open when Zoom failed or the input was wrong)."""
    template = "kasus/aksi/rapat.html"
    record = await backend.get_or_none(session, "scheduler", f"/api/v1/meetings/{case_id}")
    return template, {
        "template": template,
        "case_id": case_id,
        "record": record,
        "meeting": (record or {}).get("meeting"),
        "error": error,
        "entered": entered or {"meeting_id": "", "passcode": "", "join_url": ""},
        "field_errors": field_errors or {},
        "manual_open": bool(error or field_errors),
    }


async def _letter(backend: Backend, session: Session, letter_id: str) -> dict[str, Any] | None:
    letter: dict[str, Any] | None = await backend.get_or_none(
        session, "letters", f"/api/v1/letters/{letter_id}"
    )
    return letter


async def _letter_status(backend: Backend, session: Session, case_id: str) -> dict[str, Any] | None:
    status: dict[str, Any] | None = await backend.get_or_none(
        session, "letters", f"/api/v1/requests/{case_id}/letter-status"
    )
    return status


async def _current_draft(
    backend: Backend, session: Session, status: dict[str, Any]
) -> dict[str, Any] | None:
    letter_id = status.get("current_letter_id")
    if not letter_id:
        return None
    letter = await _letter(backend, session, letter_id)
    return letter if letter and letter["status"] == "draft" else None


def body_text(paragraphs: list[str] | None) -> str:
    """The body's paragraphs as the textarea holds them: one blank line between paragraphs."""
    return "\n\n".join(paragraphs or [])


async def draft_action(
    backend: Backend,
    session: Session,
    case_id: str,
    kind: str,
    *,
    entered: str | None = None,
    error: str | None = None,
) -> Action | None:
    """The Sub-coordinator's draft partial: the body to edit (the current draft's, else the
    wording SIVICON would write; ``entered`` when a refusal sends the input back, with
    ``error`` beside it), the button and the current draft's PDF."""
    status = await _letter_status(backend, session, case_id)
    if status is None or status.get("sent_letter_id"):
        return None
    if kind == SCHEDULE_FULL and not status.get("full_reply_allowed"):
        return None  # first the disposition to the OPD (step 4), on the disposition form
    template = "kasus/aksi/konsep.html"
    letter = await _current_draft(backend, session, status)
    body = (letter or {}).get("body") or status.get("default_body")
    return template, {
        "template": template,
        "case_id": case_id,
        "kind": kind,
        "status": status,
        "letter": letter,
        # Which draft the page showed: a second click finds another one and drafts nothing.
        "seen": status.get("current_letter_id") or "",
        "may_draft": status.get("draftable_kind") == kind,
        "signs_here": kind == SCHEDULE_FULL,
        "body": body_text(body) if entered is None else entered,
        "error": error,
    }


async def _letter_in_view(
    backend: Backend, session: Session, case: dict[str, Any], template: str
) -> Action | None:
    case_id = str(case["case_id"])
    letter_id = (case.get("letter") or {}).get("forwarded_letter_id")
    if not letter_id:
        status = await _letter_status(backend, session, case_id)
        letter_id = (status or {}).get("current_letter_id")
    if not letter_id:
        return None
    letter = await _letter(backend, session, letter_id)
    if letter is None:
        return None
    return template, {"template": template, "case_id": case_id, "letter": letter}


async def _sent_in_view(
    backend: Backend, session: Session, case_id: str, letter_id: str
) -> Action | None:
    """The signer's letter as sent (number, signature) until the agency acknowledges it."""
    letter = await _letter(backend, session, letter_id)
    if letter is None:
        return None
    template = "kasus/aksi/terkirim.html"
    return template, {"template": template, "case_id": case_id, "letter": letter}
