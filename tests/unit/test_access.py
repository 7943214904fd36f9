"""The one read-access table: who reads which kind of record, and an agency only its own."""

from __future__ import annotations

import pytest

from shared.access import READERS, check_kind, check_owner, may_read
from shared.errors import Forbidden
from shared.events import Actor

KINDS = list(READERS)


def actor(role: str, opd_code: str | None = None, on_behalf_of: str | None = None) -> Actor:
    return Actor(
        username=role, name=role.title(), role=role, opd_code=opd_code, on_behalf_of=on_behalf_of
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "role", ["kadis", "kabid", "subkoordinator", "staf", "operator", "auditor", "admin"]
)
@pytest.mark.parametrize("kind", KINDS)
def test_the_office_the_operator_the_auditor_and_the_admin_read_every_record(
    role: str, kind: str
) -> None:
    reader = actor(role)
    assert may_read(reader, kind, "DINKES")  # type: ignore[arg-type]
    check_owner(reader, kind, "DINKES")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["request", "case", "meeting", "letter"])
def test_an_agency_reads_its_own_records_and_not_another_agencys(kind: str) -> None:
    dinkes = actor("opd", opd_code="DINKES")
    assert may_read(dinkes, kind, "DINKES")  # type: ignore[arg-type]
    assert not may_read(dinkes, kind, "DISDIK")  # type: ignore[arg-type]
    with pytest.raises(Forbidden) as refused:
        check_owner(dinkes, kind, "DISDIK")  # type: ignore[arg-type]
    assert refused.value.code == "wrong_agency"
    assert "milik OPD lain" in refused.value.pesan


def test_an_agency_reads_no_host_accounts_and_a_system_actor_reads_nothing() -> None:
    with pytest.raises(Forbidden) as refused:
        check_kind(actor("opd", opd_code="DINKES"), "host_account")
    assert refused.value.code == "wrong_role"
    for kind in KINDS:
        with pytest.raises(Forbidden):
            check_kind(actor("system"), kind)  # type: ignore[arg-type]
