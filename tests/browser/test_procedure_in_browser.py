"""The whole procedure clicked through in a real browser by the people who do it: an OPD clerk,
Kadis, Kabid, the Sub-coordinator and Staf, each in a browser of their own, signed in with their
own account. One request goes through all ten steps to "meeting provided", another through the
"schedule full" branch, whose OPD then asks for an offered time in one click. The stream must hold
what the API-driven end-to-end tests see; each role's main screen is saved and checked (390 px,
axe-core)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from services.launcher import System
from tests.browser.conftest import look, new_page, sign_in
from tests.e2e.harness import file_request, login, wait_until
from tests.e2e.test_procedure import (
    assert_the_free_branch_in_order,
    case_of,
    events_of,
    future_slot,
    types,
)
from tests.pdfs import make_pdf
from tests.support import StreamMessage

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PATIENCE = 30.0  # seconds for the next person's step to reach them (consumers run apart)

ROLES = {
    "opd": "opd.dinkes",
    "kadis": "kadis",
    "kabid": "kabid",
    "subko": "subko",
    "staf": "staf",
}


@pytest.fixture(scope="module")
def people(browser: Browser, system: System) -> Iterator[dict[str, Page]]:
    """Each person signed in, in a browser context of their own."""
    from playwright.sync_api import expect

    pages: dict[str, Page] = {}
    try:
        for who, username in ROLES.items():
            page = new_page(browser, system)
            sign_in(page, username)
            expect(page).to_have_url(re.compile(r"/(kasus|permohonan)$"))
            pages[who] = page
        yield pages
    finally:
        for page in pages.values():
            page.context.close()


def stream_of(system: System, request_id: str) -> list[StreamMessage]:
    """The request's events in the stream (read in a thread: Playwright holds this one's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(events_of, system, request_id).result()


def weekday(days_ahead: int) -> datetime:
    day = datetime.now(UTC) + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def file_through_the_form(page: Page, portal: str, day: datetime, hour: int, topic: str) -> str:
    """The OPD clerk fills in the request form with the letter's PDF; returns the request ID."""
    from playwright.sync_api import expect

    page.goto(portal + "/permohonan/baru")
    page.get_by_label("Topik rapat").fill(topic)
    page.get_by_label("Tanggal rapat").fill(day.date().isoformat())
    page.get_by_label("Jam mulai").fill(f"{hour:02d}:00")
    page.get_by_label("Jam selesai").fill(f"{hour + 2:02d}:00")
    page.get_by_label("Perkiraan jumlah peserta").fill("50")
    page.get_by_label("Nama narahubung").fill("Rina Marlina, S.KM")
    page.get_by_label("Jabatan narahubung").fill("Kepala Seksi Promosi Kesehatan")
    page.get_by_label("Nomor telepon").fill("0551-21234")
    page.get_by_label("Surel (e-mail)").fill("promkes@dinkes.tarakankota.go.id")
    page.get_by_label("Nomor surat").fill(f"005/{hour}{day.day}/DINKES/XII/2026")
    page.get_by_label("Tanggal surat").fill(datetime.now(UTC).date().isoformat())
    page.get_by_label("Perihal surat").fill("Permohonan Fasilitas Zoom Meeting")
    page.get_by_label("Berkas surat (PDF)").set_input_files(
        {"name": "surat-permohonan.pdf", "mimeType": "application/pdf", "buffer": make_pdf()}
    )
    page.get_by_role("button", name="Ajukan permohonan").click()
    expect(page).to_have_url(re.compile(r"/permohonan/[0-9a-f-]{36}"))
    return page.url.rsplit("/", 1)[-1].split("?")[0]


def act(page: Page, portal: str, request_id: str, button: str) -> None:
    """Open the case and, once the step has reached this person, press the step's button."""
    from playwright.sync_api import expect

    def ready() -> bool:
        page.goto(f"{portal}/kasus/{request_id}")
        return page.get_by_role("button", name=button, exact=True).count() > 0

    wait_until(ready, what=f"'{button}' on the case page", timeout=PATIENCE)
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("status").first).to_be_visible()


def dispose(
    page: Page,
    portal: str,
    request_id: str,
    instruction: str | None = None,
    *,
    double: bool = False,
) -> None:
    def ready() -> bool:
        page.goto(f"{portal}/kasus/{request_id}")
        return page.get_by_role("button", name="Kirim disposisi").count() > 0

    wait_until(ready, what="the disposition form", timeout=PATIENCE)
    if instruction:
        page.get_by_label(instruction).check()
    button = page.get_by_role("button", name="Kirim disposisi")
    if double:
        button.dblclick()  # the impatient click: it must dispose once
    else:
        button.click()
    page.get_by_text("Disposisi tercatat").wait_for()


def test_five_people_click_one_request_through_all_ten_steps(
    system: System, people: dict[str, Page]
) -> None:
    from playwright.sync_api import expect

    portal = system.urls["portal"]
    opd, kadis, kabid, subko, staf = (people[k] for k in ROLES)
    look(opd, "1-opd-permohonan")
    request_id = file_through_the_form(opd, portal, weekday(20), 9, "Rapat Koordinasi Stunting")
    look(opd, "1-opd-permohonan-diajukan")

    def in_the_inbox() -> bool:
        kadis.goto(portal + "/kasus")
        return kadis.locator(f'a[href="/kasus/{request_id}"]').count() > 0

    wait_until(in_the_inbox, what="the request in Kadis's inbox", timeout=PATIENCE)
    look(kadis, "2-kadis-kotak-masuk")
    dispose(kadis, portal, request_id, double=True)
    look(kadis, "2-kadis-kasus")
    dispose(kabid, portal, request_id)
    look(kabid, "3-kabid-kasus")
    wait_until(lambda: "SlotChecked" in types(stream_of(system, request_id)), what="slot check")
    dispose(subko, portal, request_id)
    look(subko, "4-subko-kasus")
    act(staf, portal, request_id, "Buat rapat di Zoom")
    look(staf, "5-staf-rapat")
    dispose(staf, portal, request_id)
    act(subko, portal, request_id, "Buat konsep surat")
    look(subko, "7-subko-konsep")
    dispose(subko, portal, request_id)
    dispose(kabid, portal, request_id)
    act(kadis, portal, request_id, "Tandatangani dan kirim")
    look(kadis, "9-kadis-terkirim")

    def letter_on_the_page() -> bool:
        opd.goto(f"{portal}/permohonan/{request_id}")
        return opd.get_by_role("button", name="Surat balasan sudah kami terima").count() > 0

    wait_until(letter_on_the_page, what="the reply on the OPD's page", timeout=PATIENCE)
    expect(opd.get_by_role("heading", name="Zoom Meeting Anda")).to_be_visible()
    look(opd, "10-opd-rapat-dan-surat")
    invite = opd.request.get(f"{portal}/permohonan/{request_id}/undangan.ics")
    assert invite.ok
    assert invite.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in invite.text()
    opd.get_by_role("button", name="Surat balasan sudah kami terima").click()

    wait_until(lambda: "CaseClosed" in types(stream_of(system, request_id)), what="case closed")
    messages = stream_of(system, request_id)
    seen = types(messages)
    assert_the_free_branch_in_order(messages)
    closing = messages[seen.index("CaseClosed")].event
    assert closing.outcome == "meeting_provided"  # type: ignore[attr-defined]
    assert sorted({s.sop_step for s in closing.steps}) == list(range(1, 11))  # type: ignore[attr-defined]
    by_step = {s.sop_step: s.actor.username for s in closing.steps}  # type: ignore[attr-defined]
    assert by_step == {
        1: "opd.dinkes",
        2: "kadis",
        3: "kabid",
        4: "subko",
        5: "staf",
        6: "staf",
        7: "subko",
        8: "kabid",
        9: "kadis",
        10: "opd.dinkes",
    }


def test_a_full_schedule_is_answered_and_an_offered_time_is_taken_in_one_click(
    system: System, people: dict[str, Page]
) -> None:
    from playwright.sync_api import expect

    portal = system.urls["portal"]
    opd, kadis, kabid, subko = (people[k] for k in ("opd", "kadis", "kabid", "subko"))
    day = weekday(24)
    start, end = future_slot((day.date() - datetime.now(UTC).date()).days, 13)
    # Every host account is taken at that time (by API: the form is shown above).
    api_opd, api_kadis, api_kabid = (login(system, u) for u in ("opd.dinkes", "kadis", "kabid"))
    for participants in (450, 250, 90):
        other = file_request(api_opd, start=start, end=end, participants=participants)
        wait_until(lambda other=other: case_of(api_kadis, other), what="case opened")
        api_kadis.dispose(other, "kabid")
        api_kabid.dispose(other, "subkoordinator")
        wait_until(lambda other=other: "SlotChecked" in types(stream_of(system, other)))

    request_id = file_through_the_form(opd, portal, day, 13, "Sosialisasi Aplikasi Posyandu")
    dispose(kadis, portal, request_id)
    dispose(kabid, portal, request_id)
    wait_until(lambda: "SlotChecked" in types(stream_of(system, request_id)), what="slot check")
    subko.goto(f"{portal}/kasus/{request_id}")
    expect(subko.get_by_role("heading", name="Hasil cek jadwal")).to_be_visible()
    look(subko, "4-subko-jadwal-penuh")
    dispose(subko, portal, request_id)  # to the OPD: the only choice when the schedule is full
    act(subko, portal, request_id, "Buat konsep surat")
    act(subko, portal, request_id, "Tandatangani dan kirim")

    def offered() -> bool:
        opd.goto(f"{portal}/permohonan/{request_id}")
        return opd.get_by_role("button", name="Ajukan untuk waktu ini").count() > 0

    wait_until(offered, what="the offered times on the OPD's page", timeout=PATIENCE)
    look(opd, "4-opd-jadwal-penuh")
    opd.get_by_role("button", name="Ajukan untuk waktu ini").first.click()
    expect(opd).to_have_url(re.compile(rf"/permohonan/(?!{request_id})[0-9a-f-]{{36}}"))
    follow_up = opd.url.rsplit("/", 1)[-1].split("?")[0]
    assert follow_up != request_id
    wait_until(lambda: case_of(api_kadis, follow_up), what="the follow-up's case")

    opd.goto(f"{portal}/permohonan/{request_id}")
    opd.get_by_role("button", name="Surat balasan sudah kami terima").click()
    wait_until(lambda: "CaseClosed" in types(stream_of(system, request_id)), what="case closed")
    messages = stream_of(system, request_id)
    closing = messages[types(messages).index("CaseClosed")].event
    assert closing.outcome == "schedule_full"  # type: ignore[attr-defined]
    assert [
        m.event.sop_step for m in messages if m.headers["ce-type"] == "sivicon.Disposed.v1"
    ] == [2, 3, 4]
    follow = stream_of(system, follow_up)[0].event
    assert follow.meeting.topic == "Sosialisasi Aplikasi Posyandu"  # type: ignore[attr-defined]
    assert follow.letter.document_sha256 == messages[0].event.letter.document_sha256  # type: ignore[attr-defined]


def test_kabid_returns_the_draft_with_a_note_and_the_sub_coordinator_reads_it(
    system: System, people: dict[str, Page]
) -> None:
    """Steps 1 to 7 over the API; then Kabid, on the case page, returns the draft instead of
    the paraf, and the Sub-coordinator finds the note beside the draft to correct."""
    from playwright.sync_api import expect

    portal = system.urls["portal"]
    kabid, subko = people["kabid"], people["subko"]
    api = {who: login(system, username) for who, username in ROLES.items()}
    start, end = future_slot(22, 10)
    request_id = file_request(api["opd"], start=start, end=end, participants=40)
    wait_until(lambda: case_of(api["kadis"], request_id), what="case opened")
    api["kadis"].dispose(request_id, "kabid")
    api["kabid"].dispose(request_id, "subkoordinator")
    wait_until(lambda: "SlotChecked" in types(stream_of(system, request_id)), what="slot check")
    api["subko"].dispose(request_id, "staf")
    act(people["staf"], portal, request_id, "Buat rapat di Zoom")
    api["staf"].dispose(request_id, "subkoordinator")
    act(subko, portal, request_id, "Buat konsep surat")
    api["subko"].dispose(request_id, "kabid")

    def with_kabid() -> bool:
        kabid.goto(f"{portal}/kasus/{request_id}")
        return kabid.get_by_role("button", name="Kembalikan kepada Subkoordinator").count() > 0

    wait_until(with_kabid, what="the draft on Kabid's page", timeout=PATIENCE)
    look(kabid, "8-kabid-periksa")
    note = "Mohon jam rapat disesuaikan dengan surat permohonan."
    kabid.get_by_label("Catatan perbaikan").fill(note)
    kabid.get_by_role("button", name="Kembalikan kepada Subkoordinator").click()
    expect(kabid.get_by_text("Konsep surat dikembalikan kepada Subkoordinator")).to_be_visible()

    def note_with_the_draft() -> bool:
        subko.goto(f"{portal}/kasus/{request_id}")
        return subko.get_by_text(note).count() > 0

    wait_until(note_with_the_draft, what="the note on the Sub-coordinator's page", timeout=PATIENCE)
    expect(subko.get_by_text("Konsep dikembalikan")).to_be_visible()
    expect(subko.get_by_role("button", name="Simpan perubahan konsep")).to_be_visible()
    look(subko, "7-subko-konsep-dikembalikan")
    returned = [
        m.event
        for m in stream_of(system, request_id)
        if m.headers["ce-type"] == ("sivicon.DraftReturned.v1")
    ]
    assert [(e.sop_step, e.by.username, e.note) for e in returned] == [(8, "kabid", note)]  # type: ignore[attr-defined]
