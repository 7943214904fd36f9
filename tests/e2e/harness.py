"""Drive a running SIVICON (all processes, real NATS) the way its users do: over HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from services.launcher import System
from tests.builders import request_form
from tests.pdfs import make_pdf


def demo_password() -> str:
    from services.portal.users import DEMO_PASSWORD

    return str(DEMO_PASSWORD)


# The portal forwards `/gw/<service>/<path>` to that service's `/<path>`.
GATEWAY_PREFIX = "/gw/"


@dataclass(frozen=True)
class Exchange:
    """One answer a user got, as the answering service's OpenAPI document describes it."""

    service: str
    method: str
    path: str
    status: int
    content_type: str
    body: Any  # the parsed JSON, None when the answer is not JSON


# Every answer the users of every e2e test got in this session: what tests/e2e/test_contracts.py
# checks against the services' documents.
TRAFFIC: list[Exchange] = []


def recording_client(system: System) -> httpx.Client:
    """A client that appends each answer to TRAFFIC, with the service that gave it."""
    services = {urlsplit(url).netloc: name for name, url in system.urls.items()}

    def record(response: httpx.Response) -> None:
        url = response.request.url
        service, path = services.get(url.netloc.decode(), "unknown"), url.path
        if service == "portal" and path.startswith(GATEWAY_PREFIX):
            service, _, rest = path.removeprefix(GATEWAY_PREFIX).partition("/")
            path = "/" + rest
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        response.read()
        is_json = content_type == "application/json" and bool(response.content)
        body = json.loads(response.content) if is_json else None
        TRAFFIC.append(
            Exchange(
                service, response.request.method, path, response.status_code, content_type, body
            )
        )

    return httpx.Client(timeout=30, event_hooks={"response": [record]})


@dataclass
class User:
    """One logged-in person: their token, and calls to each service."""

    system: System
    username: str
    token: str
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = recording_client(self.system)

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
    with recording_client(system) as client:
        response = client.post(
            system.urls["portal"] + "/api/v1/auth/login",
            json={"username": username, "password": demo_password(), "acting": acting},
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


_OPERATOR_TOKENS: dict[str, str] = {}


def health_details(system: System, service: str, timeout: float = 5) -> dict[str, Any]:
    """A service's ``/api/v1/health/details`` (relay, consumers, dead letters), which only
    operators and administrators may read: asked as the demo operator."""
    portal = system.urls["portal"]
    if portal not in _OPERATOR_TOKENS:
        _OPERATOR_TOKENS[portal] = login(system, "operator").token
    response = httpx.get(
        system.urls[service] + "/api/v1/health/details",
        headers={"Authorization": f"Bearer {_OPERATOR_TOKENS[portal]}"},
        timeout=timeout,
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body
