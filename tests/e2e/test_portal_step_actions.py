"""The case page's step actions through the pages, as the people click them: staff creates the
Zoom meeting (or enters it by hand when Zoom is down), the Sub-coordinator drafts the reply and
sees its PDF, Kadis signs and sends it; a second click never acts twice. The steps around them
(dispositions) are driven over the API, as tests/e2e/test_procedure.py does."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pytest

from services.launcher import System
from services.portal import step_actions
from services.portal.main import create_app
from services.portal.users import DEMO_PASSWORD
from shared.settings import Settings
from tests.e2e.harness import User, file_request, login, wait_until
from tests.e2e.test_procedure import case_of, events_of, future_slot, types
from tests.support import running

pytestmark = pytest.mark.parametrize("system", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def users(system: System) -> dict[str, User]:
    names = {"opd": "opd.dinkes", "kadis": "kadis", "kabid": "kabid", "subko": "subko"}
    names["staf"] = "staf"
    return {role: login(system, username) for role, username in names.items()}


@pytest.fixture
def portal_settings(system: System, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The portal's settings as the running system's portal has them, with its own data
    directory (its own users file and sessions)."""
    for name, value in system.env.items():
        if name.startswith("SIVICON_"):
            monkeypatch.setenv(name, value)
    # The system's token secret and the portal's own NATS credentials, as its portal has them.
    monkeypatch.setenv("SIVICON_AUTH_SECRET", Settings(data_dir=system.data_dir).secret.decode())
    seed = system.credentials("portal")
    if seed is not None:
        monkeypatch.setenv("SIVICON_NATS_CREDENTIALS", str(seed))
    monkeypatch.setenv("SIVICON_DATA_DIR", str(tmp_path / "portal"))
    return Settings()


@asynccontextmanager
async def portal(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The portal's pages with the step actions, talking to the running system's services."""
    async with running(create_app(settings)) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    client.cookies.clear()
    response = await client.post("/masuk", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 303, response.text


RETURN_NOTE = "Mohon jam rapat disesuaikan dengan surat permohonan."


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page carries its CSRF token"
    return match.group(1)


async def action_page(client: httpx.AsyncClient, case_id: str, pesan: str = "") -> str:
    """The case page as the signed-in user sees it (with the notice a redirect brought)."""
    page = await client.get(f"/kasus/{case_id}", params={"pesan": pesan} if pesan else None)
    assert page.status_code == 200, page.text
    return page.text


async def post(client: httpx.AsyncClient, path: str, html: str, **fields: str) -> httpx.Response:
    return await client.post(path, data={"csrf": csrf_of(html), **fields})


def notice_of(response: httpx.Response, case_id: str) -> str:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(f"/kasus/{case_id}?pesan="), location
    return location.split("=", 1)[1]


EDITED_SENTENCE = "Mohon tautan hanya dibagikan kepada kader Posyandu & petugas <kelurahan>."


def textarea_of(html: str) -> str:
    """The text of the page's body textarea, as the browser would post it."""
    match = re.search(r'<textarea id="konsep-isi"[^>]*>(.*?)</textarea>', html, re.DOTALL)
    assert match, "the page has the letter's body to edit"
    return unescape(match.group(1))


def words_of(pdf: bytes) -> str:
    """A PDF's text (pypdf), every run of whitespace as one space."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def to_step_5(system: System, users: dict[str, User], start: str, end: str) -> str:
    """A request filed and disposed by API through step 4 (free), waiting for staff."""
    request_id = file_request(users["opd"], start=start, end=end, participants=80)
    wait_until(lambda: case_of(users["kadis"], request_id), what="case opened")
    users["kadis"].dispose(request_id, "kabid", sifat="segera")
    users["kabid"].dispose(request_id, "subkoordinator")
    users["subko"].dispose(request_id, "staf")
    wait_until(
        lambda: users["staf"].ok("GET", "scheduler", f"/api/v1/meetings/{request_id}")[
            "staff_task"
        ],
        what="the scheduler's staff task",
    )
    return request_id


def pending_step(user: User, request_id: str) -> Any:
    return (case_of(user, request_id) or {}).get("pending_step")


async def test_staff_creates_the_meeting_and_kadis_signs_and_sends_the_reply_on_the_pages(
    system: System, users: dict[str, User], portal_settings: Settings
) -> None:
    start, end = future_slot(20, 9)
    request_id = to_step_5(system, users, start, end)
    async with portal(portal_settings) as client:
        # Step 5: staff, on the page.
        await sign_in(client, "staf")
        html = await action_page(client, request_id)
        assert "Buat rapat di Zoom" in html
        assert f'action="/kasus/{request_id}/rapat"' in html
        form = f"/kasus/{request_id}/rapat"
        assert notice_of(await post(client, form, html), request_id) == "rapat-dibuat"
        shown = await action_page(client, request_id, "rapat-dibuat")
        assert step_actions.NOTICES["rapat-dibuat"] in shown
        # The same button again (a double click, a second tab): done once, no error page.
        assert notice_of(await post(client, form, html), request_id) == "sudah-diproses"
        record = users["staf"].ok("GET", "scheduler", f"/api/v1/meetings/{request_id}")
        assert record["meeting"]["created_via"] == "api"
        assert record["meeting"]["join_url"].startswith("https://")

        wait_until(lambda: pending_step(users["staf"], request_id) == 6, what="step 5 recorded")
        users["staf"].dispose(request_id, "subkoordinator")  # step 6

        # Step 7: the Sub-coordinator drafts the reply on the page and sees its PDF.
        wait_until(
            lambda: (
                users["subko"].ok("GET", "letters", f"/api/v1/requests/{request_id}/letter-status")[
                    "draftable_kind"
                ]
                == "meeting_provided"
            ),
            what="the letters service knows the meeting",
        )
        await sign_in(client, "subko")
        html = await action_page(client, request_id)
        assert "Buat konsep surat" in html
        body = textarea_of(html)  # the wording SIVICON writes, to edit
        assert body.startswith("Menindaklanjuti surat Saudara Nomor")
        draft_form = f"/kasus/{request_id}/surat/konsep"
        assert notice_of(await post(client, draft_form, html, seen="", isi=body), request_id) == (
            "konsep-dibuat"
        )
        again = await post(client, draft_form, html, seen="", isi=body)
        assert notice_of(again, request_id) == "sudah-diproses"
        status = users["subko"].ok("GET", "letters", f"/api/v1/requests/{request_id}/letter-status")
        assert len(status["letter_ids"]) == 1, "the second click drafted nothing"
        first_id = status["current_letter_id"]

        # The Sub-coordinator edits a sentence of the draft: a refusal keeps the input.
        html = await action_page(client, request_id)
        assert "Simpan perubahan konsep" in html
        assert textarea_of(html) == body
        too_many = "\n\n".join(f"Paragraf {n}." for n in range(1, 22))
        refused = await post(client, draft_form, html, seen=first_id, isi=too_many)
        assert refused.status_code == 422
        assert "paling banyak 20 paragraf" in refused.text
        assert 'aria-invalid="true"' in refused.text
        assert textarea_of(refused.text) == too_many
        replaced = body.split("\n\n")[1]
        edited = body.replace(replaced, EDITED_SENTENCE)
        saved = await post(client, draft_form, html, seen=first_id, isi=edited)
        assert notice_of(saved, request_id) == "konsep-dibuat"
        status = users["subko"].ok("GET", "letters", f"/api/v1/requests/{request_id}/letter-status")
        assert len(status["letter_ids"]) == 2
        letter_id = status["current_letter_id"]
        html = await action_page(client, request_id)
        assert textarea_of(html) == edited
        pdf_url = f"/kasus/{request_id}/surat/{letter_id}/pdf"
        assert f'src="{pdf_url}"' in html
        assert record["meeting"]["meeting_id"] in html
        draft_pdf = await client.get(pdf_url)
        assert draft_pdf.headers["content-type"] == "application/pdf"
        assert draft_pdf.content.startswith(b"%PDF")

        users["subko"].dispose(request_id, "kabid", letter_id=letter_id)  # step 7
        await sign_in(client, "kabid")
        html = await action_page(client, request_id)
        assert "Periksa konsep surat tanggapan" in html
        assert f'src="{pdf_url}"' in html
        # Kabid returns it with a note instead of the paraf: a note is required, and a second
        # click is answered with what happened, not an error page.
        return_form = f"/kasus/{request_id}/kembalikan"
        assert f'action="{return_form}"' in html
        empty = await post(client, return_form, html, langkah="8", catatan="  ")
        assert empty.status_code == 422
        assert "Tuliskan apa yang perlu diperbaiki" in empty.text
        returned = await post(client, return_form, html, langkah="8", catatan=RETURN_NOTE)
        assert returned.status_code == 303
        assert returned.headers["location"] == f"/kasus/{request_id}?hasil=dikembalikan"
        twice = await post(client, return_form, html, langkah="8", catatan=RETURN_NOTE)
        assert twice.status_code == 200
        assert "Sudah diproses" in twice.text
        assert pending_step(users["kabid"], request_id) == 7
        # The Sub-coordinator sees the note with the draft, and sends it up again as it is.
        await sign_in(client, "subko")
        wait_until(
            lambda: (
                not users["subko"].ok(
                    "GET", "letters", f"/api/v1/requests/{request_id}/letter-status"
                )["draft_forwarded"]
            ),
            what="the letters service knows of the return",
        )
        html = await action_page(client, request_id)
        assert "Konsep dikembalikan" in html
        assert RETURN_NOTE in html
        assert "Simpan perubahan konsep" in html  # it may be redrafted again
        users["subko"].dispose(request_id, "kabid", letter_id=letter_id)  # step 7 again
        users["kabid"].dispose(request_id, "kadis")  # step 8 (the paraf)

        # Step 9: Kadis signs and sends, the letter in view.
        wait_until(
            lambda: users["kadis"].ok(
                "GET", "letters", f"/api/v1/requests/{request_id}/letter-status"
            )["ready_for_signature"],
            what="the letter ready for signature",
        )
        await sign_in(client, "kadis")
        html = await action_page(client, request_id)
        assert "Tandatangani dan kirim" in html
        assert f'src="{pdf_url}"' in html
        send_form = f"/kasus/{request_id}/surat/{letter_id}/kirim"
        assert notice_of(await post(client, send_form, html), request_id) == "surat-dikirim"
        assert notice_of(await post(client, send_form, html), request_id) == "sudah-diproses"
        letter = users["kadis"].ok("GET", "letters", f"/api/v1/letters/{letter_id}")
        assert letter["status"] == "sent"
        assert letter["signer"]["username"] == "kadis"
        # The final PDF in view for the signer: numbered and signed.
        html = await action_page(client, request_id, "surat-dikirim")
        assert step_actions.NOTICES["surat-dikirim"] in html
        assert f"Surat tanggapan terkirim: {letter['number']}" in html
        assert f'src="{pdf_url}"' in html
        signed_pdf = await client.get(pdf_url)
        assert hashlib.sha256(signed_pdf.content).hexdigest() == letter["pdf_sha256"]
        signed = words_of(signed_pdf.content)
        assert EDITED_SENTENCE in signed  # Kadis signed the text as edited
        assert " ".join(replaced.split()[:8]) not in signed

    seen = await asyncio.to_thread(
        wait_until,
        lambda: (t := types(events_of(system, request_id))).count("LetterSent") and t,
        what="LetterSent in the stream",
    )
    assert seen.count("MeetingCreated") == 1
    assert seen.count("LetterDrafted") == 2  # the draft, and the edited one that replaced it
    assert seen.count("LetterSent") == 1
    assert seen.count("DraftReturned") == 1
    wait_until(lambda: (case_of(users["kadis"], request_id) or {})["letter"]["sent"])


@pytest.fixture
def zoom_down(system: System) -> Iterator[None]:
    fakezoom = system.children["fakezoom"]
    fakezoom.stop()
    try:
        yield
    finally:
        system.revive(fakezoom)


async def test_when_zoom_fails_staff_sees_why_and_enters_the_meeting_by_hand(
    system: System, users: dict[str, User], portal_settings: Settings, zoom_down: None
) -> None:
    start, end = future_slot(21, 13)
    request_id = to_step_5(system, users, start, end)
    async with portal(portal_settings) as client:
        await sign_in(client, "staf")
        html = await action_page(client, request_id)
        forged = await client.post(f"/kasus/{request_id}/rapat")  # no CSRF token
        assert forged.status_code == 403
        failed = await post(client, f"/kasus/{request_id}/rapat", html)
        assert failed.status_code == 503
        assert "Zoom tidak dapat dihubungi" in failed.text  # the scheduler's own words
        assert '<details class="manual" open>' in failed.text
        manual = f"/kasus/{request_id}/rapat/manual"
        wrong = await post(
            client, manual, failed.text, meeting_id="12ab", passcode="", join_url="zoom.us/j/1"
        )
        assert wrong.status_code == 422
        assert 'aria-invalid="true"' in wrong.text
        assert "ID Meeting terdiri atas 9 sampai 14 angka" in wrong.text
        assert "diawali https://" in wrong.text
        assert 'value="12ab"' in wrong.text  # the input is kept
        entered = {
            "meeting_id": "812 3456 7890",
            "passcode": "rapat1",
            "join_url": "https://zoom.us/j/81234567890?pwd=abc",
        }
        saved = await post(client, manual, wrong.text, **entered)
        assert notice_of(saved, request_id) == "rapat-dicatat"
        assert notice_of(await post(client, manual, wrong.text, **entered), request_id) == (
            "sudah-diproses"
        )
    meeting = users["staf"].ok("GET", "scheduler", f"/api/v1/meetings/{request_id}")["meeting"]
    assert meeting["created_via"] == "manual"
    assert meeting["meeting_id"] == "81234567890"
    assert meeting["created_by"]["username"] == "staf"


def take_slot(system: System, users: dict[str, User], request_id: str) -> None:
    """A request disposed to the Sub-coordinator, whose slot check held a host account."""
    wait_until(lambda: case_of(users["kadis"], request_id), what="case opened")
    users["kadis"].dispose(request_id, "kabid")
    users["kabid"].dispose(request_id, "subkoordinator")
    wait_until(lambda: "SlotChecked" in types(events_of(system, request_id)), what="slot check")


def to_full_reply(system: System, users: dict[str, User]) -> str:
    """A request whose slot is full, disposed to the OPD by API (step 4, full branch)."""
    opd, kadis, kabid, subko = (users[k] for k in ("opd", "kadis", "kabid", "subko"))
    start, end = future_slot(22, 9)
    for participants in (450, 250, 90):  # every host account taken at that time
        take_slot(system, users, file_request(opd, start=start, end=end, participants=participants))
    request_id = file_request(opd, start=start, end=end, participants=50)
    wait_until(lambda: case_of(kadis, request_id), what="case opened")
    kadis.dispose(request_id, "kabid")
    kabid.dispose(request_id, "subkoordinator")
    wait_until(lambda: "SlotChecked" in types(events_of(system, request_id)))
    subko.dispose(request_id, "opd")  # step 4, full: the OPD is to be informed
    wait_until(
        lambda: (
            subko.ok("GET", "letters", f"/api/v1/requests/{request_id}/letter-status")[
                "draftable_kind"
            ]
            == "schedule_full"
        ),
        what="the full reply allowed",
    )
    return request_id


async def test_the_sub_coordinator_drafts_signs_and_sends_the_schedule_full_reply(
    system: System, users: dict[str, User], portal_settings: Settings
) -> None:
    request_id = await asyncio.to_thread(to_full_reply, system, users)
    subko = users["subko"]
    async with portal(portal_settings) as client:
        await sign_in(client, "subko")
        html = await action_page(client, request_id)
        assert "jadwal penuh" in html
        draft = await post(client, f"/kasus/{request_id}/surat/konsep", html, seen="")
        assert notice_of(draft, request_id) == "konsep-dibuat"
        html = await action_page(client, request_id)
        assert "Waktu alternatif" in html
        letter_id = re.search(rf"/kasus/{request_id}/surat/([0-9a-f-]+)/kirim", html)
        assert letter_id, "the Sub-coordinator signs the schedule-full reply"
        send = f"/kasus/{request_id}/surat/{letter_id.group(1)}/kirim"
        assert notice_of(await post(client, send, html), request_id) == "surat-dikirim"
        assert notice_of(await post(client, send, html), request_id) == "sudah-diproses"
    letter = subko.ok("GET", "letters", f"/api/v1/letters/{letter_id.group(1)}")
    assert (letter["kind"], letter["status"]) == ("schedule_full", "sent")
