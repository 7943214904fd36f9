"""The NATS connection every service keeps, and the one stream it publishes to."""

from __future__ import annotations

import asyncio
import logging

import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from shared import subjects

log = logging.getLogger("sivicon.messaging")


async def connect(url: str, name: str) -> NatsClient:
    """A connection that reconnects for ever, reporting outages in one line each."""

    async def on_error(exc: Exception) -> None:
        log.warning("%s: NATS connection problem: %s", name, exc or type(exc).__name__)

    async def on_disconnected() -> None:
        log.warning("%s: disconnected from NATS; reconnecting", name)

    async def on_reconnected() -> None:
        log.info("%s: reconnected to NATS", name)

    return await nats.connect(
        servers=[u.strip() for u in url.split(",")],
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        error_cb=on_error,
        disconnected_cb=on_disconnected,
        reconnected_cb=on_reconnected,
    )


async def ensure_stream(
    js: JetStreamContext, *, replicas: int = 1, duplicate_window_seconds: int = 3600
) -> None:
    """Create the ``SIVICON`` stream if it is missing (file storage, ``sivicon.>``, dedup)."""
    try:
        await js.stream_info(subjects.STREAM)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=subjects.STREAM,
                subjects=[subjects.ALL],
                storage=StorageType.FILE,
                num_replicas=replicas,
                duplicate_window=float(duplicate_window_seconds),
            )
        )


async def tracking_name(js: JetStreamContext) -> str:
    """Tracking key for stream positions; a recreated stream starts a fresh sequence."""
    info = await js.stream_info(subjects.STREAM)
    created = getattr(info, "created", None) or ""
    return f"{subjects.STREAM}@{created}"


def raise_if_cancelled() -> None:
    """After a timeout was caught: re-raise the cancellation it may have swallowed.

    On Python 3.11, ``asyncio.wait_for`` (used inside nats-py's fetch, and by our idle waits)
    can turn a cancellation that races its timeout into a ``TimeoutError``; a loop that treats
    timeouts as "nothing yet" would then never stop, and a service's shutdown would hang.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
