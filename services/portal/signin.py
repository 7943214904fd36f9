"""Signing in and out of the pages, the session every page depends on, and the CSRF check.

A page that needs a user takes :data:`SessionDep`; without a live session the browser is sent to
``/masuk`` (an HTMX call gets an ``HX-Redirect`` there). Every form and HTMX call that changes
anything takes :data:`CsrfSessionDep`: the session's CSRF token must come back in the form field
``csrf`` or the ``X-CSRF-Token`` header, or the request is refused before it does anything.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.sessions import COOKIE, Session
from services.portal.state import (
    PagesDep,
    directory_of,
    guard_of,
    pages_of,
    sessions_of,
    settings_of,
)
from shared.auth import issue_token
from shared.errors import Forbidden, SiviconError

log = logging.getLogger("sivicon.portal")
router = APIRouter(include_in_schema=False)


class SignInNeeded(Exception):
    """No live session: answered by a redirect to the sign-in page."""


class PageRefused(Exception):
    """A request a page cannot carry out: answered with a page saying why, in Indonesian."""

    def __init__(self, status: int, pesan: str) -> None:
        super().__init__(pesan)
        self.status = status
        self.pesan = pesan


def current_session(request: Request) -> Session:
    session = sessions_of(request).get(request.cookies.get(COOKIE))
    if session is None:
        raise SignInNeeded
    return session


SessionDep = Annotated[Session, Depends(current_session)]


async def checked_session(request: Request, session: SessionDep) -> Session:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, session.csrf):
        raise PageRefused(
            403, "Formulir ini sudah tidak berlaku. Muat ulang halaman, lalu coba lagi."
        )
    return session


CsrfSessionDep = Annotated[Session, Depends(checked_session)]


def on_sign_in_needed(request: Request, _: Exception) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": "/masuk"})
    return RedirectResponse("/masuk", status_code=303)


def home_of(session: Session) -> str:
    """Where a user starts: an agency at its requests, everyone else at the cases."""
    return "/permohonan" if session.actor.role == "opd" else "/kasus"


@router.get("/masuk")
def sign_in_page(request: Request, pages: PagesDep) -> Response:
    if sessions_of(request).get(request.cookies.get(COOKIE)) is not None:
        return RedirectResponse("/", status_code=303)
    return pages.render(request, "masuk.html", username="", error=None)


@router.post("/masuk")
def sign_in(
    request: Request,
    pages: PagesDep,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    acting: Annotated[bool, Form()] = False,
) -> Response:
    settings, guard, directory = settings_of(request), guard_of(request), directory_of(request)
    address = request.client.host if request.client else "?"
    username = username.strip()
    try:
        if not username or not password:
            raise Forbidden("username and password needed", "isi nama pengguna dan kata sandi")
        guard.check(username, address)
        try:
            actor = directory.authenticate(username, password, acting=acting)
        except SiviconError:
            guard.failed(username, address)
            raise
    except SiviconError as refused:
        log.warning("sign-in of %r from %s refused: %s", username, address, refused.code)
        return pages.render(
            request, "masuk.html", username=username, error=refused.pesan, status_code=401
        )
    guard.succeeded(username, address)
    log.info("sign-in of %r from %s%s", username, address, " (acting)" if acting else "")
    store = sessions_of(request)
    replaced = store.get(request.cookies.get(COOKIE))
    if replaced is not None:  # a sign-in never leaves the session it replaces alive
        store.end(replaced)
    lifetime = int(store.lifetime.total_seconds())
    key, session = store.start(actor, issue_token(settings.secret, actor, lifetime))
    response = RedirectResponse(home_of(session), status_code=303)
    response.set_cookie(
        COOKIE,
        key,
        max_age=lifetime,
        httponly=True,
        samesite="lax",
        secure=settings.mode == "production",
        path="/",
    )
    return response


@router.post("/keluar")
def sign_out(request: Request, session: CsrfSessionDep) -> Response:
    sessions_of(request).end(session)
    response = RedirectResponse("/masuk", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/")
def home(session: SessionDep) -> Response:
    return RedirectResponse(home_of(session), status_code=303)


def on_page_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageRefused)
    session = sessions_of(request).get(request.cookies.get(COOKIE))
    return pages_of(request).render(
        request, "refusal.html", session, status_code=exc.status, message=exc.pesan
    )
