"""The event stream as the command line reads it: ``sivicon tail`` and ``sivicon audit``.

Unlike a service's connection (``shared.messaging.connect``, which reconnects for ever), a
reader here does not wait for NATS to come back: someone is watching the terminal, so a NATS
that cannot be reached, or goes away while the stream is followed, is said at once in one line
(:class:`StreamUnavailable`) and the command ends; running it again picks up where the stream is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from services.audit import StoredMessage, check_signatures, requests_with_agenda
from shared import subjects
from shared.messaging import read_subject
from shared.messaging.connection import (
    NatsAccessError,
    client_options,
    raise_if_cancelled,
    refusal,
)
from shared.signing import Keyring

HEADER = f"{'time (WITA)':<19}  {'type':<32}  {'request':<36}  actor"
# What the client library raises when connecting fails, and when a request to the server does
# (not OSError there: that is more likely the terminal's pipe than NATS).
CONNECT_FAILURES = (OSError, TimeoutError, nats.errors.Error)
NATS_FAILURES = (TimeoutError, nats.errors.Error)


class StreamUnavailable(Exception):
    """The stream cannot be read (NATS unreachable or gone, no stream): one line to print."""


@dataclass
class Reader:
    url: str
    nc: NatsClient = field(init=False)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    errors: list[BaseException] = field(default_factory=list)

    def reason(self, fallback: BaseException | None = None) -> str:
        exc = self.errors[-1] if self.errors else fallback
        if exc is None:
            return "connection closed"
        return str(exc) or type(exc).__name__

    def lost(self) -> StreamUnavailable:
        return StreamUnavailable(f"lost the connection to NATS at {self.url}: {self.reason()}")


@contextlib.asynccontextmanager
async def reading(
    url: str, name: str, *, credentials: Path | None = None, tls_ca: Path | None = None
) -> AsyncIterator[Reader]:
    """A connection to NATS, as the NATS user whose seed ``credentials`` holds, that is tried
    once and never reconnects."""
    reader = Reader(url)
    try:
        options = client_options(credentials, tls_ca)
    except NatsAccessError as exc:
        raise StreamUnavailable(str(exc)) from None

    async def on_error(exc: Exception) -> None:
        reader.errors.append(exc)  # kept for the one line; the library would log a traceback

    async def on_closed() -> None:
        reader.closed.set()

    try:
        reader.nc = await nats.connect(
            servers=[u.strip() for u in url.split(",")],
            name=name,
            allow_reconnect=False,
            # 0 would mean "for ever" in the server selection; 1 is one more try per server.
            max_reconnect_attempts=1,
            reconnect_time_wait=0.2,
            connect_timeout=5,
            error_cb=on_error,
            closed_cb=on_closed,
            **options,
        )
    except CONNECT_FAILURES as exc:
        for cause in (exc, *reader.errors):
            problem = refusal(url, cause, credentials)
            if problem is not None:
                raise StreamUnavailable(str(problem)) from None
        raise StreamUnavailable(f"cannot reach NATS at {url}: {reader.reason(exc)}") from None
    try:
        yield reader
    except NATS_FAILURES as exc:
        if reader.nc.is_closed:
            raise reader.lost() from None
        denied = [str(e) for e in reader.errors if "permissions violation" in str(e)]
        if denied:
            who = f"the NATS user of {credentials}" if credentials else "an anonymous client"
            raise StreamUnavailable(
                f"NATS at {url} does not let {who} read the stream ({denied[-1]})"
            ) from None
        raise StreamUnavailable(f"NATS at {url} answered with an error: {exc}") from None
    finally:
        await reader.nc.close()


def format_event_line(subject: str, headers: dict[str, str], data: bytes, tz: ZoneInfo) -> str:
    """``time  type  request  actor``: one line per event, for people watching the stream."""
    try:
        body = json.loads(data)
    except ValueError:
        body = {}
    when = headers.get("ce-time") or headers.get("sivicon-dead-lettered-at", "")
    with contextlib.suppress(ValueError):
        when = datetime.fromisoformat(when).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    kind = headers.get("ce-type", "")
    if subject.startswith("sivicon.deadletter."):
        kind = f"DEAD LETTER ({headers.get('sivicon-error', '')})"
    elif subject.startswith("sivicon.inbound."):
        kind = f"inbound request {headers.get('Nats-Msg-Id', '')}"
    actor = ""
    for key in (
        "by",
        "submitted_by",
        "created_by",
        "drafted_by",
        "signer",
        "received_by",
        "withdrawn_by",
        "cancelled_by",
    ):
        if isinstance(body, dict) and isinstance(body.get(key), dict):
            who = body[key]
            actor = f"{who.get('name', '')} [{who.get('role', '')}]"
            if who.get("on_behalf_of"):
                actor += f" a.n. {who['on_behalf_of']}"
            break
    request = headers.get("ce-subject") or subject.rsplit(".", 1)[-1]
    step = f" step {body['sop_step']}" if isinstance(body, dict) and "sop_step" in body else ""
    return f"{when:<19}  {kind:<32}  {request:<36}  {actor}{step}".rstrip()


async def _stored(js: JetStreamContext, subject: str) -> int:
    """How many messages the stream holds under ``subject``."""
    try:
        info = await js.stream_info(subjects.STREAM, subjects_filter=subject)
    except NotFoundError:
        return 0
    return sum((info.state.subjects or {}).values())


async def _print_events(
    sub: JetStreamContext.PullSubscription, tz: ZoneInfo, limit: int | None, header_due: bool
) -> None:
    seen = 0
    while True:
        try:
            batch = await sub.fetch(100, timeout=1.0)
        except (NatsTimeoutError, TimeoutError):
            raise_if_cancelled()
            continue
        for msg in batch:
            if header_due:
                print(HEADER, flush=True)
                header_due = False
            line = format_event_line(msg.subject, dict(msg.headers or {}), msg.data, tz)
            print(line, flush=True)
            seen += 1
            if limit is not None and seen >= limit:
                return


async def tail(
    url: str,
    tz: ZoneInfo,
    *,
    request_id: str | None = None,
    from_start: bool = False,
    limit: int | None = None,
    dead_letters: bool = False,
    credentials: Path | None = None,
    tls_ca: Path | None = None,
) -> None:
    """Print the stream's events as they come, until ``limit`` of them (or Ctrl-C).

    Read through a pull consumer of its own (named, so that a reader's permissions can keep it
    off the services' consumers; no acknowledgements; gone a minute after the command ends)."""
    async with reading(url, "sivicon-tail", credentials=credentials, tls_ca=tls_ca) as reader:
        js = reader.nc.jetstream()
        subject = subjects.request_filter(request_id) if request_id else subjects.ALL
        if dead_letters:
            subject = f"{subjects.DEADLETTER_PREFIX}.>"
        replay = from_start or request_id or dead_letters
        try:
            sub = await js.pull_subscribe(
                subject,
                stream=subjects.STREAM,
                config=ConsumerConfig(
                    ack_policy=AckPolicy.NONE,
                    deliver_policy=DeliverPolicy.ALL if replay else DeliverPolicy.NEW,
                    inactive_threshold=60.0,
                ),
            )
        except NotFoundError:
            raise StreamUnavailable(
                f"NATS at {url} has no stream {subjects.STREAM} (has SIVICON been started?)"
            ) from None
        # With no dead letters the one line says so; the header waits for the first that comes.
        header_due = dead_letters and await _stored(js, subject) == 0
        if header_due:
            print(
                "no dead letters in the stream; waiting for new ones (Ctrl-C to stop)", flush=True
            )
        else:
            print(HEADER, flush=True)
        printing = asyncio.create_task(_print_events(sub, tz, limit, header_due))
        closed = asyncio.create_task(reader.closed.wait())
        await asyncio.wait({printing, closed}, return_when=asyncio.FIRST_COMPLETED)
        closed.cancel()
        if not printing.done():
            printing.cancel()
        # Its end retrieved whatever it was: a lost connection is reported in one line, below.
        [ended] = await asyncio.gather(printing, return_exceptions=True)
        if reader.nc.is_closed:
            raise reader.lost()
        if isinstance(ended, BaseException):
            raise ended


def stored(messages: list[Msg]) -> list[StoredMessage]:
    return [
        StoredMessage(m.metadata.sequence.stream, m.subject, dict(m.headers or {}), m.data)
        for m in messages
    ]


async def request_events(
    url: str,
    request: str,
    keyring: Keyring,
    *,
    credentials: Path | None = None,
    tls_ca: Path | None = None,
) -> tuple[str, list[StoredMessage]]:
    """The messages of one request, named by its ID or by its agenda number.

    The agenda number is looked up in the stream's ``RequestSubmitted`` events that intake
    signed (checked with ``keyring``), so an auditor needs nothing but the stream and the
    keyring. Raises :class:`LookupError` with the line to print when the stream knows no such
    request."""
    async with reading(url, "sivicon-audit", credentials=credentials, tls_ca=tls_ca) as reader:
        js = reader.nc.jetstream()
        if not _is_uuid(request):
            submitted = await read_subject(js, subjects.event_filter("intake", "RequestSubmitted"))
            found = requests_with_agenda(
                check_signatures(stored(submitted), keyring).events, request
            )
            if not found:
                raise LookupError(f"no request with agenda number {request} in the stream")
            if len(found) > 1:
                raise LookupError(
                    f"agenda number {request} names {len(found)} requests "
                    f"({', '.join(map(str, found))}); audit one by its ID"
                )
            request = str(found[0])
        messages = stored(await read_subject(js, subjects.request_filter(request)))
    if not messages:
        raise LookupError(f"no events for request {request} in the stream")
    return request, messages


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True
