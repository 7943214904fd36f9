"""The office's inbox of cases (``/kasus``): the cases waiting for the user's role, or every case
to a reader (auditor, operator, administrator), and the archive of closed ones; the counters
(new, open, due soon, late) and the search and filters the query string carries.

The lists come from the disposition service as this user may read them; the counters and filters
work on the list the service answered (at most :data:`LIST_LIMIT` cases).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.backend import Refusal
from services.portal.cases_deadlines import moment, time_left
from services.portal.signin import SessionDep
from services.portal.state import BackendDep, PagesDep
from services.portal.templating import Pages
from shared.roles import effective_role

router = APIRouter(include_in_schema=False)

# Roles that read every case and act on none: their pages never offer an action.
READING_ROLES = frozenset({"auditor", "operator", "admin"})

STATES = {
    "baru": "Baru (24 jam terakhir)",
    "segera": "Segera jatuh tempo (2 jam)",
    "terlambat": "Terlambat",
}

NEW_WITHIN = timedelta(hours=24)
LIST_LIMIT = 500


def _row(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    waiting = moment(row.get("waiting_since"))
    left = None if row.get("closed") else time_left(row.get("due_at"), now)
    return {
        **row,
        "left": left,
        "new": not row.get("closed") and waiting is not None and now - waiting <= NEW_WITHIN,
    }


def _counters(rows: list[dict[str, Any]]) -> dict[str, int]:
    open_rows = [r for r in rows if not r.get("closed")]
    return {
        "baru": sum(1 for r in open_rows if r["new"]),
        "semua": len(open_rows),
        "segera": sum(1 for r in open_rows if r["left"] and r["left"]["soon"]),
        "terlambat": sum(1 for r in open_rows if r["left"] and r["left"]["late"]),
    }


class Filters:
    """The inbox's search and filters, as the query string carries them."""

    def __init__(self, q: str, opd: str, tanggal: str, keadaan: str, langkah: str) -> None:
        self.q, self.opd, self.keadaan, self.langkah = q.strip(), opd.strip(), keadaan, langkah
        self.tanggal = tanggal.strip()
        self.errors: dict[str, str] = {}
        self.day: date | None = None
        if self.tanggal:
            try:
                self.day = date.fromisoformat(self.tanggal)
            except ValueError:
                self.errors["tanggal"] = "Tanggal tidak dikenali; pilih tanggal dari kalender."
        if keadaan and keadaan not in STATES:
            self.errors["keadaan"] = "Pilih salah satu keadaan dari daftar."
        if langkah and langkah not in {str(n) for n in range(1, 11)}:
            self.errors["langkah"] = "Pilih salah satu langkah dari daftar."

    @property
    def active(self) -> bool:
        return any((self.q, self.opd, self.tanggal, self.keadaan, self.langkah))

    def keep(self, row: dict[str, Any], pages: Pages) -> bool:
        q = self.q.casefold()
        text = " ".join(
            str(row.get(k) or "")
            for k in ("agenda_number", "letter_number", "hal", "meeting_topic")
        )
        agency = f"{row.get('opd_code', '')} {row.get('opd_name', '')}".casefold()
        start = moment(row.get("meeting_start"))
        return (
            (not q or q in text.casefold())
            and (not self.opd or self.opd.casefold() in agency)
            and (
                self.day is None
                or (start is not None and start.astimezone(pages.zone).date() == self.day)
            )
            and self._state(row)
            and (not self.langkah or str(row.get("pending_step")) == self.langkah)
        )

    def _state(self, row: dict[str, Any]) -> bool:
        if self.keadaan not in STATES:
            return True
        if self.keadaan == "baru":
            return bool(row["new"])
        left = row["left"]
        return bool(left and left["late" if self.keadaan == "terlambat" else "soon"])


@router.get("/kasus")
async def inbox_page(
    request: Request,
    session: SessionDep,
    pages: PagesDep,
    backend: BackendDep,
    tab: str = "",
    q: Annotated[str, Query(max_length=100)] = "",
    opd: Annotated[str, Query(max_length=100)] = "",
    tanggal: Annotated[str, Query(max_length=20)] = "",
    keadaan: Annotated[str, Query(max_length=20)] = "",
    langkah: Annotated[str, Query(max_length=2)] = "",
) -> Response:
    """The inbox: cases waiting for the user's role (or every case, to a reader), the archive."""
    role = effective_role(session.actor)
    if role == "opd":
        return RedirectResponse("/permohonan", status_code=303)
    reader = role in READING_ROLES
    tab = tab if tab in ("arsip", "terbuka") else ""
    now = datetime.now(UTC)
    error = None
    try:
        if tab == "arsip":
            page = await backend.get(
                session, "disposition", "/api/v1/cases", status="closed", limit=LIST_LIMIT
            )
        elif reader:
            status = "open" if tab == "terbuka" else "all"
            page = await backend.get(
                session, "disposition", "/api/v1/cases", status=status, limit=LIST_LIMIT
            )
        else:
            page = await backend.get(session, "disposition", "/api/v1/inbox", limit=LIST_LIMIT)
    except Refusal as refusal:
        page, error = {"items": [], "total": 0}, refusal.pesan
    rows = [_row(r, now) for r in page["items"]]
    filters = Filters(q, opd, tanggal, keadaan, langkah)
    shown = [r for r in rows if filters.keep(r, pages)]
    context = {
        "rows": shown,
        "total": page["total"],
        "counted": len(rows),
        "counters": _counters(rows),
        "filters": filters,
        "tab": tab,
        "reader": reader,
        "states": STATES,
        "error": error,
        "now": now,
    }
    partial = (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-target") == "daftar"
        and not request.headers.get("hx-history-restore-request")
    )
    name = "kasus/_daftar.html" if partial else "kasus/daftar.html"
    response = pages.render(request, name, session, **context)
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response
