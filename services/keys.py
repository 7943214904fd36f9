"""The services' signing keys and their keyring, as an administrator handles them.

``sivicon keys init`` generates the key of each service that publishes events and has none yet
(``<data_dir>/keys/<service>.ed25519``) and writes the keyring file (``keyring.json``: every key
it knew before, and these). ``sivicon keys publish`` puts that keyring in the ``sivicon-keyring``
bucket, which only the admin may write and from which every service loads it at start. In
embedded mode ``sivicon up`` does both before the services start (:func:`prepare`).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shared.events import EVENTS_BY_TYPE
from shared.signing import (
    KeyringEntry,
    generate_key,
    key_path,
    load_key,
    publish_keyring_bucket,
    read_keyring_bucket,
    read_keyring_file,
    write_keyring_file,
)

# Every service that publishes integration events, and so signs them.
SIGNING_SERVICES = tuple(sorted({kind.producer for kind in EVENTS_BY_TYPE.values()}))


def default_keyring_file(data_dir: Path) -> Path:
    return data_dir / "keys" / "keyring.json"


def init_keys(data_dir: Path, keyring_file: Path | None = None) -> list[str]:
    """Generate the keys that are missing and write the keyring file; return the new key IDs."""
    keyring_file = keyring_file or default_keyring_file(data_dir)
    entries: dict[str, KeyringEntry] = {}
    if keyring_file.exists():
        entries.update(read_keyring_file(keyring_file))
    generated = []
    for service in SIGNING_SERVICES:
        path = key_path(data_dir, service)
        if path.exists():
            key = load_key(path, service)
        else:
            key = generate_key(path, service)
            generated.append(key.key_id)
        entries[key.key_id] = key.entry()
    write_keyring_file(keyring_file, entries)
    keyring_file.chmod(0o600)
    return generated


async def publish_keys(
    nats_url: str,
    keyring_file: Path,
    credentials: Path | None = None,
    tls_ca: Path | None = None,
) -> list[str]:
    """Publish the keyring file to the ``sivicon-keyring`` bucket (with the admin's
    credentials); return the key IDs published."""
    from services.stream import reading

    entries = read_keyring_file(keyring_file)
    async with reading(nats_url, "sivicon-keys", credentials=credentials, tls_ca=tls_ca) as reader:
        await publish_keyring_bucket(reader.nc.jetstream(), entries)
    return sorted(entries)


async def published_keyring(
    nats_url: str, credentials: Path | None = None, tls_ca: Path | None = None
) -> dict[str, KeyringEntry]:
    """The keyring as published in the ``sivicon-keyring`` bucket (for ``sivicon audit``)."""
    from services.stream import reading

    async with reading(nats_url, "sivicon-audit", credentials=credentials, tls_ca=tls_ca) as reader:
        return await read_keyring_bucket(reader.nc.jetstream())


def prepare(
    data_dir: Path, nats_url: str, credentials: Path | None = None, tls_ca: Path | None = None
) -> None:
    """Embedded mode, before the services start: the keys, the keyring file, published (with
    the admin's ``credentials``)."""
    init_keys(data_dir)
    publishing = publish_keys(nats_url, default_keyring_file(data_dir), credentials, tls_ca)
    # In a thread of its own, so that a caller inside an event loop (a test) may call it too.
    with ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, publishing).result()
