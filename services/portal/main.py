"""Composition root of the portal: the page, logins, and the gateway to the services' APIs.

The portal has no event store: it owns only the user directory (a JSON file) and forwards the
browser's calls to the services, which decide everything.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from services.portal import (
    admin_pages,
    calendar_pages,
    cases_pages,
    live,
    pages,
    proxy,
    requests_pages,
    signin,
    step_actions,
)
from services.portal.api import router
from services.portal.backend import Backend
from services.portal.sessions import SessionStore
from services.portal.templating import Pages
from services.portal.throttle import SignInGuard
from services.portal.users import seed_demo_users
from shared.auth import UserDirectory
from shared.datadir import keep_private
from shared.runtime import compose, serve
from shared.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    keep_private(settings.data_dir)
    users = UserDirectory(settings.data_dir / "users.json", timezone=settings.timezone)
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
    api.state.sign_in_guard = SignInGuard()
    api.state.pages = Pages(settings.timezone)
    api.state.sessions = SessionStore(
        settings.data_dir / "portal-sessions.sqlite",
        idle=timedelta(minutes=settings.session_idle_minutes),
        lifetime=timedelta(hours=settings.session_max_hours),
    )
    api.add_exception_handler(signin.SignInNeeded, signin.on_sign_in_needed)
    api.add_exception_handler(signin.PageRefused, signin.on_page_refused)
    api.router.lifespan_context = _with_http_client(api.router.lifespan_context)
    api.include_router(proxy.router)
    api.include_router(signin.router)
    api.include_router(live.router)
    api.include_router(pages.router)
    api.include_router(calendar_pages.router)
    api.include_router(requests_pages.router)
    api.include_router(cases_pages.router)
    api.include_router(step_actions.router)
    api.include_router(admin_pages.router)
    api.mount("/static", pages.static_files(), name="static")
    return api


Lifespan = Callable[[FastAPI], contextlib.AbstractAsyncContextManager[Any]]


def _with_http_client(inner: Lifespan) -> Lifespan:
    """Wrap the runtime's lifespan so that one HTTP client serves the gateway and is closed."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner(app), httpx.AsyncClient(timeout=proxy.TIMEOUT, trust_env=False) as client:
            app.state.http = client
            app.state.backend = Backend(app.state.settings, client)
            yield

    return lifespan


def run() -> None:
    settings = load_settings()
    serve(create_app(settings), settings, "portal")
