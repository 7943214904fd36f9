"""What every service's HTTP API shares: the app factory, errors as responses, the caller."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.auth import verify_token
from shared.errors import NotAuthenticated, SiviconError
from shared.events import Actor

log = logging.getLogger("sivicon.http")

_STATUS_MESSAGES = {
    404: ("not found", "tidak ditemukan"),
    405: ("method not allowed", "metode tidak diizinkan"),
    401: ("not authenticated", "belum masuk"),
}


def error_body(code: str, message: str, pesan: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"code": code, "message": message, "pesan": pesan}}
    if details is not None:
        body["error"]["details"] = details
    return body


def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if p not in ("body", "query", "path", "header", "form"))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SiviconError)
    async def _sivicon(_: Request, exc: SiviconError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.pesan), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return JSONResponse(
            error_body(
                "invalid_input",
                f"the request is not valid: {summary}",
                f"isian tidak valid: {summary}",
                details,
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        en, idn = _STATUS_MESSAGES.get(exc.status_code, (str(exc.detail), str(exc.detail)))
        return JSONResponse(
            error_body(f"http_{exc.status_code}", en, idn),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )


def create_api(
    title: str,
    *,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    description: str = "",
) -> FastAPI:
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    install_error_handlers(app)
    return app


def current_actor(request: Request) -> Actor:
    """The caller, from ``Authorization: Bearer <token>``."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated(
            "log in first: send Authorization: Bearer <token>",
            "silakan masuk terlebih dahulu",
        )
    secret: bytes = request.app.state.auth_secret
    return verify_token(secret, token.strip())


CurrentActor = Annotated[Actor, Depends(current_actor)]
