"""The agency's (OPD) pages over the whole running system: a clerk files a request through the
form and finds it in the list; bad input is answered in Indonesian beside its field and files
nothing; the reply letter, the meeting and the receipt (step 10) are on the request's page;
another agency's request and PDFs are refused by URL; a form without its CSRF token is refused.

Pages are fetched over HTTP with the portal's sign-in form, as a browser without JavaScript
would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.launcher import System
from services.portal.users import DEMO_PASSWORD
from tests.e2e.harness import User, file_request, login, wait_until
from tests.pdfs import make_pdf

pytestmark = pytest.mark.parametrize("system", ["sqlite"], indirect=True)

WITA = ZoneInfo("Asia/Makassar")
TOPIC = "Rapat Koordinasi Stunting Kecamatan"


@pytest.fixture(scope="module")
def portal(system: System) -> str:
    """The system's portal, which serves the OPD pages."""
    return system.urls["portal"]


def signed_in(portal: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=portal, timeout=30)
    answer = client.post("/masuk", data={"username": username, "password": DEMO_PASSWORD})
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture(scope="module")
def dinkes(portal: str) -> Iterator[httpx.Client]:
    client = signed_in(portal, "opd.dinkes")
    yield client
    client.close()


@pytest.fixture(scope="module")
def disdik(portal: str) -> Iterator[httpx.Client]:
    client = signed_in(portal, "opd.disdik")
    yield client
    client.close()


@pytest.fixture(scope="module")
def office(system: System) -> dict[str, User]:
    return {name: login(system, name) for name in ("kadis", "kabid", "subko", "staf")}


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"the form carries {name}"
    return match.group(1)


def form_fields(days: int = 10, hour: int = 9, **changes: str) -> dict[str, str]:
    day = (datetime.now(UTC) + timedelta(days=days)).astimezone(WITA).date()
    return {
        "topic": TOPIC,
        "meeting_date": day.isoformat(),
        "start_time": f"{hour:02d}:00",
        "end_time": f"{hour + 2:02d}:00",
        "participants": "80",
        "notes": "",
        "requester_name": "dr. Sri Wahyuni",
        "requester_position": "Kepala Dinas Kesehatan",
        "requester_phone": "+62 811 555 0101",
        "requester_email": "dinkes@tarakankota.go.id",
        "letter_number": "800/513/DINKES",
        "letter_date": datetime.now(UTC).astimezone(WITA).date().isoformat(),
        "letter_subject": "Permohonan Fasilitas Zoom Meeting",
        **changes,
    }


def post_form(
    client: httpx.Client,
    fields: dict[str, str],
    pdf: tuple[str, bytes, str] | None = None,
    *,
    csrf: bool = True,
    key: str | None = None,
) -> httpx.Response:
    page = client.get("/permohonan/baru")
    assert page.status_code == 200
    data = {**fields, "kunci": key or hidden(page.text, "kunci")}
    if csrf:
        data["csrf"] = hidden(page.text, "csrf")
    files = {"letter_pdf": pdf or ("surat.pdf", make_pdf(), "application/pdf")}
    return client.post("/permohonan/baru", data=data, files=files)


def filed(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    match = re.fullmatch(r"/permohonan/([0-9a-f-]{36})\?pesan=diajukan", answer.headers["location"])
    assert match, answer.headers["location"]
    return match.group(1)


def count_in_list(client: httpx.Client) -> int:
    page = client.get("/permohonan")
    assert page.status_code == 200
    return len(re.findall(r'<td data-label="Nomor agenda">', page.text))


def field_error(html: str, name: str) -> str:
    match = re.search(rf'<p id="{name}-salah" class="field-error">([^<]+)</p>', html)
    assert match, f"no message beside {name}"
    assert re.search(rf'id="{name}"[^>]*aria-invalid="true"', html), name
    return match.group(1)


def test_an_opd_files_a_request_through_the_form_and_finds_it_in_its_list(
    dinkes: httpx.Client,
) -> None:
    empty = dinkes.get("/permohonan")
    assert empty.status_code == 200
    assert "Belum ada permohonan dari OPD Anda" in empty.text

    page = dinkes.get("/permohonan/baru")
    for label in ("Topik rapat", "Tanggal rapat", "Jam mulai", "Berkas surat (PDF)"):
        assert label in page.text
    key = hidden(page.text, "kunci")
    request_id = filed(post_form(dinkes, form_fields(), key=key))
    # A double click sends the same form twice: one request, the same page.
    assert filed(post_form(dinkes, form_fields(), key=key)) == request_id

    detail = dinkes.get(f"/permohonan/{request_id}?pesan=diajukan")
    assert detail.status_code == 200
    assert "Permohonan berhasil diajukan" in detail.text
    agenda = re.search(r"Permohonan ([^<]+)</h1>", detail.text)
    assert agenda
    assert TOPIC in detail.text
    assert "WITA" in detail.text
    pdf = dinkes.get(f"/permohonan/{request_id}/surat-permohonan")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")

    listed = dinkes.get("/permohonan")
    assert agenda.group(1) in listed.text
    assert f'href="/permohonan/{request_id}"' in listed.text
    assert count_in_list(dinkes) == 1
    assert re.search(r'class="badge">(diajukan|didisposisi)</span>', listed.text)

    # The same letter number filed again is filed, with a warning on its page.
    again = filed(post_form(dinkes, form_fields(days=11)))
    warned = dinkes.get(f"/permohonan/{again}")
    assert "Perhatian: surat ini" in warned.text
    assert "nomor surat dan berkas PDF sama" in warned.text
    assert agenda.group(1) in warned.text


@pytest.mark.parametrize(
    ("changes", "pdf", "field", "message"),
    [
        ({"meeting_date": "2020-01-06"}, None, "meeting_date", "Tanggal rapat sudah lewat"),
        ({"start_time": "13:00", "end_time": "11:00"}, None, "end_time", "harus setelah jam mulai"),
        (
            {},
            ("surat.pdf", b"GIF89a bukan pdf", "application/pdf"),
            "letter_pdf",
            "harus berkas PDF",
        ),
        ({"topic": ""}, None, "topic", "Topik rapat wajib diisi"),
        ({"participants": "0"}, None, "participants", "dari 1 sampai 1000"),
        ({"participants": "1001"}, None, "participants", "dari 1 sampai 1000"),
        ({"requester_email": "bukan-surel"}, None, "requester_email", "tidak valid"),
    ],
)
def test_bad_input_is_answered_in_indonesian_beside_the_field_and_files_nothing(
    dinkes: httpx.Client,
    changes: dict[str, str],
    pdf: tuple[str, bytes, str] | None,
    field: str,
    message: str,
) -> None:
    before = count_in_list(dinkes)
    answer = post_form(dinkes, {**form_fields(), **changes}, pdf)
    assert answer.status_code == 422
    assert message in field_error(answer.text, field)
    assert "Permohonan belum diajukan" in answer.text
    for english in ("Field required", "lies in the past", "String should", "must be"):
        assert english not in answer.text
    # What was typed is kept (the file has to be chosen again).
    assert 'value="dr. Sri Wahyuni"' in answer.text
    assert count_in_list(dinkes) == before


def test_a_form_missing_every_field_names_each_one(dinkes: httpx.Client) -> None:
    before = count_in_list(dinkes)
    page = dinkes.get("/permohonan/baru")
    answer = dinkes.post(
        "/permohonan/baru",
        data={"csrf": hidden(page.text, "csrf")},
        files={"letter_pdf": ("", b"", "application/octet-stream")},
    )
    assert answer.status_code == 422
    for field in ("topic", "meeting_date", "start_time", "participants", "letter_number"):
        assert "wajib diisi" in field_error(answer.text, field)
    assert "wajib diunggah" in field_error(answer.text, "letter_pdf")
    assert count_in_list(dinkes) == before


def test_a_form_post_without_its_csrf_token_is_refused(dinkes: httpx.Client) -> None:
    before = count_in_list(dinkes)
    answer = post_form(dinkes, form_fields(days=14), csrf=False)
    assert answer.status_code == 403
    assert "Formulir ini sudah tidak berlaku" in answer.text
    assert count_in_list(dinkes) == before


def test_another_agency_is_refused_the_request_and_its_pdfs_by_url(
    dinkes: httpx.Client, disdik: httpx.Client
) -> None:
    request_id = filed(post_form(dinkes, form_fields(days=15, topic="Rapat Rahasia Dinkes")))
    for path in ("", "/surat-permohonan", "/surat-balasan"):
        answer = disdik.get(f"/permohonan/{request_id}{path}")
        assert answer.status_code in (403, 404), path
        assert "bukan milik OPD Anda" in answer.text
        assert "Rapat Rahasia Dinkes" not in answer.text
        assert not answer.content.startswith(b"%PDF")
    page = disdik.get("/permohonan")
    assert "Rapat Rahasia Dinkes" not in page.text
    withdraw = disdik.post(
        f"/permohonan/{request_id}/batalkan",
        data={"csrf": hidden(page.text, "csrf"), "alasan": "coba"},
    )
    assert withdraw.status_code in (403, 404)
    assert "Permohonan sudah dibatalkan" not in dinkes.get(f"/permohonan/{request_id}").text


def _case(user: User, request_id: str) -> Any:
    answer = user.call("GET", "disposition", f"/api/v1/cases/{request_id}")
    return answer.json() if answer.status_code == 200 else None


def test_the_meeting_and_reply_letter_are_on_the_page_and_receipt_is_one_click(
    dinkes: httpx.Client, office: dict[str, User]
) -> None:
    kadis, kabid, subko, staf = (office[k] for k in ("kadis", "kabid", "subko", "staf"))
    request_id = filed(post_form(dinkes, form_fields(days=20, topic="Rapat Gizi Balita")))
    wait_until(lambda: _case(kadis, request_id), what="case opened")
    kadis.dispose(request_id, "kabid")
    page = dinkes.get(f"/permohonan/{request_id}")
    assert "Langkah 2" in page.text  # the case's timeline
    kabid.dispose(request_id, "subkoordinator")
    subko.dispose(request_id, "staf")
    meeting = staf.when_ready(
        "POST", "scheduler", "/api/v1/meetings", json={"request_id": request_id}
    )
    staf.dispose(request_id, "subkoordinator")
    letter = subko.when_ready("POST", "letters", "/api/v1/letters", json={"request_id": request_id})
    subko.dispose(request_id, "kabid", letter_id=letter["letter_id"])
    kabid.dispose(request_id, "kadis")
    kadis.when_ready("POST", "letters", f"/api/v1/letters/{letter['letter_id']}/send")

    page = dinkes.get(f"/permohonan/{request_id}")
    assert "surat balasan terkirim" in page.text
    assert meeting["meeting"]["meeting_id"] in page.text
    assert meeting["meeting"]["passcode"] in page.text
    assert meeting["meeting"]["join_url"] in page.text
    reply = dinkes.get(f"/permohonan/{request_id}/surat-balasan")
    assert reply.status_code == 200
    assert reply.content.startswith(b"%PDF-")
    # Step 10 in one click; a second click is answered with what happened, not an error.
    csrf = hidden(page.text, "csrf")
    for notice in ("diterima", "sudah"):
        answer = dinkes.post(f"/permohonan/{request_id}/terima", data={"csrf": csrf})
        assert answer.status_code == 303
        assert answer.headers["location"].endswith(f"?pesan={notice}")
    done = wait_until(
        lambda: (
            "diterima" in (text := dinkes.get(f"/permohonan/{request_id}").text)
            and "Surat balasan sudah kami terima" not in text
        ),
        what="receipt shown",
    )
    assert done
    assert "Batalkan permohonan" not in dinkes.get(f"/permohonan/{request_id}").text


def test_a_withdrawal_needs_a_reason_and_then_cancels_the_request(dinkes: httpx.Client) -> None:
    request_id = filed(post_form(dinkes, form_fields(days=25, topic="Rapat yang Batal")))
    page = dinkes.get(f"/permohonan/{request_id}")
    csrf = hidden(page.text, "csrf")
    empty = dinkes.post(f"/permohonan/{request_id}/batalkan", data={"csrf": csrf, "alasan": " "})
    assert empty.status_code == 422
    assert "Alasan pembatalan wajib diisi" in field_error(empty.text, "alasan")
    done = dinkes.post(
        f"/permohonan/{request_id}/batalkan", data={"csrf": csrf, "alasan": "Rapat ditunda"}
    )
    assert done.status_code == 303
    page = dinkes.get(done.headers["location"])
    assert "Permohonan sudah dibatalkan" in page.text
    assert 'class="badge">dibatalkan</span>' in page.text


def test_after_a_full_schedule_an_offered_time_is_requested_in_one_click(
    system: System, dinkes: httpx.Client, office: dict[str, User]
) -> None:
    kadis, kabid, subko = (office[k] for k in ("kadis", "kabid", "subko"))
    fields = form_fields(days=30, hour=13)
    start = f"{fields['meeting_date']}T13:00:00+08:00"
    end = f"{fields['meeting_date']}T15:00:00+08:00"
    opd = login(system, "opd.dinkes")
    for participants in (450, 250, 90):  # every host account taken at that time
        other = file_request(opd, start=start, end=end, participants=participants)
        wait_until(partial(_case, kadis, other), what="case opened")
        kadis.dispose(other, "kabid")
        kabid.dispose(other, "subkoordinator")
    request_id = filed(post_form(dinkes, {**fields, "topic": "Rapat Penuh"}))
    wait_until(lambda: _case(kadis, request_id), what="case opened")
    kadis.dispose(request_id, "kabid")
    kabid.dispose(request_id, "subkoordinator")
    wait_until(lambda: (_case(subko, request_id) or {}).get("slot_check"), what="the slot checked")
    subko.dispose(request_id, "opd")
    letter = subko.when_ready("POST", "letters", "/api/v1/letters", json={"request_id": request_id})
    subko.when_ready("POST", "letters", f"/api/v1/letters/{letter['letter_id']}/send")

    page = dinkes.get(f"/permohonan/{request_id}")
    assert "jadwal penuh" in page.text
    choices = re.findall(r'name="pilihan" value="([^"]+)"', page.text)
    assert choices
    csrf = hidden(page.text, "csrf")
    answers = [
        dinkes.post(
            f"/permohonan/{request_id}/alternatif", data={"csrf": csrf, "pilihan": choices[0]}
        )
        for _ in range(2)  # a double click files one request
    ]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert answers[0].headers["location"].endswith("?pesan=alternatif")
    linked = dinkes.get(answers[0].headers["location"])
    assert "Permohonan baru dengan waktu alternatif sudah diajukan" in linked.text
    assert "Rapat Penuh" in linked.text
    original = re.search(r"Permohonan ([^<]+)</h1>", page.text)
    assert original
    assert f"nomor agenda {original.group(1)}" in linked.text
    alt_start = datetime.fromisoformat(choices[0].split("|")[0]).astimezone(WITA)
    assert f"{alt_start:%H.%M} WITA" in linked.text
