"""nats-server's configuration: no anonymous access, one nkey user per party, each allowed
exactly the subjects it needs.

One account, ``SIVICON`` (JetStream enabled), holds every user; a user proves itself with the
nkey seed in ``<data_dir>/nats/creds/<user>.nk`` (mode 0600, folder 0700), made on first run and
kept after. The users, and what each may do:

* one per service (``intake`` ... ``portal``): publish its own events (``sivicon.<service>.>``),
  its dead letters and, for intake, the answers to machine clients; run its own durable pull
  consumer (named after the service) and nothing else's; read the KV buckets;
* ``agency-<CODE>``, a machine client: publish on ``sivicon.inbound.requests.<CODE>`` and
  subscribe to ``sivicon.answers.<CODE>.>``, nothing more (no stream, no other agency);
* ``operator`` (``sivicon tail``, monitoring) and ``auditor`` (``sivicon audit``): read the stream
  through ephemeral consumers of their own, never a service's consumer; publish nothing;
* ``admin``: everything; the only one that may manage streams, buckets and others' consumers.

Replies come to an inbox named after the user's public key (``_INBOX.<public key>.>``), which only
that user may subscribe to: no one can read another user's deliveries or answers.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import nkeys

from shared import subjects
from shared.messaging.connection import inbox_prefix, read_public_key
from shared.settings import SERVICES

ACCOUNT = "SIVICON"
API = "$JS.API"
STREAM = subjects.STREAM
# The services that run a durable pull consumer, each named after the service.
CONSUMING_SERVICES = ("intake", "disposition", "scheduler", "letters")
READERS = ("operator", "auditor")
ADMIN = "admin"
AGENCY_PREFIX = "agency-"


@dataclass(frozen=True)
class Permissions:
    """What one user may publish and subscribe to; a deny wins over an allow."""

    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    publish_deny: tuple[str, ...] = ()
    subscribe_deny: tuple[str, ...] = ()


def agency_user(opd_code: str) -> str:
    return f"{AGENCY_PREFIX}{opd_code}"


def users(agencies: Iterable[str]) -> tuple[str, ...]:
    """Every NATS user of an installation with these machine-client agencies."""
    return (*SERVICES, *(agency_user(code) for code in agencies), *READERS, ADMIN)


def _durable(durable: str) -> tuple[str, ...]:
    """Creating, reading, deleting and pulling from one durable consumer, and acknowledging."""
    return (
        f"{API}.CONSUMER.DURABLE.CREATE.{STREAM}.{durable}",
        f"{API}.CONSUMER.CREATE.{STREAM}.{durable}",
        f"{API}.CONSUMER.CREATE.{STREAM}.{durable}.>",
        f"{API}.CONSUMER.INFO.{STREAM}.{durable}",
        f"{API}.CONSUMER.DELETE.{STREAM}.{durable}",
        f"{API}.CONSUMER.MSG.NEXT.{STREAM}.{durable}",
        f"$JS.ACK.{STREAM}.{durable}.>",
    )


def _bucket_reader(bucket: str) -> tuple[str, ...]:
    """Reading a KV bucket: its stream's info, direct gets, and ephemeral watchers."""
    kv = f"KV_{bucket}"
    return (
        f"{API}.STREAM.INFO.{kv}",
        f"{API}.DIRECT.GET.{kv}",
        f"{API}.DIRECT.GET.{kv}.>",
        f"{API}.STREAM.MSG.GET.{kv}",
        f"{API}.CONSUMER.CREATE.{kv}",
        f"{API}.CONSUMER.CREATE.{kv}.>",
        f"{API}.CONSUMER.INFO.{kv}.*",
        f"$JS.FC.{kv}.>",
    )


def _stream_reader() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Reading the stream through consumers of one's own (allow, deny).

    Only the forms that name the consumer in the subject are allowed: the old form
    (``CONSUMER.CREATE.SIVICON`` with the name in the body) would let a reader redefine a
    service's durable consumer, and a service's durable may be neither created, pulled from nor
    deleted by a reader, whose deliveries would then be taken from the service.
    """
    allow = (
        f"{API}.STREAM.INFO.{STREAM}",
        f"{API}.CONSUMER.CREATE.{STREAM}.*",
        f"{API}.CONSUMER.CREATE.{STREAM}.*.>",
        f"{API}.CONSUMER.MSG.NEXT.{STREAM}.*",
    )
    deny = tuple(
        subject
        for durable in CONSUMING_SERVICES
        for subject in (
            f"{API}.CONSUMER.CREATE.{STREAM}.{durable}",
            f"{API}.CONSUMER.CREATE.{STREAM}.{durable}.>",
            f"{API}.CONSUMER.MSG.NEXT.{STREAM}.{durable}",
        )
    )
    return allow, deny


def permissions(user: str, public_key: str) -> Permissions:
    """What ``user`` (whose nkey is ``public_key``) may do."""
    inbox = f"{inbox_prefix(public_key)}.>"
    if user == ADMIN:
        return Permissions(publish=(">",), subscribe=(">",))
    if user.startswith(AGENCY_PREFIX):
        return _agency(user.removeprefix(AGENCY_PREFIX), inbox)
    if user in READERS:
        return _reader(user, inbox)
    if user in SERVICES:
        return _service(user, inbox)
    raise ValueError(f"no NATS user {user!r}")


def _agency(code: str, inbox: str) -> Permissions:
    """Submit on its own inbound subject, read its own answers: not the stream, not another's."""
    return Permissions(
        publish=(subjects.inbound_subject(code),),
        subscribe=(f"{subjects.ANSWERS_PREFIX}.{code}.>", inbox),
    )


def _reader(user: str, inbox: str) -> Permissions:
    """The stream and the keyring, read; for the operator the consumers' state too."""
    allow, deny = _stream_reader()
    monitoring: tuple[str, ...] = ()
    if user == "operator":
        monitoring = (
            f"{API}.INFO",
            f"{API}.STREAM.NAMES",
            f"{API}.STREAM.LIST",
            f"{API}.CONSUMER.NAMES.{STREAM}",
            f"{API}.CONSUMER.LIST.{STREAM}",
            f"{API}.CONSUMER.INFO.{STREAM}.*",
        )
    return Permissions(
        publish=(*allow, *monitoring, *_bucket_reader(subjects.KEYRING_BUCKET)),
        subscribe=(inbox, f"$KV.{subjects.KEYRING_BUCKET}.>"),
        publish_deny=deny,
    )


def _service(service: str, inbox: str) -> Permissions:
    """Its own events and dead letters, its own durable consumer, both buckets read."""
    buckets = (subjects.KEYRING_BUCKET, subjects.REVOCATIONS_BUCKET)
    publish = [
        f"{subjects.ROOT}.{service}.>",
        subjects.deadletter_subject(service),
        f"{API}.STREAM.INFO.{STREAM}",
        *(subject for bucket in buckets for subject in _bucket_reader(bucket)),
    ]
    subscribe = [inbox, *(f"$KV.{bucket}.>" for bucket in buckets)]
    subscribe_deny: tuple[str, ...] = ()
    if service in CONSUMING_SERVICES:
        publish.extend(_durable(service))
    if service == "intake":
        publish.append(f"{subjects.ANSWERS_PREFIX}.>")
    if service == "portal":
        # Disabling a user is written to the revocations bucket; the live pages follow every
        # service's events with one core subscription (not the agencies' traffic).
        publish.append(f"$KV.{subjects.REVOCATIONS_BUCKET}.>")
        subscribe.append(f"{subjects.ROOT}.*.*.*")
        subscribe_deny = (f"{subjects.INBOUND_PREFIX}.>", f"{subjects.ANSWERS_PREFIX}.>")
    return Permissions(tuple(publish), tuple(subscribe), subscribe_deny=subscribe_deny)


def _quoted(items: Iterable[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def _permission_map(allow: tuple[str, ...], deny: tuple[str, ...]) -> str:
    parts = [f"allow: {_quoted(allow)}"]
    if deny:
        parts.append(f"deny: {_quoted(deny)}")
    return "{ " + ", ".join(parts) + " }"


def render_users(public_keys: Mapping[str, str], indent: str = "      ") -> str:
    """The ``users`` list of the account: one entry per user, its nkey and its permissions."""
    lines = []
    for user, key in public_keys.items():
        rights = permissions(user, key)
        lines += [
            f"{indent}# {user}",
            f"{indent}{{ nkey: {json.dumps(key)}, permissions: {{",
            f"{indent}    publish: {_permission_map(rights.publish, rights.publish_deny)}",
            f"{indent}    subscribe: {_permission_map(rights.subscribe, rights.subscribe_deny)}",
            f"{indent}}} }}",
        ]
    return "\n".join(lines)


def render(public_keys: Mapping[str, str]) -> str:
    """The whole configuration; the listening address, port, monitor port and JetStream store
    directory are given on the command line, so that the file does not change with them."""
    return (
        "# nats-server configuration for SIVICON, generated by `sivicon up`\n"
        "# (services/natsconf.py) from the nkey seeds beside it in creds/. No anonymous access:\n"
        "# every client is one of the users below, allowed only the subjects listed.\n"
        "jetstream: enabled\n"
        "accounts: {\n"
        f"  {ACCOUNT}: {{\n"
        "    jetstream: enabled\n"
        "    users: [\n"
        f"{render_users(public_keys)}\n"
        "    ]\n"
        "  }\n"
        "}\n"
    )


def _new_seed(path: Path) -> None:
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(seed + b"\n")


def private_dir(path: Path) -> Path:
    """A folder only its owner may enter (0700), made if missing."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


@dataclass(frozen=True)
class NatsSetup:
    """Where an embedded nats-server's configuration and every user's credentials are."""

    data_dir: Path
    config: Path
    public_keys: Mapping[str, str]

    def credentials(self, user: str) -> Path:
        """The seed file of ``user``."""
        if user not in self.public_keys:
            raise KeyError(f"no NATS user {user!r} (users: {', '.join(self.public_keys)})")
        return credentials_path(self.data_dir, user)


def credentials_path(data_dir: Path, user: str) -> Path:
    return data_dir / "nats" / "creds" / f"{user}.nk"


def prepare(data_dir: Path, agencies: Iterable[str]) -> NatsSetup:
    """Make every user's seed that is missing (keeping those there), then write the
    configuration for exactly these users (``<data_dir>/nats/nats.conf``, mode 0600)."""
    private_dir(data_dir / "nats")
    private_dir(data_dir / "nats" / "creds")
    public_keys = {}
    for user in users(agencies):
        path = credentials_path(data_dir, user)
        with contextlib.suppress(FileExistsError):  # kept: clients already hold it
            _new_seed(path)
        public_keys[user] = read_public_key(path)
    config = data_dir / "nats" / "nats.conf"
    text = render(public_keys)
    if not config.exists() or config.read_text() != text:
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text)
    return NatsSetup(data_dir=data_dir, config=config, public_keys=public_keys)


USERS_PLACEHOLDER = "@SIVICON_USERS@"


def fill_template(template: str, public_keys: Mapping[str, str]) -> str:
    """The production template (``deploy/nats/nats.conf.template``) with its users filled in."""
    if USERS_PLACEHOLDER not in template:
        raise ValueError(f"the template has no line {USERS_PLACEHOLDER} for the users")
    return template.replace(USERS_PLACEHOLDER, render_users(public_keys))


def main(argv: list[str] | None = None) -> int:
    """``python -m services.natsconf production ...``: a production configuration."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m services.natsconf")
    sub = parser.add_subparsers(dest="command", required=True)
    production = sub.add_parser(
        "production", help="make the missing seeds, print the template with the users filled in"
    )
    production.add_argument("--template", type=Path, required=True)
    production.add_argument("--data-dir", type=Path, required=True, help="where seeds are kept")
    production.add_argument("--agencies", default="DINKES", help="comma-separated agency codes")
    args = parser.parse_args(argv)
    agencies = [code.strip() for code in args.agencies.split(",") if code.strip()]
    setup = prepare(args.data_dir, agencies)
    print(fill_template(args.template.read_text(), setup.public_keys), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
