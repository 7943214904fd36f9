"""The administrator's pages for a Plt/Plh appointment: an official of the office appointed to act
for another role (Pelaksana Tugas or Pelaksana Harian) from a first day to a last day or open,
and withdrawing it. The form stands on the account's page (:mod:`admin_users`). A changed or
withdrawn appointment signs the account out and revokes its tokens: none acts for a role the
account no longer holds.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.admin_common import AdminPostDep, form_values
from services.portal.admin_rules import check_appointment
from services.portal.admin_users import changed, the_user, user_page_of
from services.portal.state import PagesDep

router = APIRouter(include_in_schema=False)


@router.post("/admin/pengguna/{username}/penunjukan")
async def appoint(
    username: str, request: Request, session: AdminPostDep, pages: PagesDep
) -> Response:
    """Appoint the account as Plt/Plh of a role, from a first day to a last day (or open)."""
    user = the_user(request, username)
    values = await form_values(request, "acting_for", "acting_kind", "acting_from", "acting_until")
    appointment, errors = check_appointment(values, user.role)
    if appointment is None:
        return await user_page_of(
            request, pages, session, user, form="penunjukan", values=values, errors=errors
        )
    acting_for, kind, start, end = appointment
    appointed = dict(acting_for=acting_for, acting_kind=kind, acting_from=start, acting_until=end)
    return await changed(request, username, "penunjukan", sign_out=True, **appointed)


@router.post("/admin/pengguna/{username}/penunjukan/hapus")
async def end_appointment(username: str, request: Request, session: AdminPostDep) -> Response:
    """Withdraw the account's Plt/Plh appointment."""
    the_user(request, username)
    withdrawn = dict(acting_for=None, acting_kind="Plt", acting_from=None, acting_until=None)
    return await changed(request, username, "penunjukan-dihapus", sign_out=True, **withdrawn)
