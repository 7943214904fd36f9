"""Live updates: the pages follow the stream without reloading (server-sent events, ``/langsung``).

The portal keeps no store and needs no history, so it listens to the integration events with a
plain core NATS subscription (``sivicon.<producer>.<EventName>.<request_id>``), started by the
first browser that connects, and hands each event to every open stream through its own bounded
queue: a browser that cannot keep up is dropped (its ``EventSource`` reconnects), never waited for.

Each stream passes on only what its user may read, as the services decide it
(:mod:`shared.access`): the office, the operator, the auditor and the administrator every case,
an OPD only its own agency's. A request's agency is learnt from its ``RequestSubmitted``; for one
submitted before the portal listened, intake is asked once with the user's own token (a 403 means
another agency's). Two kinds of message go out: ``kasus`` with the request ID (pages refresh on
``sse:kasus``) and ``pemberitahuan`` with the user's latest notices as HTML, for what is new for
them (a case now waiting for their action, a meeting created for their request, ...).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import StreamingResponse
from markupsafe import Markup
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from services.portal.backend import Backend, Refusal
from services.portal.sessions import Session, SessionStore
from services.portal.signin import SessionDep
from services.portal.templating import Pages
from shared import subjects
from shared.envelope import EnvelopeError, from_message
from shared.events import (
    Actor,
    Disposed,
    IntegrationEvent,
    LetterReceived,
    LetterSent,
    MeetingCancelled,
    MeetingCreated,
    RequestRejected,
    RequestSubmitted,
    RequestWithdrawn,
    SlaBreached,
    SlotChecked,
    WithdrawalRefused,
)
from shared.roles import OFFICE_ROLES, ROLE_NAMES, effective_role

log = logging.getLogger("sivicon.portal.live")

router = APIRouter(include_in_schema=False)

HEARTBEAT_SECONDS = 15.0
SESSION_CHECK_SECONDS = 5.0
QUEUE_LIMIT = 256
REMEMBERED = 10_000  # requests whose agency is kept in memory, and event IDs seen
NOTICES_SHOWN = 5
RETRY_MS = 3000


@dataclass(frozen=True)
class CaseFacts:
    """What a stream needs to know of a request: whose it is, and its agenda number."""

    opd_code: str
    agenda_number: str


class _Bounded(OrderedDict[object, object]):
    """A dict that forgets its oldest entries beyond ``limit``."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def remember(self, key: object, value: object = None) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


class Listener:
    """One open stream: the events not yet sent to it (``None`` when it was dropped)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[IntegrationEvent | None] = asyncio.Queue(QUEUE_LIMIT)


class LiveFeed:
    """The portal's one subscription to the integration events, fanned out to the streams."""

    def __init__(self) -> None:
        self.listeners: set[Listener] = set()
        self.subscription: Subscription | None = None
        self._facts = _Bounded(REMEMBERED)
        self._refused = _Bounded(REMEMBERED)  # (request_id, opd_code) intake refused to show
        self._seen = _Bounded(REMEMBERED)  # event IDs: a relay may publish an event twice
        self._starting = asyncio.Lock()

    async def start(self, nc: NatsClient) -> None:
        async with self._starting:
            if self.subscription is None:
                # Core NATS: a message published to the stream reaches this subscriber as well;
                # the subscription is renewed by the client after a reconnect.
                self.subscription = await nc.subscribe("sivicon.*.*.*", cb=self._on_message)
                await nc.flush()  # the server knows of it before the stream is answered

    async def _on_message(self, msg: Msg) -> None:
        try:
            envelope = from_message(msg.headers, msg.data)
        except EnvelopeError:
            return  # an inbound submission or anything else that is not an integration event
        event = envelope.event
        if subjects.event_subject(event) != msg.subject or isinstance(event, RequestRejected):
            return  # a rejected submission has no request to show
        if envelope.event_id in self._seen:
            return
        self._seen.remember(envelope.event_id)
        if isinstance(event, RequestSubmitted):
            self._facts.remember(event.request_id, CaseFacts(event.opd_code, event.agenda_number))
        self.publish(event)

    def publish(self, event: IntegrationEvent) -> None:
        for listener in list(self.listeners):
            try:
                listener.queue.put_nowait(event)
            except asyncio.QueueFull:
                self.drop(listener)

    def join(self) -> Listener:
        listener = Listener()
        self.listeners.add(listener)
        return listener

    def leave(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    def drop(self, listener: Listener) -> None:
        """End a stream that fell behind: its browser reconnects and starts afresh."""
        self.leave(listener)
        while not listener.queue.empty():
            listener.queue.get_nowait()
        listener.queue.put_nowait(None)

    async def facts(self, request_id: UUID, session: Session, backend: Backend) -> CaseFacts | None:
        """The request's agency and agenda number, or ``None`` when this user may not read it."""
        known = self._facts.get(request_id)
        if isinstance(known, CaseFacts):
            return known
        refused_key = (request_id, session.actor.opd_code)
        if refused_key in self._refused:
            return None
        try:
            view = await backend.get(session, "intake", f"/api/v1/requests/{request_id}")
        except Refusal as refusal:
            if refusal.status == 403:
                self._refused.remember(refused_key)
            return None
        facts = CaseFacts(str(view["opd_code"]), str(view["agenda_number"]))
        self._facts.remember(request_id, facts)
        return facts


def feed_of(app: FastAPI) -> LiveFeed:
    feed = getattr(app.state, "live_feed", None)
    if feed is None:
        feed = app.state.live_feed = LiveFeed()
    assert isinstance(feed, LiveFeed)
    return feed


def _actor_of(event: IntegrationEvent) -> Actor | None:
    for name in (
        "by",
        "submitted_by",
        "created_by",
        "signer",
        "received_by",
        "withdrawn_by",
        "cancelled_by",
    ):
        actor = getattr(event, name, None)
        if isinstance(actor, Actor):
            return actor
    return None


def notice_for(event: IntegrationEvent, role: str, agenda: str) -> str | None:
    """What is new for someone in ``role`` in this event, in a sentence; ``None`` if nothing."""
    office = role in OFFICE_ROLES
    if isinstance(event, RequestSubmitted) and role == "kadis":
        return f"Permohonan baru {agenda} dari {event.opd_name} menunggu disposisi Anda"
    if isinstance(event, Disposed):
        if event.to_role == role and office:
            sender = ROLE_NAMES.get(effective_role(event.by), event.by.role)
            return f"Kasus {agenda} menunggu tindakan Anda (dari {sender})"
        if event.to_role == role == "opd":
            return f"Ada tanggapan untuk permohonan {agenda}"
    if isinstance(event, SlotChecked) and role == "subkoordinator":
        if event.available:
            return f"Jadwal untuk kasus {agenda} tersedia ({event.host_account_name})"
        return f"Jadwal untuk kasus {agenda} penuh; tersedia {len(event.alternatives)} waktu lain"
    if isinstance(event, MeetingCreated) and role == "opd":
        return f"Rapat untuk permohonan {agenda} telah dibuat"
    if isinstance(event, MeetingCancelled) and role in ("opd", "subkoordinator", "staf"):
        return f"Rapat untuk permohonan {agenda} dibatalkan"
    if isinstance(event, LetterSent) and role == "opd":
        return (
            f"Surat tanggapan untuk permohonan {agenda} telah dikirim; "
            "mohon konfirmasi penerimaannya"
        )
    if isinstance(event, LetterReceived) and role == "subkoordinator":
        return f"OPD telah mengonfirmasi penerimaan surat tanggapan kasus {agenda}"
    if isinstance(event, SlaBreached) and (
        role in ("kadis", "kabid", "subkoordinator") or (role == "staf" and event.sop_step == 5)
    ):
        return f"Batas waktu langkah {event.sop_step} kasus {agenda} ({event.limit}) terlampaui"
    if isinstance(event, RequestWithdrawn) and office:
        return f"Permohonan {agenda} ditarik oleh OPD pemohon"
    if isinstance(event, WithdrawalRefused) and role == "opd":
        return f"Penarikan permohonan {agenda} tidak dapat diproses: kasus sudah selesai"
    return None


@dataclass(frozen=True)
class Notice:
    text: str
    href: str
    at: datetime


def _notices_html(notices: deque[Notice], pages: Pages) -> str:
    item = Markup('<li><a href="{}">{}</a> <small>{}</small></li>')
    items = Markup("").join(item.format(n.href, n.text, pages.time(n.at)) for n in notices)
    return str(Markup('<ul class="pemberitahuan-daftar">{}</ul>').format(items))


def sse(event: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


async def _stream(request: Request, session: Session) -> AsyncIterator[str]:
    app = request.app
    feed = feed_of(app)
    backend: Backend = app.state.backend
    store: SessionStore = app.state.sessions
    pages: Pages = app.state.pages
    actor = session.actor
    role = effective_role(actor)
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
            facts: CaseFacts | None = None
            if role == "opd":
                facts = await feed.facts(event.request_id, session, backend)
                if facts is None or facts.opd_code != actor.opd_code:
                    continue
            yield sse("kasus", str(event.request_id))
            by = _actor_of(event)
            if by is not None and by.username == actor.username:
                continue  # one's own step is no news
            if notice_for(event, role, "") is None:
                continue
            facts = facts or await feed.facts(event.request_id, session, backend)
            agenda = facts.agenda_number if facts else "(tanpa nomor)"
            text = notice_for(event, role, agenda)
            assert text is not None
            where = "permohonan" if role == "opd" else "kasus"
            notices.appendleft(Notice(text, f"/{where}/{event.request_id}", datetime.now(UTC)))
            yield sse("pemberitahuan", _notices_html(notices, pages))
    finally:
        feed.leave(listener)


@router.get("/langsung")
async def live(request: Request, session: SessionDep) -> StreamingResponse:
    """Server-sent events for this user: ``kasus`` (a case changed) and ``pemberitahuan``."""
    nc = request.app.state.runtime.nc
    assert nc is not None, "the runtime connects to NATS before the portal serves"
    await feed_of(request.app).start(nc)
    return StreamingResponse(
        _stream(request, session),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
