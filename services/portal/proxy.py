"""The browser's gateway: ``/gw/<service>/<path>`` is forwarded to that service's own API.

The page is served by the portal, so calling every service through the portal keeps it on one
origin (no CORS). The gateway decides nothing: it passes the caller's token, the body and the
content type, and hands back the service's status, body and content type as they are.
"""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from shared.errors import NotFound, SiviconError
from shared.settings import Settings

router = APIRouter(tags=["gateway"])

GATEWAY_SERVICES = ("intake", "disposition", "scheduler", "letters")
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
_REQUEST_HEADERS = ("authorization", "content-type", "accept", "idempotency-key")
_RESPONSE_HEADERS = (
    "content-type",
    "content-disposition",
    "cache-control",
    "etag",
    "last-modified",
    "location",
    "retry-after",
    "content-security-policy",  # a document's sandbox, as the service set it
)
_SERVICE_NAMES = {
    "intake": "permohonan (intake)",
    "disposition": "disposisi",
    "scheduler": "penjadwalan",
    "letters": "surat",
}


class UpstreamUnavailable(SiviconError):
    status = 502
    code = "service_unavailable"


class UpstreamTimeout(SiviconError):
    status = 504
    code = "service_timeout"


def get_client(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.http
    return client


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ClientDep = Annotated[httpx.AsyncClient, Depends(get_client)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def upstream_url(settings: Settings, service: str, path: str, query: str) -> str:
    if service not in GATEWAY_SERVICES:
        raise NotFound(f"no service named {service!r}", f"layanan {service!r} tidak dikenal")
    url = f"{settings.service_url(service).rstrip('/')}/{path.lstrip('/')}"
    return f"{url}?{query}" if query else url


# Not in the portal's OpenAPI: what passes through is described by each service's own document.
@router.api_route("/gw/{service}/{path:path}", methods=["GET", "POST"], include_in_schema=False)
async def forward(
    service: str, path: str, request: Request, client: ClientDep, settings: SettingsDep
) -> StreamingResponse:
    """Forward a call to intake, disposition, scheduler or letters with the caller's token."""
    url = upstream_url(settings, service, path, request.url.query)
    headers = {k: v for k in _REQUEST_HEADERS if (v := request.headers.get(k)) is not None}
    outgoing = client.build_request(
        request.method, url, headers=headers, content=await request.body()
    )
    label = _SERVICE_NAMES[service]
    try:
        upstream = await client.send(outgoing, stream=True)
    except httpx.TimeoutException as exc:
        if isinstance(exc, httpx.ConnectTimeout):
            raise _unavailable(service, label, exc) from exc
        raise UpstreamTimeout(
            f"the {service} service did not answer in time",
            f"layanan {label} tidak menjawab tepat waktu; silakan coba lagi",
        ) from exc
    except httpx.TransportError as exc:
        raise _unavailable(service, label, exc) from exc
    headers = {k: v for k in _RESPONSE_HEADERS if (v := upstream.headers.get(k)) is not None}
    return StreamingResponse(
        upstream.aiter_bytes(),
        status_code=upstream.status_code,
        # Whatever a service answers is read as the type it says, never sniffed into HTML.
        headers={**headers, "X-Content-Type-Options": "nosniff"},
        background=BackgroundTask(upstream.aclose),
    )


def _unavailable(service: str, label: str, exc: Exception) -> UpstreamUnavailable:
    return UpstreamUnavailable(
        f"the {service} service cannot be reached ({type(exc).__name__})",
        f"layanan {label} sedang tidak dapat dihubungi; silakan coba lagi beberapa saat lagi",
    )
