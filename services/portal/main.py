"""Composition root of the portal: the page, logins, and the gateway to the services' APIs.

The portal has no event store: it owns only the user directory (a JSON file) and forwards the
browser's calls to the services, which decide everything.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from services.portal import pages, proxy
from services.portal.api import router
from services.portal.users import LoginThrottle, seed_demo_users
from shared.auth import UserDirectory
from shared.runtime import compose, serve
from shared.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    users = UserDirectory(settings.data_dir / "users.json")
    if settings.demo_data:
        seed_demo_users(users)
    api = compose(
        settings,
        "portal",
        None,
        title="SIVICON portal",
        description="The web front door: logins, the page, and a gateway to the services.",
        router=router,
    )
    api.state.users = users
    api.state.login_throttle = LoginThrottle()
    api.router.lifespan_context = _with_http_client(api.router.lifespan_context)
    api.include_router(proxy.router)
    api.include_router(pages.router)
    api.mount("/static", pages.static_files(), name="static")
    return api


Lifespan = Callable[[FastAPI], contextlib.AbstractAsyncContextManager[Any]]


def _with_http_client(inner: Lifespan) -> Lifespan:
    """Wrap the runtime's lifespan so that one HTTP client serves the gateway and is closed."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner(app), httpx.AsyncClient(timeout=proxy.TIMEOUT, trust_env=False) as client:
            app.state.http = client
            yield

    return lifespan


def run() -> None:
    settings = load_settings()
    serve(create_app(settings), settings, "portal")
