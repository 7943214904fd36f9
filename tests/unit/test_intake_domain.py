from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from services.intake.domain import (
    MAX_ADDRESS,
    REGISTRATION,
    AgencyRegistry,
    AgendaBook,
    Request,
    format_agenda_number,
    request_id_for,
)
from services.intake.values import Agency, Letter, Meeting, Requester, Withdrawal
from shared.errors import ClosedCase, Forbidden, InvalidInput, OutOfOrder
from tests.builders import person

START = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


def _request(opd: str = "DINKES") -> Request:
    return Request.register(
        uuid4(),
        opd_code=opd,
        opd_name="Dinas Kesehatan",
        channel="http",
        client_ref=None,
        fingerprint="f",
        requester=Requester("dr. Sri Wahyuni", "Kepala Dinas", "+62 811", "a@b.go.id"),
        letter=Letter("800/412/DINKES", date(2026, 11, 27), "Permohonan"),
        meeting=Meeting("Rapat", START, START + timedelta(hours=2), 150),
        submitted_by=person("opd", opd_code=opd),
        agenda=(2026, 1, format_agenda_number(2026, 1)),
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
        request.withdraw("batal", person("opd", opd_code="DISDIK"))
    with pytest.raises(InvalidInput):
        request.withdraw("  ", person("opd"))
    request.withdraw("acara ditunda", person("opd"))
    assert request.withdrawn == Withdrawal("acara ditunda", person("opd"))
    assert request.status == "withdrawn"
    with pytest.raises(OutOfOrder):
        request.withdraw("lagi", person("opd"))


def test_once_the_case_is_closed_the_request_cannot_be_withdrawn() -> None:
    request = _request()
    assert request.note_case_closed("schedule_full", datetime(2026, 12, 1, tzinfo=UTC))
    assert not request.note_case_closed("schedule_full", datetime(2026, 12, 2, tzinfo=UTC))
    with pytest.raises(Forbidden):  # another agency is still told it is not theirs
        request.withdraw("batal", person("opd", opd_code="DISDIK"))
    with pytest.raises(ClosedCase, match="schedule_full"):
        request.withdraw("acara ditunda", person("opd"))
    assert request.withdrawn is None
    assert request.status == "closed"


def test_agency_codes_are_checked() -> None:
    registry = AgencyRegistry()
    registry.register("dinkes", "Dinas Kesehatan")
    assert registry.agencies == {"DINKES": Agency("DINKES", "Dinas Kesehatan")}
    with pytest.raises(InvalidInput):
        registry.register("DIN KES", "x")
    with pytest.raises(InvalidInput):
        registry.register("DISDIK", " ")


def test_the_registration_is_answered_again_as_it_was_recorded() -> None:
    request = _request()
    request.withdraw("acara ditunda", person("opd"))
    request.repeat_answer("A-1/2")
    submitted, *_, repeated = request.collect_events()
    recorded = {name: getattr(submitted, name) for name in REGISTRATION}
    assert repeated.registration == recorded  # type: ignore[attr-defined]
    assert recorded["meeting"]["start"] == "2026-12-03T01:00:00+00:00"
    assert recorded["letter"] == {
        "number": "800/412/DINKES",
        "date": "2026-11-27",
        "subject": "Permohonan",
        "document_sha256": None,
    }


def test_an_agency_keeps_its_address_and_e_mail_until_they_are_changed() -> None:
    registry = AgencyRegistry()
    registry.register("DINSOS", "Dinas Sosial", " Jl. Mulawarman No. 1 \r\n\r\nTarakan ", "")
    assert registry.agencies["DINSOS"].address == "Jl. Mulawarman No. 1\nTarakan"
    registry.register("DINSOS", "Dinas Sosial dan PM")  # renamed by a client that knows no address
    registry.register("DINSOS", "Dinas Sosial dan PM", email="dinsos@tarakankota.go.id")
    assert registry.agencies["DINSOS"] == Agency(
        "DINSOS", "Dinas Sosial dan PM", "Jl. Mulawarman No. 1\nTarakan", "dinsos@tarakankota.go.id"
    )
    registry.register("DINSOS", "Dinas Sosial dan PM", address="", email="")
    assert registry.agencies["DINSOS"] == Agency("DINSOS", "Dinas Sosial dan PM")
    registered = [e for e in registry.collect_events() if isinstance(e, AgencyRegistry.Registered)]
    assert len(registered) == 4
    registry.register("DINSOS", "Dinas Sosial dan PM", "", "")  # nothing changes: nothing recorded
    assert registry.collect_events() == []


def test_an_agency_s_e_mail_and_address_are_checked_in_both_languages() -> None:
    registry = AgencyRegistry()
    with pytest.raises(InvalidInput) as bad_email:
        registry.register("DINSOS", "Dinas Sosial", email="dinsos at tarakankota")
    assert bad_email.value.pesan == "alamat e-mail OPD 'dinsos at tarakankota' tidak valid"
    assert bad_email.value.details == [{"field": "email", "message": "not an e-mail address"}]
    with pytest.raises(InvalidInput) as long_address:
        registry.register("DINSOS", "Dinas Sosial", address="x" * (MAX_ADDRESS + 1))
    assert long_address.value.pesan == f"alamat OPD paling panjang {MAX_ADDRESS} karakter"
    registry.register("DINSOS", "Dinas Sosial", address="x\n\n" * (MAX_ADDRESS // 2))
    assert "DINSOS" in registry.agencies  # blank lines are not counted: they are not kept
