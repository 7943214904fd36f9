"""Test helpers shared by every suite: a real nats-server, settings, tokens, stream readers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
from fastapi import FastAPI

from services.launcher import free_port, start_nats
from shared import subjects
from shared.auth import issue_token
from shared.envelope import from_message
from shared.events import IntegrationEvent
from shared.messaging import read_subject
from shared.settings import Settings
from tests.builders import person


@contextlib.contextmanager
def nats_server(tmp: Path) -> Iterator[str]:
    child, url = start_nats(tmp, free_port(), tmp / "logs")
    try:
        yield url
    finally:
        child.stop()


def make_settings(data_dir: Path, nats_url: str, **overrides: Any) -> Settings:
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


async def read_stream(nats_url: str, filter_subject: str = subjects.ALL) -> list[StreamMessage]:
    """Every message currently in the stream under ``filter_subject``, in stream order."""
    nc = await nats.connect(nats_url)
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


async def publish_event(
    nats_url: str,
    event: IntegrationEvent,
    event_id: str | None = None,
) -> None:
    """Publish an integration event the way a producer's relay would (for consumer tests)."""
    from datetime import UTC, datetime
    from uuid import uuid4

    from shared.envelope import to_body, to_headers

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        from shared.messaging import ensure_stream

        await ensure_stream(js)
        eid = event_id or str(uuid4())
        await js.publish(
            subjects.event_subject(event),
            to_body(event),
            headers=to_headers(event, event_id=eid, time=datetime.now(UTC)),
            stream=subjects.STREAM,
        )
    finally:
        await nc.close()


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
