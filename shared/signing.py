"""Signed events: who published an event is proven by its signature, not claimed by its headers.

Every service holds an Ed25519 key (``<data_dir>/keys/<service>.ed25519``, mode 0600, or the
file ``SIVICON_SIGNING_KEY_FILE`` names) and its relay signs each message it publishes: the
subject, the CloudEvents and SIVICON headers of :data:`SIGNED_HEADERS` as ``name:value`` lines
in that order (a missing one as empty), then the body (:func:`signed_bytes`). The signature goes
in ``sivicon-signature`` (base64url), the key's ID in ``sivicon-key-id``
(``<service>-<first 16 hex of sha256(public key)>``).

The :class:`Keyring` maps key IDs to the service that holds each key and its public key. The
admin publishes it to the KV bucket ``sivicon-keyring`` (only the admin may write there); a
service loads it at start and reads it again once when a message names a key it does not know.
A consumer accepts an event only when :meth:`Keyring.signer` finds a valid signature and
:func:`check_producer` finds that the signing service is the one named by ``ce-source``, by the
subject and by the event type; every refusal's reason starts with ``unsigned``,
``bad signature``, ``unknown key`` or ``wrong producer``, which dead letters and the audit show.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, NoKeysError, NotFoundError

from shared import subjects
from shared.events import EVENTS_BY_TYPE

log = logging.getLogger("sivicon.signing")

SIGNATURE = "sivicon-signature"
KEY_ID = "sivicon-key-id"
KEYRING_BUCKET = subjects.KEYRING_BUCKET
SIGNED_HEADERS = (
    "ce-specversion",
    "ce-id",
    "ce-source",
    "ce-type",
    "ce-time",
    "ce-subject",
    "ce-datacontenttype",
    "Nats-Msg-Id",
    "sivicon-correlation-id",
    "sivicon-causation-id",
    "traceparent",
)
INIT_HINT = "run `sivicon keys init`"
PUBLISH_HINT = "run `sivicon keys init` and `sivicon keys publish` (as admin)"


class SigningError(Exception):
    """A key or keyring that cannot be used; the message names the file or what to run."""


class SignatureRefused(Exception):
    """A message whose publisher is not proven: the reason starts with ``unsigned``,
    ``bad signature``, ``unknown key`` or ``wrong producer``."""


def signed_bytes(subject: str, headers: Mapping[str, str], body: bytes) -> bytes:
    """What a signature covers: the subject, the signed headers in order, then the body."""
    lines = [subject, *(f"{name}:{headers.get(name, '')}" for name in SIGNED_HEADERS)]
    return "\n".join(lines).encode() + b"\n" + body


def key_id(service: str, public_key: bytes) -> str:
    return f"{service}-{hashlib.sha256(public_key).hexdigest()[:16]}"


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class ServiceKey:
    """A service's private key: what its relay signs with."""

    service: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return _raw(self.private_key.public_key())

    @property
    def key_id(self) -> str:
        return key_id(self.service, self.public_key)

    def entry(self) -> KeyringEntry:
        return KeyringEntry(self.service, self.public_key)

    @property
    def id_secret(self) -> bytes:
        """A secret of this service's own for keyed event IDs (``deterministic_event_id``),
        derived from its private key: stable across restarts, known to nobody else."""
        private = self.private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return hmac.new(private, b"sivicon event ids", hashlib.sha256).digest()

    def sign(self, subject: str, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
        """The headers with the signature and the key ID added."""
        signature = self.private_key.sign(signed_bytes(subject, headers, body))
        return {
            **headers,
            SIGNATURE: base64.urlsafe_b64encode(signature).decode(),
            KEY_ID: self.key_id,
        }


def key_path(data_dir: Path, service: str) -> Path:
    return data_dir / "keys" / f"{service}.ed25519"


def generate_key(path: Path, service: str) -> ServiceKey:
    """A new key written to ``path`` (owner only); an existing file is never replaced."""
    key = ServiceKey(service, Ed25519PrivateKey.generate())
    write_key(path, key)
    return key


def write_key(path: Path, key: ServiceKey) -> None:
    """Keep ``key`` at ``path`` (PEM, PKCS#8; mode 0600, folder 0700); never over a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)


def load_key(path: Path, service: str) -> ServiceKey:
    """The key kept at ``path``; a missing or unreadable file is an error naming it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SigningError(
            f"signing key of {service} not found at {path} (SIVICON_SIGNING_KEY_FILE): {INIT_HINT}"
        ) from None
    except OSError as exc:
        raise SigningError(f"signing key of {service} at {path} cannot be read: {exc}") from None
    try:
        private_key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        private_key = None
    if not isinstance(private_key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 private key in PEM (PKCS#8)")
    return ServiceKey(service, private_key)


@dataclass(frozen=True)
class KeyringEntry:
    service: str
    public_key: bytes

    @property
    def key_id(self) -> str:
        return key_id(self.service, self.public_key)

    def to_json(self) -> dict[str, str]:
        return {"service": self.service, "public_key": base64.b64encode(self.public_key).decode()}

    @classmethod
    def from_json(cls, value: object) -> KeyringEntry:
        if not isinstance(value, dict) or not isinstance(value.get("service"), str):
            raise ValueError("an entry is {'service': ..., 'public_key': ...}")
        try:
            public_key = base64.b64decode(str(value.get("public_key")), validate=True)
        except binascii.Error:
            raise ValueError("public_key is not base64") from None
        if len(public_key) != 32:
            raise ValueError("public_key is not 32 bytes")
        return cls(value["service"], public_key)


def parse_entries(raw: Mapping[str, object]) -> dict[str, KeyringEntry]:
    """Entries by key ID; an entry whose ID does not match its key is refused."""
    entries = {}
    for kid, value in raw.items():
        entry = KeyringEntry.from_json(value)
        if entry.key_id != kid:
            raise ValueError(f"key id {kid} does not match its key ({entry.key_id})")
        entries[kid] = entry
    return entries


def read_keyring_file(path: Path) -> dict[str, KeyringEntry]:
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise SigningError(f"keyring file {path} not found: {INIT_HINT}") from None
    except (OSError, ValueError) as exc:
        raise SigningError(f"keyring file {path} cannot be read: {exc}") from None
    if not isinstance(raw, dict):
        raise SigningError(f"keyring file {path}: not a JSON object of key IDs")
    try:
        return parse_entries(raw)
    except ValueError as exc:
        raise SigningError(f"keyring file {path}: {exc}") from None


def write_keyring_file(path: Path, entries: Mapping[str, KeyringEntry]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({kid: e.to_json() for kid, e in sorted(entries.items())}, indent=2)
    path.write_text(text + "\n")


class Keyring:
    """Key ID -> the service holding the key and its public key.

    Loaded when a service starts; ``reload``, when given, reads the published keyring again
    (looking for the key ID it is given by name too) and is called once for each key ID not
    known yet (a service whose key was added since)."""

    def __init__(
        self,
        entries: Mapping[str, KeyringEntry] | None = None,
        reload: Callable[[str], Mapping[str, KeyringEntry]] | None = None,
    ) -> None:
        self.entries = dict(entries or {})
        self.reload = reload
        self._looked_up: set[str] = set()

    def replace(self, entries: Mapping[str, KeyringEntry]) -> None:
        self.entries = dict(entries)

    def entry(self, kid: str) -> KeyringEntry | None:
        if kid not in self.entries and self.reload is not None and kid not in self._looked_up:
            self.replace(self.reload(kid))  # an error here is retried: the key is not ruled out
            self._looked_up.add(kid)
        return self.entries.get(kid)

    def signer(self, subject: str, headers: Mapping[str, str], body: bytes) -> str:
        """The service whose key signed this message; raise :class:`SignatureRefused`."""
        signature, kid = headers.get(SIGNATURE), headers.get(KEY_ID)
        if not signature or not kid:
            raise SignatureRefused(f"unsigned: no {SIGNATURE} or no {KEY_ID} header")
        entry = self.entry(kid)
        if entry is None:
            raise SignatureRefused(f"unknown key {kid!r}: not in the keyring")
        try:
            raw = base64.urlsafe_b64decode(signature.encode())
            Ed25519PublicKey.from_public_bytes(entry.public_key).verify(
                raw, signed_bytes(subject, headers, body)
            )
        except (InvalidSignature, binascii.Error, ValueError):
            raise SignatureRefused(
                f"bad signature: does not match key {kid} of {entry.service}"
            ) from None
        return entry.service


def subject_producer(subject: str) -> str:
    """The service a subject belongs to: ``sivicon.<producer>.<EventName>.<id>``, and intake
    for the copies of its answers (``sivicon.answers.<OPD>.<id>``); '' for anything else."""
    if subject.startswith(subjects.ANSWERS_PREFIX + "."):
        return "intake"
    parts = subject.split(".")
    return parts[1] if len(parts) == 4 and parts[0] == subjects.ROOT else ""


def check_producer(signer: str, subject: str, headers: Mapping[str, str]) -> None:
    """The signing service must be the one named by ``ce-source``, the subject's producer
    (``sivicon.<producer>.<EventName>.<id>``) and the producer of the event type."""
    claims = {
        "ce-source": headers.get("ce-source", "").removeprefix("/sivicon/"),
        "the subject": subject_producer(subject),
    }
    kind = EVENTS_BY_TYPE.get(headers.get("ce-type", ""))
    claims["the event type"] = kind.producer if kind is not None else ""
    for what, producer in claims.items():
        if producer != signer:
            raise SignatureRefused(
                f"wrong producer: signed by {signer}, but {what} names {producer or 'nobody'}"
            )


def verify_event(keyring: Keyring, subject: str, headers: Mapping[str, str], body: bytes) -> str:
    """The producer of a signed integration event, proven; raise :class:`SignatureRefused`."""
    signer = keyring.signer(subject, headers, body)
    check_producer(signer, subject, headers)
    return signer


def own_key_published(key: ServiceKey, entries: Mapping[str, KeyringEntry], where: str) -> None:
    """A service starts only when its own key is in the keyring it loaded."""
    if entries.get(key.key_id) != key.entry():
        raise SigningError(
            f"the key of {key.service} ({key.key_id}) is not in the keyring of {where}: "
            f"{PUBLISH_HINT}"
        )


async def read_keyring_bucket(js: JetStreamContext) -> dict[str, KeyringEntry]:
    """The keyring as the admin published it to the ``sivicon-keyring`` bucket. An entry that
    is not a key of this form (or whose ID is not its key's) is left out, with a warning: it
    can prove nothing, so the events it would name stay refused."""
    try:
        bucket = await js.key_value(KEYRING_BUCKET)
    except (BucketNotFoundError, NotFoundError):
        raise SigningError(
            f"NATS has no key-value bucket {KEYRING_BUCKET}: {PUBLISH_HINT}"
        ) from None
    prefix = f"$KV.{KEYRING_BUCKET}."
    try:
        # The subjects the bucket's stream holds are its keys: exact, where the listing of
        # keys (a watcher) can come back short while the server is busy.
        info = await js.stream_info(f"KV_{KEYRING_BUCKET}", subjects_filter=f"{prefix}>")
        kids = [s.removeprefix(prefix) for s in (info.state.subjects or {})]
    except NotFoundError:
        kids = []
    entries: dict[str, KeyringEntry] = {}
    for kid in kids:
        try:
            stored = await bucket.get(kid)
            entries.update(parse_entries({kid: json.loads(stored.value or b"null")}))
        except KeyNotFoundError:
            continue  # deleted meanwhile
        except ValueError as exc:
            log.warning("keyring bucket %s: entry %s left out: %s", KEYRING_BUCKET, kid, exc)
    return entries


async def read_keyring_entry(js: JetStreamContext, kid: str) -> KeyringEntry | None:
    """One entry of the ``sivicon-keyring`` bucket, asked for by its key ID (None if absent or
    not a key of this form)."""
    try:
        bucket = await js.key_value(KEYRING_BUCKET)
        stored = await bucket.get(kid)
        return parse_entries({kid: json.loads(stored.value or b"null")}).get(kid)
    except (BucketNotFoundError, NotFoundError, KeyNotFoundError, ValueError):
        return None


async def publish_keyring_bucket(js: JetStreamContext, entries: Mapping[str, KeyringEntry]) -> None:
    """Make the ``sivicon-keyring`` bucket hold exactly ``entries`` (the admin's task)."""
    try:
        bucket = await js.key_value(KEYRING_BUCKET)
    except (BucketNotFoundError, NotFoundError):
        bucket = await js.create_key_value(KeyValueConfig(bucket=KEYRING_BUCKET, history=5))
    for kid, entry in entries.items():
        await bucket.put(kid, json.dumps(entry.to_json()).encode())
    try:
        published = await bucket.keys()
    except NoKeysError:
        published = []
    for kid in published:
        if kid not in entries:
            await bucket.delete(kid)
