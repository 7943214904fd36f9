"""The administrator's pages for the accounts in the portal's own user directory: the list, a
new account with a temporary password, and one account's page (its profile, a new password,
deactivating it). The account's Plt/Plh appointment is set in :mod:`admin_appointments`. A
change that signs the account out also revokes its tokens (:mod:`shared.revocations`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.admin_common import (
    AdminDep,
    AdminPostDep,
    agencies_for,
    done,
    form_values,
    notice_of,
    without_password,
)
from services.portal.admin_rules import (
    ACCOUNT_ROLES,
    ACTING_KINDS,
    PANGKAT,
    Errors,
    check_new_password,
    check_profile,
    check_username,
    period_text,
)
from services.portal.sessions import Session
from services.portal.signin import PageRefused
from services.portal.state import PagesDep, directory_of, sessions_of
from services.portal.templating import Pages
from shared.auth import User, UserDirectory, hash_password
from shared.errors import SiviconError
from shared.revocations import revoke
from shared.roles import OFFICE_ROLES, ROLE_NAMES

log = logging.getLogger("sivicon.portal")
router = APIRouter(include_in_schema=False)

PROFILE_FIELDS = ("name", "role", "opd_code", "jabatan", "pangkat", "nip")


def _choices() -> dict[str, Any]:
    return {
        "roles": {role: ROLE_NAMES[role] for role in ACCOUNT_ROLES},
        "acting_roles": {role: ROLE_NAMES[role] for role in OFFICE_ROLES},
        "acting_kinds": ACTING_KINDS,
        "pangkat_list": PANGKAT,
    }


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
        values={k: v for k, v in values.items() if not k.startswith("password")},
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
        return _new_user_page(request, pages, session, values, errors, agencies, why)
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
        errors = {"username": refused.pesan}
        return _new_user_page(request, pages, session, values, errors, agencies, why)
    return done(f"/admin/pengguna/{username}", "dibuat")


def _nip_taken(directory: UserDirectory, nip: str, username: str) -> Errors:
    if not nip:
        return {}
    for other in directory.load().values():
        if other.nip.replace(" ", "") == nip.replace(" ", "") and other.username != username:
            return {"nip": f"NIP ini sudah dipakai oleh akun {other.username}"}
    return {}


def the_user(request: Request, username: str) -> User:
    user = directory_of(request).load().get(username)
    if user is None:
        raise PageRefused(404, f"Pengguna {username} tidak ditemukan.")
    return user


async def changed(
    request: Request, username: str, notice: str, *, sign_out: bool, **changes: Any
) -> Response:
    """Write the changes into the account and go back to its page with ``notice``; with
    ``sign_out`` the account's tokens are revoked in every service and its sessions end, so
    that nothing issued before can act as it was. The revocation is written first, so that when
    it cannot be nothing changes, and again after the change, so that a token issued by a
    sign-in between the two is refused as well."""
    if sign_out:
        await revoke_tokens(request, username)
    directory_of(request).update(username, **changes)
    if sign_out:
        sessions_of(request).end_for(username)
        await revoke_tokens(request, username)
    return done(f"/admin/pengguna/{username}", notice)


async def revoke_tokens(request: Request, username: str) -> None:
    """Every token of ``username`` issued until now is refused by every service from now."""
    nc = request.app.state.runtime.nc
    try:
        if nc is None or not nc.is_connected:
            raise ConnectionError("not connected to NATS")
        await revoke(nc.jetstream(), username, datetime.now(UTC))
    except Exception as exc:
        log.error("tokens of %s could not be revoked: %r", username, exc)
        raise PageRefused(
            503,
            f"Token akun {username} tidak dapat dicabut karena NATS tidak menjawab; "
            "ulangi perubahan ini sebentar lagi.",
        ) from exc


async def user_page_of(
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
    return await user_page_of(request, pages, session, the_user(request, username))


@router.post("/admin/pengguna/{username}")
async def update_user(
    username: str, request: Request, session: AdminPostDep, pages: PagesDep
) -> Response:
    """Change the name, role, agency, jabatan, pangkat/golongan or NIP of an account."""
    user = the_user(request, username)
    values = await form_values(request, *PROFILE_FIELDS)
    agencies, _ = await agencies_for(request, session)
    profile, errors = check_profile(values, agencies)
    directory = directory_of(request)
    errors.update(_nip_taken(directory, profile["nip"], username))
    if user.username == session.actor.username and profile["role"] != "admin":
        errors["role"] = "Anda tidak dapat mencabut peran Administrator dari akun Anda sendiri"
    if errors:
        return await user_page_of(
            request, pages, session, user, form="profil", values=values, errors=errors
        )
    changes: dict[str, Any] = {**profile, "opd_code": profile["opd_code"] or None}
    if profile["role"] not in OFFICE_ROLES:
        changes["acting_for"] = None  # only the office's officials act for one another
    return await changed(request, username, "diubah", sign_out=True, **changes)


@router.post("/admin/pengguna/{username}/kata-sandi")
async def reset_password(
    username: str, request: Request, session: AdminPostDep, pages: PagesDep
) -> Response:
    """Set a new temporary password for the account."""
    user = the_user(request, username)
    values = await form_values(request, "password", "password_again")
    errors = check_new_password(values["password"], values["password_again"], username)
    if errors:
        return await user_page_of(request, pages, session, user, form="sandi", errors=errors)
    password_hash = await asyncio.to_thread(hash_password, values["password"])
    return await changed(request, username, "sandi", sign_out=True, password_hash=password_hash)


@router.post("/admin/pengguna/{username}/status")
async def set_active(
    username: str, request: Request, session: AdminPostDep, pages: PagesDep
) -> Response:
    """Deactivate (no more signing in) or reactivate the account."""
    user = the_user(request, username)
    active = (await form_values(request, "aktif"))["aktif"] == "true"
    if not active and user.username == session.actor.username:
        errors = {"aktif": "Anda tidak dapat menonaktifkan akun Anda sendiri"}
        return await user_page_of(request, pages, session, user, form="status", errors=errors)
    notice = "aktif" if active else "nonaktif"
    return await changed(request, username, notice, sign_out=not active, active=active)
