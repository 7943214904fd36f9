"""Live updates over the whole system: a step taken through the API reaches the signed-in browser
of the role it is for within one second, as server-sent events from the portal (``/langsung``),
and never the browser of another agency."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

import httpx

from services.launcher import System
from tests.e2e.harness import demo_password, file_request, login, wait_until
from tests.e2e.test_procedure import case_of, future_slot


@dataclass
class Message:
    at: float  # time.monotonic() when it arrived
    event: str
    data: str


@dataclass
class LiveStream:
    """One browser's ``/langsung``: what arrived, and when; ``ended`` once the portal closed it."""

    username: str
    messages: list[Message] = field(default_factory=list)
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    def of(self, event: str, containing: str = "") -> list[Message]:
        return [m for m in self.messages if m.event == event and containing in m.data]

    async def follow(self, client: httpx.AsyncClient) -> None:
        event, data = "message", list[str]()
        async with client.stream("GET", "/langsung") as response:
            assert response.status_code == 200, response.status_code
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                self.opened.set()
                if line == "":
                    if data:
                        self.messages.append(Message(time.monotonic(), event, "\n".join(data)))
                    event, data = "message", []
                elif line.startswith("event:"):
                    event = line.removeprefix("event:").strip()
                elif line.startswith("data:"):
                    data.append(line.removeprefix("data:").strip())
        self.ended.set()

    async def until(self, event: str, containing: str, within: float) -> Message:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = self.of(event, containing)
            if found:
                return found[0]
            await asyncio.sleep(0.01)
        raise AssertionError(f"{self.username}: no {event} with {containing!r}: {self.messages}")


async def signed_in(system: System, username: str) -> httpx.AsyncClient:
    """A browser signed in through the /masuk form: it holds the session cookie."""
    client = httpx.AsyncClient(
        base_url=system.urls["portal"], timeout=httpx.Timeout(10, read=30), trust_env=False
    )
    response = await client.post("/masuk", data={"username": username, "password": demo_password()})
    assert response.status_code == 303, response.text
    assert client.cookies.get("sivicon_sesi")
    return client


async def open_stream(
    client: httpx.AsyncClient, username: str
) -> tuple[LiveStream, asyncio.Task[None]]:
    stream = LiveStream(username)
    task = asyncio.create_task(stream.follow(client))
    await asyncio.wait_for(stream.opened.wait(), timeout=10)
    return stream, task


def test_a_disposition_reaches_kabid_within_a_second_and_no_other_agency(system: System) -> None:
    opd, kadis = login(system, "opd.dinkes"), login(system, "kadis")
    start, end = future_slot(12, 9)
    request_id = file_request(opd, start=start, end=end, participants=80)
    agenda = opd.ok("GET", "intake", f"/api/v1/requests/{request_id}")["agenda_number"]
    wait_until(lambda: case_of(kadis, request_id), what="case opened")

    async def scenario() -> None:
        browsers = {u: await signed_in(system, u) for u in ("kabid", "opd.dinkes", "opd.disdik")}
        streams = {u: await open_stream(c, u) for u, c in browsers.items()}
        kabid, own, other = (streams[u][0] for u in ("kabid", "opd.dinkes", "opd.disdik"))
        try:
            before = time.monotonic()
            await asyncio.to_thread(
                kadis.dispose, request_id, "kabid", instruction="Proses lebih lanjut"
            )
            arrived = await kabid.until("kasus", request_id, within=5)
            latency = arrived.at - before
            print(f"\nDisposed (Kadis to Kabid) on Kabid's stream after {latency * 1000:.0f} ms")
            assert latency < 1.0, f"took {latency:.3f} s"

            notice = await kabid.until("pemberitahuan", agenda, within=2)
            assert "menunggu tindakan Anda" in notice.data
            assert f'href="/kasus/{request_id}"' in notice.data

            # The requesting agency's own browser refreshes too (no notice: nothing for it to do).
            await own.until("kasus", request_id, within=5)
            await asyncio.sleep(0.5)
            assert not own.of("pemberitahuan", agenda)
            # Another agency's browser gets nothing of this request, not even its ID.
            assert not [m for m in other.messages if request_id in m.data or agenda in m.data]
        finally:
            for _, task in streams.values():
                task.cancel()
            for client in browsers.values():
                await client.aclose()

    asyncio.run(scenario())


def test_the_stream_ends_when_the_user_signs_out(system: System) -> None:
    async def scenario() -> None:
        client = await signed_in(system, "kabid")
        try:
            stream, task = await open_stream(client, "kabid")
            # A post without its token is refused with a page that still has the sign-out form.
            page = await client.post("/keluar")
            assert page.status_code == 403
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf, "no sign-out form on the page"
            signed_out = await client.post("/keluar", data={"csrf": csrf.group(1)})
            assert signed_out.status_code == 303
            await asyncio.wait_for(stream.ended.wait(), timeout=10)
            assert stream.of("sesi", "berakhir")
            task.cancel()
            again = await client.get("/langsung")
            assert again.status_code == 303  # no session: sent to /masuk, no stream
        finally:
            await client.aclose()

    asyncio.run(scenario())
