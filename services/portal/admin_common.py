"""What every administrator's page shares: the admin-only guard, reading a form, the notice after
a change (POST-redirect-GET with a code in the address), and calling a service as the signed-in
administrator so that the service still decides and its refusal is shown as it says it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.admin_rules import Errors
from services.portal.backend import Refusal
from services.portal.sessions import Session
from services.portal.signin import CsrfSessionDep, PageRefused, SessionDep
from services.portal.state import backend_of
from services.portal.templating import Pages
from shared.auth import User
from shared.roles import effective_role

REFUSED = "Halaman ini hanya untuk Administrator SIVICON."

# What a page says after a change, by the code in its address (nothing typed is echoed back).
NOTICES = {
    "dibuat": "Akun dibuat. Berikan kata sandi sementara kepada penggunanya secara langsung.",
    "diubah": "Data pengguna disimpan.",
    "penunjukan": "Penunjukan Plt/Plh disimpan.",
    "penunjukan-dihapus": "Penunjukan Plt/Plh dicabut.",
    "sandi": "Kata sandi baru disimpan. Berikan kepada penggunanya secara langsung.",
    "nonaktif": "Akun dinonaktifkan: penggunanya tidak dapat masuk lagi.",
    "aktif": "Akun diaktifkan kembali.",
    "host-didaftarkan": "Akun host didaftarkan.",
    "host-diubah": "Status akun host diubah.",
    "opd-disimpan": "OPD disimpan.",
    "libur-ditambah": "Hari libur lokal ditambahkan.",
    "hari-kerja": "Hari libur ditetapkan menjadi hari kerja.",
    "perubahan-dicabut": "Perubahan dicabut: tanggal itu kembali seperti kalender nasional.",
    "jam-kerja": "Jam kerja disimpan; berlaku untuk batas waktu yang dihitung mulai sekarang.",
}


def _only_admin(session: Session) -> Session:
    if effective_role(session.actor) != "admin":
        raise PageRefused(403, REFUSED)
    return session


def admin_session(session: SessionDep) -> Session:
    return _only_admin(session)


def admin_post(session: CsrfSessionDep) -> Session:
    return _only_admin(session)


AdminDep = Annotated[Session, Depends(admin_session)]
AdminPostDep = Annotated[Session, Depends(admin_post)]


async def form_values(request: Request, *names: str) -> dict[str, str]:
    form = await request.form()
    values = {}
    for name in names:
        value = form.get(name)
        values[name] = value[:1000] if isinstance(value, str) else ""
    return values


def done(path: str, notice: str) -> Response:
    return RedirectResponse(f"{path}?ok={notice}", status_code=303)


def notice_of(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("ok", ""))


def form_page(
    request: Request,
    pages: Pages,
    session: Session,
    template: str,
    *,
    values: dict[str, str],
    errors: Errors | None,
    refusal: Refusal | None,
    **context: Any,
) -> Response:
    """A page with a form: the input kept, each error beside its field (422), the service's
    refusal above the form (with its status), and the notice a change left in the address."""
    status_code = refusal.status if refusal else 422 if errors else 200
    return pages.render(
        request,
        template,
        session,
        status_code=status_code,
        values=values,
        errors=errors or {},
        error=refusal.pesan if refusal else "",
        notice=notice_of(request),
        **context,
    )


async def send(
    request: Request, session: Session, method: str, service: str, path: str, body: dict[str, Any]
) -> Refusal | None:
    """Send a JSON body to a service as the administrator: ``None`` once done, or its refusal."""
    try:
        await backend_of(request).json(session, method, service, path, json=body)
    except Refusal as refusal:
        return refusal
    return None


async def agencies_for(request: Request, session: Session) -> tuple[dict[str, str] | None, str]:
    """The agencies by code from intake, or ``None`` and why they could not be read."""
    try:
        agencies: dict[str, str] = await backend_of(request).get(
            session, "intake", "/api/v1/agencies"
        )
    except Refusal as refusal:
        return None, refusal.pesan
    return agencies, ""


def without_password(user: User) -> User:
    """The account as a page may hold it (the hash never goes into a template)."""
    return replace(user, password_hash="")
