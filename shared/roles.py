"""The roles of the procedure and of the system, with their names as the office says them.

The one place for role codes, their Indonesian names and which role an actor acts in; the event
contract (:class:`shared.events.Actor`), the role checks and every page take them from here.
"""

from __future__ import annotations

from typing import Literal, Protocol

Role = Literal[
    "opd", "kadis", "kabid", "subkoordinator", "staf", "operator", "auditor", "admin", "system"
]

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

# The office's officials who work the procedure (steps 2 to 9), from the head down.
OFFICE_ROLES = ("kadis", "kabid", "subkoordinator", "staf")


class _Acting(Protocol):
    @property
    def role(self) -> str: ...

    @property
    def on_behalf_of(self) -> str | None: ...


def effective_role(actor: _Acting) -> str:
    """The role whose authority the actor exercises: the one an acting official (Plt/Plh) holds
    (``on_behalf_of``), otherwise their own (an :class:`~shared.events.Actor`)."""
    return actor.on_behalf_of or actor.role
