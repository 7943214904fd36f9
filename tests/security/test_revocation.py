"""A deactivated user's token is refused: an administrator deactivates the account on the
portal's page, and within a second intake and disposition (served over real HTTP, on a real
nats-server) refuse the bearer token the user had; the user's portal session ends. A service
started afterwards refuses it from its first request; reactivating the account does not revive
the old token. Without the ``sivicon-revocations`` bucket a service does not start, and when the
revocation cannot be written the account is not changed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import nats
import pytest
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import KeyNotFoundError

from services.disposition.main import create_app as create_disposition
from services.intake.main import create_app as create_intake
from services.launcher import free_port, provision_as, start_nats
from services.natsconf import prepare
from services.portal.main import create_app as create_portal
from shared.auth import UserDirectory
from shared.messaging.connection import connect, provision
from shared.revocations import (
    BUCKET,
    Revocations,
    RevocationsMissing,
    follow,
    open_bucket,
    revoke,
)
from shared.settings import Settings
from tests.security.people import api_token, signed_in
from tests.support import make_settings, running, serving

INTAKE_READ = "/api/v1/requests"
DISPOSITION_READ = "/api/v1/inbox"


@dataclass
class Office:
    settings: Settings
    portal: str
    intake: str
    disposition: str


@contextlib.contextmanager
def office(tmp_path: Path, nats_url: str) -> Iterator[Office]:
    """The portal, intake and disposition, each served over HTTP on its own port."""
    ports = {name: free_port() for name in ("portal", "intake", "disposition")}
    settings = make_settings(
        tmp_path / "var",
        nats_url,
        intake_url=f"http://127.0.0.1:{ports['intake']}",
        disposition_url=f"http://127.0.0.1:{ports['disposition']}",
    )
    with (
        serving(create_intake(settings), port=ports["intake"]) as intake,
        serving(create_disposition(settings), port=ports["disposition"]) as disposition,
        serving(create_portal(settings), port=ports["portal"]) as portal,
    ):
        yield Office(settings, portal, intake, disposition)


@contextlib.asynccontextmanager
async def client(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url, trust_env=False) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def status_of(url: str, path: str, token: str) -> tuple[int, str]:
    async with client(url) as c:
        answer = await c.get(path, headers=bearer(token))
    code = answer.json()["error"]["code"] if answer.status_code >= 400 else ""
    return answer.status_code, code


async def refused_within(url: str, path: str, token: str, seconds: float) -> float:
    """How long until ``url`` refuses ``token`` as revoked; fails past ``seconds``."""
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) <= seconds:
        if await status_of(url, path, token) == (401, "token_revoked"):
            return elapsed
        await asyncio.sleep(0.02)
    raise AssertionError(f"{url}{path} still accepts the token after {seconds} s")


def test_a_deactivated_users_token_is_refused_everywhere_within_a_second(
    tmp_path: Path, nats_url: str
) -> None:
    asyncio.run(_deactivate_and_check(tmp_path, nats_url))


async def _deactivate_and_check(tmp_path: Path, nats_url: str) -> None:
    with office(tmp_path, nats_url) as sivicon:
        async with client(sivicon.portal) as admin, client(sivicon.portal) as kabid_browser:
            kabid_token = await api_token(admin, "kabid")
            kadis_token = await api_token(admin, "kadis")
            await signed_in(kabid_browser, "kabid")
            assert (await kabid_browser.get("/kasus", follow_redirects=False)).status_code == 200
            for url, path in (
                (sivicon.intake, INTAKE_READ),
                (sivicon.disposition, DISPOSITION_READ),
            ):
                assert await status_of(url, path, kabid_token) == (200, "")

            csrf = await signed_in(admin, "admin")
            answer = await admin.post(
                "/admin/pengguna/kabid/status", data={"csrf": csrf, "aktif": "false"}
            )
            assert answer.status_code == 303, answer.text
            waits = await asyncio.gather(
                refused_within(sivicon.intake, INTAKE_READ, kabid_token, 1.0),
                refused_within(sivicon.disposition, DISPOSITION_READ, kabid_token, 1.0),
            )
            assert max(waits) <= 1.0
            async with client(sivicon.intake) as intake:
                refusal = (await intake.get(INTAKE_READ, headers=bearer(kabid_token))).json()
            assert "revoked" in refusal["error"]["message"]
            assert "dicabut" in refusal["error"]["pesan"]
            # The portal session ended with it; other users are untouched.
            page = await kabid_browser.get("/kasus", follow_redirects=False)
            assert page.status_code == 303
            assert page.headers["location"] == "/masuk"
            assert await status_of(sivicon.intake, INTAKE_READ, kadis_token) == (200, "")

            # Reactivated: the old token stays refused, a new login works.
            answer = await admin.post(
                "/admin/pengguna/kabid/status", data={"csrf": csrf, "aktif": "true"}
            )
            assert answer.status_code == 303
            await asyncio.sleep(0.3)
            assert await status_of(sivicon.intake, INTAKE_READ, kabid_token) == (
                401,
                "token_revoked",
            )
            fresh = await api_token(admin, "kabid")
            assert await status_of(sivicon.disposition, DISPOSITION_READ, fresh) == (200, "")

        # A service that was not running when the account was deactivated refuses the token
        # from its first request: it reads the whole bucket before it serves.
        with serving(create_intake(sivicon.settings)) as restarted:
            assert await status_of(restarted, INTAKE_READ, kabid_token) == (401, "token_revoked")


def test_a_password_reset_revokes_the_tokens_issued_before_it(
    tmp_path: Path, nats_url: str
) -> None:
    asyncio.run(_reset_and_check(tmp_path, nats_url))


async def _reset_and_check(tmp_path: Path, nats_url: str) -> None:
    with office(tmp_path, nats_url) as sivicon:
        async with client(sivicon.portal) as admin:
            old = await api_token(admin, "subko")
            csrf = await signed_in(admin, "admin")
            password = "Kata-Sandi-Baru-2026!"
            answer = await admin.post(
                "/admin/pengguna/subko/kata-sandi",
                data={"csrf": csrf, "password": password, "password_again": password},
            )
            assert answer.status_code == 303, answer.text
            await refused_within(sivicon.disposition, DISPOSITION_READ, old, 1.0)
            login = await admin.post(
                "/api/v1/auth/login", json={"username": "subko", "password": password}
            )
            assert login.status_code == 200
            new = login.json()["token"]
            assert await status_of(sivicon.disposition, DISPOSITION_READ, new) == (200, "")


async def test_a_service_does_not_start_without_the_revocations_bucket(
    tmp_path: Path, nats_url: str
) -> None:
    settings = make_settings(tmp_path / "var", nats_url)
    nc = await nats.connect(nats_url)
    await nc.jetstream().delete_key_value(BUCKET)  # the stream and the keyring, no revocations
    await nc.close()
    with pytest.raises(RevocationsMissing, match=BUCKET) as refused:
        async with running(create_portal(settings)):
            pass
    assert "sivicon up" in str(refused.value)


async def test_when_the_revocation_cannot_be_written_the_account_is_not_deactivated(
    tmp_path: Path, nats_url: str
) -> None:
    settings = make_settings(tmp_path / "var", nats_url)
    app = create_portal(settings)
    async with running(app) as portal:
        csrf = await signed_in(portal, "admin")
        nc = await nats.connect(nats_url)
        await nc.jetstream().delete_key_value(BUCKET)  # NATS lost the bucket meanwhile
        await nc.close()
        answer = await portal.post(
            "/admin/pengguna/kabid/status", data={"csrf": csrf, "aktif": "false"}
        )
        assert answer.status_code == 503
        assert "tidak dapat dicabut" in answer.text
    assert UserDirectory(settings.data_dir / "users.json").get("kabid").active


async def test_the_watch_reads_the_bucket_first_then_follows_puts_and_deletes(
    nats_url: str,
) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        before = datetime.now(UTC)
        await revoke(js, "kabid", before)  # there before the watch starts
        revocations, loaded = Revocations(token_ttl_seconds=3600), asyncio.Event()
        watch = asyncio.create_task(follow(await open_bucket(js), revocations, loaded))
        await asyncio.wait_for(loaded.wait(), timeout=5)
        assert revocations.disabled_at("kabid") == before

        async def until(done: Callable[[], bool]) -> None:
            deadline = time.monotonic() + 1.0
            while not done():
                assert time.monotonic() < deadline, "the watch did not follow within a second"
                await asyncio.sleep(0.01)

        later = datetime.now(UTC)
        await revoke(js, "subko", later)
        await until(lambda: revocations.disabled_at("subko") == later)
        await (await open_bucket(js)).delete("kabid")
        await until(lambda: revocations.disabled_at("kabid") is None)
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
    finally:
        await nc.close()


async def test_on_their_own_nats_credentials_the_portal_revokes_and_a_service_follows(
    tmp_path: Path,
) -> None:
    """The same, on nats-server from the generated configuration: the portal's credentials write
    the bucket, a service's credentials watch it; an agency may do neither."""
    data_dir = tmp_path / "var"
    setup = prepare(data_dir, ["DINKES"])
    child, url = start_nats(data_dir, free_port(), data_dir / "logs", setup.config)
    try:
        await provision_as(url, setup.credentials("admin"), None, 3600)
        portal = await connect(url, "portal", credentials=setup.credentials("portal"))
        intake = await connect(url, "intake", credentials=setup.credentials("intake"))
        try:
            revocations, loaded = Revocations(token_ttl_seconds=3600), asyncio.Event()
            bucket = await open_bucket(intake.jetstream())
            watch = asyncio.create_task(follow(bucket, revocations, loaded))
            await asyncio.wait_for(loaded.wait(), timeout=5)
            at = datetime.now(UTC)
            await revoke(portal.jetstream(), "kabid", at)
            deadline = time.monotonic() + 1.0
            while revocations.disabled_at("kabid") != at:
                assert time.monotonic() < deadline, "intake did not see the revocation in 1 s"
                await asyncio.sleep(0.01)
            with pytest.raises(NatsTimeoutError):  # a permissions violation: no answer comes
                await revoke(intake.jetstream(timeout=1), "kadis", at)
            with pytest.raises(KeyNotFoundError):
                await bucket.get("kadis")
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        finally:
            await portal.close()
            await intake.close()
        agency = await connect(url, "agency", credentials=setup.credentials("agency-DINKES"))
        try:
            with pytest.raises(RevocationsMissing):
                await open_bucket(agency.jetstream())
        finally:
            await agency.close()
    finally:
        child.stop()


async def test_after_nats_server_restarts_a_revocation_is_still_seen_within_a_second(
    tmp_path: Path,
) -> None:
    """A restarted nats-server has forgotten the watch's consumer: the service watches again
    as soon as it is reconnected, instead of going deaf to new revocations."""
    port = free_port()
    child, url = start_nats(tmp_path, port, tmp_path / "logs")
    nc = await connect(url, "sivicon-intake")
    try:
        await provision(nc.jetstream())
        revocations, loaded = Revocations(token_ttl_seconds=3600), asyncio.Event()
        bucket = await open_bucket(nc.jetstream())
        watch = asyncio.create_task(follow(bucket, revocations, loaded, nc))
        await asyncio.wait_for(loaded.wait(), timeout=5)
        child.stop()
        child, _ = await asyncio.to_thread(start_nats, tmp_path, port, tmp_path / "logs")
        deadline = time.monotonic() + 15
        while not nc.is_connected or nc.stats["reconnects"] == 0:
            assert time.monotonic() < deadline, "no reconnect"
            await asyncio.sleep(0.05)
        at = datetime.now(UTC)
        await revoke(nc.jetstream(), "kabid", at)
        seen_by = time.monotonic() + 1.0
        while revocations.disabled_at("kabid") != at:
            assert time.monotonic() < seen_by, "the revocation was not seen within a second"
            await asyncio.sleep(0.01)
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
    finally:
        await nc.close()
        child.stop()
