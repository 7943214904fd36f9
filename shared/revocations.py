"""Tokens of users disabled since they were issued: the ``sivicon-revocations`` bucket.

Every service verifies tokens locally (HMAC), so without this a deactivated user's token would
stay good until it expires (12 hours). When an administrator deactivates an account, resets its
password, changes its profile or its Plt/Plh appointment, the portal first puts
``{"disabled_at": <ISO time>}`` under the username in the key-value bucket
``sivicon-revocations`` (:func:`revoke`), then changes the account. Every service watches the
bucket from its start (:func:`follow`) and refuses (401) a token of that user issued at or
before ``disabled_at``; a token without ``iat`` counts as issued one token lifetime before it
expires. Reactivating an account leaves the entry:
tokens issued before the deactivation stay refused, tokens from new logins are issued after it.

A service serves no request before it has read the whole bucket, and refuses to start when the
bucket is missing: like the stream, it is created by whoever provisions NATS (the admin at
``sivicon up``: :func:`shared.messaging.connection.provision`), never by a service. The watch
is started again after a reconnect, after any error and every minute, so that a restarted
nats-server cannot leave a service with a watch gone quiet; what it knew stays in force
meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from datetime import UTC, datetime

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from shared import subjects
from shared.auth import TokenClaims
from shared.errors import NotAuthenticated
from shared.messaging.connection import raise_if_cancelled

BUCKET = subjects.REVOCATIONS_BUCKET
log = logging.getLogger("sivicon.revocations")

REFRESH_SECONDS = 60.0
"""How long one watch is kept before it is started again (a full re-read of the bucket)."""

CHECK_SECONDS = 0.2
"""How often a quiet watch looks whether the connection was made again meanwhile."""

LOAD_SECONDS = 10.0
"""How long a new watch may take to deliver the whole bucket."""

_EVERY_TOKEN = datetime.max.replace(tzinfo=UTC)


class RevocationsMissing(RuntimeError):
    """The bucket is not there (or not readable): the service must not start without it."""


class Revocations:
    """When each revoked user was disabled, as the bucket says; read by request threads."""

    def __init__(self, token_ttl_seconds: int) -> None:
        self.token_ttl_seconds = token_ttl_seconds
        self._disabled: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def replace(self, disabled: dict[str, datetime]) -> None:
        with self._lock:
            self._disabled = dict(disabled)

    def note(self, username: str, disabled_at: datetime | None) -> None:
        with self._lock:
            if disabled_at is None:
                self._disabled.pop(username, None)
            else:
                self._disabled[username] = disabled_at

    def disabled_at(self, username: str) -> datetime | None:
        with self._lock:
            return self._disabled.get(username)

    def check(self, claims: TokenClaims) -> None:
        """Refuse (401) a token issued at or before the time its user was disabled."""
        disabled_at = self.disabled_at(claims.actor.username)
        if disabled_at is None:
            return
        issued = claims.issued_at
        if issued is None:
            issued = claims.expires_at - self.token_ttl_seconds
        if disabled_at == _EVERY_TOKEN or issued <= disabled_at.timestamp():
            raise NotAuthenticated(
                f"the token of {claims.actor.username} was revoked (the account was "
                "deactivated or changed after it was issued); log in again",
                "token Anda telah dicabut karena akun Anda dinonaktifkan atau diubah; "
                "silakan masuk kembali",
                code="token_revoked",
            )


def entry_value(disabled_at: datetime) -> bytes:
    return json.dumps({"disabled_at": disabled_at.astimezone(UTC).isoformat()}).encode()


def disabled_at_of(value: bytes | None) -> datetime:
    """The time in an entry; an entry that cannot be read revokes every token of its user."""
    try:
        at = datetime.fromisoformat(json.loads(value or b"")["disabled_at"])
        return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    except (ValueError, TypeError, KeyError):
        log.error("%s: unreadable entry %r: every token of its user is refused", BUCKET, value)
        return _EVERY_TOKEN


async def open_bucket(js: JetStreamContext) -> KeyValue:
    try:
        return await js.key_value(BUCKET)
    except Exception as exc:
        raise RevocationsMissing(
            f"the NATS key-value bucket {BUCKET} is missing or not readable ({exc!r}): it is "
            "created by the admin user when NATS is provisioned (`sivicon up`); without it a "
            "deactivated user's token could not be refused, so the service does not start"
        ) from exc


async def revoke(js: JetStreamContext, username: str, disabled_at: datetime) -> None:
    """Record that ``username``'s tokens issued until ``disabled_at`` are refused everywhere."""
    kv = await open_bucket(js)
    await kv.put(username, entry_value(disabled_at))


async def follow(
    kv: KeyValue, revocations: Revocations, loaded: asyncio.Event, nc: NatsClient | None = None
) -> None:
    """Keep ``revocations`` as the bucket says, for ever; ``loaded`` is set once it was read.
    With the connection ``nc``, a reconnect starts the watch again at once: a restarted
    nats-server has forgotten the watch's consumer."""
    while True:
        try:
            await _watch_once(kv, revocations, loaded, nc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise_if_cancelled()
            log.warning("%s: watch interrupted (%r); watching again", BUCKET, exc)
            await asyncio.sleep(1.0)


async def _bucket_as_it_is(watcher: KeyValue.KeyWatcher) -> dict[str, datetime]:
    """The entries a new watch delivers first, up to its marker (``None``): the whole bucket."""
    current: dict[str, datetime] = {}
    async for entry in watcher:
        if entry is None:
            break
        if entry.operation not in (KV_DEL, KV_PURGE):
            current[entry.key] = disabled_at_of(entry.value)
    return current


def _reconnects(nc: NatsClient | None) -> int:
    return int(nc.stats["reconnects"]) if nc is not None else 0


async def _watch_once(
    kv: KeyValue, revocations: Revocations, loaded: asyncio.Event, nc: NatsClient | None
) -> None:
    reconnects = _reconnects(nc)
    watcher = await kv.watchall()
    try:
        # A watch that does not deliver the bucket in time is started again (by ``follow``).
        revocations.replace(await asyncio.wait_for(_bucket_as_it_is(watcher), LOAD_SECONDS))
        loaded.set()
        deadline = asyncio.get_running_loop().time() + REFRESH_SECONDS
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            if _reconnects(nc) != reconnects:
                break
            try:
                entry = await asyncio.wait_for(anext(watcher), timeout=min(left, CHECK_SECONDS))
            except TimeoutError:
                raise_if_cancelled()
                continue
            if entry is None:
                continue
            deleted = entry.operation in (KV_DEL, KV_PURGE)
            revocations.note(entry.key, None if deleted else disabled_at_of(entry.value))
    finally:
        with contextlib.suppress(Exception):  # a closed connection must not hide a cancellation
            await watcher.stop()  # type: ignore[no-untyped-call]
