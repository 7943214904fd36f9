"""What every service's HTTP API shares: the app factory, errors as responses and as they are
documented, the caller."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
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


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list, newest or most urgent first as the route says."""

    items: list[T]
    total: int = Field(description="how many there are in all")
    limit: int
    offset: int


def page(rows: list[T], limit: int, offset: int) -> Page[T]:
    return Page[T](items=rows[offset : offset + limit], total=len(rows), limit=limit, offset=offset)


PageLimit = Annotated[int, Query(ge=1, le=500, description="at most this many items")]
PageOffset = Annotated[int, Query(ge=0, description="skip this many items first")]


class InvalidField(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="the field at fault, dotted: e.g. `meeting.start`")
    message: str = Field(description="what is wrong with it")


class ErrorInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="stable, for programs: e.g. `wrong_role`, `step_out_of_order`")
    message: str = Field(description="in English")
    pesan: str = Field(description="in Indonesian, for the people reading the page")
    details: list[InvalidField] | None = Field(
        default=None, description="with `invalid_input`: each field at fault"
    )


class ErrorBody(BaseModel):
    """Every refusal of every service, whatever its status: ``{"error": {...}}``."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorInfo


def error_body(
    code: str, message: str, pesan: str, details: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"code": code, "message": message, "pesan": pesan}}
    if details is not None:
        body["error"]["details"] = details
    return body


def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if p not in ("body", "query", "path", "header", "form"))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SiviconError)
    async def _sivicon(_: Request, exc: SiviconError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.pesan, exc.details), status_code=exc.status
        )

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


REFUSALS = {
    401: "Not authenticated: no bearer token, or a malformed, forged or expired one.",
    403: "Forbidden: the caller's role (or agency) may not do this.",
    404: "Not found: nothing has this ID.",
    409: "Out of order: the procedure does not allow this step now (or the case is closed).",
    413: "Too large: the upload is over the size limit.",
    422: "Invalid input: `details`, where given, names each field at fault.",
}
ERROR_BODY_REF = "#/components/schemas/ErrorBody"
_COMMANDS = {"post", "put", "patch", "delete"}


def _refusals(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The refusals an operation may answer, from what the document already says of it."""
    content = operation.get("requestBody", {}).get("content", {})
    statuses = {
        401: bool(operation.get("security")),
        403: bool(operation.get("security")),
        404: "{" in path,
        409: method in _COMMANDS,
        413: "multipart/form-data" in content,
        422: method in _COMMANDS or bool(operation.get("parameters")) or bool(content),
    }
    return [status for status, applies in statuses.items() if applies]


def declare_refusals(schema: dict[str, Any]) -> dict[str, Any]:
    """Add our error body to an OpenAPI document, as the answer of every refusal.

    FastAPI lists only 2xx and a 422 in its own validation shape, which our handlers never send;
    a client generated from that knows none of our refusals.
    """
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(body.pop("$defs", {}))
    components["ErrorBody"] = body
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _refusals(path, method, operation):
                responses[str(status)] = {
                    "description": REFUSALS[status],
                    "content": {"application/json": {"schema": {"$ref": ERROR_BODY_REF}}},
                }
            operation["responses"] = dict(sorted(responses.items()))
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_refusals(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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
    install_openapi(app)
    return app


# Read through FastAPI's scheme so that the documents say which operations need a token and
# Swagger UI can send one; a missing token is still refused in our own words below.
bearer = HTTPBearer(
    scheme_name="bearer",
    description="the token from the portal's `POST /api/v1/auth/login`",
    auto_error=False,
)


def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """The caller, from ``Authorization: Bearer <token>``."""
    if credentials is None or not credentials.credentials.strip():
        raise NotAuthenticated(
            "log in first: send Authorization: Bearer <token>",
            "silakan masuk terlebih dahulu",
        )
    secret: bytes = request.app.state.auth_secret
    return verify_token(secret, credentials.credentials.strip())


CurrentActor = Annotated[Actor, Depends(current_actor)]


def the_application(request: Request) -> Any:
    """The service's application, as its composition root set it: a route takes it as
    ``Annotated[IntakeApplication, Depends(the_application)]``."""
    return request.app.state.application
