"""A local stand-in for Zoom's Server-to-Server OAuth and Meeting API v2, for tests and for
running SIVICON offline. It follows Zoom's OpenAPI text (``zoom-meeting-api-v2``): the same
paths, bodies, status codes and error shapes; its state lives in memory.

Run: ``python -m services.scheduler.fakezoom.server --port 8009``; health: ``GET /healthz``.
Credentials are the ones SIVICON is configured with (``SIVICON_ZOOM_ACCOUNT_ID``,
``SIVICON_ZOOM_CLIENT_ID``, ``SIVICON_ZOOM_CLIENT_SECRET``), so the scheduler and this server
agree without further setup.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hmac
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from services.scheduler.fakezoom.state import FakeZoomState, ZoomError
from shared.settings import DEFAULT_PORTS, load_settings


def create_app(state: FakeZoomState) -> FastAPI:
    app = FastAPI(title="Fake Zoom API", version="2.0.0", docs_url="/docs")
    app.state.zoom = state

    @app.exception_handler(ZoomError)
    async def _zoom_error(_: Request, exc: ZoomError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        """Alive, with how many meetings it holds."""
        return {"status": "ok", "meetings": len(state.meetings)}

    @app.post("/oauth/token")
    async def token(request: Request) -> JSONResponse:
        """Server-to-Server OAuth: an access token for the account's app."""
        if not _basic_auth_matches(request, state):
            return JSONResponse(
                {"reason": "Invalid client_id or client_secret", "error": "invalid_client"},
                status_code=401,
            )
        if request.query_params.get("grant_type") != "account_credentials":
            return JSONResponse(
                {"reason": "Unsupported grant type", "error": "unsupported_grant_type"},
                status_code=400,
            )
        if request.query_params.get("account_id") != state.account_id:
            return JSONResponse(
                {"reason": "Invalid request : Invalid account_id", "error": "invalid_request"},
                status_code=400,
            )
        return JSONResponse(state.issue_token())

    @app.get("/v2/users/{user_id}")
    async def get_user(user_id: str, request: Request) -> dict[str, Any]:
        """Get a user."""
        state.check_token(request.headers.get("authorization"))
        return state.user(user_id).as_dict()

    @app.post("/v2/users/{user_id}/meetings", status_code=201)
    async def create_meeting(user_id: str, request: Request) -> dict[str, Any]:
        """Create a meeting."""
        state.check_token(request.headers.get("authorization"))
        try:
            body = await request.json()
        except ValueError:
            raise ZoomError(400, 300, "Request Body should be a valid JSON object.") from None
        return state.create_meeting(user_id, body)

    @app.get("/v2/users/{user_id}/meetings")
    async def list_meetings(user_id: str, request: Request) -> dict[str, Any]:
        """List meetings."""
        state.check_token(request.headers.get("authorization"))
        try:
            page_size = min(int(request.query_params.get("page_size", "30")), 300)
        except ValueError:
            raise ZoomError(400, 300, "Invalid field: page_size.") from None
        return state.meetings_of(
            user_id, page_size, request.query_params.get("next_page_token", "")
        )

    @app.get("/v2/meetings/{meeting_id}")
    async def get_meeting(meeting_id: str, request: Request) -> dict[str, Any]:
        """Get a meeting."""
        state.check_token(request.headers.get("authorization"))
        return state.meeting(meeting_id)

    @app.delete("/v2/meetings/{meeting_id}", status_code=204)
    async def delete_meeting(meeting_id: str, request: Request) -> Response:
        """Delete a meeting."""
        state.check_token(request.headers.get("authorization"))
        state.delete_meeting(meeting_id)
        return Response(status_code=204)

    return app


def _basic_auth_matches(request: Request, state: FakeZoomState) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(client_id, state.client_id) and hmac.compare_digest(
        secret, state.client_secret
    )


def state_from_settings(users: list[str] | None = None) -> FakeZoomState:
    settings = load_settings()
    return FakeZoomState(
        account_id=settings.zoom_account_id,
        client_id=settings.zoom_client_id,
        client_secret=settings.zoom_client_secret.get_secret_value(),
        allowed_users=frozenset(u.lower() for u in users) if users else None,
    )


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="A local fake of Zoom's Meeting API v2.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORTS["fakezoom"])
    parser.add_argument(
        "--user",
        action="append",
        dest="users",
        help="an email the account knows (repeatable); default: any email is a user",
    )
    args = parser.parse_args(argv)
    app = create_app(state_from_settings(args.users))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
