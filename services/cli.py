"""The ``sivicon`` command: ``up`` (the whole system), ``run <service>``, ``tail``, ``audit``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from services.launcher import BUSINESS_SERVICES, LaunchError, System, start_system
from services.natsconf import AGENCY_PREFIX, credentials_path
from shared.calendar import OFFICE_TIMEZONE
from shared.datadir import kept_secret
from shared.messaging import NatsAccessError
from shared.settings import SERVICES, SettingsError, load_settings

RUNTIME_FILE = "runtime.json"


def _data_dir() -> Path:
    return Path(os.environ.get("SIVICON_DATA_DIR", "var")).resolve()


def _print_banner(system: System) -> None:
    from services.portal.users import DEMO_PASSWORD, demo_users

    print("\nSIVICON is running.\n")
    print(f"  Portal:  {system.urls['portal']}/")
    print(f"  NATS:    {system.nats_url}   (stream SIVICON, subjects sivicon.>)")
    for name in BUSINESS_SERVICES:
        print(f"  {name:<12} {system.urls[name]}/docs")
    print(f"  Zoom API (fake): {system.urls['fakezoom']}/v2")
    print(f"  Data:    {system.data_dir}   logs in {system.log_dir}")
    print(f"\n  Demo logins (password: {DEMO_PASSWORD}):")
    for user in demo_users():
        extra = f" ({user.opd_code})" if user.opd_code else ""
        acting = f", may act for {user.acting_for}" if user.acting_for else ""
        print(f"    {user.username:<14} {user.role}{extra}{acting}")
    if system.nats_setup is not None:
        print("\n  NATS credentials (nkey seeds; no anonymous access):")
        for nats_user in system.nats_setup.public_keys:
            if nats_user.startswith(AGENCY_PREFIX) or nats_user == "operator":
                print(f"    {nats_user:<14} {system.credentials(nats_user)}")
    print("\n  Follow the events:  sivicon tail      Stop: Ctrl-C\n", flush=True)


def _one_line(exc: BaseException) -> str:
    """A launch error in one line: what failed and, from the child's log, its last words."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"


def _supervise(system: System, stop: dict[str, bool]) -> None:
    """Until asked to stop: start again every child that died, the nats-server first.

    A child that does not come back is tried again on a later pass (after 1, 2, 4 ... at most
    10 seconds), with one line each time; nothing here ends ``sivicon up`` but Ctrl-C.
    """
    retry_at: dict[str, float] = {}
    delay: dict[str, float] = {}
    while not stop["now"]:
        for child in system.dead_children():
            if stop["now"]:
                break
            if time.monotonic() < retry_at.get(child.name, 0.0):
                if child.name == "nats-server":
                    break  # the services cannot start without it
                continue
            if child.name in delay:
                print(f"restarting {child.name} again", flush=True)
            else:
                print(
                    f"{child.name} stopped (exit {child.process.returncode}); restarting; "
                    f"see {child.log_path}",
                    flush=True,
                )
            try:
                system.revive(child)
            except (LaunchError, OSError) as exc:
                delay[child.name] = min(2 * delay.get(child.name, 0.5), 10.0)
                retry_at[child.name] = time.monotonic() + delay[child.name]
                print(
                    f"could not restart {child.name}: {_one_line(exc)}; "
                    f"trying again in {delay[child.name]:g} s",
                    file=sys.stderr,
                    flush=True,
                )
                if child.name == "nats-server":
                    break
            else:
                delay.pop(child.name, None)
                retry_at.pop(child.name, None)
                print(f"{child.name} is running again", flush=True)
        time.sleep(0.3)


def cmd_up(args: argparse.Namespace) -> int:
    data_dir = _data_dir()
    extra = {"SIVICON_DATA_DIR": str(data_dir)}
    if not os.environ.get("SIVICON_AUTH_SECRET"):
        extra["SIVICON_AUTH_SECRET"] = kept_secret(data_dir)
    stop = {"now": False}

    def _stop(signum: int, _frame: Any) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(
        "Starting SIVICON (nats-server, fake Zoom, intake, disposition, scheduler, letters, "
        "portal)...",
        flush=True,
    )
    try:
        system = start_system(
            data_dir,
            nats_url=os.environ.get("SIVICON_NATS_URL"),
            fixed_ports=not args.random_ports,
            with_fakezoom=not os.environ.get("SIVICON_ZOOM_CLIENT_ID"),
            extra_env=extra,
        )
    except (LaunchError, SettingsError, NatsAccessError) as exc:
        print(f"sivicon up: {exc}", file=sys.stderr)
        return 1
    (data_dir / RUNTIME_FILE).write_text(
        json.dumps({"nats_url": system.nats_url, "urls": system.urls, "pid": os.getpid()})
    )
    _print_banner(system)
    try:
        _supervise(system, stop)
    finally:
        print("\nStopping SIVICON...", flush=True)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        system.stop()
        with contextlib.suppress(FileNotFoundError):
            (data_dir / RUNTIME_FILE).unlink()
        print("Stopped.", flush=True)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.service == "fakezoom":
        from services.scheduler.fakezoom import server

        server.main(["--port", str(args.port or 8009)])
        return 0
    try:
        load_settings()
    except SettingsError as exc:
        print(f"sivicon run {args.service}: {exc}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"services.{args.service}.main")
    module.run()
    return 0


def _nats_url() -> str:
    if os.environ.get("SIVICON_NATS_URL"):
        return os.environ["SIVICON_NATS_URL"]
    runtime = _data_dir() / RUNTIME_FILE
    if runtime.exists():
        return str(json.loads(runtime.read_text())["nats_url"])
    return "nats://127.0.0.1:4222"


def _nats_credentials(given: Path | None, user: str) -> Path | None:
    """``--credentials``, else the data folder's credentials of ``user`` (operator for tail,
    auditor for audit, admin for keys publish), if ``sivicon up`` made them here."""
    if given is not None:
        return given
    default = credentials_path(_data_dir(), user)
    return default if default.exists() else None


def _nats_tls_ca() -> Path | None:
    ca = os.environ.get("SIVICON_NATS_TLS_CA")
    return Path(ca) if ca else None


def _office_zone() -> ZoneInfo:
    # Read directly, as _nats_url does: tail and audit need no full service settings.
    return ZoneInfo(os.environ.get("SIVICON_TIMEZONE", OFFICE_TIMEZONE))


def cmd_tail(args: argparse.Namespace) -> int:
    from services.stream import StreamUnavailable, tail

    try:
        asyncio.run(
            tail(
                _nats_url(),
                _office_zone(),
                request_id=args.request,
                from_start=args.from_start,
                limit=args.limit,
                dead_letters=args.dead_letters,
                credentials=_nats_credentials(args.credentials, "operator"),
                tls_ca=_nats_tls_ca(),
            )
        )
    except StreamUnavailable as exc:
        print(f"sivicon tail: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


async def _audit(request: str, keyring_file: Path | None, credentials: Path | None) -> int:
    from services.audit import audit, check_signatures, render
    from services.keys import published_keyring
    from services.stream import request_events
    from shared.events import RequestSubmitted
    from shared.signing import Keyring, SigningError, read_keyring_file

    try:
        if keyring_file is not None:
            keyring = Keyring(read_keyring_file(keyring_file))
        else:
            keyring = Keyring(await published_keyring(_nats_url(), credentials, _nats_tls_ca()))
    except SigningError as exc:
        print(f"sivicon audit: {exc}", file=sys.stderr)
        return 1
    try:
        request_id, messages = await request_events(
            _nats_url(), request, keyring, credentials=credentials, tls_ca=_nats_tls_ca()
        )
    except LookupError as exc:
        print(exc)
        return 1
    checked = check_signatures(messages, keyring)
    events = checked.events
    agenda = next((e.agenda_number for e in events if isinstance(e, RequestSubmitted)), None)
    result = audit(events, checked.failed)
    print(f"Request {request_id}{f' (agenda {agenda})' if agenda else ''}: {len(events)} events")
    for line in render(result, _office_zone()):
        print(line)
    if result.failed:
        return 4
    return 0 if result.complete else 3


def cmd_audit(args: argparse.Namespace) -> int:
    from services.stream import StreamUnavailable

    try:
        credentials = _nats_credentials(args.credentials, "auditor")
        return asyncio.run(_audit(args.request, args.keyring, credentials))
    except StreamUnavailable as exc:
        print(f"sivicon audit: {exc}", file=sys.stderr)
        return 1


def _keyring_file(given: Path | None) -> Path:
    from services.keys import default_keyring_file

    return given or Path(
        os.environ.get("SIVICON_KEYRING_FILE") or default_keyring_file(_data_dir())
    )


def cmd_keys_init(args: argparse.Namespace) -> int:
    from services.keys import init_keys
    from shared.signing import SigningError

    keyring = _keyring_file(None)
    try:
        generated = init_keys(_data_dir(), keyring)
    except SigningError as exc:
        print(f"sivicon keys init: {exc}", file=sys.stderr)
        return 1
    for key_id in generated:
        print(f"generated {key_id}")
    print(f"keyring written to {keyring}")
    return 0


def cmd_keys_publish(args: argparse.Namespace) -> int:
    from services.keys import publish_keys
    from services.stream import StreamUnavailable
    from shared.signing import SigningError

    keyring = _keyring_file(args.keyring)
    try:
        credentials = _nats_credentials(args.credentials, "admin")
        published = asyncio.run(publish_keys(_nats_url(), keyring, credentials))
    except (SigningError, StreamUnavailable) as exc:
        print(f"sivicon keys publish: {exc}", file=sys.stderr)
        return 1
    print(f"published {len(published)} keys to the bucket sivicon-keyring: {', '.join(published)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sivicon", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the whole system on this machine")
    up.add_argument(
        "--random-ports",
        action="store_true",
        help="take any free ports instead of 8000-8009 and 4222",
    )
    up.set_defaults(func=cmd_up)
    run = sub.add_parser("run", help="run one service, configured by SIVICON_* variables")
    run.add_argument("service", choices=[*SERVICES, "fakezoom"])
    run.add_argument("--port", type=int, default=None, help="port (fakezoom only)")
    run.set_defaults(func=cmd_run)
    tail = sub.add_parser("tail", help="print the live event stream")
    tail.add_argument("--request", help="only the events of this request ID")
    tail.add_argument("--from-start", action="store_true", help="replay the stream first")
    tail.add_argument("--limit", type=int, default=None, help="stop after N events")
    tail.add_argument(
        "--dead-letters",
        action="store_true",
        help="only the refused messages, from the start, each with its reason",
    )
    tail.add_argument(
        "--credentials",
        type=Path,
        default=None,
        help="NATS credentials (nkey seed file; default: the operator's in the data folder)",
    )
    tail.set_defaults(func=cmd_tail)
    audit = sub.add_parser(
        "audit",
        help="rebuild one request's history from the event stream and check it "
        "(exit 0 complete, 1 unknown or NATS unreachable, 3 open or incomplete, "
        "4 some event fails its signature check)",
    )
    audit.add_argument("request", help="the request's ID or its agenda number")
    audit.add_argument(
        "--keyring",
        type=Path,
        default=None,
        help="check signatures with this keyring file (default: the one published on NATS)",
    )
    audit.add_argument(
        "--credentials",
        type=Path,
        default=None,
        help="NATS credentials (nkey seed file; default: the auditor's in the data folder)",
    )
    audit.set_defaults(func=cmd_audit)
    keys = sub.add_parser("keys", help="the services' signing keys and their keyring")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    keys_sub.add_parser(
        "init", help="generate the missing keys and write the keyring file"
    ).set_defaults(func=cmd_keys_init)
    publish = keys_sub.add_parser(
        "publish", help="publish the keyring file to NATS (bucket sivicon-keyring), as the admin"
    )
    publish.add_argument("--keyring", type=Path, default=None, help="the keyring file")
    publish.add_argument(
        "--credentials",
        type=Path,
        default=None,
        help="the admin's NATS credentials (nkey seed; default: the admin's in the data folder)",
    )
    publish.set_defaults(func=cmd_keys_publish)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
