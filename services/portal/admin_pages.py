"""The administrator's pages: the accounts (with their Plt/Plh appointments), the scheduler's
Zoom host accounts, and the agencies (OPD) known to intake.

Only the ``admin`` role opens them. The accounts live in the portal's own user directory; host
accounts and agencies belong to the scheduler and intake, which the pages call as the signed-in
administrator, so that each service still decides (and its refusal is shown as it says it).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.backend import Backend, Refusal
from services.portal.sessions import Session
from services.portal.signin import CsrfSessionDep, PageRefused, PagesDep, SessionDep, sessions_of
from services.portal.templating import Pages
from services.portal.users import (
    ACCOUNT_ROLES,
    ACTING_KINDS,
    PANGKAT,
    Errors,
    check_appointment,
    check_new_password,
    check_profile,
    check_username,
    period_text,
)
from shared.auth import User, UserDirectory, hash_password
from shared.errors import SiviconError
from shared.roles import OFFICE_ROLES, ROLE_NAMES, effective_role
from shared.validation import EMAIL_PATTERN

router = APIRouter(include_in_schema=False)

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
}

PROFILE_FIELDS = ("name", "role", "opd_code", "jabatan", "pangkat", "nip")
HOST_CAPACITIES = (100, 300, 500, 1000)
HOST_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


def admin_session(session: SessionDep) -> Session:
    if effective_role(session.actor) != "admin":
        raise PageRefused(403, REFUSED)
    return session


def admin_post(session: CsrfSessionDep) -> Session:
    if effective_role(session.actor) != "admin":
        raise PageRefused(403, REFUSED)
    return session


AdminDep = Annotated[Session, Depends(admin_session)]
AdminPostDep = Annotated[Session, Depends(admin_post)]


def directory_of(request: Request) -> UserDirectory:
    directory: UserDirectory = request.app.state.users
    return directory


def backend_of(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


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


def _choices() -> dict[str, Any]:
    return {
        "roles": {role: ROLE_NAMES[role] for role in ACCOUNT_ROLES},
        "acting_roles": {role: ROLE_NAMES[role] for role in OFFICE_ROLES},
        "acting_kinds": ACTING_KINDS,
        "pangkat_list": PANGKAT,
    }


async def agencies_for(request: Request, session: Session) -> tuple[dict[str, str] | None, str]:
    """The agencies by code from intake, or ``None`` and why they could not be read."""
    try:
        agencies: dict[str, str] = await backend_of(request).get(
            session, "intake", "/api/v1/agencies"
        )
    except Refusal as refusal:
        return None, refusal.pesan
    return agencies, ""


# --------------------------------------------------------------------------- home


@router.get("/admin")
async def admin_home(request: Request, session: AdminDep, pages: PagesDep) -> Response:
    return pages.render(request, "admin/index.html", session)


# --------------------------------------------------------------------------- users


@router.get("/admin/pengguna")
async def users_page(request: Request, session: AdminDep, pages: PagesDep) -> Response:
    directory = directory_of(request)
    users = sorted(
        (without_password(u) for u in directory.load().values()),
        key=lambda u: (not u.active, _rank(u.role), u.username),
    )
    agencies, _ = await agencies_for(request, session)
    return pages.render(
        request,
        "admin/pengguna.html",
        session,
        users=users,
        agencies=agencies or {},
        today=directory.today(),
        notice=notice_of(request),
        period=period_text,
    )


def _rank(role: str) -> int:
    return ACCOUNT_ROLES.index(role) if role in ACCOUNT_ROLES else len(ACCOUNT_ROLES)


def _new_user_page(
    request: Request,
    pages: Pages,
    session: Session,
    values: dict[str, str],
    errors: Errors,
    agencies: dict[str, str] | None,
    agencies_error: str,
) -> Response:
    return pages.render(
        request,
        "admin/pengguna_baru.html",
        session,
        status_code=422 if errors else 200,
        values=values,
        errors=errors,
        agencies=agencies or {},
        agencies_error=agencies_error,
        **_choices(),
    )


@router.get("/admin/pengguna/baru")
async def new_user_page(request: Request, session: AdminDep, pages: PagesDep) -> Response:
    agencies, why = await agencies_for(request, session)
    values = dict.fromkeys(("username", *PROFILE_FIELDS), "")
    return _new_user_page(request, pages, session, values, {}, agencies, why)


@router.post("/admin/pengguna/baru")
async def create_user(request: Request, session: AdminPostDep, pages: PagesDep) -> Response:
    """Create an account with a temporary password the administrator sets and hands over."""
    values = await form_values(request, "username", *PROFILE_FIELDS, "password", "password_again")
    directory = directory_of(request)
    agencies, why = await agencies_for(request, session)
    username = values["username"].strip()
    values["username"] = username
    profile, errors = check_profile(values, agencies)
    taken = set(directory.load())
    if problem := check_username(username, taken):
        errors["username"] = problem
    errors.update(_nip_taken(directory, profile["nip"], username))
    errors.update(check_new_password(values["password"], values["password_again"], username))
    if errors:
        shown = {k: v for k, v in values.items() if not k.startswith("password")}
        return _new_user_page(request, pages, session, shown, errors, agencies, why)
    password_hash = await asyncio.to_thread(hash_password, values["password"])
    user = User(
        username=username,
        name=profile["name"],
        role=profile["role"],
        password_hash=password_hash,
        opd_code=profile["opd_code"] or None,
        nip=profile["nip"],
        jabatan=profile["jabatan"],
        pangkat=profile["pangkat"],
    )
    try:
        directory.add(user)
    except SiviconError as refused:  # the same username, added meanwhile
        shown = {k: v for k, v in values.items() if not k.startswith("password")}
        errors = {"username": refused.pesan}
        return _new_user_page(request, pages, session, shown, errors, agencies, why)
    return done(f"/admin/pengguna/{username}", "dibuat")


def _nip_taken(directory: UserDirectory, nip: str, username: str) -> Errors:
    if not nip:
        return {}
    for other in directory.load().values():
        if other.nip.replace(" ", "") == nip.replace(" ", "") and other.username != username:
            return {"nip": f"NIP ini sudah dipakai oleh akun {other.username}"}
    return {}


def _the_user(request: Request, username: str) -> User:
    user = directory_of(request).load().get(username)
    if user is None:
        raise PageRefused(404, f"Pengguna {username} tidak ditemukan.")
    return user


async def _user_page(
    request: Request,
    pages: Pages,
    session: Session,
    user: User,
    *,
    form: str = "",
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
) -> Response:
    """The account's page; ``form`` names the form whose input and errors are shown again."""
    agencies, why = await agencies_for(request, session)
    profile = {
        "name": user.name,
        "role": user.role,
        "opd_code": user.opd_code or "",
        "jabatan": user.jabatan,
        "pangkat": user.pangkat,
        "nip": user.nip,
    }
    appointment = {
        "acting_for": user.acting_for or "",
        "acting_kind": user.acting_kind,
        "acting_from": user.acting_from.isoformat() if user.acting_from else "",
        "acting_until": user.acting_until.isoformat() if user.acting_until else "",
    }
    if form == "profil" and values is not None:
        profile = values
    if form == "penunjukan" and values is not None:
        appointment = values
    return pages.render(
        request,
        "admin/pengguna_detail.html",
        session,
        status_code=422 if errors else 200,
        account=without_password(user),
        profile=profile,
        appointment=appointment,
        form=form,
        errors=errors or {},
        agencies=agencies or {},
        agencies_error=why,
        today=directory_of(request).today(),
        notice=notice_of(request),
        own=user.username == session.actor.username,
        period=period_text,
        may_act=user.role in OFFICE_ROLES,
        **{
            **_choices(),
            "acting_roles_all": _choices()["acting_roles"],
            "acting_roles": {r: ROLE_NAMES[r] for r in OFFICE_ROLES if r != user.role},
        },
    )


@router.get("/admin/pengguna/{username}")
async def user_page(
    username: str, request: Request, session: AdminDep, pages: PagesDep
) -> Response:
    return await _user_page(request, pages, session, _the_user(request, username))


@router.post("/admin/pengguna/{username}")
async def update_user(
    username: str, request: Request, session: AdminPostDep, pages: PagesDep
) -> Response:
    """Change the name, role, agency, jabatan, pangkat/golongan or NIP of an account."""
    user = _the_user(request, username)
    values = await form_values(request, *PROFILE_FIELDS)
    agencies, _ = await agencies_for(request, session)
    profile, errors = check_profile(values, agencies)
    directory = directory_of(request)
    errors.update(_nip_taken(directory, profile["nip"], username))
    if user.username == session.actor.username and profile["role"] != "admin":
        errors["role"] = "Anda tidak dapat mencabut peran Administrator dari akun Anda sendiri"
    if errors:
        return await _user_page(
            request, pages, session, user, form="profil", values=values, errors=errors
        )
    changes: dict[str, Any] = {**profile, "opd_code": profile["opd_code"] or None}
    if profile["role"] not in OFFICE_ROLES:
        changes["acting_for"] = None  # only the office's officials act for one another
    directory.update(username, **changes)
    sessions_of(request).end_for(username)  # their pages must show the new profile and role
    return done(f"/admin/pengguna/{username}", "diubah")


@router.post("/admin/pengguna/{username}/penunjukan")
async def appoint(
    username: str, request: Request, session: AdminPostDep, pages: PagesDep
) -> Response:
    """Appoint the account as Plt/Plh of a role, from a first day to a last day (or open)."""
    user = _the_user(request, username)
    values = await form_values(request, "acting_for", "acting_kind", "acting_from", "acting_until")
    appointment, errors = check_appointment(values, user.role)
    if appointment is None:
        return await _user_page(
            request, pages, session, user, form="penunjukan", values=values, errors=errors
        )
    acting_for, kind, start, end = appointment
    directory_of(request).update(
        username, acting_for=acting_for, acting_kind=kind, acting_from=start, acting_until=end
    )
    return done(f"/admin/pengguna/{username}", "penunjukan")


@router.post("/admin/pengguna/{username}/penunjukan/hapus")
async def end_appointment(username: str, request: Request, session: AdminPostDep) -> Response:
    """Withdraw the account's Plt/Plh appointment."""
    _the_user(request, username)
    directory_of(request).update(
        username, acting_for=None, acting_kind="Plt", acting_from=None, acting_until=None
    )
    return done(f"/admin/pengguna/{username}", "penunjukan-dihapus")


@router.post("/admin/pengguna/{username}/kata-sandi")
async def reset_password(
    username: str, request: Request, session: AdminPostDep, pages: PagesDep
) -> Response:
    """Set a new temporary password for the account."""
    user = _the_user(request, username)
    values = await form_values(request, "password", "password_again")
    errors = check_new_password(values["password"], values["password_again"], username)
    if errors:
        return await _user_page(request, pages, session, user, form="sandi", errors=errors)
    password_hash = await asyncio.to_thread(hash_password, values["password"])
    directory_of(request).update(username, password_hash=password_hash)
    sessions_of(request).end_for(username)
    return done(f"/admin/pengguna/{username}", "sandi")


@router.post("/admin/pengguna/{username}/status")
async def set_active(
    username: str, request: Request, session: AdminPostDep, pages: PagesDep
) -> Response:
    """Deactivate (no more signing in) or reactivate the account."""
    user = _the_user(request, username)
    active = (await form_values(request, "aktif"))["aktif"] == "true"
    if not active and user.username == session.actor.username:
        errors = {"aktif": "Anda tidak dapat menonaktifkan akun Anda sendiri"}
        return await _user_page(request, pages, session, user, form="status", errors=errors)
    directory_of(request).update(username, active=active)
    if not active:
        sessions_of(request).end_for(username)
    return done(f"/admin/pengguna/{username}", "aktif" if active else "nonaktif")


# --------------------------------------------------------------------------- host accounts

HOST_FIELDS = ("id", "name", "email", "capacity", "concurrent", "active")


def check_host_account(values: dict[str, str]) -> tuple[dict[str, Any], Errors]:
    """The scheduler's host account body from the form, checked with messages in Indonesian."""
    errors: Errors = {}
    slug = values["id"].strip()
    name = values["name"].strip()
    email = values["email"].strip()
    if not HOST_ID.match(slug):
        errors["id"] = (
            "kode akun 2 sampai 40 karakter: huruf kecil, angka dan tanda hubung, "
            "diawali huruf atau angka (mis. zoom-4)"
        )
    if not name:
        errors["name"] = "nama akun wajib diisi"
    elif len(name) > 100:
        errors["name"] = "nama akun paling panjang 100 karakter"
    if not re.match(EMAIL_PATTERN, email) or len(email) > 200:
        errors["email"] = "alamat e-mail tidak valid, mis. zoom4@tarakankota.go.id"
    capacity = int(values["capacity"]) if values["capacity"].isdigit() else 0
    if capacity not in HOST_CAPACITIES:
        errors["capacity"] = "pilih kapasitas lisensi"
    concurrent = int(values["concurrent"]) if values["concurrent"].isdigit() else 0
    if concurrent not in (1, 2):
        errors["concurrent"] = "pilih 1 atau 2 rapat sekaligus"
    body = {
        "id": slug,
        "name": name,
        "email": email,
        "capacity": capacity,
        "concurrent": concurrent,
        "active": values["active"] == "true",
    }
    return body, errors


async def _hosts_page(
    request: Request,
    pages: Pages,
    session: Session,
    *,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    hosts: list[dict[str, Any]] = []
    load_error = ""
    try:
        hosts = await backend_of(request).get(session, "scheduler", "/api/v1/host-accounts")
    except Refusal as refusal:
        load_error = refusal.pesan
    return pages.render(
        request,
        "admin/akun_host.html",
        session,
        status_code=status_code,
        hosts=hosts,
        load_error=load_error,
        values=values or {"capacity": "100", "concurrent": "1", "active": "true"},
        errors=errors or {},
        error=error,
        capacities=HOST_CAPACITIES,
        notice=notice_of(request),
    )


@router.get("/admin/akun-host")
async def hosts_page(request: Request, session: AdminDep, pages: PagesDep) -> Response:
    return await _hosts_page(request, pages, session)


@router.post("/admin/akun-host")
async def register_host(request: Request, session: AdminPostDep, pages: PagesDep) -> Response:
    """Register a licensed Zoom host account with the scheduler."""
    values = await form_values(request, *HOST_FIELDS)
    body, errors = check_host_account(values)
    if errors:
        return await _hosts_page(
            request, pages, session, values=values, errors=errors, status_code=422
        )
    try:
        await backend_of(request).json(
            session, "POST", "scheduler", "/api/v1/host-accounts", json=body
        )
    except Refusal as refusal:
        return await _hosts_page(
            request,
            pages,
            session,
            values=values,
            errors={"id": "kode ini sudah dipakai"} if refusal.code == "already_exists" else {},
            error=refusal.pesan,
            status_code=refusal.status,
        )
    return done("/admin/akun-host", "host-didaftarkan")


@router.post("/admin/akun-host/{host_id}/status")
async def set_host_active(
    host_id: str, request: Request, session: AdminPostDep, pages: PagesDep
) -> Response:
    """Take a host account out of the schedule, or back into it."""
    active = (await form_values(request, "aktif"))["aktif"] == "true"
    try:
        await backend_of(request).json(
            session,
            "PATCH",
            "scheduler",
            f"/api/v1/host-accounts/{host_id}",
            json={"active": active},
        )
    except Refusal as refusal:
        return await _hosts_page(
            request, pages, session, error=refusal.pesan, status_code=refusal.status
        )
    return done("/admin/akun-host", "host-diubah")


# --------------------------------------------------------------------------- agencies


async def _agencies_page(
    request: Request,
    pages: Pages,
    session: Session,
    *,
    values: dict[str, str] | None = None,
    editing: bool = False,
    errors: Errors | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    agencies, load_error = await agencies_for(request, session)
    if values is None:
        values = {"code": "", "name": ""}
        code = request.query_params.get("ubah", "").upper()
        if agencies and code in agencies:
            values, editing = {"code": code, "name": agencies[code]}, True
    return pages.render(
        request,
        "admin/opd.html",
        session,
        status_code=status_code,
        agencies=agencies or {},
        load_error=load_error,
        values=values,
        editing=editing,
        errors=errors or {},
        error=error,
        notice=notice_of(request),
    )


@router.get("/admin/opd")
async def agencies_page(request: Request, session: AdminDep, pages: PagesDep) -> Response:
    return await _agencies_page(request, pages, session)


@router.post("/admin/opd")
async def save_agency(request: Request, session: AdminPostDep, pages: PagesDep) -> Response:
    """Register an agency with intake, or give a registered code a new name."""
    form = await form_values(request, "code", "name", "ubah")
    values = {"code": form["code"].strip().upper(), "name": form["name"].strip()}
    editing = form["ubah"] == "true"
    errors: Errors = {}
    if not re.fullmatch(r"[A-Z0-9]{2,20}", values["code"]):
        errors["code"] = "kode OPD harus 2 sampai 20 huruf atau angka, mis. DINKES"
    elif not editing:
        # Intake registers a known code again under the new name: adding must not rename.
        known, _ = await agencies_for(request, session)
        if known and values["code"] in known:
            errors["code"] = (
                f"kode ini sudah terdaftar untuk {known[values['code']]}; pilih Ubah nama"
            )
    if not values["name"]:
        errors["name"] = "nama OPD wajib diisi"
    elif len(values["name"]) > 200:
        errors["name"] = "nama OPD paling panjang 200 karakter"
    if errors:
        return await _agencies_page(
            request, pages, session, values=values, editing=editing, errors=errors, status_code=422
        )
    try:
        await backend_of(request).json(session, "POST", "intake", "/api/v1/agencies", json=values)
    except Refusal as refusal:
        return await _agencies_page(
            request,
            pages,
            session,
            values=values,
            editing=editing,
            error=refusal.pesan,
            status_code=refusal.status,
        )
    return done("/admin/opd", "opd-disimpan")


def without_password(user: User) -> User:
    """The account as a page may hold it (the hash never goes into a template)."""
    return replace(user, password_hash="")
