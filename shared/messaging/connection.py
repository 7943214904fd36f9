"""The NATS connection every service keeps, and the one stream it publishes to.

A client proves who it is with the nkey seed of its NATS user (``credentials``) and, in
production, checks the server's certificate against a CA (``tls_ca``). Whatever is wrong with
either (a missing or unreadable file, something that is no user seed, a key the server does not
know, a certificate that does not verify) is said at start in one line naming the file: nothing
falls back to an anonymous or unchecked connection.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
from pathlib import Path
from typing import Any

import nkeys
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from shared import subjects

log = logging.getLogger("sivicon.messaging")


class NatsAccessError(RuntimeError):
    """Credentials, a CA or a server that cannot work together; the message names the file."""


class StreamMissing(RuntimeError):
    """The stream (or a bucket) the admin creates is not there."""


def inbox_prefix(public_key: str) -> str:
    """Where a user's replies come: only that user may subscribe under it (see natsconf)."""
    return f"_INBOX.{public_key}"


def read_public_key(path: Path) -> str:
    """The public key of the NATS user whose seed ``path`` holds, or :class:`NatsAccessError`."""
    try:
        seed = bytearray(path.read_bytes().strip())
    except FileNotFoundError:
        raise NatsAccessError(f"NATS credentials file {path} does not exist") from None
    except OSError as exc:
        raise NatsAccessError(
            f"NATS credentials file {path} cannot be read: {exc.strerror or exc}"
        ) from None
    if not seed.startswith(b"SU"):
        raise NatsAccessError(
            f"NATS credentials file {path} holds no NATS user seed (an nkey starting with SU)"
        )
    try:
        # nkeys does not check the seed's own checksum: a damaged seed would be taken for
        # another key, and only the server's refusal would tell.
        raw = base64.b32decode(bytes(seed) + b"=" * (-len(seed) % 8))
        if nkeys.crc16_checksum(raw[:-2]) != raw[-2:]:
            raise ValueError("checksum")
        pair = nkeys.from_seed(seed)
    except Exception:  # nkeys raises its own errors, and binascii's, for a damaged seed
        raise NatsAccessError(
            f"NATS credentials file {path} holds a damaged NATS user seed"
        ) from None
    public_key = str(pair.public_key.decode())
    pair.wipe()
    return public_key


def tls_context(ca: Path) -> ssl.SSLContext:
    """Server certificates checked against ``ca`` (and host names against the URL)."""
    try:
        return ssl.create_default_context(cafile=str(ca))
    except FileNotFoundError:
        raise NatsAccessError(f"NATS TLS CA file {ca} does not exist") from None
    except (OSError, ssl.SSLError) as exc:
        raise NatsAccessError(f"NATS TLS CA file {ca} cannot be used: {exc}") from None


def client_options(credentials: Path | None = None, tls_ca: Path | None = None) -> dict[str, Any]:
    """``nats.connect`` options for a user's seed and a CA, checked before any connection."""
    options: dict[str, Any] = {}
    if credentials is not None:
        options["nkeys_seed"] = str(credentials)
        options["inbox_prefix"] = inbox_prefix(read_public_key(credentials))
    if tls_ca is not None:
        options["tls"] = tls_context(tls_ca)
    return options


def refusal(url: str, exc: BaseException, credentials: Path | None) -> NatsAccessError | None:
    """The one line for a server that refused us (authorization, TLS); ``None`` for others."""
    text = str(exc) or type(exc).__name__
    if "authorization" in text.lower() or "authentication" in text.lower():
        who = f"the credentials in {credentials}" if credentials else "a client without credentials"
        return NatsAccessError(f"NATS at {url} refused {who}: {text}")
    if isinstance(exc, ssl.SSLError):
        return NatsAccessError(f"TLS with NATS at {url} failed: {text}")
    return None


async def connect(
    url: str, name: str, *, credentials: Path | None = None, tls_ca: Path | None = None
) -> NatsClient:
    """A connection that reconnects for ever, reporting outages in one line each.

    Raises :class:`NatsAccessError` at once when the credentials or the CA cannot be used, or
    when the server refuses them."""
    options = {**client_options(credentials, tls_ca), "reconnect_time_wait": 0.5}
    refused: list[NatsAccessError] = []
    refused_now = asyncio.Event()

    async def on_error(exc: Exception) -> None:
        problem = refusal(url, exc, credentials)
        if problem is not None:
            refused.append(problem)
            refused_now.set()
        log.warning("%s: NATS connection problem: %s", name, exc or type(exc).__name__)

    async def on_disconnected() -> None:
        log.warning("%s: disconnected from NATS; reconnecting", name)

    async def on_reconnected() -> None:
        log.info("%s: reconnected to NATS", name)

    client = NatsClient()
    connecting = asyncio.create_task(
        client.connect(
            servers=[u.strip() for u in url.split(",")],
            name=name,
            max_reconnect_attempts=-1,
            connect_timeout=5,
            error_cb=on_error,
            disconnected_cb=on_disconnected,
            reconnected_cb=on_reconnected,
            **options,
        )
    )
    # A server that is down is waited for; one that refuses us would be asked again for ever.
    waiting = asyncio.create_task(refused_now.wait())
    try:
        await asyncio.wait({connecting, waiting}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        connecting.cancel()
        raise
    finally:
        waiting.cancel()
    if not connecting.done():
        connecting.cancel()
        await client.close()
        raise refused[-1]
    try:
        connecting.result()
    except Exception as exc:
        problem = refusal(url, exc, credentials)
        if problem is not None:
            raise problem from None
        raise
    return client


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


async def check_stream(js: JetStreamContext) -> None:
    """Raise :class:`StreamMissing` unless the ``SIVICON`` stream is there: only the admin
    creates it (``sivicon up`` does, as the admin user)."""
    try:
        await js.stream_info(subjects.STREAM)
    except NotFoundError:
        raise StreamMissing(
            f"NATS has no stream {subjects.STREAM} (subjects {subjects.ALL}): the admin creates "
            "it (`sivicon up` does; in production, create it with the admin's credentials)"
        ) from None


async def ensure_buckets(js: JetStreamContext) -> None:
    """Create the key-value buckets that are missing: the keyring and the revocations."""
    for bucket, history in ((subjects.KEYRING_BUCKET, 5), (subjects.REVOCATIONS_BUCKET, 1)):
        try:
            await js.stream_info(f"KV_{bucket}")
        except NotFoundError:
            await js.create_key_value(
                KeyValueConfig(bucket=bucket, history=history, storage=StorageType.FILE)
            )


async def provision(
    js: JetStreamContext, *, replicas: int = 1, duplicate_window_seconds: int = 3600
) -> None:
    """What the admin creates before any service starts: the stream and both buckets."""
    await ensure_stream(js, replicas=replicas, duplicate_window_seconds=duplicate_window_seconds)
    await ensure_buckets(js)


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
