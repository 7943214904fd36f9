"""Test helpers shared by every suite: a real nats-server, settings, tokens, stream readers.

Signed events: every producer has a test key, generated once per test session
(:func:`signing_key`); a server from :func:`nats_server` holds the stream and the keyring of those
keys (as the admin prepares a real one), and :func:`make_settings` puts the keys where a
service looks for its own. :func:`publish_event` signs as the event's producer, or as told:
unsigned, with a key the keyring does not know, or with another service's key (the attacks).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal
from uuid import uuid4

import httpx
import nats
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from nats.aio.client import Client as NatsClient

from services.launcher import System, free_port, start_nats
from shared import subjects
from shared.auth import issue_token
from shared.envelope import from_message, to_body, to_headers
from shared.events import EVENTS_BY_TYPE, IntegrationEvent
from shared.messaging import read_subject
from shared.messaging.connection import client_options, provision
from shared.settings import Settings
from shared.signing import (
    KEY_ID,
    KeyringEntry,
    ServiceKey,
    key_path,
    publish_keyring_bucket,
    write_key,
)
from tests.builders import person

PRODUCERS = tuple(sorted({kind.producer for kind in EVENTS_BY_TYPE.values()}))


@cache
def signing_key(service: str) -> ServiceKey:
    """The test key of a producer, the same for the whole test session."""
    return ServiceKey(service, Ed25519PrivateKey.generate())


def stranger_key(service: str) -> ServiceKey:
    """A key of ``service``'s name that no keyring holds (a forger's)."""
    return ServiceKey(service, Ed25519PrivateKey.generate())


def published_keyring() -> dict[str, KeyringEntry]:
    return {key.key_id: key.entry() for key in map(signing_key, PRODUCERS)}


def install_test_keys(data_dir: Path) -> None:
    """Each producer's test key at the place its service reads it from."""
    for service in PRODUCERS:
        path = key_path(data_dir, service)
        if not path.exists():
            write_key(path, signing_key(service))


def in_a_thread(work: Any) -> None:
    """Run a coroutine to its end from synchronous code, even inside a running event loop."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(work)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


async def prepare_server(nats_url: str) -> None:
    """What the admin does before services start: the stream, the buckets, the keyring (of the
    test keys)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await provision(js)
        await publish_keyring_bucket(js, published_keyring())
    finally:
        await nc.close()


@contextlib.contextmanager
def nats_server(tmp: Path) -> Iterator[str]:
    """A real nats-server without authentication, prepared as the admin would."""
    child, url = start_nats(tmp, free_port(), tmp / "logs")
    try:
        in_a_thread(prepare_server(url))
        yield url
    finally:
        child.stop()


def make_settings(data_dir: Path, nats_url: str, **overrides: Any) -> Settings:
    """Settings of a service of the test installation at ``data_dir``, with the test keys."""
    install_test_keys(data_dir)
    return Settings(data_dir=data_dir, nats_url=nats_url, **overrides)


def token(settings: Settings, role: str, opd_code: str | None = None) -> str:
    return issue_token(settings.secret, person(role, opd_code=opd_code), 3600)


def auth(settings: Settings, role: str, opd_code: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(settings, role, opd_code)}"}


@contextlib.contextmanager
def serving(
    app: FastAPI, *, port: int | None = None, lifespan: str = "on", within: float = 15.0
) -> Iterator[str]:
    """Serve ``app`` over real HTTP (on ``port``, else a free one) in a thread; yield its URL."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + within
    while not server.started:
        assert time.monotonic() < deadline, f"{app.title} did not start within {within:.0f} s"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (relay, consumers) and give a client for its HTTP API."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@dataclass
class StreamMessage:
    subject: str
    headers: dict[str, str]
    data: bytes
    seq: int

    @property
    def json(self) -> Any:
        return json.loads(self.data)

    @property
    def event(self) -> IntegrationEvent:
        return from_message(self.headers, self.data).event


# Each system started with the generated nats-server configuration (as `sivicon up` starts it),
# by its NATS URL: the tests connect there with its users' credentials (the admin's by default).
SYSTEMS: dict[str, System] = {}


def as_admin_of(system: System) -> System:
    """Let :func:`nats_connect` (and so every helper here) reach ``system``'s nats-server."""
    SYSTEMS[system.nats_url] = system
    return system


async def nats_connect(nats_url: str, *, user: str = "admin", **options: Any) -> NatsClient:
    """A test's connection to NATS: as ``user`` where the server asks for credentials."""
    system = SYSTEMS.get(nats_url)
    credentials = system.credentials(user) if system is not None else None
    return await nats.connect(nats_url, **client_options(credentials), **options)


async def read_stream(nats_url: str, filter_subject: str = subjects.ALL) -> list[StreamMessage]:
    """Every message currently in the stream under ``filter_subject``, in stream order."""
    nc = await nats_connect(nats_url)
    try:
        messages = await read_subject(nc.jetstream(), filter_subject)
    finally:
        await nc.close()
    return [
        StreamMessage(m.subject, dict(m.headers or {}), m.data, m.metadata.sequence.stream)
        for m in messages
    ]


async def wait_for_messages(
    nats_url: str, filter_subject: str, count: int, within: float = 15.0
) -> list[StreamMessage]:
    """Poll the stream until ``count`` messages match, or fail saying what was there."""
    deadline = asyncio.get_running_loop().time() + within
    found: list[StreamMessage] = []
    while asyncio.get_running_loop().time() < deadline:
        found = await read_stream(nats_url, filter_subject)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(
        f"expected {count} messages on {filter_subject}, found {len(found)}: "
        f"{[m.subject for m in found]}"
    )


Signer = ServiceKey | Literal["unsigned"] | None


def signed(
    subject: str,
    headers: Mapping[str, str],
    body: bytes,
    key: Signer = None,
    *,
    claimed_key_id: str | None = None,
) -> dict[str, str]:
    """The headers signed with ``key`` (``None``: the test key of the producer the subject
    names; ``"unsigned"``: left as they are), under ``claimed_key_id`` if given (a forgery)."""
    if key == "unsigned":
        return dict(headers)
    key = key or signing_key(subject.split(".")[1])
    out = key.sign(subject, headers, body)
    if claimed_key_id is not None:
        out[KEY_ID] = claimed_key_id
    return out


async def publish_message(
    nats_url: str, subject: str, body: bytes, headers: Mapping[str, str]
) -> None:
    """Publish one message to the stream as it is (the admin could: no permission stops it)."""
    nc = await nats_connect(nats_url)
    try:
        # A message ID published before is dropped by the stream, as for any publisher.
        await nc.jetstream().publish(subject, body, headers=dict(headers), stream=subjects.STREAM)
    finally:
        await nc.close()


async def publish_event(
    nats_url: str,
    event: IntegrationEvent,
    event_id: str | None = None,
    *,
    key: Signer = None,
    claimed_key_id: str | None = None,
    time: datetime | None = None,
) -> None:
    """Publish an integration event the way its producer's relay would (for consumer tests),
    signed with its producer's test key; or, to replay an attack, unsigned (``key="unsigned"``),
    with another key (another service's, or :func:`stranger_key`), under a claimed key ID."""
    subject = subjects.event_subject(event)
    body = to_body(event)
    headers = to_headers(event, event_id=event_id or str(uuid4()), time=time or datetime.now(UTC))
    await publish_message(
        nats_url, subject, body, signed(subject, headers, body, key, claimed_key_id=claimed_key_id)
    )


def postgres_dsn_env() -> dict[str, str] | None:
    """Where PostgreSQL tests run: SIVICON_TEST_POSTGRES_DSN, else the local server."""
    import psycopg

    dsn = os.environ.get("SIVICON_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            info = conn.info
            return {
                "host": info.host,
                "port": str(info.port),
                "user": info.user,
                "password": info.password or "",
                "dbname": info.dbname,
            }
    except psycopg.Error:
        return None


def drop_schema(pg: dict[str, str], schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=pg["host"],
        port=int(pg["port"]),
        user=pg["user"],
        password=pg["password"] or None,
        dbname=pg["dbname"],
        autocommit=True,
    ) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
