"""Every sign-in, granted or refused, and every refused token or role is in the log: who (the
username asked for), from where, why; never a password or a token."""

from __future__ import annotations

import logging

import pytest

from services.portal.main import create_app as create_portal
from services.portal.users import DEMO_PASSWORD
from shared.settings import Settings
from tests.support import running, token


async def test_sign_ins_and_refusals_are_logged_without_secrets(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    opd_token = token(settings, "opd", "DINKES")
    async with running(create_portal(settings)) as portal:
        wrong = {"username": "kabid", "password": "not-the-password"}
        assert (await portal.post("/api/v1/auth/login", json=wrong)).status_code == 401
        right = {"username": "kadis", "password": DEMO_PASSWORD}
        assert (await portal.post("/api/v1/auth/login", json=right)).status_code == 200
        page = await portal.post("/masuk", data={"username": "subko", "password": "salah-salah"})
        assert page.status_code == 401
        forged = {"Authorization": "Bearer abc.def"}
        assert (await portal.get("/api/v1/me", headers=forged)).status_code == 401
        wrong_role = {"Authorization": f"Bearer {opd_token}"}
        assert (await portal.get("/api/v1/users", headers=wrong_role)).status_code == 403

    lines = [r.getMessage() for r in caplog.records]
    text = "\n".join(lines)

    def logged(*words: str) -> bool:
        return any(all(w in line for w in words) for line in lines)

    assert logged("login of 'kabid'", "refused", "bad_credentials")
    assert logged("login of 'kadis'")
    assert logged("sign-in of 'subko'", "refused")
    assert logged("refused GET /api/v1/me", "401", "not_authenticated")
    assert logged("refused GET /api/v1/users", "403", "wrong_role")
    for secret in ("not-the-password", DEMO_PASSWORD, "salah-salah", opd_token, "abc.def"):
        assert secret not in text
