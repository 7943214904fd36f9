"""`sivicon up`: the whole system from one command; it brings back whatever of it dies, and
Ctrl-C leaves no process behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

from services import natsconf
from services.launcher import BUSINESS_SERVICES, System
from tests.e2e.harness import file_request, login, wait_until
from tests.e2e.test_procedure import case_of, events_of, future_slot, types
from tests.support import as_admin_of


def _ours(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            if process.environ().get("SIVICON_DATA_DIR") == str(data_dir) or any(
                str(data_dir) in part for part in (process.info["cmdline"] or [])
            ):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _start_up(data_dir: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """``sivicon up --random-ports`` in ``data_dir``, once it has printed its banner; its output
    keeps being collected (and the pipe drained) in the returned list."""
    env = {**os.environ, "SIVICON_DATA_DIR": str(data_dir)}
    env.pop("SIVICON_NATS_URL", None)
    sivicon = Path(sys.executable).parent / "sivicon"
    up = subprocess.Popen(
        [str(sivicon), "up", "--random-ports"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def collect() -> None:
        assert up.stdout is not None
        for line in up.stdout:
            output.append(line)
            if "Ctrl-C" in line:
                ready.set()
        ready.set()

    threading.Thread(target=collect, daemon=True).start()
    if not ready.wait(120) or up.poll() is not None:
        up.kill()
        raise AssertionError("sivicon up did not start:\n" + "".join(output))
    return up, output


def _children(up: subprocess.Popen[str], name: str) -> list[psutil.Process]:
    """The running children of ``sivicon up`` whose command line names ``name``."""
    found = []
    for child in psutil.Process(up.pid).children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and name in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def _all_connected(system: System) -> bool:
    for name in (*BUSINESS_SERVICES, "portal"):
        try:
            health = httpx.get(system.urls[name] + "/api/v1/health", timeout=2)
        except httpx.HTTPError:
            return False
        if health.status_code != 200 or not health.json().get("nats_connected"):
            return False
    return True


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_sivicon_up_serves_the_portal_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    data_dir = (tmp_path / "var").resolve()
    up, output = _start_up(data_dir)
    text = "".join(output)
    portal = re.search(r"Portal:\s+(http://\S+)", text)
    assert portal, text
    assert "nats://127.0.0.1:" in text
    for user in ("agency-DINKES", "operator"):  # where the credentials are, mode 0600
        printed = re.search(rf"{user}\s+(/\S+\.nk)", text)
        assert printed, text
        assert Path(printed.group(1)) == data_dir / "nats" / "creds" / f"{user}.nk"
        assert Path(printed.group(1)).stat().st_mode & 0o777 == 0o600
    assert "kadis" in text
    assert "opd.dinkes" in text
    page = httpx.get(portal.group(1), timeout=10, follow_redirects=True)
    assert page.status_code == 200
    assert str(page.url).endswith("/masuk")  # the sign-in page, in Indonesian
    assert 'lang="id"' in page.text
    assert len(_ours(data_dir)) >= 7  # sivicon up, nats-server, fake Zoom, five services

    # A service that dies is started again by `sivicon up`.
    intake_url = re.search(r"intake\s+(http://\S+)/docs", text)
    assert intake_url, text
    [intake] = [p for p in _ours(data_dir) if p.info["cmdline"][-2:] == ["run", "intake"]]
    intake.kill()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(intake_url.group(1) + "/api/v1/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        raise AssertionError("intake was not restarted")
    assert [p.pid for p in _ours(data_dir) if p.info["cmdline"][-2:] == ["run", "intake"]] != [
        intake.pid
    ]

    up.send_signal(signal.SIGINT)
    up.wait(60)
    time.sleep(0.5)
    assert _ours(data_dir) == []
    assert up.returncode == 0


def test_sivicon_up_brings_back_a_killed_nats_server_and_the_work_carries_on(
    tmp_path: Path,
) -> None:
    data_dir = (tmp_path / "var").resolve()
    up, output = _start_up(data_dir)
    try:
        runtime = json.loads((data_dir / "runtime.json").read_text())
        system = as_admin_of(
            System(
                data_dir=data_dir,
                env={},
                urls=runtime["urls"],
                nats_url=runtime["nats_url"],
                # The credentials `sivicon up` made (prepare keeps the seeds and the same config).
                nats_setup=natsconf.prepare(data_dir, ("DINKES",)),
            )
        )
        port = runtime["nats_url"].rsplit(":", 1)[1]
        [nats_server] = _children(up, "nats-server")
        assert nats_server.cmdline()[nats_server.cmdline().index("-p") + 1] == port

        # A request is under way when the nats-server dies.
        opd, kadis, kabid, subko, staf = (
            login(system, u) for u in ("opd.dinkes", "kadis", "kabid", "subko", "staf")
        )
        start, end = future_slot(20, 9)
        request_id = file_request(opd, start=start, end=end)
        wait_until(lambda: case_of(kadis, request_id), timeout=60, what="case opened")
        kadis.dispose(request_id, "kabid", instruction="Proses lebih lanjut")

        nats_server.kill()  # SIGKILL, as a crash would
        nats_server.wait(10)

        # Nobody acts: `sivicon up` starts it again, on the same port and the same store.
        revived = wait_until(
            lambda: [p for p in _children(up, "nats-server") if p.pid != nats_server.pid],
            timeout=60,
            what="a new nats-server",
        )
        argv = revived[0].cmdline()
        assert argv[argv.index("-p") + 1] == port
        assert argv[argv.index("-sd") + 1] == str(data_dir / "nats")
        wait_until(lambda: _all_connected(system), timeout=60, what="services reconnected")

        # The request goes its way: dispositioned on, the schedule checked.
        kabid.dispose(request_id, "subkoordinator", instruction="Koordinasikan")
        wait_until(
            lambda: "SlotChecked" in types(events_of(system, request_id)),
            timeout=60,
            what="SlotChecked",
        )

        # The fake Zoom server is brought back the same way.
        [fakezoom] = _children(up, "fakezoom")
        fakezoom.kill()
        fakezoom.wait(10)
        wait_until(
            lambda: [p for p in _children(up, "fakezoom") if p.pid != fakezoom.pid],
            timeout=60,
            what="a new fake Zoom server",
        )
        wait_until(
            lambda: _answers(system.urls["fakezoom"] + "/healthz"),
            timeout=60,
            what="the fake Zoom server answering",
        )

        # ...and the flow completes: meeting, letter, signature, receipt, case closed.
        subko.dispose(request_id, "staf")
        staf.when_ready("POST", "scheduler", "/api/v1/meetings", json={"request_id": request_id})
        staf.dispose(request_id, "subkoordinator")
        letter = subko.when_ready(
            "POST", "letters", "/api/v1/letters", json={"request_id": request_id}
        )
        subko.dispose(request_id, "kabid", letter_id=letter["letter_id"])
        kabid.dispose(request_id, "kadis")
        kadis.when_ready("POST", "letters", f"/api/v1/letters/{letter['letter_id']}/send")
        opd.when_ready("POST", "letters", f"/api/v1/letters/{letter['letter_id']}/receipt")
        wait_until(
            lambda: "CaseClosed" in types(events_of(system, request_id)),
            timeout=60,
            what="CaseClosed",
        )
        assert types(events_of(system, request_id)).count("Disposed") == 6

        # Nothing ended for good: `sivicon up` runs, and so does every service.
        assert up.poll() is None, "".join(output)
        assert _all_connected(system)
        for name in (*BUSINESS_SERVICES, "portal"):
            assert len(_children(up, f"run {name}")) == 1, (name, "".join(output))
        text = "".join(output)
        assert "nats-server stopped" in text
        assert "Traceback" not in text
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(60)
    time.sleep(0.5)
    assert _ours(data_dir) == []
    assert up.returncode == 0
