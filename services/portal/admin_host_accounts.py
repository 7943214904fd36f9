"""The administrator's pages for the scheduler's licensed Zoom host accounts: the list, registering
one (checked here with messages in Indonesian before the scheduler decides), and taking one out
of the schedule or back into it.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.admin_common import AdminDep, AdminPostDep, done, form_page, form_values, send
from services.portal.admin_rules import Errors
from services.portal.backend import Refusal
from services.portal.sessions import Session
from services.portal.state import PagesDep, backend_of
from services.portal.templating import Pages
from shared.validation import EMAIL_PATTERN

router = APIRouter(include_in_schema=False)

HOST_FIELDS = ("id", "name", "email", "capacity", "concurrent", "active")
HOST_CAPACITIES = (100, 300, 500, 1000)
HOST_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


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
    refusal: Refusal | None = None,
) -> Response:
    hosts: list[dict[str, Any]] = []
    load_error = ""
    try:
        hosts = await backend_of(request).get(session, "scheduler", "/api/v1/host-accounts")
    except Refusal as unread:
        load_error = unread.pesan
    return form_page(
        request,
        pages,
        session,
        "admin/akun_host.html",
        values=values or {"capacity": "100", "concurrent": "1", "active": "true"},
        errors=errors,
        refusal=refusal,
        hosts=hosts,
        load_error=load_error,
        capacities=HOST_CAPACITIES,
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
        return await _hosts_page(request, pages, session, values=values, errors=errors)
    if refusal := await send(request, session, "POST", "scheduler", "/api/v1/host-accounts", body):
        taken = {"id": "kode ini sudah dipakai"} if refusal.code == "already_exists" else {}
        return await _hosts_page(
            request, pages, session, values=values, errors=taken, refusal=refusal
        )
    return done("/admin/akun-host", "host-didaftarkan")


@router.post("/admin/akun-host/{host_id}/status")
async def set_host_active(
    host_id: str, request: Request, session: AdminPostDep, pages: PagesDep
) -> Response:
    """Take a host account out of the schedule, or back into it."""
    active = (await form_values(request, "aktif"))["aktif"] == "true"
    path = f"/api/v1/host-accounts/{host_id}"
    if refusal := await send(request, session, "PATCH", "scheduler", path, {"active": active}):
        return await _hosts_page(request, pages, session, refusal=refusal)
    return done("/admin/akun-host", "host-diubah")
