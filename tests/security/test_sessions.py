"""A new sign-in ends the session it replaces: a copy of the old cookie opens nothing."""

from __future__ import annotations

from services.portal.main import create_app as create_portal
from services.portal.sessions import COOKIE
from services.portal.users import DEMO_PASSWORD
from shared.settings import Settings
from tests.support import running


async def test_signing_in_again_ends_the_previous_session(settings: Settings) -> None:
    async with running(create_portal(settings)) as portal:
        first = await portal.post("/masuk", data={"username": "kabid", "password": DEMO_PASSWORD})
        assert first.status_code == 303
        old_key = first.cookies[COOKIE]
        again = await portal.post("/masuk", data={"username": "kadis", "password": DEMO_PASSWORD})
        assert again.status_code == 303
        assert again.cookies[COOKIE] != old_key
        assert (await portal.get("/")).headers["location"] == "/kasus"  # the new one works
        portal.cookies.set(COOKIE, old_key)
        assert (await portal.get("/")).headers["location"] == "/masuk"
