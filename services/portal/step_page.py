"""The step action's own page (``/kasus/{id}/langkah``) and how every action answers: a redirect
back to the case with a fixed notice key (:data:`NOTICES`, never text from the request), or, when
a service refuses, this page with what it said and the case as it now stands (not an error page).

A click that arrives after its step was done (a double click, a second tab) is answered
"sudah diproses"; :func:`case_lock` makes a double click's second request wait for the first.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.backend import Refusal
from services.portal.sessions import Session
from services.portal.signin import SessionDep
from services.portal.state import PagesDep, backend_of
from services.portal.step_view import Action, step_action
from services.portal.templating import Pages

router = APIRouter(include_in_schema=False)

NOTICES = {
    "rapat-dibuat": "Rapat Zoom sudah dibuat. Laporkan ID Meeting, kata sandi dan tautan "
    "kepada Subkoordinator.",
    "rapat-dicatat": "Rapat yang dibuat langsung di Zoom sudah dicatat. Laporkan ID Meeting, "
    "kata sandi dan tautan kepada Subkoordinator.",
    "konsep-dibuat": "Konsep surat tanggapan sudah dibuat. Periksa pratinjaunya.",
    "surat-dikirim": "Surat tanggapan sudah ditandatangani, diberi nomor dan dikirim kepada "
    "OPD pemohon.",
    "sudah-diproses": "Langkah ini sudah diproses sebelumnya (mungkin tombolnya tertekan dua "
    "kali atau dikerjakan di tab lain). Berikut keadaan kasus saat ini.",
}


def notice_text(key: str | None) -> str | None:
    """The Indonesian text of a notice key from ``?pesan=``; unknown keys show nothing."""
    return NOTICES.get(key or "")


# One action per case at a time in this process: a double click's second request waits for the
# first, then finds its step done instead of doing it again.
_locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)


def case_lock(case_id: UUID, what: str) -> asyncio.Lock:
    """The lock of one kind of action (``rapat``, ``surat``) on one case."""
    return _locks[(str(case_id), what)]


def back(case_id: UUID, pesan: str) -> RedirectResponse:
    """Back to the case page with the notice ``pesan`` (a key of :data:`NOTICES`)."""
    return RedirectResponse(f"/kasus/{case_id}?pesan={pesan}", status_code=303)


@router.get("/kasus/{case_id}/langkah")
async def action_page(
    request: Request, case_id: UUID, session: SessionDep, pages: PagesDep, pesan: str = ""
) -> Response:
    """The user's step action on a page of its own (also where a refused action is shown)."""
    return await page(request, case_id, session, pages, notice=notice_text(pesan))


async def page(
    request: Request,
    case_id: UUID,
    session: Session,
    pages: Pages,
    *,
    status_code: int = 200,
    notice: str | None = None,
    warning: str | None = None,
    action: Action | None = None,
) -> Response:
    """The case with the user's step action (``action``, or the one it has now)."""
    backend = backend_of(request)
    case = await backend.get(session, "disposition", f"/api/v1/cases/{case_id}")
    if action is None:
        action = await step_action(backend, session, case)
    template, context = action if action else (None, None)
    return pages.render(
        request,
        "kasus/aksi/halaman.html",
        session,
        status_code=status_code,
        case=case,
        action_template=template,
        action=context,
        notice=notice,
        warning=warning,
    )


async def refused(
    request: Request, case_id: UUID, session: Session, pages: Pages, refusal: Refusal
) -> Response:
    """What the service said, with the case as it now stands (not an error page)."""
    return await page(
        request, case_id, session, pages, status_code=refusal.status, warning=refusal.pesan
    )
