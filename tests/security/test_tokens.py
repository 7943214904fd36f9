"""Whatever is sent as a bearer token, a service answers 401 with a clear message, never a 500:
random bytes, claims that are not base64, not UTF-8, not JSON, JSON that is not an object,
claims missing or of the wrong type, all correctly signed; tokens of any length. Fuzzed over
real HTTP against intake served by uvicorn, on a real nats-server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.intake.main import create_app as create_intake
from shared.auth import MAX_TOKEN_CHARS
from shared.settings import Settings
from tests.support import make_settings, serving, token

REQUESTS = "/api/v1/requests"
# What an HTTP/1.1 header value may hold (RFC 9110: visible ASCII, obs-text, inner space/tab).
HEADER_BYTES = bytes([9, *range(0x20, 0x7F), *range(0x80, 0x100)])


@dataclass
class Served:
    url: str
    settings: Settings


@pytest.fixture
def intake(tmp_path: Path, nats_url: str) -> Iterator[Served]:
    settings = make_settings(tmp_path / "var", nats_url)
    with serving(create_intake(settings)) as url:
        yield Served(url, settings)


def signed(secret: bytes, payload: bytes) -> str:
    part = base64.urlsafe_b64encode(payload).rstrip(b"=")
    mac = base64.urlsafe_b64encode(hmac.new(secret, part, hashlib.sha256).digest()).rstrip(b"=")
    return f"{part.decode()}.{mac.decode()}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused_clearly(answer: httpx.Response) -> None:
    assert answer.status_code == 401, (answer.status_code, answer.text[:300])
    error = answer.json()["error"]
    assert error["code"] == "not_authenticated"
    assert error["message"]
    assert error["pesan"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=10,
)
claims = st.dictionaries(
    st.sampled_from(["username", "name", "role", "on_behalf_of", "opd_code", "exp", "iat"]),
    json_values,
)
payloads = (
    st.binary(max_size=300)
    | json_values.map(lambda v: json.dumps(v).encode())
    | claims.map(lambda c: json.dumps(c).encode())
)


def test_any_bytes_or_any_signed_claims_as_a_token_get_401_over_http(intake: Served) -> None:
    secret = intake.settings.secret
    with httpx.Client(base_url=intake.url, trust_env=False) as client:

        @settings(
            max_examples=150,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(st.binary(max_size=600))
        def random_bytes(raw: bytes) -> None:
            value = bytes(b for b in raw if b in HEADER_BYTES).strip(b" \t")
            header = b"Bearer " + value if value else b"Bearer"
            answer = client.get(REQUESTS, headers={b"Authorization": header})
            assert_refused_clearly(answer)

        @settings(
            max_examples=150,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(payloads)
        def signed_garbage(payload: bytes) -> None:
            answer = client.get(REQUESTS, headers=bearer(signed(secret, payload)))
            assert_refused_clearly(answer)

        random_bytes()
        signed_garbage()
        for length in (MAX_TOKEN_CHARS + 1, 12_000):
            long = client.get(REQUESTS, headers=bearer("A" * length))
            assert_refused_clearly(long)
            assert "longer than" in long.json()["error"]["message"]
        # The service is unharmed: a real token still works.
        ok = client.get(REQUESTS, headers=bearer(token(intake.settings, "kabid")))
        assert ok.status_code == 200, ok.text


def raw_status(url: str, header_value: bytes) -> int:
    """Send one request with ``Authorization: Bearer <header_value>`` byte for byte (control
    characters and all, which no HTTP client would send) and read the status code."""
    host, port = url.removeprefix("http://").split(":")
    request = (
        b"GET " + REQUESTS.encode() + b" HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
        b"Authorization: Bearer " + header_value + b"\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    return int(head.split(b" ", 2)[1])


def test_bytes_http_forbids_in_a_header_are_refused_before_the_service_never_with_500(
    intake: Served,
) -> None:
    """Control characters, NUL, a lone CR or LF: the HTTP server refuses some (400) and passes
    the others on, which the service refuses (401); a header over the server's limit is a 400
    or 431. Never a 5xx."""
    statuses = {}
    for byte in range(256):
        value = b"ab" + bytes([byte]) + b"cd"
        statuses[byte] = raw_status(intake.url, value)
    for byte, status in statuses.items():
        # What HTTP forbids, the server may refuse (400) or pass on: then it is our 401.
        expected = {401} if byte in HEADER_BYTES else {400, 401}
        assert status in expected, (byte, status)
    assert set(statuses.values()) == {400, 401}
    assert raw_status(intake.url, b"x\r\nX-Injected: 1") == 401  # a second header, not a token
    assert raw_status(intake.url, b"A" * 200_000) in {400, 431}
