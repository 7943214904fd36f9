"""The case lists searched, filtered, counted and paged by the disposition service, over every
case the caller may read: a case far down the list is found, the totals count the matches, the
counters come from the service, and the portal's inbox pages through the service's answer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import nats
import pytest

from services.disposition.application import DispositionApplication
from services.disposition.main import create_app as disposition_app
from services.disposition.search import CaseSearch
from services.portal.main import create_app as portal_app
from services.portal.users import DEMO_PASSWORD
from shared import subjects
from shared.envelope import to_body, to_headers
from shared.events import RequestSubmitted
from shared.messaging import Consumed
from shared.settings import Settings
from tests.builders import person, slot_checked, submitted
from tests.support import auth, running, serving, signed

CASES = 60
START = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Monday 7 December 2026, 09:00 WITA


def filed(now: datetime) -> list[RequestSubmitted]:
    """Sixty requests: every third from DISDIK, the meetings spread over six days, the first
    thirty filed two days ago and the rest within the hour (newest last)."""
    events = []
    for seq in range(1, CASES + 1):
        at = now - (timedelta(days=2) if seq <= 30 else timedelta(minutes=CASES - seq + 1))
        at += timedelta(seconds=seq)  # a distinct order even within each half
        start = START + timedelta(days=seq % 6)
        events.append(
            submitted(
                at=at,
                seq=seq,
                opd_code="DISDIK" if seq % 3 == 0 else "DINKES",
                start=start,
                end=start + timedelta(hours=2),
            )
        )
    return events


async def publish_all(nats_url: str, events: list[RequestSubmitted]) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for event in events:
            subject, body = subjects.event_subject(event), to_body(event)
            headers = to_headers(
                event, event_id=f"intake-{event.request_id}", time=event.submitted_at
            )
            await js.publish(
                subject, body, headers=signed(subject, headers, body), stream=subjects.STREAM
            )
    finally:
        await nc.close()


async def all_handled(client: httpx.AsyncClient, settings: Settings, count: int) -> None:
    operator = auth(settings, "operator")
    for _ in range(400):
        health = (await client.get("/api/v1/health/details", headers=operator)).json()
        if health["consumers"]["disposition"]["handled"] >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the consumer handled fewer than {count} messages: {health}")


def ids(page: dict[str, Any]) -> list[str]:
    return [row["case_id"] for row in page["items"]]


async def test_a_search_finds_a_case_beyond_the_first_pages_and_totals_count_the_matches(
    settings: Settings, nats_url: str
) -> None:
    events = filed(datetime.now(UTC))
    oldest_dinkes = str(events[4].request_id)  # VC/2026/0005, on the third page of twenty
    async with running(disposition_app(settings)) as client:
        await publish_all(nats_url, events)
        await all_handled(client, settings, CASES)
        auditor = auth(settings, "auditor")

        async def cases(**params: Any) -> dict[str, Any]:
            answer = await client.get("/api/v1/cases", params=params, headers=auditor)
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            return body

        first = await cases(limit=20)
        assert (first["total"], first["unfiltered_total"], len(first["items"])) == (60, 60, 20)
        assert oldest_dinkes not in ids(first)  # what fetching one page and filtering it missed
        assert oldest_dinkes in ids(await cases(limit=20, offset=40))

        found = await cases(q="vc/2026/0005", limit=20)
        assert (ids(found), found["total"], found["unfiltered_total"]) == ([oldest_dinkes], 1, 60)
        by_topic = await cases(q="KOORDINASI posyandu", limit=20)
        assert (by_topic["total"], len(by_topic["items"])) == (60, 20)

        disdik = await cases(agency="disdik", limit=20, offset=0)
        assert (disdik["total"], len(disdik["items"])) == (20, 20)
        assert {r["opd_code"] for r in disdik["items"]} == {"DISDIK"}
        by_name = await cases(agency="Dinas Kesehatan", limit=50)
        assert by_name["total"] == 40

        # Meetings on Tuesday 8 and Wednesday 9 December (office time): seq % 6 in (1, 2).
        two_days = await cases(date_from="2026-12-08", date_to="2026-12-09", limit=50)
        assert two_days["total"] == 20
        days = {r["meeting_start"][:10] for r in two_days["items"]}
        assert days == {"2026-12-08", "2026-12-09"}  # 09:00 WITA is 01:00 UTC, the same day
        combined = await cases(agency="DISDIK", date_from="2026-12-07", date_to="2026-12-07")
        assert combined["total"] == 10  # seq 6, 12, ..., 60: DISDIK and on Monday
        assert (await cases(state="new", limit=1))["total"] == 30
        assert (await cases(step=2, limit=1))["total"] == 60
        assert (await cases(step=3, limit=1))["total"] == 0
        assert (await cases(status="closed", q="VC/2026"))["total"] == 0
        # The OPD's list asks for the cases of the requests on its page, by ID.
        chosen = [str(e.request_id) for e in events[3:6]]
        by_id = await cases(request_id=chosen, limit=50)
        assert (sorted(ids(by_id)), by_id["total"]) == (sorted(chosen), 3)
        assert {r["branch"] for r in by_id["items"]} == {None}  # step 4 not taken yet
        too_many = await client.get(
            "/api/v1/cases", params={"request_id": [chosen[0]] * 101}, headers=auditor
        )
        assert too_many.status_code == 422

        inbox = await client.get(
            "/api/v1/inbox", params={"q": "0005", "limit": 20}, headers=auth(settings, "kadis")
        )
        assert (ids(inbox.json()), inbox.json()["unfiltered_total"]) == ([oldest_dinkes], 60)
        own = await client.get(
            "/api/v1/cases", params={"agency": "DISDIK"}, headers=auth(settings, "opd")
        )
        assert (own.json()["total"], own.json()["unfiltered_total"]) == (0, 40)

        counters = await client.get("/api/v1/inbox/counters", headers=auth(settings, "kadis"))
        assert counters.json() == {"new": 30, "open": 60, "due_soon": 0, "overdue": 0}
        nothing = await client.get("/api/v1/inbox/counters", headers=auth(settings, "kabid"))
        assert nothing.json() == {"new": 0, "open": 0, "due_soon": 0, "overdue": 0}

        bad = await client.get("/api/v1/cases", params={"date_from": "besok"}, headers=auditor)
        assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_input")
        assert [d["field"] for d in bad.json()["error"]["details"]] == ["date_from"]
        reversed_range = await client.get(
            "/api/v1/inbox",
            params={"date_from": "2026-12-09", "date_to": "2026-12-08"},
            headers=auditor,
        )
        assert reversed_range.status_code == 422
        assert reversed_range.json()["error"]["pesan"] == "tanggal awal sesudah tanggal akhir"
        unknown_state = await client.get("/api/v1/cases", params={"state": "late"}, headers=auditor)
        assert unknown_state.status_code == 422

        document = (await client.get("/openapi.json")).json()
        listed = {
            p["name"]: p["schema"] for p in document["paths"]["/api/v1/cases"]["get"]["parameters"]
        }
        assert {"q", "agency", "date_from", "date_to", "state", "step"} <= set(listed)
        counted = document["paths"]["/api/v1/inbox/counters"]["get"]["responses"]["200"]
        assert counted["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/InboxCounters"
        }


# --------------------------------------------------------------------------- the time limits


@pytest.fixture
def app(store_env: dict[str, str]) -> DispositionApplication:
    return DispositionApplication(env=store_env)


def test_due_soon_and_overdue_are_counted_and_filtered_at_the_moment_asked(
    app: DispositionApplication,
) -> None:
    now = datetime.now(UTC)
    waiting, timed = submitted(at=now, seq=1), submitted(at=now, seq=2)
    for n, event in enumerate((waiting, timed)):
        app.process_event(event, Consumed("SIVICON@test", n + 1, event_id=f"e-{n}"))
    request_id: UUID = timed.request_id
    app.dispose(request_id, person("kadis"), "kabid")
    app.dispose(request_id, person("kabid"), "subkoordinator")
    app.process_event(
        slot_checked(request_id, available=True, at=now),
        Consumed("SIVICON@test", 3, event_id="e-2"),
    )
    app.dispose(request_id, person("subkoordinator"), "staf")  # step 5: 15 minutes from now
    staf, auditor = person("staf"), person("auditor")

    soon = now + timedelta(minutes=10)
    assert app.inbox_counters(staf, soon).model_dump() == {
        "new": 1,
        "open": 1,
        "due_soon": 1,
        "overdue": 0,
    }
    late = now + timedelta(minutes=20)
    assert app.inbox_counters(staf, late).model_dump()["overdue"] == 1
    assert app.inbox_counters(auditor, late).model_dump() == {
        "new": 2,
        "open": 2,
        "due_soon": 0,
        "overdue": 1,
    }
    overdue = app.list_cases(auditor, search=CaseSearch(state="overdue"), now=late)
    assert ([r.case_id for r in overdue.items], overdue.total) == ([request_id], 1)
    assert app.list_cases(auditor, search=CaseSearch(state="overdue"), now=soon).total == 0
    assert app.list_cases(auditor, search=CaseSearch(state="due_soon"), now=soon).total == 1
    tomorrow = now + timedelta(days=1, hours=1)
    assert app.inbox(auditor, search=CaseSearch(state="new"), now=tomorrow).total == 0


# --------------------------------------------------------------------------- the portal's inbox


@pytest.fixture
def disposition_url(settings: Settings) -> Iterator[str]:
    with serving(disposition_app(settings)) as url:
        yield url


async def test_the_inbox_pages_through_the_service_and_its_search_reaches_every_case(
    settings: Settings, nats_url: str, disposition_url: str
) -> None:
    events = filed(datetime.now(UTC))
    await publish_all(nats_url, events)
    oldest = events[0]  # VC/2026/0001: the last of sixty, newest first
    link = f'href="/kasus/{oldest.request_id}"'
    portal_settings = settings.model_copy(update={"disposition_url": disposition_url})
    async with running(portal_app(portal_settings)) as portal:
        await portal.post("/masuk", data={"username": "auditor", "password": DEMO_PASSWORD})
        for _ in range(200):
            first = await portal.get("/kasus")
            if "60 kasus." in first.text:
                break
            await asyncio.sleep(0.05)
        assert "60 kasus." in first.text, first.text
        assert link not in first.text
        assert "Ditampilkan 1–50." in first.text
        assert 'href="/kasus?halaman=2"' in first.text
        assert "Berikutnya" in first.text
        assert "Sebelumnya" not in first.text
        assert "<strong>60</strong> <span>Terbuka</span>" in first.text
        assert "<strong>30</strong> <span>Baru</span>" in first.text

        second = await portal.get("/kasus", params={"halaman": "2"})
        assert link in second.text
        assert "Ditampilkan 51–60." in second.text
        assert 'rel="prev" href="/kasus"' in second.text
        assert "Sebelumnya" in second.text
        assert "Berikutnya" not in second.text
        beyond = await portal.get("/kasus", params={"halaman": "9"})
        assert link in beyond.text  # past the end: the last page

        found = await portal.get("/kasus", params={"q": "VC/2026/0001"})
        assert link in found.text
        assert "1 dari 60 kasus cocok dengan pencarian." in found.text
        new_disdik = await portal.get("/kasus", params={"opd": "disdik", "keadaan": "baru"})
        assert "10 dari 60 kasus cocok dengan pencarian." in new_disdik.text
        paged = await portal.get(
            "/kasus",
            params={"tab": "terbuka", "opd": "dinkes", "halaman": "1"},
            headers={"HX-Request": "true", "HX-Target": "daftar"},
        )
        assert "<html" not in paged.text
        assert "40 dari 60 kasus cocok dengan pencarian." in paged.text
        assert "Berikutnya" not in paged.text
        wrong = await portal.get("/kasus", params={"tanggal": "besok", "q": "VC/2026/0001"})
        assert "Tanggal tidak dikenali" in wrong.text
        assert link in wrong.text  # the other filters still apply

        portal.cookies.clear()
        await portal.post("/masuk", data={"username": "kabid", "password": DEMO_PASSWORD})
        mine = await portal.get("/kasus")
        assert "Tidak ada kasus yang menunggu tindakan Anda." in mine.text
        assert "<strong>0</strong> <span>Perlu tindakan</span>" in mine.text
