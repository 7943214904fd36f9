"""Who may read what: one table for every service, and the FastAPI dependencies that apply it.

The office's officials, the operator, the auditor (Inspektorat) and the administrator read every
request, case, meeting and letter; an OPD reads only its own agency's, and a letter only once it
was sent. A service checks the kind at the door (:func:`reader_of`) and the owner once it has
loaded the object (:func:`check_owner`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import Depends

from shared.errors import Forbidden
from shared.events import Actor
from shared.httpapi import current_actor
from shared.roles import OFFICE_ROLES, ROLE_NAMES, effective_role

Readable = Literal["request", "case", "meeting", "letter", "host_account"]

_EVERY_RECORD = frozenset({*OFFICE_ROLES, "operator", "auditor", "admin"})

READERS: dict[Readable, frozenset[str]] = {
    "request": _EVERY_RECORD | {"opd"},
    "case": _EVERY_RECORD | {"opd"},
    "meeting": _EVERY_RECORD | {"opd"},
    "letter": _EVERY_RECORD | {"opd"},
    "host_account": _EVERY_RECORD,
}
"""For each kind of record, the roles that may read it at all."""

OWN_AGENCY_ONLY = frozenset({"opd"})
"""The roles that read a record only when it belongs to their own agency."""

_NAMES: dict[Readable, tuple[str, str]] = {
    "request": ("requests", "permohonan"),
    "case": ("cases", "kasus"),
    "meeting": ("meetings", "rapat"),
    "letter": ("letters", "surat"),
    "host_account": ("host accounts", "akun host Zoom"),
}


def may_read(actor: Actor, kind: Readable, owner_opd: str | None = None) -> bool:
    role = effective_role(actor)
    if role not in READERS[kind]:
        return False
    return role not in OWN_AGENCY_ONLY or (owner_opd is not None and actor.opd_code == owner_opd)


def check_kind(actor: Actor, kind: Readable) -> None:
    """Refuse (403 ``wrong_role``) a role that may read no record of this kind."""
    role = effective_role(actor)
    if role not in READERS[kind]:
        english, indonesian = _NAMES[kind]
        raise Forbidden(
            f"{english} are not readable in the role {role}",
            f"{ROLE_NAMES.get(role, role)} tidak berwenang membaca {indonesian}",
            code="wrong_role",
        )


def check_owner(actor: Actor, kind: Readable, owner_opd: str | None) -> None:
    """Refuse (403 ``wrong_agency``) a record of another agency to a role that reads its own."""
    check_kind(actor, kind)
    if not may_read(actor, kind, owner_opd):
        english, indonesian = _NAMES[kind]
        raise Forbidden(
            f"these {english} belong to another agency",
            f"{indonesian} ini milik OPD lain",
            code="wrong_agency",
        )


def reader_of(kind: Readable) -> Callable[[Actor], Actor]:
    """A dependency: the caller, once their role may read records of ``kind``."""

    def dependency(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        check_kind(actor, kind)
        return actor

    return dependency


RequestReader = Annotated[Actor, Depends(reader_of("request"))]
CaseReader = Annotated[Actor, Depends(reader_of("case"))]
MeetingReader = Annotated[Actor, Depends(reader_of("meeting"))]
LetterReader = Annotated[Actor, Depends(reader_of("letter"))]
HostAccountReader = Annotated[Actor, Depends(reader_of("host_account"))]
