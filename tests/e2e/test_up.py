"""`sivicon up`: the whole system from one command; Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil


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


def test_sivicon_up_serves_the_portal_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    data_dir = (tmp_path / "var").resolve()
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
    output = []
    portal = None
    deadline = time.monotonic() + 120
    assert up.stdout is not None
    while time.monotonic() < deadline:
        line = up.stdout.readline()
        if not line:
            break
        output.append(line)
        match = re.search(r"Portal:\s+(http://\S+)", line)
        if match:
            portal = match.group(1)
        if "Ctrl-C" in line:
            break
    assert portal, "".join(output)
    text = "".join(output)
    assert "nats://127.0.0.1:" in text
    assert "kadis" in text
    assert "opd.dinkes" in text
    page = httpx.get(portal, timeout=10)
    assert page.status_code == 200
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
