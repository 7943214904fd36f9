"""Who may open the agency's request pages, and how a refusal reads there: only an OPD, and a
record the services refuse (another agency's request, letter or PDF, or none at all) is shown
with the same words either way, so that nothing about other agencies leaks. The services decide
what this user may see; these pages only say it."""

from __future__ import annotations

from uuid import UUID

from services.portal.backend import Refusal
from services.portal.sessions import Session
from services.portal.signin import PageRefused

NOT_FOUND = "Permohonan atau dokumen ini tidak ditemukan, atau bukan milik OPD Anda."


def opd_only(session: Session) -> None:
    if session.actor.role != "opd":
        raise PageRefused(403, "Halaman ini untuk OPD pemohon. Buka daftar kasus dari menu.")


def request_id_of(raw: str) -> UUID:
    """The request's ID from the URL; one that is not an ID is a record that is not found."""
    try:
        return UUID(raw)
    except ValueError:
        raise PageRefused(404, NOT_FOUND) from None


def refused_page(refusal: Refusal) -> PageRefused:
    """A service's refusal to show a record: the same words whether it does not exist or is
    another agency's, so that nothing about other agencies leaks."""
    if refusal.status in (403, 404):
        return PageRefused(refusal.status, NOT_FOUND)
    return PageRefused(refusal.status if refusal.status >= 500 else 502, refusal.pesan)
