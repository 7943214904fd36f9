"""What every service's HTTP API shares: the app factory, errors as responses and as they are
documented, the caller."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import read_token
from shared.errors import NotAuthenticated, SiviconError
from shared.events import Actor
from shared.revocations import Revocations

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


def log_refusal(request: Request, exc: SiviconError) -> None:
    """A refused authentication or authorization, for the security log: when (the record's
    time), what was asked, from where, why (the code and its English message). Never the token."""
    log.warning(
        "refused %s %s from %s: %s %s (%s)",
        request.method,
        request.url.path,
        request.client.host if request.client else "?",
        exc.status,
        exc.code,
        exc.message,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SiviconError)
    async def _sivicon(request: Request, exc: SiviconError) -> JSONResponse:
        if exc.status in (401, 403):
            log_refusal(request, exc)
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

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # Every date input is bounded (shared.validation); one that was missed still gets the
        # answer bad input deserves, and the log names where the bound is missing.
        log.warning("%s %s: out of range (%s)", request.method, request.url.path, exc)
        return JSONResponse(
            error_body(
                "out_of_range",
                "a date or number in the request is out of range",
                "tanggal atau angka dalam isian di luar jangkauan",
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


# What a request body may weigh. A form carries the request letter: its PDF
# (``max_letter_pdf_bytes``) and the fields beside it. Everything else is JSON or a page's form:
# a machine submission with its PDF in base64 (at most 700 KB, so about 0.93 MB) is the largest.
FORM_OVERHEAD_BYTES = 64 * 1024
OTHER_BODY_BYTES = 1024 * 1024


class BodyLimit:
    """Refuse a request body over the limit with 413 before it is read, not after.

    A declared ``Content-Length`` over the limit is answered at once, without a byte of the body
    read; a body without one (chunked) is counted as it arrives and refused at the first chunk
    past the limit, whatever the route was doing with it. So no service reads, buffers or
    spools to disk more than the limit of any one request. A ``multipart/form-data`` body may
    weigh ``form_limit`` (the letter's PDF and its fields); any other, ``other_limit``.
    """

    def __init__(
        self, app: ASGIApp, *, form_limit: int, other_limit: int = OTHER_BODY_BYTES
    ) -> None:
        self.app = app
        self.form_limit = form_limit
        self.other_limit = other_limit

    def limit_for(self, scope: Scope) -> int:
        content_type = _header(scope, b"content-type") or ""
        return self.form_limit if content_type.startswith("multipart/") else self.other_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await too_large(scope, limit)(scope, receive, send)
            return
        reading = _Reading()

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                reading.received += len(message.get("body", b""))
                if reading.received > limit:
                    reading.over = True
                    raise BodyTooLarge(limit)
            return message

        async def unless_over(message: Message) -> None:
            if reading.over:
                return  # whatever the route made of the interrupted body, the refusal answers
            reading.answered = True
            await send(message)

        try:
            await self.app(scope, counted, unless_over)
        except Exception:
            if not reading.over:
                raise
        if reading.over and not reading.answered:
            await too_large(scope, limit)(scope, receive, send)


@dataclass
class _Reading:
    """How far one request's body got: bytes received, over the limit, answered already."""

    received: int = 0
    over: bool = False
    answered: bool = False


class BodyTooLarge(StarletteHTTPException):
    """Raised into the route that reads past the limit; :class:`BodyLimit` answers for it."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over {limit} bytes")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None


def size_in_words(count: int) -> str:
    """A byte count as a clerk reads it: ``10 MB``, ``1,5 MB``, ``512 KB``."""
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f}".replace(".", ",").replace(",0", "") + " MB"
    return f"{count // 1024} KB"


def too_large(scope: Scope, limit: int) -> Response:
    """The refusal of a body over ``limit``: our error body, or a page for a browser's form."""
    message = f"the request body is over the limit of {limit} bytes; it was not read"
    pesan = (
        f"kiriman terlalu besar: paling besar {size_in_words(limit)}; perkecil berkasnya lalu "
        "kirim lagi"
    )
    headers = {"Connection": "close"}
    if "text/html" in (_header(scope, b"accept") or ""):
        page = (
            '<!doctype html><html lang="id"><head><meta charset="utf-8">'
            "<title>Kiriman terlalu besar</title></head><body><main>"
            f"<h1>Kiriman terlalu besar</h1><p>{pesan[:1].upper() + pesan[1:]}.</p>"
            '<p><a href="/">Kembali ke SIVICON</a></p></main></body></html>'
        )
        return HTMLResponse(page, status_code=413, headers={**headers, **DOCUMENT_HEADERS})
    return JSONResponse(error_body("too_large", message, pesan), status_code=413, headers=headers)


DOCUMENT_HEADERS = {
    # Never read as anything but the type it is sent with (an "HTML" PDF stays a PDF) ...
    "X-Content-Type-Options": "nosniff",
    # ... and, were it opened anyway, in a sandbox: no script, no request, no framing.
    "Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}
"""The headers of every document a service API serves (a letter's PDF, a refusal page)."""

_UNSAFE_IN_FILENAMES = re.compile(r"[^A-Za-z0-9._-]")


def document_download(data: bytes, filename: str, media_type: str = "application/pdf") -> Response:
    """A document as a download (``Content-Disposition: attachment``), never shown in place."""
    name = _UNSAFE_IN_FILENAMES.sub("-", filename)
    return Response(
        data,
        media_type=media_type,
        headers={**DOCUMENT_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )


PDF_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "description": "the PDF, as a download",
    }
}


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
    413: "Too large: the body is over its cap (a form: the letter's limit and 64 KB; else 1 MB).",
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
        413: bool(content),
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
    max_letter_pdf_bytes: int = 5 * 1024 * 1024,
) -> FastAPI:
    """A service's FastAPI app: our errors, ``/docs`` from local assets, bodies capped (a form
    at the letter's size and its fields, anything else at :data:`OTHER_BODY_BYTES`)."""
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
    app.add_middleware(BodyLimit, form_limit=max_letter_pdf_bytes + FORM_OVERHEAD_BYTES)
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
    """The caller, from ``Authorization: Bearer <token>``: a valid token of ours, unexpired, of
    a user not disabled since it was issued."""
    if credentials is None or not credentials.credentials.strip():
        raise NotAuthenticated(
            "log in first: send Authorization: Bearer <token>",
            "silakan masuk terlebih dahulu",
        )
    secret: bytes = request.app.state.auth_secret
    claims = read_token(secret, credentials.credentials.strip())
    revocations: Revocations = request.app.state.revocations
    revocations.check(claims)
    return claims.actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def the_application(request: Request) -> Any:
    """The service's application, as its composition root set it: a route takes it as
    ``Annotated[IntakeApplication, Depends(the_application)]``."""
    return request.app.state.application
