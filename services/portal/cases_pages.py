"""The office's page of one case (``/kasus/{id}``): the request and its letter, the slot check,
the history and the time left, and the disposition form of the step the user's role holds, with
the disposition it posts. ``router`` also carries the inbox (:mod:`cases_inbox`) and the
Lembar Disposisi (:mod:`cases_sheet`): it is the one router of the case pages ``main.py`` includes.

Every figure comes from the disposition service as this user may read it; the Case decides
whether a disposition is allowed. A disposition refused because the case moved on meanwhile
(or a form sent twice) is answered with the case page, the refusal and the current state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.portal import cases_inbox, cases_sheet
from services.portal.agencies import agency_contact
from services.portal.backend import Backend, Refusal
from services.portal.cases_deadlines import time_left
from services.portal.cases_inbox import READING_ROLES
from services.portal.cases_sheet import SIFAT_LABELS
from services.portal.documents import pdf_to_view
from services.portal.sessions import Session
from services.portal.signin import CsrfSessionDep, PageRefused, SessionDep
from services.portal.state import BackendDep, PagesDep, backend_of
from services.portal.templating import Pages
from shared.procedure import DEFAULT_INSTRUCTIONS, DISPOSING_STEPS, TARGETS
from shared.roles import effective_role

router = APIRouter(include_in_schema=False)
router.include_router(cases_inbox.router)
router.include_router(cases_sheet.router)

# The usual instructions of a Lembar Disposisi; the ticked ones join into the instruction text.
INSTRUCTIONS = (
    "Untuk ditindaklanjuti",
    "Koordinasikan/konfirmasikan",
    "Siapkan jawaban",
    "Tanggapan dan saran",
    "Untuk diketahui",
    "Proses lebih lanjut",
)

MAX_INSTRUCTION = 500
MAX_NOTE = 2000


def disposition_choice(case: dict[str, Any], session: Session) -> dict[str, Any] | None:
    """The disposition form the case's pending step offers this user, or ``None``: where it may
    go (step 4: to staff when the slot check found a host, to the OPD when full) and, at step 7,
    the drafts that may be forwarded. The Case still decides when the form is sent."""
    role = effective_role(session.actor)
    step = case.get("pending_step")
    if (
        case.get("closed")
        or role in READING_ROLES
        or step not in DISPOSING_STEPS.get(role, ())
        or case.get("current_role") != role
    ):
        return None
    targets: tuple[str, ...] = TARGETS[step]
    if step == 4:
        check = case.get("slot_check")
        if check is None or case.get("branch"):
            return None  # the check is not back yet, or step 4 is done (the reply is pending)
        targets = ("staf",) if check["available"] else ("opd",)
    drafts = []
    if step == 7:
        drafts = [d for d in case["letter"]["drafts"] if d["kind"] == "meeting_provided"]
    return {
        "step": step,
        "targets": targets,
        "default_instructions": {t: DEFAULT_INSTRUCTIONS.get((step, t), "") for t in targets},
        "drafts": drafts,
    }


async def _step_action(
    backend: Backend, session: Session, case: dict[str, Any], pesan: str | None
) -> tuple[Any, str | None]:
    """The other step actions (meeting, reply, signing) and the notice they redirect back with
    (``?pesan=``), when their module is installed; the page works without it."""
    try:
        from services.portal.step_actions import notice_text, step_action
    except ImportError:
        return None, None
    notice = notice_text(pesan)
    if effective_role(session.actor) in READING_ROLES:
        return None, notice
    found = await step_action(backend, session, case)
    if found is None:
        return None, notice
    template, context = found
    return {"template": template, **context}, notice


def _sla(history: dict[str, Any] | None, case: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The time limits of SOP steps 5 and 8 as this case stands, and the current step's."""
    limits = {}
    if history is not None:
        for step in (5, 8):
            summary = history["sla"][f"step_{step}"]
            if summary["applies"]:
                limits[step] = {
                    **summary,
                    "left": None if summary["completed"] else time_left(summary["deadline"], now),
                }
    return {
        "limits": limits,
        "current": None if case.get("closed") else time_left(case.get("due_at"), now),
        "breaches": case.get("sla_breaches") or [],
    }


async def _case_page(
    request: Request,
    session: Session,
    pages: Pages,
    case_id: UUID,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    backend = backend_of(request)
    try:
        case = await backend.get_or_none(session, "disposition", f"/api/v1/cases/{case_id}")
        if case is None:
            raise PageRefused(404, "Kasus ini tidak ditemukan.")
        history = await backend.get_or_none(
            session, "disposition", f"/api/v1/cases/{case_id}/history"
        )
    except Refusal as refusal:
        raise PageRefused(refusal.status, refusal.pesan) from None
    agency, _ = await agency_contact(backend, session, case["request"]["opd_code"])
    now = datetime.now(UTC)
    notice = extra.get("notice")
    if notice is not None:
        # The step the form was shown for is no longer pending: the form was sent twice, or
        # someone acted first. Either way that disposition is done ("sudah diproses").
        notice["processed"] = bool(case.get("closed")) or (
            str(case.get("pending_step")) != notice["form_step"]
        )
    choice = disposition_choice(case, session)
    action, step_notice = await _step_action(
        backend, session, case, request.query_params.get("pesan")
    )
    context: dict[str, Any] = {
        "case": case,
        "agency": agency,
        "history": history,
        "choice": choice,
        "action": action,
        "sla": _sla(history, case, now),
        "reader": effective_role(session.actor) in READING_ROLES,
        "instructions": INSTRUCTIONS,
        "sifat_labels": SIFAT_LABELS,
        "form": {
            "instruksi": [],
            "catatan": "",
            "sifat": case.get("sifat") or "biasa",
            **extra.pop("form", {}),
        },
        "errors": {},
        "notice": None,
        "step_notice": step_notice,
        "done": request.query_params.get("hasil"),
        **extra,
    }
    return pages.render(request, "kasus/kasus.html", session, status_code=status_code, **context)


@router.get("/kasus/{case_id}")
async def case_page(
    case_id: UUID, request: Request, session: SessionDep, pages: PagesDep
) -> Response:
    """One case: the request and its letter, the slot check, the history, the action now."""
    return await _case_page(request, session, pages, case_id)


@router.post("/kasus/{case_id}/disposisi")
async def dispose(
    case_id: UUID, request: Request, session: CsrfSessionDep, pages: PagesDep
) -> Response:
    """Dispose the case as the form says; the Case decides whether this step is still open."""
    form = await request.form()
    ticked = [str(v) for v in form.getlist("instruksi") if str(v) in INSTRUCTIONS]
    other = str(form.get("instruksi_lain") or "").strip()
    note = str(form.get("catatan") or "").strip()
    sifat = str(form.get("sifat") or "")
    to_role = str(form.get("to_role") or "")
    letter_id = str(form.get("letter_id") or "")
    step = str(form.get("langkah") or "")
    kept = {
        "instruksi": ticked,
        "instruksi_lain": other,
        "catatan": note,
        "sifat": sifat,
        "to_role": to_role,
        "letter_id": letter_id,
    }
    instruction = "; ".join([*ticked, *([other] if other else [])])
    errors: dict[str, str] = {}
    if sifat not in SIFAT_LABELS:
        errors["sifat"] = "Pilih sifat disposisi."
    if not to_role:
        errors["to_role"] = "Pilih tujuan disposisi."
    if len(instruction) > MAX_INSTRUCTION:
        errors["instruksi_lain"] = f"Instruksi paling panjang {MAX_INSTRUCTION} karakter."
    if len(note) > MAX_NOTE:
        errors["catatan"] = f"Catatan paling panjang {MAX_NOTE} karakter."
    if errors:
        return await _case_page(
            request, session, pages, case_id, status_code=422, form=kept, errors=errors
        )
    body: dict[str, Any] = {"to_role": to_role, "note": note, "sifat": sifat}
    if instruction:
        body["instruction"] = instruction
    if letter_id:
        body["letter_id"] = letter_id
    try:
        await backend_of(request).json(
            session, "POST", "disposition", f"/api/v1/cases/{case_id}/dispositions", json=body
        )
    except Refusal as refusal:
        if refusal.status in (403, 409):
            notice = {"pesan": refusal.pesan, "form_step": step}
            return await _case_page(request, session, pages, case_id, notice=notice)
        if refusal.status == 404:
            raise PageRefused(404, "Kasus ini tidak ditemukan.") from None
        errors = {_FIELDS.get(k, "catatan"): v for k, v in refusal.fields.items()} or {
            "umum": refusal.pesan
        }
        return await _case_page(
            request, session, pages, case_id, status_code=422, form=kept, errors=errors
        )
    return RedirectResponse(f"/kasus/{case_id}?hasil=terdisposisi", status_code=303)


@router.post("/kasus/{case_id}/kembalikan")
async def return_draft(
    case_id: UUID, request: Request, session: CsrfSessionDep, pages: PagesDep
) -> Response:
    """Return the draft reply with a note (Kabid at step 8, Kadis at step 9); the Case decides
    whether the draft is still there to return."""
    form = await request.form()
    note = str(form.get("catatan") or "").strip()
    step = str(form.get("langkah") or "")
    kept = {"catatan_kembali": note}
    error = None
    if not note:
        error = "Tuliskan apa yang perlu diperbaiki pada konsep surat."
    elif len(note) > MAX_NOTE:
        error = f"Catatan paling panjang {MAX_NOTE} karakter."
    if error is None:
        try:
            await backend_of(request).json(
                session,
                "POST",
                "disposition",
                f"/api/v1/cases/{case_id}/returns",
                json={"note": note},
            )
        except Refusal as refusal:
            if refusal.status in (403, 409):
                notice = {"pesan": refusal.pesan, "form_step": step}
                return await _case_page(request, session, pages, case_id, notice=notice)
            if refusal.status == 404:
                raise PageRefused(404, "Kasus ini tidak ditemukan.") from None
            error = refusal.fields.get("note") or refusal.pesan
    if error is not None:
        return await _case_page(
            request, session, pages, case_id, status_code=422, form=kept, errors={"kembali": error}
        )
    return RedirectResponse(f"/kasus/{case_id}?hasil=dikembalikan", status_code=303)


_FIELDS = {
    "instruction": "instruksi_lain",
    "note": "catatan",
    "sifat": "sifat",
    "to_role": "to_role",
}


@router.get("/kasus/{case_id}/surat-permohonan")
async def request_letter(case_id: UUID, session: SessionDep, backend: BackendDep) -> Response:
    """The request letter's PDF, fetched from intake with the user's own token."""
    try:
        answer = await backend.call(session, "GET", "intake", f"/api/v1/requests/{case_id}/letter")
    except Refusal as refusal:
        raise PageRefused(refusal.status, refusal.pesan or "Surat tidak dapat dibuka.") from None
    return await pdf_to_view(answer.content, f"surat-permohonan-{case_id}.pdf")
