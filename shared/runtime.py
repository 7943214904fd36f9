"""Running one service: NATS connection, stream, outbox relay and consumers inside the API's
lifespan, a health report for operators, structured logs, and the HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, FastAPI
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from pydantic import BaseModel, Field

from shared import subjects
from shared.auth import require_role
from shared.events import IntegrationEvent
from shared.eventstore import ServiceApplication
from shared.httpapi import CurrentActor
from shared.messaging import (
    ConsumerStats,
    DurableConsumer,
    Handler,
    NatsAccessError,
    OutboxRelay,
    RelayStats,
    StreamMissing,
    ToIntegration,
    check_stream,
    connect,
    hand_over,
)
from shared.revocations import BUCKET as REVOCATIONS
from shared.revocations import Revocations, RevocationsMissing, follow, open_bucket
from shared.settings import Settings
from shared.signing import (
    Keyring,
    KeyringEntry,
    ServiceKey,
    SigningError,
    load_key,
    own_key_published,
    read_keyring_bucket,
    read_keyring_entry,
)

log = logging.getLogger("sivicon.runtime")


class Liveness(BaseModel):
    """What anyone (a load balancer) may know of one service: that it answers, and whether it
    is connected to NATS."""

    service: str
    status: Literal["ok", "degraded"]
    nats_connected: bool


class Health(Liveness):
    """What an operator sees of one service: connected or not, its relay, its consumers (with
    their dead letters and reasons)."""

    started_at: datetime | None
    relay: RelayStats | None = Field(description="the outbox relay; null for the portal")
    consumers: dict[str, ConsumerStats] = Field(description="by durable name")


_LIVENESS = set(Liveness.model_fields)


@dataclass(frozen=True)
class ConsumerSpec:
    durable: str
    filter_subjects: Sequence[str]
    handler: Handler


def event_consumer(application: ServiceApplication, durable: str, keyring: Keyring) -> ConsumerSpec:
    """The consumer of every integration event the application's ``policy`` has a method for,
    each accepted only when signed by its producer (checked against ``keyring``)."""
    kinds = [k for k in application.consumed_events() if issubclass(k, IntegrationEvent)]
    filters = [subjects.event_filter(kind.producer, kind.event_name) for kind in kinds]
    return ConsumerSpec(durable, filters, hand_over(application, keyring))


def compose(
    settings: Settings,
    service: str,
    application: ServiceApplication | None,
    *,
    title: str,
    description: str,
    router: APIRouter,
    to_integration: ToIntegration | None = None,
    consumers: Sequence[ConsumerSpec] | None = None,
    keyring: Keyring | None = None,
    periodic: Sequence[tuple[float, Callable[[], object]]] = (),
) -> FastAPI:
    """A service's API with its runtime, as every composition root builds it: the relay, the
    consumers (by default the one for the application's policy), the periodic jobs, the routes.
    ``keyring`` is the one the given consumers check signatures with (loaded at start)."""
    keyring = keyring if keyring is not None else Keyring()
    if consumers is None:
        consumers = []
        if application is not None and application.consumed_events():
            consumers = [event_consumer(application, service, keyring)]
    runtime = ServiceRuntime(
        settings,
        service,
        application,
        to_integration=to_integration,
        consumers=consumers,
        keyring=keyring,
        periodic=periodic,
    )
    api = runtime.build_api(title, description)
    api.include_router(router)
    return api


class ServiceRuntime:
    """Owns the background work of one service process; started and stopped by the lifespan."""

    def __init__(
        self,
        settings: Settings,
        service: str,
        application: ServiceApplication | None,
        *,
        to_integration: ToIntegration | None = None,
        consumers: Sequence[ConsumerSpec] = (),
        keyring: Keyring | None = None,
        periodic: Sequence[tuple[float, Callable[[], object]]] = (),
    ) -> None:
        self.settings = settings
        self.keyring = keyring if keyring is not None else Keyring()
        self.service = service
        self.application = application
        self.to_integration = to_integration
        self.consumer_specs = list(consumers)
        self.periodic = list(periodic)
        self.nc: NatsClient | None = None
        self.relay: OutboxRelay | None = None
        self.consumers: list[DurableConsumer] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.started_at: datetime | None = None
        ttl = max(settings.token_ttl_minutes * 60, settings.session_max_hours * 3600)
        self.revocations = Revocations(token_ttl_seconds=ttl)

    async def start(self) -> None:
        try:
            self.nc = await connect(
                self.settings.nats_url,
                f"sivicon-{self.service}",
                credentials=self.settings.nats_credentials,
                tls_ca=self.settings.nats_tls_ca,
            )
            js = self.nc.jetstream()
            await check_stream(js)  # only the admin creates it
        except (NatsAccessError, StreamMissing) as exc:
            log.critical(
                "%s cannot start: %s (settings: SIVICON_NATS_URL=%s, SIVICON_NATS_CREDENTIALS=%s, "
                "SIVICON_NATS_TLS_CA=%s)",
                self.service,
                exc,
                self.settings.nats_url,
                self.settings.nats_credentials,
                self.settings.nats_tls_ca,
            )
            raise
        await self._follow_revocations(js)
        app = self.application
        try:
            await self._load_keyring(js)
            key = await self._own_key(js) if app is not None else None
        except SigningError as exc:
            log.critical("%s cannot start: %s", self.service, exc)
            await self.stop()  # not started: the watch and the connection end here
            raise
        if app is not None and self.to_integration is not None:
            assert key is not None
            self.relay = OutboxRelay(app, js, self.service, self.to_integration, key)
            app.on_saved(self.relay.wake)
            self._spawn(self.relay.run(), "relay")
        for spec in self.consumer_specs:
            assert app is not None
            consumer = DurableConsumer(
                self.nc,
                js,
                service=self.service,
                durable=spec.durable,
                filter_subjects=spec.filter_subjects,
                handler=spec.handler,
                store=app,
                ack_wait_seconds=self.settings.consumer_ack_wait_seconds,
            )
            self.consumers.append(consumer)
            self._spawn(consumer.run(), f"consumer {spec.durable}")
        for seconds, job in self.periodic:
            self._spawn(self._every(seconds, job), f"every {seconds:g} s: {job.__name__}")
        self.started_at = datetime.now(UTC)

    async def _load_keyring(self, js: JetStreamContext) -> None:
        """The keyring from NATS; read again (once per unknown key ID) when a message names a
        key not in it."""
        self.keyring.replace(await read_keyring_bucket(js))
        loop = asyncio.get_running_loop()

        async def fresh(kid: str) -> dict[str, KeyringEntry]:
            # The listing of a bucket's keys can come back short on a busy server: the key
            # named is asked for by its ID as well, so that a real event is never refused.
            entries = await read_keyring_bucket(js)
            if kid not in entries and (entry := await read_keyring_entry(js, kid)) is not None:
                entries[kid] = entry
            return entries

        def reload(kid: str) -> dict[str, KeyringEntry]:
            try:
                asyncio.get_running_loop()
            except RuntimeError:  # a handler's worker thread: the read runs on the loop
                future = asyncio.run_coroutine_threadsafe(fresh(kid), loop)
                return future.result(timeout=10)
            return self.keyring.entries  # on the loop itself, which must not wait for itself

        self.keyring.reload = reload

    async def _own_key(self, js: JetStreamContext) -> ServiceKey:
        """This service's signing key, which must be in the keyring it loaded. Listing a
        bucket's keys can come back short while the server is busy (seen in the fault campaign,
        where services start right after the keyring was published): before refusing to start,
        the service asks for its own entry by its ID, for a few seconds."""
        key = load_key(self.settings.signing_key_path(self.service), self.service)
        for _ in range(10):
            if self.keyring.entries.get(key.key_id) == key.entry():
                break
            entry = await read_keyring_entry(js, key.key_id)
            if entry is not None:
                self.keyring.replace({**self.keyring.entries, key.key_id: entry})
                break
            await asyncio.sleep(0.5)
        own_key_published(key, self.keyring.entries, f"NATS at {self.settings.nats_url}")
        return key

    async def _follow_revocations(self, js: JetStreamContext) -> None:
        """Watch ``sivicon-revocations`` (refusing to start without it); serve only once read."""
        bucket = await open_bucket(js)
        loaded = asyncio.Event()
        self._spawn(follow(bucket, self.revocations, loaded, self.nc), "revocations watch")
        try:
            await asyncio.wait_for(loaded.wait(), timeout=15)
        except TimeoutError:
            raise RevocationsMissing(f"{REVOCATIONS} could not be read within 15 s") from None

    async def _every(self, seconds: float, job: Callable[[], object]) -> None:
        """Run a synchronous job in a worker thread every ``seconds``; a failure is logged and
        the job runs again next time."""
        while True:
            await asyncio.sleep(seconds)
            try:
                await asyncio.to_thread(job)
            except Exception:
                log.exception("%s: periodic job %s failed", self.service, job.__name__)

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=f"{self.service} {name}")
        task.add_done_callback(self._on_task_done)
        self._tasks.append(task)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.critical(
                "%s stopped: %r; exiting so that the supervisor restarts the service",
                task.get_name(),
                task.exception(),
            )
            os._exit(3)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.nc is not None:
            await self.nc.close()

    def health(self) -> Health:
        connected = bool(self.nc and self.nc.is_connected)
        return Health(
            service=self.service,
            status="ok" if connected else "degraded",
            nats_connected=connected,
            started_at=self.started_at,
            relay=self.relay.stats if self.relay else None,
            consumers={c.durable: c.stats for c in self.consumers},
        )

    def build_api(self, title: str, description: str = "") -> FastAPI:
        """The service's FastAPI app: lifespan, error handlers, caller auth, ``/api/v1/health``
        (public, bare) and ``/api/v1/health/details`` (operators and administrators)."""
        from shared.httpapi import create_api

        api = create_api(
            title,
            lifespan=self.lifespan(),
            description=description,
            max_letter_pdf_bytes=self.settings.max_letter_pdf_bytes,
        )
        api.state.auth_secret = self.settings.secret
        api.state.settings = self.settings
        api.state.runtime = self
        api.state.revocations = self.revocations
        api.state.application = self.application

        @api.get("/api/v1/health", tags=["operations"])
        def liveness() -> Liveness:
            """Public, for load balancers: whether the service answers and is connected to NATS."""
            return Liveness.model_validate(self.health().model_dump(include=_LIVENESS))

        @api.get("/api/v1/health/details", tags=["operations"])
        def health(actor: CurrentActor) -> Health:
            """Operators and administrators: whether the service is connected, how far its relay
            got, what its consumers did and which messages they dead-lettered, and why."""
            require_role(actor, "operator", "admin")
            return self.health()

        return api

    def lifespan(self) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
        @contextlib.asynccontextmanager
        async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        return _lifespan


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "event_type", "service"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings, service: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.json_logs:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def serve(app: FastAPI, settings: Settings, service: str) -> None:
    import uvicorn

    configure_logging(settings, service)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port_of(service),
        log_level="warning",
        access_log=False,
        lifespan="on",
        # Open streams (the portal's live updates) must not hold a stopping service for ever.
        timeout_graceful_shutdown=2,
    )
