"""The roles of the procedure and of the system, with their names as the office says them."""

from __future__ import annotations

from typing import Any

ROLE_NAMES: dict[str, str] = {
    "opd": "Kepala OPD Pemohon",
    "kadis": "Kepala Dinas",
    "kabid": "Kepala Bidang Aplikasi dan Informatika",
    "subkoordinator": "Sub Koordinator Pengelolaan e-Government",
    "staf": "Staf",
    "operator": "Operator",
    "auditor": "Auditor",
    "admin": "Administrator",
    "system": "Sistem",
}


# The scheduler as the actor of what it does on its own (a slot check, the cancellation of a
# withdrawn case's meeting), in the shape of ``shared.events.Actor``.
SCHEDULER_ACTOR: dict[str, Any] = {
    "username": "scheduler",
    "name": "Sistem penjadwalan",
    "role": "system",
    "on_behalf_of": None,
    "opd_code": None,
}
