"""The calendar page over the whole system: a request brought to a hold (SOP steps 1-4) shows in
the Sub-coordinator's week, in the row of the host account held for it, as a hold with its time
in WITA; once staff has created the meeting (step 5) it shows as a meeting. An OPD is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from services.launcher import System
from services.portal.sessions import COOKIE
from shared.calendar import WorkingCalendar
from tests.e2e.harness import User, demo_password, file_request, login, wait_until

WITA = "+08:00"
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


class CalendarCells(HTMLParser):
    """The text of each cell of the calendar, by (host account, date)."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], list[str]] = {}
        self._open: list[tuple[str, str] | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        found = dict(attrs)
        account, day = found.get("data-akun"), found.get("data-tanggal")
        key = (account, day) if tag == "li" and account and day else None
        if key:
            self.cells[key] = []
        self._open.append(key)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for key in self._open:
            if key:
                self.cells[key].append(data)


def cells_of(html: str) -> dict[tuple[str, str], str]:
    parser = CalendarCells()
    parser.feed(html)
    return {key: " ".join("".join(parts).split()) for key, parts in parser.cells.items()}


def next_working_day(after_days: int) -> date:
    day = datetime.now(UTC).date() + timedelta(days=after_days)
    while not WorkingCalendar().is_working_day(day):
        day += timedelta(days=1)
    return day


@pytest.fixture(scope="module")
def portal_users(system: System) -> Iterator[dict[str, httpx.Client]]:
    """Browsers signed in through /masuk: each holds its session cookie."""
    clients: dict[str, httpx.Client] = {}
    for role, username in (("subko", "subko"), ("opd", "opd.dinkes")):
        client = httpx.Client(base_url=system.urls["portal"], timeout=30)
        signed_in = client.post("/masuk", data={"username": username, "password": demo_password()})
        assert signed_in.status_code == 303, signed_in.text
        assert client.cookies.get(COOKIE), "the sign-in sets the session cookie"
        clients[role] = client
    yield clients
    for client in clients.values():
        client.close()


def test_a_hold_then_its_meeting_show_in_the_host_accounts_row_of_the_week(
    system: System, portal_users: dict[str, httpx.Client]
) -> None:
    opd, kadis, kabid, subko, staf = (
        login(system, name) for name in ("opd.dinkes", "kadis", "kabid", "subko", "staf")
    )
    day = next_working_day(10)
    topic = "Rapat Kalender Posyandu"
    request_id = file_request(
        opd,
        start=f"{day.isoformat()}T09:00:00{WITA}",
        end=f"{day.isoformat()}T11:00:00{WITA}",
        participants=150,
        topic=topic,
    )  # step 1
    wait_until(lambda: _case_opened(kadis, request_id), what="case opened")
    kadis.dispose(request_id, "kabid", instruction="Proses lebih lanjut")  # step 2
    kabid.dispose(request_id, "subkoordinator", instruction="Koordinasikan")  # step 3: the hold
    record = wait_until(lambda: _held(subko, request_id), what="the slot held")
    held_account = record["hold"]["id"]
    subko.dispose(request_id, "staf", instruction="Buatkan ID meeting dan password")  # step 4

    page = portal_users["subko"]
    monday = day - timedelta(days=day.weekday())
    week = monday.isoformat()
    response = page.get("/kalender", params={"minggu": day.isoformat()})
    assert response.status_code == 200, response.text
    html = response.text
    assert f"{monday.day}–" in html or f"{monday.day} " in html  # the week's heading
    assert f'href="/kalender?minggu={monday - timedelta(days=7)}"' in html
    assert f'href="/kalender?minggu={monday + timedelta(days=7)}"' in html
    cells = cells_of(html)
    accounts = {account for account, _ in cells}
    assert held_account in accounts
    assert len(accounts) >= 2
    cell = cells[(held_account, day.isoformat())]
    assert topic in cell
    assert "Dipesan" in cell
    assert "Menunggu rapat dibuat" in cell
    assert "09.00–11.00 WITA" in cell
    assert record["agenda_number"] in cell
    assert f'href="/kasus/{request_id}"' in html
    for other in accounts - {held_account}:
        assert topic not in cells[(other, day.isoformat())], "only the held account's row"

    staf.when_ready("POST", "scheduler", "/api/v1/meetings", json={"request_id": request_id})  # 5

    def meeting_shown() -> str | None:
        again = cells_of(page.get("/kalender", params={"minggu": week}).text)
        shown = again[(held_account, day.isoformat())]
        return shown if "Rapat sudah dibuat" in shown else None

    cell = wait_until(meeting_shown, what="the meeting in the calendar")
    assert topic in cell
    assert "09.00–11.00 WITA" in cell
    assert "Dipesan" not in cell


def test_an_opd_is_refused_the_calendar(portal_users: dict[str, httpx.Client]) -> None:
    response = portal_users["opd"].get("/kalender")
    assert response.status_code == 403
    assert "Tidak dapat diproses" in response.text
    assert 'data-akun="' not in response.text


def test_a_week_that_cannot_be_read_falls_back_to_this_week_with_a_warning(
    portal_users: dict[str, httpx.Client],
) -> None:
    response = portal_users["subko"].get("/kalender", params={"minggu": "besok"})
    assert response.status_code == 200
    assert "tidak dikenali" in response.text
    assert "Minggu ini" in response.text


def _case_opened(user: User, request_id: str) -> bool:
    return user.call("GET", "disposition", f"/api/v1/cases/{request_id}").status_code == 200


def _held(user: User, request_id: str) -> Any:
    response = user.call("GET", "scheduler", f"/api/v1/meetings/{request_id}")
    if response.status_code != 200:
        return None
    record = response.json()
    return record if record.get("hold") else None
