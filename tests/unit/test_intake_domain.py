from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.intake.domain import (
    AgencyRegistry,
    AgendaBook,
    Request,
    format_agenda_number,
    request_id_for,
)
from shared.errors import ClosedCase, Forbidden, InvalidInput, OutOfOrder


def _request(opd: str = "DINKES") -> Request:
    return Request(
        request_id=uuid4(),
        opd_code=opd,
        opd_name="Dinas Kesehatan",
        channel="http",
        client_ref=None,
        fingerprint="f",
        requester={},
        letter={},
        meeting={},
        submitted_by={"opd_code": opd},
        agenda_year=2026,
        agenda_seq=1,
        agenda_number=format_agenda_number(2026, 1),
    )


def test_agenda_numbers_follow_each_other_without_gaps() -> None:
    book = AgendaBook(2026)
    numbers = []
    for _ in range(3):
        book.take_number(uuid4())
        numbers.append(book.next_number())
    assert numbers == [(1, "VC/2026/0001"), (2, "VC/2026/0002"), (3, "VC/2026/0003")]
    assert AgendaBook.create_id(2026) == AgendaBook(2026).id
    assert AgendaBook.create_id(2027) != AgendaBook.create_id(2026)


def test_the_same_client_reference_names_the_same_request() -> None:
    assert request_id_for("DINKES", "A-1") == request_id_for("DINKES", "A-1")
    assert request_id_for("DINKES", "A-1") != request_id_for("DISDIK", "A-1")


def test_only_the_requesting_agency_withdraws_and_only_once() -> None:
    request = _request()
    with pytest.raises(Forbidden):
        request.withdraw("batal", {"opd_code": "DISDIK"})
    with pytest.raises(InvalidInput):
        request.withdraw("  ", {"opd_code": "DINKES"})
    request.withdraw("acara ditunda", {"opd_code": "DINKES"})
    assert request.withdrawn == {"reason": "acara ditunda", "by": {"opd_code": "DINKES"}}
    with pytest.raises(OutOfOrder):
        request.withdraw("lagi", {"opd_code": "DINKES"})


def test_once_the_case_is_closed_the_request_cannot_be_withdrawn() -> None:
    request = _request()
    assert request.note_case_closed("schedule_full", datetime(2026, 12, 1, tzinfo=UTC))
    assert not request.note_case_closed("schedule_full", datetime(2026, 12, 2, tzinfo=UTC))
    with pytest.raises(Forbidden):  # another agency is still told it is not theirs
        request.withdraw("batal", {"opd_code": "DISDIK"})
    with pytest.raises(ClosedCase, match="schedule_full"):
        request.withdraw("acara ditunda", {"opd_code": "DINKES"})
    assert request.withdrawn is None
    assert request.status == "closed"


def test_agency_codes_are_checked() -> None:
    registry = AgencyRegistry()
    registry.register("dinkes", "Dinas Kesehatan")
    assert registry.agencies == {"DINKES": "Dinas Kesehatan"}
    with pytest.raises(InvalidInput):
        registry.register("DIN KES", "x")
    with pytest.raises(InvalidInput):
        registry.register("DISDIK", " ")
