"""What the people tests share: a token from the portal, and signing in to its pages. (The
nats-server of ``tests.support.nats_server`` is provisioned as the admin does it: the stream,
both key-value buckets, the keyring of the test keys.)"""

from __future__ import annotations

import re

import httpx

from services.portal.users import DEMO_PASSWORD


async def api_token(portal: httpx.AsyncClient, username: str) -> str:
    """A bearer token from the portal's ``POST /api/v1/auth/login``, as a program gets one."""
    answer = await portal.post(
        "/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token


async def signed_in(portal: httpx.AsyncClient, username: str) -> str:
    """Sign in to the portal's pages; returns the session's CSRF token."""
    answer = await portal.post("/masuk", data={"username": username, "password": DEMO_PASSWORD})
    assert answer.status_code == 303, answer.text
    match = re.search(r'name="csrf" value="([^"]+)"', (await portal.get("/admin")).text)
    assert match, "every page with a form carries its CSRF token"
    return match.group(1)
