"""The fake Zoom server inside the current process, on a free port (tests, demos)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from services.scheduler.fakezoom.server import create_app
from services.scheduler.fakezoom.state import FakeZoomState


@dataclass(frozen=True)
class RunningFakeZoom:
    url: str
    state: FakeZoomState

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    @property
    def oauth_url(self) -> str:
        return f"{self.url}/oauth/token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def fake_zoom_in_thread(state: FakeZoomState) -> Iterator[RunningFakeZoom]:
    """Serve ``state`` with uvicorn in a daemon thread until the block ends."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(state), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fakezoom", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake Zoom server did not start")
        time.sleep(0.01)
    try:
        yield RunningFakeZoom(f"http://127.0.0.1:{port}", state)
    finally:
        server.should_exit = True
        thread.join(10)
