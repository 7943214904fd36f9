"""The live stream's endpoint (``/langsung``): server-sent events for the signed-in user, so the
pages follow the procedure without reloading. Two kinds of message go out: ``kasus`` with the
request ID (pages refresh on ``sse:kasus``, see ``templates/live.html``) and ``pemberitahuan``
with the user's latest notices as HTML. A heartbeat keeps proxies from closing an idle stream;
the session is checked every few seconds and a stream whose session ended says ``sesi``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from nats.aio.client import Client as NatsClient

from services.portal.backend import Backend
from services.portal.live_audience import may_see, news_for
from services.portal.live_feed import LiveFeed, feed_of
from services.portal.live_notices import NOTICES_SHOWN, Notice, notices_html
from services.portal.sessions import Session, SessionStore
from services.portal.signin import SessionDep
from services.portal.state import BackendDep, PagesDep, SessionsDep
from services.portal.templating import Pages
from shared.events import IntegrationEvent

router = APIRouter(include_in_schema=False)

HEARTBEAT_SECONDS = 15.0
SESSION_CHECK_SECONDS = 5.0
RETRY_MS = 3000


def sse(event: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


async def _stream(
    feed: LiveFeed, session: Session, backend: Backend, store: SessionStore, pages: Pages
) -> AsyncIterator[str]:
    notices: deque[Notice] = deque(maxlen=NOTICES_SHOWN)
    listener = feed.join()
    try:
        yield f"retry: {RETRY_MS}\n: tersambung\n\n"
        beat = check = time.monotonic()
        while True:
            now = time.monotonic()
            wait = max(0.0, min(beat + HEARTBEAT_SECONDS, check + SESSION_CHECK_SECONDS) - now)
            event: IntegrationEvent | bool | None
            try:
                event = await asyncio.wait_for(listener.queue.get(), timeout=wait)
            except TimeoutError:
                event = False
            if event is None:
                return  # dropped: it fell behind
            now = time.monotonic()
            if now - check >= SESSION_CHECK_SECONDS:
                check = now
                if not store.alive(session):
                    yield sse("sesi", "berakhir")
                    return
            if now - beat >= HEARTBEAT_SECONDS:
                beat = now
                yield ": detak\n\n"
            if event is False:
                continue
            assert isinstance(event, IntegrationEvent)
            shown, facts = await may_see(event, session, feed, backend)
            if not shown:
                continue
            yield sse("kasus", str(event.request_id))
            notice = await news_for(event, session, feed, backend, facts)
            if notice is None:
                continue
            notices.appendleft(notice)
            yield sse("pemberitahuan", notices_html(notices, pages))
    finally:
        feed.leave(listener)


def _nats_of(request: Request) -> NatsClient:
    # Not in services.portal.state (not this module's to edit): the runtime's NATS connection.
    nc: NatsClient | None = request.app.state.runtime.nc
    assert nc is not None, "the runtime connects to NATS before the portal serves"
    return nc


@router.get("/langsung")
async def live(
    request: Request,
    session: SessionDep,
    backend: BackendDep,
    store: SessionsDep,
    pages: PagesDep,
) -> StreamingResponse:
    """Server-sent events for this user: ``kasus`` (a case changed) and ``pemberitahuan``."""
    feed = feed_of(request.app)
    await feed.start(_nats_of(request), request.app.state.runtime.keyring)
    return StreamingResponse(
        _stream(feed, session, backend, store, pages),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
