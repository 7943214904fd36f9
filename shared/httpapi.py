"""What every service's HTTP API shares: the app factory, errors as responses, the caller."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
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


OPENAPI_URL = "/openapi.json"
DOCS_URL = "/docs"
DOCS_ASSETS_URL = "/docs/assets"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
SWAGGER_UI_DIR = Path(__file__).parent / "static" / "swagger_ui"


def install_docs(app: FastAPI) -> None:
    """``/docs`` with Swagger UI served by the service itself: closed networks reach no CDN.

    FastAPI's own ``/docs`` loads Swagger UI from cdn.jsdelivr.net and is blank offline; the
    vendored copy (``shared/static/swagger_ui/README.md``) replaces it. ``validatorUrl: None``
    keeps Swagger UI from sending the spec's address to validator.swagger.io for a badge.
    """
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=SWAGGER_UI_DIR), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        assets = root + DOCS_ASSETS_URL
        return get_swagger_ui_html(
            openapi_url=root + OPENAPI_URL,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
            oauth2_redirect_url=root + OAUTH2_REDIRECT_URL,
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


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
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    install_docs(app)
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
