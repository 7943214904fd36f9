"""The portal's pages over HTTP: signing in and out with a server-side session, the CSRF check on
every form, and what a browser is told when it has no session."""

from __future__ import annotations

import re

import httpx

from services.portal.main import create_app
from services.portal.sessions import COOKIE
from services.portal.users import DEMO_PASSWORD
from shared.settings import Settings
from tests.support import running


async def _sign_in(
    client: httpx.AsyncClient, username: str, password: str = DEMO_PASSWORD
) -> httpx.Response:
    return await client.post("/masuk", data={"username": username, "password": password})


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "every page with a form carries its CSRF token"
    return match.group(1)


async def test_without_a_session_every_page_leads_to_the_indonesian_sign_in_form(
    settings: Settings,
) -> None:
    async with running(create_app(settings)) as client:
        for path in ("/", "/kasus", "/permohonan"):
            response = await client.get(path)
            assert response.status_code == 303
            assert response.headers["location"] == "/masuk"
        htmx = await client.get("/kasus", headers={"HX-Request": "true"})
        assert htmx.headers["hx-redirect"] == "/masuk"
        page = await client.get("/masuk")
        assert page.status_code == 200
        assert "default-src 'self'" in page.headers["content-security-policy"]
        html = page.text
        assert '<html lang="id">' in html
        for field, label in (
            ("username", "Nama pengguna"),
            ("password", "Kata sandi"),
            ("acting", "Masuk sebagai Plt/Plh"),
        ):
            assert re.search(rf'<label for="{field}">{re.escape(label)}</label>', html)
        assert "Pelaksana Tugas (Plt)" in html  # the choice is explained
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert url.startswith(("/", "#")), f"{url} is not served by the portal"
            if url.startswith("/static/"):
                assert (await client.get(url)).status_code == 200


async def test_a_wrong_password_is_answered_in_indonesian_and_starts_no_session(
    settings: Settings,
) -> None:
    async with running(create_app(settings)) as client:
        for username in ("kadis", "tidak.ada"):
            response = await _sign_in(client, username, "salah")
            assert response.status_code == 401
            assert "nama pengguna atau kata sandi salah" in response.text
            assert COOKIE not in response.cookies


async def test_signing_in_sets_an_httponly_session_and_signing_out_ends_it_on_the_server(
    settings: Settings,
) -> None:
    async with running(create_app(settings)) as client:
        signed_in = await _sign_in(client, "opd.dinkes")
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/permohonan"
        cookie = signed_in.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        key = signed_in.cookies[COOKIE]
        home = await client.get("/")
        assert home.headers["location"] == "/permohonan"

        page = await client.get("/masuk", follow_redirects=True)
        csrf = _csrf(page.text)
        without_token = await client.post("/keluar", data={})
        assert without_token.status_code == 403
        assert "Formulir ini sudah tidak berlaku" in without_token.text
        assert (await client.get("/")).status_code == 303  # still signed in
        signed_out = await client.post("/keluar", data={"csrf": csrf})
        assert signed_out.status_code == 303
        # The old cookie, kept by a copy of the browser, no longer opens anything.
        client.cookies.set(COOKIE, key)
        assert (await client.get("/")).headers["location"] == "/masuk"


async def test_an_office_user_starts_at_the_cases(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        signed_in = await _sign_in(client, "kadis")
        assert signed_in.headers["location"] == "/kasus"
