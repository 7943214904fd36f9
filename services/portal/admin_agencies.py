"""The administrator's pages for the agencies (OPD) known to intake: the list with each one's
address (alamat) and e-mail, registering a new code, and changing a registered code's name,
address and e-mail (adding never renames).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.admin_common import (
    AdminDep,
    AdminPostDep,
    done,
    form_page,
    form_values,
    send,
)
from services.portal.admin_rules import Errors
from services.portal.agencies import address_lines, agency_details
from services.portal.backend import Refusal
from services.portal.sessions import Session
from services.portal.state import PagesDep, backend_of
from services.portal.templating import Pages
from shared.validation import EMAIL_PATTERN

router = APIRouter(include_in_schema=False)

FIELDS = ("code", "name", "address", "email")
MAX_ADDRESS = 500  # intake's limit (``services.intake.domain.MAX_ADDRESS``), blank lines left out
MAX_EMAIL = 200  # intake's ``AgencyIn.email``


async def _agencies(
    request: Request, session: Session
) -> tuple[dict[str, dict[str, Any]] | None, str]:
    """The agencies with their details by code, or ``None`` and why they could not be read."""
    try:
        listed = await agency_details(backend_of(request), session)
    except Refusal as refusal:
        return None, refusal.pesan
    return {agency["code"]: agency for agency in listed}, ""


async def _agencies_page(
    request: Request,
    pages: Pages,
    session: Session,
    *,
    values: dict[str, str] | None = None,
    editing: bool = False,
    errors: Errors | None = None,
    refusal: Refusal | None = None,
) -> Response:
    agencies, load_error = await _agencies(request, session)
    if values is None:
        values = dict.fromkeys(FIELDS, "")
        code = request.query_params.get("ubah", "").upper()
        if agencies and code in agencies:
            values, editing = {name: agencies[code][name] for name in FIELDS}, True
    return form_page(
        request,
        pages,
        session,
        "admin/opd.html",
        values=values,
        errors=errors,
        refusal=refusal,
        agencies=agencies or {},
        load_error=load_error,
        editing=editing,
        max_address=MAX_ADDRESS,
    )


@router.get("/admin/opd")
async def agencies_page(request: Request, session: AdminDep, pages: PagesDep) -> Response:
    return await _agencies_page(request, pages, session)


async def _check_agency(
    request: Request, session: Session, values: dict[str, str], editing: bool
) -> Errors:
    errors: Errors = {}
    if not re.fullmatch(r"[A-Z0-9]{2,20}", values["code"]):
        errors["code"] = "kode OPD harus 2 sampai 20 huruf atau angka, mis. DINKES"
    elif not editing:
        # Intake registers a known code again with the new details: adding must not rename.
        known, _ = await _agencies(request, session)
        if known and values["code"] in known:
            errors["code"] = (
                f"kode ini sudah terdaftar untuk {known[values['code']]['name']}; pilih Ubah"
            )
    if not values["name"]:
        errors["name"] = "nama OPD wajib diisi"
    elif len(values["name"]) > 200:
        errors["name"] = "nama OPD paling panjang 200 karakter"
    if len(values["address"]) > MAX_ADDRESS:
        errors["address"] = f"alamat paling panjang {MAX_ADDRESS} karakter"
    email = values["email"]
    if email and (not re.match(EMAIL_PATTERN, email) or len(email) > MAX_EMAIL):
        errors["email"] = "alamat e-mail tidak valid, mis. dinsos@tarakankota.go.id"
    return errors


@router.post("/admin/opd")
async def save_agency(request: Request, session: AdminPostDep, pages: PagesDep) -> Response:
    """Register an agency with intake, or change a registered code's name, address and e-mail."""
    form = await form_values(request, *FIELDS, "ubah")
    values = {
        "code": form["code"].strip().upper(),
        "name": form["name"].strip(),
        "address": "\n".join(address_lines(form["address"])),
        "email": form["email"].strip(),
    }
    editing = form["ubah"] == "true"
    if errors := await _check_agency(request, session, values, editing):
        return await _agencies_page(
            request, pages, session, values=values, editing=editing, errors=errors
        )
    if refusal := await send(request, session, "POST", "intake", "/api/v1/agencies", values):
        return await _agencies_page(
            request, pages, session, values=values, editing=editing, refusal=refusal
        )
    return done("/admin/opd", "opd-disimpan")
