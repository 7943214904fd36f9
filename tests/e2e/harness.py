"""Drive a running SIVICON (all processes, real NATS) the way its users do: over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.launcher import System
from tests.builders import request_form
from tests.pdfs import make_pdf


def demo_password() -> str:
    from services.portal.users import DEMO_PASSWORD

    return str(DEMO_PASSWORD)


@dataclass
class User:
    """One logged-in person: their token, and calls to each service."""

    system: System
    username: str
    token: str
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def call(self, method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.request(
            method, self.system.urls[service] + path, headers=headers, **kwargs
        )

    def ok(self, method: str, service: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, service, path, **kwargs)
        assert response.status_code < 300, (
            f"{self.username} {method} {service}{path}: {response.status_code} {response.text}"
        )
        return response.json()

    def when_ready(
        self, method: str, service: str, path: str, timeout: float = 30, **kwargs: Any
    ) -> Any:
        """Retry while the service answers 409/404: it has not seen the events it needs yet."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.call(method, service, path, **kwargs)
            if response.status_code < 300:
                return response.json()
            if response.status_code not in (404, 409) or time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.username} {method} {service}{path}: {response.status_code} "
                    f"{response.text}"
                )
            time.sleep(0.1)

    def dispose(self, request_id: str, to_role: str, **body: Any) -> Any:
        return self.when_ready(
            "POST",
            "disposition",
            f"/api/v1/cases/{request_id}/dispositions",
            json={"to_role": to_role, **body},
        )


def login(system: System, username: str, acting: bool = False) -> User:
    response = httpx.post(
        system.urls["portal"] + "/api/v1/auth/login",
        json={"username": username, "password": demo_password(), "acting": acting},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return User(system, username, body["token"])


def wait_until(check: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or check}: last={last!r}")


def file_request(
    opd: User,
    *,
    start: str,
    end: str,
    participants: int = 150,
    topic: str = "Rapat Koordinasi Posyandu",
) -> str:
    data = request_form(topic=topic, start=start, end=end, participants=str(participants))
    files = {"letter_pdf": ("surat.pdf", make_pdf(), "application/pdf")}
    view = opd.ok("POST", "intake", "/api/v1/requests", data=data, files=files)
    return str(view["request_id"])
