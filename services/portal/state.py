"""What the portal's composition root (``main.py``) puts in ``app.state``, typed, one accessor
each, and as FastAPI dependencies: the settings, the user directory, the sign-in guard, the
sessions, the page renderer, the HTTP client and the backend that calls the services."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends, Request

from services.portal.backend import Backend
from services.portal.sessions import SessionStore
from services.portal.templating import Pages
from services.portal.throttle import SignInGuard
from shared.auth import UserDirectory
from shared.settings import Settings


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def directory_of(request: Request) -> UserDirectory:
    directory: UserDirectory = request.app.state.users
    return directory


def guard_of(request: Request) -> SignInGuard:
    guard: SignInGuard = request.app.state.sign_in_guard
    return guard


def sessions_of(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.sessions
    return store


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def http_of(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.http
    return client


def backend_of(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


SettingsDep = Annotated[Settings, Depends(settings_of)]
DirectoryDep = Annotated[UserDirectory, Depends(directory_of)]
GuardDep = Annotated[SignInGuard, Depends(guard_of)]
SessionsDep = Annotated[SessionStore, Depends(sessions_of)]
PagesDep = Annotated[Pages, Depends(pages_of)]
HttpDep = Annotated[httpx.AsyncClient, Depends(http_of)]
BackendDep = Annotated[Backend, Depends(backend_of)]
