"""The office's pages of the cases: the inbox with its counters and filters, the case page with
the request letter, the slot check, the history and the time left, the disposition form of the
step the user's role holds, and the printable Lembar Disposisi.

Every figure comes from the disposition service as this user may read it; the Case decides
whether a disposition is allowed. A disposition refused because the case moved on meanwhile
(or a form sent twice) is answered with the case page, the refusal and the current state.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID
from xml.sax.saxutils import escape

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.backend import Backend, Refusal
from services.portal.sessions import Session
from services.portal.signin import CsrfSessionDep, PageRefused, PagesDep, SessionDep
from services.portal.templating import SECURITY_HEADERS, Pages
from shared.calendar import indonesian_date
from shared.procedure import DEFAULT_INSTRUCTIONS, DISPOSING_STEPS, TARGETS
from shared.roles import ROLE_NAMES, effective_role

router = APIRouter(include_in_schema=False)

# Roles that read every case and act on none: their pages never offer an action.
READING_ROLES = frozenset({"auditor", "operator", "admin"})

# The usual instructions of a Lembar Disposisi; the ticked ones join into the instruction text.
INSTRUCTIONS = (
    "Untuk ditindaklanjuti",
    "Koordinasikan/konfirmasikan",
    "Siapkan jawaban",
    "Tanggapan dan saran",
    "Untuk diketahui",
    "Proses lebih lanjut",
)

SIFAT_LABELS = {
    "biasa": "Biasa",
    "segera": "Segera",
    "sangat_segera": "Sangat segera",
    "rahasia": "Rahasia",
}

STATES = {
    "baru": "Baru (24 jam terakhir)",
    "segera": "Segera jatuh tempo (2 jam)",
    "terlambat": "Terlambat",
}

NEW_WITHIN = timedelta(hours=24)
DUE_SOON = timedelta(hours=2)
LIST_LIMIT = 500
MAX_INSTRUCTION = 500
MAX_NOTE = 2000


def backend_of(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def duration_text(delta: timedelta) -> str:
    """``2 hari 3 jam``, ``1 jam 20 menit``, ``5 menit``: the largest two units, in Indonesian."""
    minutes = max(int(abs(delta).total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} hari" if days else "", f"{hours} jam" if hours else ""]
    if not days:
        parts.append(f"{mins} menit" if mins or not hours else "")
    return " ".join(p for p in parts if p) or "kurang dari 1 menit"


def time_left(due_at: str | None, now: datetime) -> dict[str, Any] | None:
    """Where a step stands against its deadline: ``late``, ``soon`` or in time, and how much."""
    due = _moment(due_at)
    if due is None:
        return None
    if due < now:
        return {"late": True, "soon": False, "text": f"terlambat {duration_text(now - due)}"}
    return {
        "late": False,
        "soon": due - now <= DUE_SOON,
        "text": f"sisa {duration_text(due - now)}",
    }


def _row(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    waiting = _moment(row.get("waiting_since"))
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
        start = _moment(row.get("meeting_start"))
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
    backend = backend_of(request)
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


# -- the case page ---------------------------------------------------------------------------


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
        "history": history,
        "choice": choice,
        "action": action,
        "sla": _sla(history, case, now),
        "reader": effective_role(session.actor) in READING_ROLES,
        "instructions": INSTRUCTIONS,
        "sifat_labels": SIFAT_LABELS,
        "form": {"instruksi": [], "catatan": "", "sifat": case.get("sifat") or "biasa"},
        "errors": {},
        "notice": None,
        "step_notice": step_notice,
        "done": request.query_params.get("hasil") == "terdisposisi",
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


_FIELDS = {
    "instruction": "instruksi_lain",
    "note": "catatan",
    "sifat": "sifat",
    "to_role": "to_role",
}


# -- documents -------------------------------------------------------------------------------


@router.get("/kasus/{case_id}/surat-permohonan")
async def request_letter(case_id: UUID, request: Request, session: SessionDep) -> Response:
    """The request letter's PDF, fetched from intake with the user's own token."""
    try:
        answer = await backend_of(request).call(
            session, "GET", "intake", f"/api/v1/requests/{case_id}/letter"
        )
    except Refusal as refusal:
        raise PageRefused(refusal.status, refusal.pesan or "Surat tidak dapat dibuka.") from None
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'inline; filename="surat-permohonan-{case_id}.pdf"',
    }
    return Response(answer.content, media_type="application/pdf", headers=headers)


def _day(value: str | None) -> str:
    return indonesian_date(date.fromisoformat(value)) if value else ""


@router.get("/kasus/{case_id}/lembar-disposisi")
async def disposition_sheet(
    case_id: UUID, request: Request, session: SessionDep, pages: PagesDep
) -> Response:
    """The Lembar Disposisi as a page to print, or as a PDF (``?format=pdf``): the SOP's fields,
    each forward with its instruction and paraf."""
    try:
        sheet = await backend_of(request).get_or_none(
            session, "disposition", f"/api/v1/cases/{case_id}/disposition-sheet"
        )
    except Refusal as refusal:
        raise PageRefused(refusal.status, refusal.pesan) from None
    if sheet is None:
        raise PageRefused(404, "Kasus ini tidak ditemukan.")
    forwards = [{**f, "date_text": _day(f["date"])} for f in sheet["forwards"]]
    if request.query_params.get("format") == "pdf":
        pdf = await asyncio.to_thread(sheet_pdf, sheet, forwards)
        name = "lembar-disposisi-" + sheet["agenda_number"].replace("/", "-")
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'inline; filename="{name}.pdf"'}
        return Response(pdf, media_type="application/pdf", headers=headers)
    return pages.render(
        request,
        "kasus/lembar.html",
        session,
        sheet=sheet,
        forwards=forwards,
        letter_date=_day(sheet["letter_date"]),
        received_date=_day(sheet["received_date"]),
        sifat_labels=SIFAT_LABELS,
    )


def sheet_pdf(sheet: dict[str, Any], forwards: list[dict[str, Any]]) -> bytes:
    """The Lembar Disposisi as an A4 PDF (reportlab), from the sheet the service answers."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    base = ParagraphStyle("base", fontName="Helvetica", fontSize=10, leading=13)
    bold = ParagraphStyle("bold", parent=base, fontName="Helvetica-Bold")
    head = ParagraphStyle("head", parent=bold, fontSize=12, leading=15, alignment=TA_CENTER)
    title = ParagraphStyle("title", parent=bold, fontSize=15, leading=20, alignment=TA_CENTER)

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    sifat = "   ".join(
        f"[{'X' if sheet.get('sifat') == value else ' '}] {label}"
        for value, label in SIFAT_LABELS.items()
    )
    fields = [
        ("Surat dari", sheet["letter_from"]),
        ("Nomor surat", sheet["letter_number"]),
        ("Tanggal surat", _day(sheet["letter_date"])),
        ("Diterima tanggal", _day(sheet["received_date"])),
        ("Nomor agenda", sheet["agenda_number"]),
        ("Sifat", sifat),
        ("Hal", sheet["hal"]),
    ]
    facts = Table([[p(k, bold), p(v)] for k, v in fields], colWidths=[4.5 * cm, 12 * cm])
    facts.setStyle(grid)
    rows = [
        [p(h, bold) for h in ("Dari", "Diteruskan kepada", "Instruksi", "Catatan", "Paraf")],
        *(
            [
                p(("Plt. " if f["on_behalf_of"] else "") + ROLE_NAMES.get(f["from_role"], "")
                  + "\n" + f["from_name"]),
                p(f["to_label"] or ""),
                p(f["instruction"] + (f"\nSifat: {SIFAT_LABELS.get(f['sifat'], f['sifat'])}"
                                      if f["sifat"] else "")),
                p(f["note"]),
                p(f"{f['initials']}\n{f['date_text']}"),
            ]
            for f in forwards
        ),
    ]  # fmt: skip
    table = Table(rows, colWidths=[3.3 * cm, 3.2 * cm, 4 * cm, 3.2 * cm, 2.8 * cm], repeatRows=1)
    table.setStyle(grid)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2 * cm,
        topMargin=1.5 * cm,
        bottomMargin=2 * cm,
        title=f"Lembar Disposisi {sheet['agenda_number']}",
        creator="SIVICON",
        invariant=1,
    )
    doc.build(
        [
            p("PEMERINTAH KOTA TARAKAN", head),
            p("DINAS KOMUNIKASI, INFORMATIKA, STATISTIK DAN PERSANDIAN", head),
            Spacer(1, 0.3 * cm),
            p("LEMBAR DISPOSISI", title),
            Spacer(1, 0.4 * cm),
            facts,
            Spacer(1, 0.5 * cm),
            table if forwards else p("Surat ini belum didisposisi."),
        ]
    )
    return buffer.getvalue()
