"""The office's case pages over the real system, as a browser without JavaScript uses them:
signing in through the /masuk form, reading the inbox, disposing through the page's form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.launcher import System
from tests.e2e.harness import User, demo_password, file_request, login, wait_until

WITA = "+08:00"


@pytest.fixture(scope="module")
def portal(system: System) -> str:
    return system.urls["portal"]


@contextmanager
def browser(portal: str, username: str) -> Iterator[httpx.Client]:
    """A signed-in browser: the session cookie from the /masuk form."""
    with httpx.Client(base_url=portal, timeout=30) as client:
        answer = client.post("/masuk", data={"username": username, "password": demo_password()})
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/kasus"
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    return match.group(1)


def future_slot(days: int, hour: int) -> tuple[str, str]:
    day = (datetime.now(UTC) + timedelta(days=days)).date().isoformat()
    return f"{day}T{hour:02d}:00:00{WITA}", f"{day}T{hour + 2:02d}:00:00{WITA}"


def history(user: User, case_id: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = user.ok(
        "GET", "disposition", f"/api/v1/cases/{case_id}/history"
    )["records"]
    return records


def dispositions_at(user: User, case_id: str, step: int) -> list[dict[str, Any]]:
    return [
        r for r in history(user, case_id) if r["kind"] == "disposition" and r["sop_step"] == step
    ]


@pytest.fixture(scope="module")
def filed(system: System) -> dict[str, str]:
    """Two requests, each opened as a case: their IDs and agenda numbers."""
    opd = login(system, "opd.dinkes")
    first = file_request(opd, start=future_slot(20, 9)[0], end=future_slot(20, 9)[1])
    second = file_request(
        opd,
        start=future_slot(21, 13)[0],
        end=future_slot(21, 13)[1],
        topic="Sosialisasi Stunting",
    )
    auditor = login(system, "auditor")

    def opened() -> bool:
        return all(
            auditor.call("GET", "disposition", f"/api/v1/cases/{c}").status_code == 200
            for c in (first, second)
        )

    wait_until(opened, what="both cases opened")
    agenda = {
        c: opd.ok("GET", "intake", f"/api/v1/requests/{c}")["agenda_number"]
        for c in (first, second)
    }
    return {
        "first": first,
        "second": second,
        "first_agenda": agenda[first],
        "second_agenda": agenda[second],
    }


def test_kadis_disposes_to_kabid_through_the_page_and_a_second_post_changes_nothing(
    system: System, portal: str, filed: dict[str, str]
) -> None:
    case_id = filed["first"]
    auditor = login(system, "auditor")
    with browser(portal, "kadis") as kadis:
        inbox = wait_until(
            lambda: (
                (answer := kadis.get("/kasus")).status_code == 200
                and f'href="/kasus/{case_id}"' in answer.text
                and answer
            ),
            what="the case in the Kadis's inbox",
        )
        assert "Kasus menunggu tindakan Anda" in inbox.text
        assert f'href="/kasus/{case_id}"' in inbox.text
        assert filed["first_agenda"] in inbox.text
        assert 'class="cards kasus-list"' in inbox.text

        page = kadis.get(f"/kasus/{case_id}")
        assert page.status_code == 200
        assert f'action="/kasus/{case_id}/disposisi"' in page.text
        assert f'src="/kasus/{case_id}/surat-permohonan"' in page.text
        letter = kadis.get(f"/kasus/{case_id}/surat-permohonan")
        assert letter.status_code == 200
        assert letter.headers["content-type"] == "application/pdf"
        assert letter.content.startswith(b"%PDF")

        form = {
            "csrf": csrf_of(page.text),
            "langkah": "2",
            "to_role": "kabid",
            "instruksi": ["Untuk ditindaklanjuti", "Koordinasikan/konfirmasikan"],
            "instruksi_lain": "Mohon segera",
            "catatan": "Rapat penting bagi Dinkes",
            "sifat": "segera",
        }
        sent = kadis.post(f"/kasus/{case_id}/disposisi", data=form)
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/kasus/{case_id}?hasil=terdisposisi"
        after = kadis.get(sent.headers["location"])
        assert "Disposisi tercatat" in after.text
        assert "Langkah 3" in after.text
        assert f'action="/kasus/{case_id}/disposisi"' not in after.text

        [record] = dispositions_at(auditor, case_id, 2)
        assert record["to_role"] == "kabid"
        assert record["instruction"] == (
            "Untuk ditindaklanjuti; Koordinasikan/konfirmasikan; Mohon segera"
        )
        assert record["note"] == "Rapat penting bagi Dinkes"
        assert record["sifat"] == "segera"

        again = kadis.post(f"/kasus/{case_id}/disposisi", data=form)
        assert again.status_code == 200, "a form sent twice is not an error page"
        assert "Sudah diproses" in again.text
        assert "giliran Kepala Bidang" in again.text
        assert len(dispositions_at(auditor, case_id, 2)) == 1

        assert f'href="/kasus/{case_id}"' not in kadis.get("/kasus").text

    with browser(portal, "kabid") as kabid:
        inbox = kabid.get("/kasus")
        assert f'href="/kasus/{case_id}"' in inbox.text
        page = kabid.get(f"/kasus/{case_id}")
        assert "Kepala Dinas mendisposisi permohonan kepada Kepala Bidang" in page.text
        assert "Instruksi: Untuk ditindaklanjuti" in page.text
        assert f'action="/kasus/{case_id}/disposisi"' in page.text
        sheet = kabid.get(f"/kasus/{case_id}/lembar-disposisi")
        assert sheet.status_code == 200
        assert "LEMBAR DISPOSISI" in sheet.text
        assert filed["first_agenda"] in sheet.text
        assert "Untuk ditindaklanjuti" in sheet.text
        pdf = kabid.get(f"/kasus/{case_id}/lembar-disposisi", params={"format": "pdf"})
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")


def test_a_disposition_without_its_csrf_token_is_refused_and_changes_nothing(
    system: System, portal: str, filed: dict[str, str]
) -> None:
    case_id = filed["second"]
    with browser(portal, "kadis") as kadis:
        refused = kadis.post(
            f"/kasus/{case_id}/disposisi",
            data={"langkah": "2", "to_role": "kabid", "sifat": "biasa"},
        )
        assert refused.status_code == 403
        assert "Formulir ini sudah tidak berlaku" in refused.text
    assert dispositions_at(login(system, "auditor"), case_id, 2) == []


def test_the_auditor_reads_every_case_and_is_offered_no_action(
    system: System, portal: str, filed: dict[str, str]
) -> None:
    with browser(portal, "auditor") as auditor:
        inbox = auditor.get("/kasus")
        assert inbox.status_code == 200
        assert "Semua kasus" in inbox.text
        assert "menunggu tindakan" not in inbox.text
        for case_id in (filed["first"], filed["second"]):
            assert f'href="/kasus/{case_id}"' in inbox.text
            page = auditor.get(f"/kasus/{case_id}")
            assert page.status_code == 200
            assert "/disposisi" not in page.text
            assert 'method="post" action="/kasus' not in page.text
        archive = auditor.get("/kasus", params={"tab": "arsip"})
        assert archive.status_code == 200
        assert f'href="/kasus/{filed["first"]}"' not in archive.text


def test_filters_narrow_the_list_and_an_htmx_call_gets_the_list_alone(
    system: System, portal: str, filed: dict[str, str]
) -> None:
    first, second = f'href="/kasus/{filed["first"]}"', f'href="/kasus/{filed["second"]}"'
    with browser(portal, "auditor") as auditor:
        by_agenda = auditor.get("/kasus", params={"q": filed["second_agenda"]}).text
        assert second in by_agenda
        assert first not in by_agenda
        by_topic = auditor.get("/kasus", params={"q": "stunting"}).text
        assert second in by_topic
        assert first not in by_topic
        assert second in auditor.get("/kasus", params={"langkah": "2"}).text
        by_step = auditor.get("/kasus", params={"langkah": "9"}).text
        assert second not in by_step
        assert first not in by_step
        day = future_slot(20, 9)[0][:10]
        by_date = auditor.get("/kasus", params={"tanggal": day}).text
        assert first in by_date
        assert second not in by_date
        by_agency = auditor.get("/kasus", params={"opd": "tidak ada instansi ini"}).text
        assert first not in by_agency
        assert second not in by_agency
        assert "Tidak ada kasus yang cocok" in by_agency
        wrong = auditor.get("/kasus", params={"tanggal": "besok"})
        assert wrong.status_code == 200
        assert "Tanggal tidak dikenali" in wrong.text

        partial = auditor.get(
            "/kasus",
            params={"q": filed["second_agenda"]},
            headers={"HX-Request": "true", "HX-Target": "daftar"},
        )
        assert partial.status_code == 200
        assert "<html" not in partial.text
        assert second in partial.text
        assert first not in partial.text


def test_the_sub_coordinator_disposes_to_staff_with_the_slot_check_in_view(
    system: System, portal: str, filed: dict[str, str]
) -> None:
    case_id = filed["first"]
    auditor = login(system, "auditor")
    if not dispositions_at(auditor, case_id, 2):
        login(system, "kadis").dispose(case_id, "kabid")
    with browser(portal, "kabid") as kabid:
        page = kabid.get(f"/kasus/{case_id}")
        sent = kabid.post(
            f"/kasus/{case_id}/disposisi",
            data={
                "csrf": csrf_of(page.text),
                "langkah": "3",
                "to_role": "subkoordinator",
                "sifat": "biasa",
            },
        )
        assert sent.status_code == 303
    with browser(portal, "subko") as subko:
        page = wait_until(
            lambda: (
                (answer := subko.get(f"/kasus/{case_id}")).status_code == 200
                and 'name="langkah" value="4"' in answer.text
                and answer
            ),
            what="the slot check on the Sub-coordinator's page",
        )
        assert "Tersedia" in page.text
        assert 'name="to_role" value="staf"' in page.text
        assert 'value="opd"' not in page.text
        sent = subko.post(
            f"/kasus/{case_id}/disposisi",
            data={
                "csrf": csrf_of(page.text),
                "langkah": "4",
                "to_role": "staf",
                "instruksi": "Proses lebih lanjut",
                "sifat": "segera",
            },
        )
        assert sent.status_code == 303
    [record] = dispositions_at(auditor, case_id, 4)
    assert record["to_role"] == "staf"
    with browser(portal, "staf") as staf:
        page = staf.get(f"/kasus/{case_id}")
        assert "Langkah 5" in page.text
        assert "15 menit" in page.text
        assert "sisa " in page.text
