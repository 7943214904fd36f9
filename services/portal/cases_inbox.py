"""The office's inbox of cases (``/kasus``): the cases waiting for the user's role, or every case
to a reader (auditor, operator, administrator), and the archive of closed ones; the counters
(new, open, due soon, late) and the search and filters the query string carries.

The disposition service searches, filters, counts and pages, over every case this user may read;
the page asks it for one page of :data:`PAGE_SIZE` cases at a time, with the filters as its query
parameters, and shows "Sebelumnya" and "Berikutnya" to move through the rest.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.backend import Backend, Refusal
from services.portal.cases_deadlines import moment, time_left
from services.portal.sessions import Session
from services.portal.signin import SessionDep
from services.portal.state import BackendDep, PagesDep
from shared.procedure import NEW_WITHIN
from shared.roles import effective_role
from shared.validation import FIRST_YEAR, LAST_YEAR

router = APIRouter(include_in_schema=False)

# Roles that read every case and act on none: their pages never offer an action.
READING_ROLES = frozenset({"auditor", "operator", "admin"})

# The states the page offers, and the name of each in the disposition service's search.
STATES = {
    "baru": "Baru (24 jam terakhir)",
    "segera": "Segera jatuh tempo (2 jam)",
    "terlambat": "Terlambat",
}
SERVICE_STATES = {"baru": "new", "segera": "due_soon", "terlambat": "overdue"}

PAGE_SIZE = 50
NO_COUNTERS = {"baru": 0, "semua": 0, "segera": 0, "terlambat": 0}


def _row(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    waiting = moment(row.get("waiting_since"))
    left = None if row.get("closed") else time_left(row.get("due_at"), now)
    return {
        **row,
        "left": left,
        "new": not row.get("closed") and waiting is not None and now - waiting <= NEW_WITHIN,
    }


def _counters(answer: dict[str, Any]) -> dict[str, int]:
    """The service's counters under the names the page uses."""
    return {
        "baru": answer["new"],
        "semua": answer["open"],
        "segera": answer["due_soon"],
        "terlambat": answer["overdue"],
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
            if self.day is not None and not FIRST_YEAR <= self.day.year <= LAST_YEAR:
                self.day = None
                self.errors["tanggal"] = (
                    f"Tanggal harus dalam tahun {FIRST_YEAR} sampai {LAST_YEAR}."
                )
        if keadaan and keadaan not in STATES:
            self.errors["keadaan"] = "Pilih salah satu keadaan dari daftar."
        if langkah and langkah not in {str(n) for n in range(1, 11)}:
            self.errors["langkah"] = "Pilih salah satu langkah dari daftar."

    @property
    def active(self) -> bool:
        return any((self.q, self.opd, self.tanggal, self.keadaan, self.langkah))

    def query(self) -> dict[str, str]:
        """The filters as the page's own query string carries them (for the page links)."""
        given = {
            "q": self.q,
            "opd": self.opd,
            "tanggal": self.tanggal,
            "keadaan": self.keadaan,
            "langkah": self.langkah,
        }
        return {k: v for k, v in given.items() if v}

    def search(self) -> dict[str, str]:
        """The valid filters as the disposition service's search parameters; one not understood
        is left out (and said so beside its field)."""
        params = {"q": self.q, "agency": self.opd}
        if self.day is not None:
            params["date_from"] = params["date_to"] = self.day.isoformat()
        if "keadaan" not in self.errors:
            params["state"] = SERVICE_STATES.get(self.keadaan, "")
        if "langkah" not in self.errors:
            params["step"] = self.langkah
        return {k: v for k, v in params.items() if v}


class Pager:
    """Where a page stands in the list: its number, the rows it shows, and the neighbours' links."""

    def __init__(self, number: int, total: int, base: dict[str, str]) -> None:
        self.number, self.total = number, total
        self.count = max(1, -(-total // PAGE_SIZE))
        self.first = (number - 1) * PAGE_SIZE + 1 if total else 0
        self.last = min(number * PAGE_SIZE, total)
        self.previous = self._link(base, number - 1) if number > 1 else None
        self.next = self._link(base, number + 1) if number < self.count else None

    @staticmethod
    def _link(base: dict[str, str], number: int) -> str:
        query = {**base, **({"halaman": str(number)} if number > 1 else {})}
        return "/kasus" + (f"?{urlencode(query)}" if query else "")


async def _list(
    backend: Backend, session: Session, tab: str, reader: bool, offset: int, search: dict[str, str]
) -> dict[str, Any]:
    """One page of the list this tab shows, as the disposition service searched it."""
    params: dict[str, Any] = {"limit": PAGE_SIZE, "offset": offset, **search}
    if tab == "arsip":
        path, params["status"] = "/api/v1/cases", "closed"
    elif reader:
        path, params["status"] = "/api/v1/cases", "open" if tab == "terbuka" else "all"
    else:
        path = "/api/v1/inbox"
    return dict(await backend.get(session, "disposition", path, **params))


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
    halaman: Annotated[str, Query(max_length=6)] = "",
) -> Response:
    """The inbox: cases waiting for the user's role (or every case, to a reader), the archive."""
    role = effective_role(session.actor)
    if role == "opd":
        return RedirectResponse("/permohonan", status_code=303)
    reader = role in READING_ROLES
    tab = tab if tab in ("arsip", "terbuka") else ""
    now = datetime.now(UTC)
    filters = Filters(q, opd, tanggal, keadaan, langkah)
    search = filters.search()
    number = int(halaman) if halaman.isdigit() and int(halaman) >= 1 else 1
    error = None
    counters = NO_COUNTERS
    try:
        listing, counted = await asyncio.gather(
            _list(backend, session, tab, reader, (number - 1) * PAGE_SIZE, search),
            _counted(backend, session, tab),
        )
        if not listing["items"] and listing["total"]:
            # Past the last page (cases left the list meanwhile): the last page instead.
            number = -(-int(listing["total"]) // PAGE_SIZE)
            listing = await _list(backend, session, tab, reader, (number - 1) * PAGE_SIZE, search)
        counters = counted or NO_COUNTERS
    except Refusal as refusal:
        listing = {"items": [], "total": 0, "unfiltered_total": 0}
        error = refusal.pesan
    base = {**({"tab": tab} if tab else {}), **filters.query()}
    context = {
        "rows": [_row(r, now) for r in listing["items"]],
        "total": listing["total"],
        "unfiltered_total": listing.get("unfiltered_total", listing["total"]),
        "pager": Pager(number, int(listing["total"]), base),
        "counters": counters,
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


async def _counted(backend: Backend, session: Session, tab: str) -> dict[str, int] | None:
    """The counters of the open cases (none on the archive), as the disposition service counts
    them over the user's whole inbox: a reader's inbox is every open case."""
    if tab == "arsip":
        return None
    return _counters(await backend.get(session, "disposition", "/api/v1/inbox/counters"))
