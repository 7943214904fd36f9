"""The agencies (OPD) as intake keeps them, with their address (alamat) and e-mail: for the
administrator's list, and for any page that shows who asked (the office's case page)."""

from __future__ import annotations

from typing import Any

from services.portal.backend import Backend, Refusal
from services.portal.sessions import Session


def address_lines(address: str) -> list[str]:
    """An address's lines, without blank ones, as intake keeps them (a form sends ``\\r\\n``)."""
    return [line.strip() for line in address.splitlines() if line.strip()]


async def agency_details(backend: Backend, session: Session) -> list[dict[str, Any]]:
    """Every agency with its code, name, address and e-mail, by code (raises :class:`Refusal`)."""
    listed: list[dict[str, Any]] = await backend.get(session, "intake", "/api/v1/agencies/details")
    return listed


async def agency_contact(
    backend: Backend, session: Session, opd_code: str
) -> tuple[dict[str, Any] | None, str]:
    """One agency's code, name, address and e-mail, for a page that can do without them:
    ``(None, "")`` when intake does not know the code, ``(None, why)`` when intake refused or
    could not be reached. Show it with ``_opd.html``'s ``kontak`` macro."""
    try:
        agency = await backend.get_or_none(session, "intake", f"/api/v1/agencies/{opd_code}")
    except Refusal as refusal:
        return None, refusal.pesan
    return agency, ""
