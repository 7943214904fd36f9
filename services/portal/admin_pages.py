"""The administrator's pages: the accounts (with their Plt/Plh appointments), the scheduler's
Zoom host accounts, and the agencies (OPD) known to intake.

Only the ``admin`` role opens them. The accounts live in the portal's own user directory; host
accounts and agencies belong to the scheduler and intake, which the pages call as the signed-in
administrator, so that each service still decides (and its refusal is shown as it says it).
This module holds the administrator's home page and gathers the routers of the pages for each
concept into one ``router`` for the composition root.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal import (
    admin_agencies,
    admin_appointments,
    admin_calendar,
    admin_host_accounts,
    admin_users,
)
from services.portal.admin_common import AdminDep
from services.portal.state import PagesDep

router = APIRouter(include_in_schema=False)


@router.get("/admin")
async def admin_home(request: Request, session: AdminDep, pages: PagesDep) -> Response:
    return pages.render(request, "admin/index.html", session)


router.include_router(admin_users.router)
router.include_router(admin_appointments.router)
router.include_router(admin_host_accounts.router)
router.include_router(admin_agencies.router)
router.include_router(admin_calendar.router)
