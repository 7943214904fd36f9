from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.launcher import System, start_system


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The whole system as `sivicon up` starts it: real nats-server, every service a process."""
    data_dir: Path = tmp_path_factory.mktemp("sivicon") / "var"
    running = start_system(
        data_dir, fixed_ports=False, extra_env={"SIVICON_AUTH_SECRET": "e2e-" + "x" * 40}
    )
    try:
        yield running
    finally:
        running.stop()
        for child in running.children.values():
            if child.process.returncode not in (0, -15, None) and child.name != "nats-server":
                print(f"--- {child.name} log ---\n{child.log_path.read_text()[-4000:]}")
