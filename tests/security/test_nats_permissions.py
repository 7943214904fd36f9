"""No anonymous NATS, and each NATS user allowed exactly what it needs.

Every test runs against a real nats-server started from the configuration ``sivicon up``
generates (:func:`services.natsconf.prepare`) in a temporary data folder, on a random port, with
the stream and buckets made by the admin as the launcher makes them. A refusal is shown twice: the
server's "permissions violation" naming the subject, and the effect that did not happen (no
message in the stream, no delivery, the stream still there).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

import nats
import nkeys
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig

from services.launcher import (
    Child,
    free_port,
    in_a_thread,
    nats_server_binary,
    provision_as,
    spawn,
    start_nats,
    wait_http,
)
from services.natsconf import NatsSetup, fill_template, prepare
from shared import subjects
from shared.messaging import read_subject
from shared.messaging.connection import NatsAccessError, StreamMissing, client_options, connect
from shared.runtime import ServiceRuntime
from shared.settings import Settings

SERVICES = ("intake", "disposition", "scheduler", "letters", "portal")
CONSUMING = ("intake", "disposition", "scheduler", "letters")
KV_BUCKETS = (subjects.KEYRING_BUCKET, subjects.REVOCATIONS_BUCKET)
INTAKE_FILTERS = [subjects.inbound_filter(), "sivicon.disposition.CaseClosed.*"]


@dataclass(frozen=True)
class Server:
    url: str
    setup: NatsSetup


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """nats-server from the generated configuration, prepared by the admin."""
    data_dir = tmp_path_factory.mktemp("nats-auth") / "var"
    setup = prepare(data_dir, ["DINKES", "DISDIK"])
    child, url = start_nats(data_dir, free_port(), data_dir / "logs", setup.config)
    try:
        in_a_thread(provision_as(url, setup.credentials("admin"), None, 3600))
        yield Server(url, setup)
    finally:
        child.stop()


@dataclass
class Client:
    """A connection as one user, keeping what the server said was refused."""

    user: str
    nc: NatsClient
    errors: list[str] = field(default_factory=list)

    async def refused(self, verb: str, subject: str, within: float = 3.0) -> bool:
        """Whether the server reported a permissions violation for ``verb`` on ``subject``."""
        # nats-py lower-cases the server's whole message, the subject too.
        expected = f'permissions violation for {verb} to "{subject}"'.lower()
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            if any(expected in error.lower() for error in self.errors):
                return True
            await asyncio.sleep(0.02)
        return False

    async def publish_refused(self, subject: str) -> bool:
        await self.nc.publish(subject, b'{"forged": true}')
        await self.nc.flush()
        return await self.refused("publish", subject)

    async def request_refused(self, subject: str, body: bytes = b"") -> bool:
        """A JetStream API call: refused means no answer and the server's violation."""
        with pytest.raises(NatsTimeoutError):
            await self.nc.request(subject, body, timeout=1.0)
        return await self.refused("publish", subject)


OpenAs = Callable[[str], Awaitable[Client]]


@pytest.fixture
async def as_user(server: Server) -> AsyncIterator[OpenAs]:
    clients: list[Client] = []

    async def open_as(user: str) -> Client:
        errors: list[str] = []

        async def on_error(exc: Exception) -> None:
            errors.append(str(exc))

        nc = await nats.connect(
            server.url,
            name=f"test-{user}",
            allow_reconnect=False,
            error_cb=on_error,
            **client_options(server.setup.credentials(user)),
        )
        client = Client(user, nc, errors)
        clients.append(client)
        return client

    yield open_as
    for client in clients:
        await client.nc.close()


async def stream_subjects(server: Server, filter_subject: str = subjects.ALL) -> list[str]:
    """What the stream holds under ``filter_subject``, read as the admin."""
    nc = await connect(server.url, "test-admin", credentials=server.setup.credentials("admin"))
    try:
        return [m.subject for m in await read_subject(nc.jetstream(), filter_subject)]
    finally:
        await nc.close()


def probe(producer: str, kind: str = "Probe") -> str:
    return f"sivicon.{producer}.{kind}.{uuid4()}"


async def test_anonymous_and_unknown_clients_are_refused(server: Server, tmp_path: Path) -> None:
    with pytest.raises(NatsAccessError, match="refused a client without credentials"):
        await asyncio.wait_for(connect(server.url, "anonymous"), 10)
    with pytest.raises(nats.errors.Error):
        await asyncio.wait_for(
            nats.connect(server.url, allow_reconnect=False, max_reconnect_attempts=1), 10
        )
    stranger = tmp_path / "stranger.nk"
    stranger.write_bytes(nkeys.encode_seed(bytes(range(32)), nkeys.PREFIX_BYTE_USER) + b"\n")
    with pytest.raises(NatsAccessError, match=f"refused the credentials in {stranger}"):
        await asyncio.wait_for(connect(server.url, "stranger", credentials=stranger), 10)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_publishes_its_own_events_and_no_one_elses(
    server: Server, as_user: OpenAs, service: str
) -> None:
    client = await as_user(service)
    js = client.nc.jetstream()
    own = probe(service)
    ack = await js.publish(own, b"{}", stream=subjects.STREAM)
    assert ack.seq > 0
    dead_letter = await js.publish(subjects.deadletter_subject(service), b"{}")
    assert dead_letter.seq > 0

    other = "letters" if service != "letters" else "disposition"
    forged = [
        probe(other, "LetterSent"),
        subjects.deadletter_subject(other),
        subjects.inbound_subject("DINKES"),
    ]
    if service != "intake":
        forged.append(f"{subjects.ANSWERS_PREFIX}.DINKES.{uuid4()}")
    for subject in forged:
        assert await client.publish_refused(subject), subject
    held = await stream_subjects(server)
    assert own in held
    assert forged[0] not in held
    assert forged[-1] not in held  # the answers' copy, where only intake may publish


async def test_dinkes_submits_for_itself_and_reads_only_its_own_answers(
    server: Server, as_user: OpenAs
) -> None:
    dinkes = await as_user("agency-DINKES")
    intake = await as_user("intake")
    answers: list[Msg] = []

    async def on_answer(msg: Msg) -> None:
        answers.append(msg)

    await dinkes.nc.subscribe(f"{subjects.ANSWERS_PREFIX}.DINKES.>", cb=on_answer)
    await dinkes.nc.flush()
    ack = await dinkes.nc.jetstream().publish(subjects.inbound_subject("DINKES"), b"{}")
    assert ack.stream == subjects.STREAM
    answer = f"{subjects.ANSWERS_PREFIX}.DINKES.{uuid4()}"
    await intake.nc.jetstream().publish(answer, b'{"answer": 1}')
    for _ in range(100):
        if answers:
            break
        await asyncio.sleep(0.02)
    assert [m.subject for m in answers] == [answer]

    for subject in (
        subjects.inbound_subject("DISDIK"),
        probe("letters", "LetterSent"),
        probe("intake", "RequestSubmitted"),
    ):
        assert await dinkes.publish_refused(subject), subject
    for subject in ("sivicon.letters.>", f"{subjects.ANSWERS_PREFIX}.DISDIK.>", "_INBOX.>", ">"):
        await dinkes.nc.subscribe(subject)
        await dinkes.nc.flush()
        assert await dinkes.refused("subscription", subject), subject
    with pytest.raises(NatsTimeoutError):
        await dinkes.nc.jetstream(timeout=1.0).stream_info(subjects.STREAM)
    assert await dinkes.refused("publish", f"$JS.API.STREAM.INFO.{subjects.STREAM}")
    held = await stream_subjects(server, f"{subjects.INBOUND_PREFIX}.>")
    assert subjects.inbound_subject("DINKES") in held
    assert subjects.inbound_subject("DISDIK") not in held


@pytest.mark.parametrize("reader", ["operator", "auditor"])
async def test_operator_and_auditor_read_the_stream_and_change_nothing(
    server: Server, as_user: OpenAs, reader: str
) -> None:
    intake = await as_user("intake")
    event = probe("intake", "RequestSubmitted")
    await intake.nc.jetstream().publish(event, b"{}")
    client = await as_user(reader)
    js = client.nc.jetstream()

    assert event in [m.subject for m in await read_subject(js, "sivicon.intake.>")]
    info = await js.stream_info(subjects.STREAM)
    assert info.state.messages > 0
    assert await client.publish_refused(probe("intake", "RequestSubmitted"))
    assert await client.publish_refused(subjects.deadletter_subject("intake"))
    for call in ("STREAM.DELETE", "STREAM.PURGE", "STREAM.MSG.DELETE", "STREAM.UPDATE"):
        assert await client.request_refused(f"$JS.API.{call}.{subjects.STREAM}"), call
    admin = await as_user("admin")
    after = await admin.nc.jetstream().stream_info(subjects.STREAM)
    assert after.state.messages >= info.state.messages


@pytest.mark.parametrize("reader", ["operator", "auditor", "agency-DINKES"])
async def test_a_reader_cannot_take_over_a_services_consumer(
    server: Server, as_user: OpenAs, reader: str
) -> None:
    intake = await as_user("intake")
    ijs = intake.nc.jetstream()
    await ijs.add_consumer(
        subjects.STREAM,
        ConsumerConfig(
            durable_name="intake",
            ack_policy=AckPolicy.EXPLICIT,
            filter_subjects=INTAKE_FILTERS,
        ),
    )
    client = await as_user(reader)
    hijack = json.dumps(
        {
            "stream_name": subjects.STREAM,
            "config": {"name": "intake", "filter_subject": "sivicon.>", "ack_policy": "none"},
        }
    ).encode()
    for subject in (
        f"$JS.API.CONSUMER.CREATE.{subjects.STREAM}",
        f"$JS.API.CONSUMER.CREATE.{subjects.STREAM}.intake",
        f"$JS.API.CONSUMER.DURABLE.CREATE.{subjects.STREAM}.intake",
        f"$JS.API.CONSUMER.MSG.NEXT.{subjects.STREAM}.intake",
        f"$JS.API.CONSUMER.DELETE.{subjects.STREAM}.intake",
    ):
        assert await client.request_refused(subject, hijack), subject
    kept = await ijs.consumer_info(subjects.STREAM, "intake")
    assert kept.config.filter_subjects == INTAKE_FILTERS
    assert kept.config.ack_policy == AckPolicy.EXPLICIT
    await ijs.delete_consumer(subjects.STREAM, "intake")


@pytest.mark.parametrize(
    "user", [*SERVICES, "agency-DINKES", "operator", "auditor"], ids=lambda u: str(u)
)
async def test_only_the_admin_creates_and_deletes_streams(
    server: Server, as_user: OpenAs, user: str
) -> None:
    client = await as_user(user)
    rogue = f"ROGUE_{user.replace('-', '_')}"
    with pytest.raises(NatsTimeoutError):
        await client.nc.jetstream(timeout=1.0).add_stream(
            StreamConfig(name=rogue, subjects=[f"rogue.{uuid4().hex}"])
        )
    assert await client.refused("publish", f"$JS.API.STREAM.CREATE.{rogue}")
    assert await client.request_refused(f"$JS.API.STREAM.DELETE.{subjects.STREAM}")
    for bucket in KV_BUCKETS:
        assert await client.request_refused(f"$JS.API.STREAM.DELETE.KV_{bucket}"), bucket

    admin = (await as_user("admin")).nc.jetstream()
    await admin.stream_info(subjects.STREAM)  # still there
    await admin.add_stream(StreamConfig(name=rogue, subjects=[f"rogue.{uuid4().hex}"]))
    assert await admin.delete_stream(rogue)


@pytest.mark.parametrize("service", CONSUMING)
async def test_a_service_runs_its_own_pull_consumer_and_reads_the_buckets(
    server: Server, as_user: OpenAs, service: str
) -> None:
    admin = (await as_user("admin")).nc.jetstream()
    for bucket in KV_BUCKETS:
        await (await admin.key_value(bucket)).put(f"probe-{service}", b'{"seen": true}')
    producer = "disposition" if service != "disposition" else "letters"
    event = probe(producer, f"For{service.title()}")
    await admin.publish(event, b"{}")
    client = await as_user(service)
    js = client.nc.jetstream()

    start = (await js.stream_info(subjects.STREAM)).state.last_seq
    await js.add_consumer(
        subjects.STREAM,
        ConsumerConfig(
            durable_name=service,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=start,
            filter_subjects=[f"sivicon.{producer}.For{service.title()}.*"],
        ),
    )
    subscription = await js.pull_subscribe_bind(durable=service, stream=subjects.STREAM)
    fetched = await subscription.fetch(1, timeout=5)
    assert [m.subject for m in fetched] == [event]
    await fetched[0].ack_sync()
    info = await js.consumer_info(subjects.STREAM, service)
    assert info.ack_floor.stream_seq == start
    await subscription.unsubscribe()
    assert await js.delete_consumer(subjects.STREAM, service)

    other = "scheduler" if service != "scheduler" else "letters"
    assert await client.request_refused(
        f"$JS.API.CONSUMER.DURABLE.CREATE.{subjects.STREAM}.{other}"
    )
    assert await client.request_refused(f"$JS.API.CONSUMER.MSG.NEXT.{subjects.STREAM}.{other}")

    for bucket in KV_BUCKETS:
        kv = await js.key_value(bucket)
        entry = await kv.get(f"probe-{service}")
        assert entry.value == b'{"seen": true}'
        assert f"probe-{service}" in await kv.keys()
        assert await client.publish_refused(f"$KV.{bucket}.forged-{service}")


async def test_only_the_portal_writes_revocations_and_only_the_admin_the_keyring(
    server: Server, as_user: OpenAs
) -> None:
    portal = await as_user("portal")
    revocations = await portal.nc.jetstream().key_value(subjects.REVOCATIONS_BUCKET)
    await revocations.put("kabid", b'{"disabled_at": "2026-11-30T07:00:00+00:00"}')
    intake = await as_user("intake")
    seen = await (await intake.nc.jetstream().key_value(subjects.REVOCATIONS_BUCKET)).get("kabid")
    assert seen.value == b'{"disabled_at": "2026-11-30T07:00:00+00:00"}'
    assert await portal.publish_refused(f"$KV.{subjects.KEYRING_BUCKET}.portal-forged")
    for reader in ("operator", "auditor"):
        client = await as_user(reader)
        keyring = await client.nc.jetstream().key_value(subjects.KEYRING_BUCKET)
        assert await keyring.status()
        assert await client.publish_refused(f"$KV.{subjects.KEYRING_BUCKET}.forged")
        assert await client.publish_refused(f"$KV.{subjects.REVOCATIONS_BUCKET}.kabid")


async def test_the_portal_follows_the_services_events_but_not_the_agencies_traffic(
    server: Server, as_user: OpenAs
) -> None:
    portal = await as_user("portal")
    seen: list[str] = []

    async def on_message(msg: Msg) -> None:
        seen.append(msg.subject)

    await portal.nc.subscribe("sivicon.*.*.*", cb=on_message)
    await portal.nc.flush()
    event = probe("scheduler", "MeetingCreated")
    answer = f"{subjects.ANSWERS_PREFIX}.DINKES.{uuid4()}"
    admin = (await as_user("admin")).nc
    for subject in (subjects.inbound_subject("DINKES"), answer, event):
        await admin.publish(subject, b"{}")
    await admin.flush()
    for _ in range(100):
        if event in seen:
            break
        await asyncio.sleep(0.02)
    assert seen == [event]


async def test_a_client_cannot_read_another_users_replies(server: Server, as_user: OpenAs) -> None:
    intake = await as_user("intake")
    letters = await as_user("letters")
    for subject in ("_INBOX.>", f"_INBOX.{server.setup.public_keys['intake']}.>"):
        await letters.nc.subscribe(subject)
        await letters.nc.flush()
        assert await letters.refused("subscription", subject), subject
    # The client's own inbox works: a JetStream call is answered there.
    assert (await intake.nc.jetstream().stream_info(subjects.STREAM)).config.name == "SIVICON"


def write_pem(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def make_pki(folder: Path) -> dict[str, Path]:
    """A CA with a server certificate for 127.0.0.1, an expired one, and a CA that signed
    neither."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    now = datetime.now(UTC)
    files: dict[str, Path] = {}
    for ca_name in ("ca", "other-ca"):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(name(ca_name))
            .issuer_name(name(ca_name))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=30))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        files[ca_name] = write_pem(
            folder / f"{ca_name}.pem", ca_cert.public_bytes(serialization.Encoding.PEM)
        )
        if ca_name != "ca":
            continue
        for label, ends in (("server", now + timedelta(days=1)), ("expired", now - timedelta(1))):
            key = ec.generate_private_key(ec.SECP256R1())
            cert = (
                x509.CertificateBuilder()
                .subject_name(name("127.0.0.1"))
                .issuer_name(ca_cert.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=10))
                .not_valid_after(ends)
                .add_extension(
                    x509.SubjectAlternativeName(
                        [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                    ),
                    critical=False,
                )
                .sign(ca_key, hashes.SHA256())
            )
            files[f"{label}-cert"] = write_pem(
                folder / f"{label}-cert.pem", cert.public_bytes(serialization.Encoding.PEM)
            )
            files[f"{label}-key"] = write_pem(folder / f"{label}-key.pem", key_pem(key))
    return files


def production_config(
    tmp_path: Path, setup: NatsSetup, pki: dict[str, Path], cert: str, port: int, monitor: int
) -> Path:
    """The shipped production template, with its users and this test's certificate, ports and
    store."""
    template = (Path(__file__).parents[2] / "deploy" / "nats" / "nats.conf.template").read_text()
    text = fill_template(template, setup.public_keys)
    text = text.replace("/etc/nats/tls/server-cert.pem", str(pki[f"{cert}-cert"]))
    text = text.replace("/etc/nats/tls/server-key.pem", str(pki[f"{cert}-key"]))
    text = text.replace("/etc/nats/tls/ca.pem", str(pki["ca"]))
    text = text.replace("/var/lib/nats/jetstream", str(tmp_path / "jetstream"))
    text = text.replace("listen: 0.0.0.0:4222", f"listen: 127.0.0.1:{port}")
    text = text.replace("http: 127.0.0.1:8222", f"http: 127.0.0.1:{monitor}")
    assert "/etc/nats/tls" not in text
    config = tmp_path / f"production-{cert}.conf"
    config.write_text(text)
    return config


async def test_the_production_template_serves_tls_and_a_certificate_that_fails_is_named(
    tmp_path: Path,
) -> None:
    pki = make_pki(tmp_path)
    setup = prepare(tmp_path / "var", ["DINKES"])
    port, monitor = free_port(), free_port()
    url = f"tls://127.0.0.1:{port}"
    credentials = setup.credentials("intake")

    def serving(cert: str) -> Child:
        """nats-server from the production configuration alone (no command-line options)."""
        config = production_config(tmp_path, setup, pki, cert, port, monitor)
        checked = subprocess.run(
            [nats_server_binary(), "-t", "-c", str(config)], capture_output=True, timeout=30
        )
        assert checked.returncode == 0, checked.stderr
        child = spawn("nats-production", [nats_server_binary(), "-c", str(config)], {}, tmp_path)
        wait_http(f"http://127.0.0.1:{monitor}/healthz", child, 20)
        return child

    child = serving("server")
    try:
        nc = await asyncio.wait_for(
            connect(url, "intake", credentials=credentials, tls_ca=pki["ca"]), 10
        )
        assert nc.is_connected
        await nc.close()
        with pytest.raises(NatsAccessError, match=f"TLS with NATS at {url} failed"):
            await asyncio.wait_for(
                connect(url, "intake", credentials=credentials, tls_ca=pki["other-ca"]), 10
            )
        with pytest.raises(NatsAccessError, match="refused a client without credentials"):
            await asyncio.wait_for(connect(url, "anonymous", tls_ca=pki["ca"]), 10)
    finally:
        child.stop()

    child = serving("expired")
    try:
        with pytest.raises(NatsAccessError, match="certificate has expired"):
            await asyncio.wait_for(
                connect(url, "intake", credentials=credentials, tls_ca=pki["ca"]), 10
            )
    finally:
        child.stop()


def sivicon(
    server: Server, *args: str, data_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The ``sivicon`` command of an installation whose data folder is ``data_dir`` (by default
    the one whose seeds made the server's configuration)."""
    env = {
        **os.environ,
        "SIVICON_NATS_URL": server.url,
        "SIVICON_DATA_DIR": str(data_dir or server.setup.data_dir),
    }
    env.pop("SIVICON_NATS_CREDENTIALS", None)
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_tail_reads_as_the_operator_and_audit_as_the_auditor_by_default(
    server: Server, as_user: OpenAs, tmp_path: Path
) -> None:
    request_id = str(uuid4())
    intake = await as_user("intake")
    await intake.nc.jetstream().publish(
        f"sivicon.intake.RequestSubmitted.{request_id}", b"{}", headers={"ce-subject": request_id}
    )

    tail = await asyncio.to_thread(sivicon, server, "tail", "--request", request_id, "--limit", "1")
    assert tail.returncode == 0, tail.stderr
    assert request_id in tail.stdout
    audit = await asyncio.to_thread(sivicon, server, "audit", request_id)
    assert "refused" not in audit.stdout + audit.stderr
    assert f"Request {request_id}" in audit.stdout, audit.stdout + audit.stderr

    elsewhere = tmp_path / "no-credentials-here"
    for command in (["tail", "--limit", "1"], ["audit", request_id]):
        anonymous = await asyncio.to_thread(sivicon, server, *command, data_dir=elsewhere)
        assert anonymous.returncode == 1
        assert "refused a client without credentials" in anonymous.stderr
        assert "Traceback" not in anonymous.stderr
    dinkes = str(server.setup.credentials("agency-DINKES"))
    denied = await asyncio.to_thread(
        sivicon, server, "tail", "--from-start", "--limit", "1", "--credentials", dinkes
    )
    assert denied.returncode == 1
    assert f"does not let the NATS user of {dinkes} read the stream" in denied.stderr
    missing = tmp_path / "missing.nk"
    absent = await asyncio.to_thread(
        sivicon, server, "audit", request_id, "--credentials", str(missing)
    )
    assert absent.returncode == 1
    assert f"NATS credentials file {missing} does not exist" in absent.stderr


async def test_a_service_does_not_start_on_credentials_that_fail_or_without_the_stream(
    server: Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "portal.nk"
    settings = Settings(data_dir=tmp_path, nats_url=server.url, nats_credentials=missing)
    with pytest.raises(NatsAccessError, match=f"NATS credentials file {missing} does not exist"):
        await ServiceRuntime(settings, "portal", None).start()
    assert f"SIVICON_NATS_CREDENTIALS={missing}" in caplog.text

    wrong = tmp_path / "wrong.nk"
    wrong.write_bytes(nkeys.encode_seed(bytes(32), nkeys.PREFIX_BYTE_USER) + b"\n")
    settings = Settings(data_dir=tmp_path, nats_url=server.url, nats_credentials=wrong)
    with pytest.raises(NatsAccessError, match=f"refused the credentials in {wrong}"):
        await asyncio.wait_for(ServiceRuntime(settings, "portal", None).start(), 10)

    child, plain_url = start_nats(tmp_path / "plain", free_port(), tmp_path / "logs")
    try:
        settings = Settings(data_dir=tmp_path, nats_url=plain_url)
        runtime = ServiceRuntime(settings, "portal", None)
        with pytest.raises(StreamMissing, match="NATS has no stream SIVICON"):
            await runtime.start()
        assert runtime.nc is not None
        await runtime.nc.close()
        nc = await nats.connect(plain_url)
        try:
            with pytest.raises(nats.js.errors.NotFoundError):
                await nc.jetstream().stream_info(subjects.STREAM)  # the service made none
        finally:
            await nc.close()
    finally:
        child.stop()
