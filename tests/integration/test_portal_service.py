"""The portal over HTTP with a real nats-server: logins, the page, and the gateway to a real
upstream HTTP server (a small FastAPI app run by uvicorn on a free port)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from services.launcher import free_port
from services.portal.main import create_app
from services.portal.users import DEMO_PASSWORD
from shared.auth import verify_token
from shared.settings import Settings
from tests.support import auth, make_settings, running, serving

# --------------------------------------------------------------------------- a real upstream


def _upstream_app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/api/v1/echo/{rest:path}", methods=["GET", "POST"])
    async def echo(rest: str, request: Request) -> dict[str, Any]:
        return {
            "method": request.method,
            "path": rest,
            "query": request.url.query,
            "authorization": request.headers.get("authorization"),
            "content_type": request.headers.get("content-type"),
            "idempotency_key": request.headers.get("idempotency-key"),
            "body": (await request.body()).decode(),
        }

    @app.post("/api/v1/cases/{case_id}/dispositions")
    async def refuse(case_id: str) -> JSONResponse:
        body = {
            "error": {
                "code": "step_out_of_order",
                "message": "not now",
                "pesan": "langkah ini belum dapat dilakukan",
            }
        }
        return JSONResponse(body, status_code=409)

    @app.get("/api/v1/letters/{letter_id}/pdf")
    async def pdf(letter_id: str) -> Response:
        return Response(
            b"%PDF-1.7 " + letter_id.encode(),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{letter_id}.pdf"'},
        )

    return app


@pytest.fixture
def upstream() -> Iterator[str]:
    with serving(_upstream_app(), lifespan="off") as url:
        yield url


def _settings_with(tmp_path: Path, nats_url: str, **urls: str) -> Settings:
    return make_settings(tmp_path / "var", nats_url, **urls)


async def _login(
    client: httpx.AsyncClient, username: str, password: str = DEMO_PASSWORD, acting: bool = False
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password, "acting": acting}
    )


# --------------------------------------------------------------------------- logins


async def test_login_gives_a_token_every_service_accepts(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        response = await _login(client, "opd.dinkes")
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == settings.token_ttl_minutes * 60
        assert body["user"] == {
            "username": "opd.dinkes",
            "name": "dr. Sri Wahyuni",
            "role": "opd",
            "on_behalf_of": None,
            "opd_code": "DINKES",
            "role_name": "Kepala OPD Pemohon",
        }
        actor = verify_token(settings.secret, body["token"])
        assert (actor.username, actor.role, actor.opd_code) == ("opd.dinkes", "opd", "DINKES")

        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
        assert me.status_code == 200
        assert me.json()["name"] == "dr. Sri Wahyuni"


async def test_wrong_password_or_unknown_user_is_refused_in_indonesian(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        for username, password in (("kadis", "salah"), ("tidak.ada", DEMO_PASSWORD)):
            response = await _login(client, username, password)
            assert response.status_code == 401
            error = response.json()["error"]
            assert error["pesan"] == "nama pengguna atau kata sandi salah"
            assert "token" not in response.json()
        empty = await client.post("/api/v1/auth/login", json={"username": "", "password": ""})
        assert empty.status_code == 422


async def test_failures_slow_that_account_from_that_address_only(settings: Settings) -> None:
    app = create_app(settings)
    async with running(app) as client:
        for _ in range(3):
            assert (await _login(client, "kabid", "tebakan")).status_code in (401, 429)
        slowed = await _login(client, "kabid")
        assert slowed.status_code == 429
        assert "terlalu banyak percobaan" in slowed.json()["error"]["pesan"]
        assert (await _login(client, "staf")).status_code == 200
        elsewhere = httpx.ASGITransport(app=app, client=("10.0.0.7", 40000))
        async with httpx.AsyncClient(transport=elsewhere, base_url="http://test") as office:
            assert (await _login(office, "kabid")).status_code == 200


async def test_plt_logs_in_acting_for_kadis(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        acting = await _login(client, "plt.kadis", acting=True)
        assert acting.status_code == 200
        user = acting.json()["user"]
        assert (user["role"], user["on_behalf_of"]) == ("kabid", "kadis")
        assert user["role_name"].startswith("Plt. Kepala Dinas")
        assert verify_token(settings.secret, acting.json()["token"]).on_behalf_of == "kadis"

        own = await _login(client, "plt.kadis")
        assert own.json()["user"]["on_behalf_of"] is None

        refused = await _login(client, "kabid", acting=True)
        assert refused.status_code == 403
        assert "Plt/Plh" in refused.json()["error"]["pesan"]


async def test_only_admin_lists_users_and_never_sees_hashes(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        listed = await client.get("/api/v1/users", headers=auth(settings, "admin"))
        assert listed.status_code == 200
        users = {u["username"]: u for u in listed.json()}
        assert {
            "opd.dinkes",
            "opd.disdik",
            "kadis",
            "kabid",
            "subko",
            "staf",
            "operator",
            "auditor",
            "admin",
            "plt.kadis",
        } <= set(users)
        assert users["plt.kadis"]["acting_for"] == "kadis"
        assert "scrypt" not in listed.text
        assert all("password_hash" not in u for u in users.values())

        assert (
            await client.get("/api/v1/users", headers=auth(settings, "staf"))
        ).status_code == 403
        assert (await client.get("/api/v1/users")).status_code == 401


async def test_without_demo_data_nobody_can_log_in(tmp_path: Path, nats_url: str) -> None:
    settings = make_settings(tmp_path / "var", nats_url, demo_data=False)
    async with running(create_app(settings)) as client:
        assert (await _login(client, "admin")).status_code == 401
    assert not (settings.data_dir / "users.json").exists()


async def test_health_reports_the_portal(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        health = await client.get("/api/v1/health")
        assert health.status_code == 200
        assert health.json()["service"] == "portal"
        assert health.json()["status"] == "ok"


# --------------------------------------------------------------------------- gateway


async def test_gateway_forwards_token_body_query_and_content_type(
    tmp_path: Path, nats_url: str, upstream: str
) -> None:
    settings = _settings_with(tmp_path, nats_url, disposition_url=upstream)
    headers = {**auth(settings, "kadis"), "Idempotency-Key": "abc-1"}
    async with running(create_app(settings)) as client:
        got = await client.get(
            "/gw/disposition/api/v1/echo/inbox?role=kadis&page=2", headers=headers
        )
        assert got.status_code == 200
        assert got.headers["content-type"] == "application/json"
        echo = got.json()
        assert echo["method"] == "GET"
        assert echo["path"] == "inbox"
        assert echo["query"] == "role=kadis&page=2"
        assert echo["authorization"] == headers["Authorization"]

        posted = await client.post(
            "/gw/disposition/api/v1/echo/cases/1/dispositions",
            headers=headers,
            json={"to_role": "kabid"},
        )
        echo = posted.json()
        assert echo["method"] == "POST"
        assert echo["content_type"] == "application/json"
        assert echo["body"] == '{"to_role":"kabid"}'
        assert echo["idempotency_key"] == "abc-1"


async def test_gateway_passes_the_services_status_and_bytes_back(
    tmp_path: Path, nats_url: str, upstream: str
) -> None:
    settings = _settings_with(tmp_path, nats_url, disposition_url=upstream, letters_url=upstream)
    async with running(create_app(settings)) as client:
        refused = await client.post(
            "/gw/disposition/api/v1/cases/42/dispositions", headers=auth(settings, "staf"), json={}
        )
        assert refused.status_code == 409
        assert refused.json()["error"]["pesan"] == "langkah ini belum dapat dilakukan"

        pdf = await client.get("/gw/letters/api/v1/letters/L-7/pdf")
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == 'inline; filename="L-7.pdf"'
        assert pdf.content == b"%PDF-1.7 L-7"

        missing = await client.get("/gw/letters/api/v1/nothing-here")
        assert missing.status_code == 404


async def test_gateway_answers_502_in_indonesian_when_the_service_is_down(
    tmp_path: Path, nats_url: str
) -> None:
    settings = _settings_with(tmp_path, nats_url, intake_url=f"http://127.0.0.1:{free_port()}")
    async with running(create_app(settings)) as client:
        response = await client.get("/gw/intake/api/v1/requests", headers=auth(settings, "opd"))
        assert response.status_code == 502
        error = response.json()["error"]
        assert error["code"] == "service_unavailable"
        assert "tidak dapat dihubungi" in error["pesan"]


async def test_gateway_knows_only_the_four_services(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        for service in ("portal", "fakezoom", "nats"):
            response = await client.get(f"/gw/{service}/api/v1/health")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"


# --------------------------------------------------------------------------- the page
