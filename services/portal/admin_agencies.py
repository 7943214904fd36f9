"""The administrator's pages for the agencies (OPD) known to intake: the list, registering a new
code, and giving a registered code a new name (adding never renames).
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.admin_common import (
    AdminDep,
    AdminPostDep,
    agencies_for,
    done,
    form_page,
    form_values,
    send,
)
from services.portal.admin_rules import Errors
from services.portal.backend import Refusal
from services.portal.sessions import Session
from services.portal.state import PagesDep
from services.portal.templating import Pages

router = APIRouter(include_in_schema=False)


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
    agencies, load_error = await agencies_for(request, session)
    if values is None:
        values = {"code": "", "name": ""}
        code = request.query_params.get("ubah", "").upper()
        if agencies and code in agencies:
            values, editing = {"code": code, "name": agencies[code]}, True
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
    return errors


@router.post("/admin/opd")
async def save_agency(request: Request, session: AdminPostDep, pages: PagesDep) -> Response:
    """Register an agency with intake, or give a registered code a new name."""
    form = await form_values(request, "code", "name", "ubah")
    values = {"code": form["code"].strip().upper(), "name": form["name"].strip()}
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
