"""The portal's one subscription to the integration events, fanned out to the open streams.

The portal keeps no store and needs no history, so it listens with a plain core NATS
subscription (``sivicon.<producer>.<EventName>.<request_id>``), started by the first browser that
connects, and hands each event to every open stream through its own bounded queue: a browser that
cannot keep up is dropped (its ``EventSource`` reconnects), never waited for.

What a stream needs of a request (its agency and agenda number, :class:`CaseFacts`) is learnt
from its ``RequestSubmitted``; for one submitted before the portal listened, intake is asked once
with the user's own token (a 403 means another agency's, remembered as such).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

from fastapi import FastAPI
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from services.portal.backend import Backend, Refusal
from services.portal.sessions import Session
from shared import subjects
from shared.envelope import EnvelopeError, from_message
from shared.events import IntegrationEvent, RequestRejected, RequestSubmitted
from shared.signing import Keyring, SignatureRefused, verify_event

QUEUE_LIMIT = 256
REMEMBERED = 10_000  # requests whose agency is kept in memory, and event IDs seen


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
        self.keyring = Keyring()

    async def start(self, nc: NatsClient, keyring: Keyring) -> None:
        self.keyring = keyring
        async with self._starting:
            if self.subscription is None:
                # Core NATS: a message published to the stream reaches this subscriber as well;
                # the subscription is renewed by the client after a reconnect.
                self.subscription = await nc.subscribe("sivicon.*.*.*", cb=self._on_message)
                await nc.flush()  # the server knows of it before the stream is answered

    async def _on_message(self, msg: Msg) -> None:
        try:
            verify_event(self.keyring, msg.subject, msg.headers or {}, msg.data)
            envelope = from_message(msg.headers, msg.data)
        except (SignatureRefused, EnvelopeError):
            # An inbound submission, anything else that is not an integration event, and any
            # event not signed by its producer: nobody is told of what did not happen.
            return
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
    """The app's feed, made on first use (the portal's ``main.py`` knows nothing of it)."""
    feed = getattr(app.state, "live_feed", None)
    if feed is None:
        feed = app.state.live_feed = LiveFeed()
    assert isinstance(feed, LiveFeed)
    return feed
