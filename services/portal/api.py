"""The portal's own API: logging in, who am I, and the user list for administrators."""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.portal.state import DirectoryDep, GuardDep, SettingsDep
from services.portal.users import public_view
from shared.asyncapi import asyncapi_document
from shared.auth import issue_token, require_role
from shared.errors import NotAuthenticated
from shared.events import Actor
from shared.httpapi import CurrentActor
from shared.roles import ROLE_NAMES

log = logging.getLogger("sivicon.portal")
router = APIRouter(prefix="/api/v1", tags=["portal"])


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)
    acting: bool = False


def role_name(actor: Actor) -> str:
    """The role in Indonesian as the page shows it, e.g. ``Plt. Kepala Dinas``."""
    own = ROLE_NAMES.get(actor.role, actor.role)
    if actor.on_behalf_of:
        return f"Plt. {ROLE_NAMES.get(actor.on_behalf_of, actor.on_behalf_of)} ({own})"
    return own


class UserView(Actor):
    """Who is logged in, with their role as the page names it."""

    role_name: str = Field(description="in Indonesian, e.g. `Plt. Kepala Dinas (Kepala Bidang)`")


class LoginAnswer(BaseModel):
    token: str = Field(description="send as `Authorization: Bearer <token>` to every service")
    token_type: Literal["bearer"]
    expires_in: int = Field(description="seconds")
    user: UserView


class AsyncApiDocument(BaseModel):
    """An AsyncAPI 3.0 document (https://www.asyncapi.com/docs/reference/specification/v3.0.0);
    its parts are described by that specification, not repeated here."""

    model_config = ConfigDict(extra="allow")

    asyncapi: str
    info: dict[str, Any]
    servers: dict[str, Any]
    channels: dict[str, Any]
    operations: dict[str, Any]
    components: dict[str, Any]


def user_view(actor: Actor) -> UserView:
    return UserView(**actor.model_dump(), role_name=role_name(actor))


@router.post("/auth/login")
def login(
    body: Login,
    request: Request,
    directory: DirectoryDep,
    guard: GuardDep,
    settings: SettingsDep,
) -> LoginAnswer:
    """Log in with username and password (optionally as Plt/Plh); returns a bearer token."""
    address = request.client.host if request.client else "?"
    guard.check(body.username, address)
    try:
        actor = directory.authenticate(body.username, body.password, acting=body.acting)
    except NotAuthenticated as refused:
        guard.failed(body.username, address)
        log.warning("login of %r from %s refused: %s", body.username, address, refused.code)
        raise
    guard.succeeded(body.username, address)
    log.info("login of %r from %s%s", body.username, address, " (acting)" if body.acting else "")
    ttl = settings.token_ttl_minutes * 60
    return LoginAnswer(
        token=issue_token(settings.secret, actor, ttl),
        token_type="bearer",  # noqa: S106 - the scheme's name, not a secret
        expires_in=ttl,
        user=user_view(actor),
    )


@router.get("/me")
def me(actor: CurrentActor) -> UserView:
    """The logged-in user, as their token says."""
    return user_view(actor)


@router.get("/users")
def list_users(actor: CurrentActor, directory: DirectoryDep) -> list[dict[str, str | bool | None]]:
    """Every account, without password hashes (administrators only)."""
    require_role(actor, "admin")
    return [
        public_view(user) for user in sorted(directory.load().values(), key=lambda u: u.username)
    ]


@router.get("/asyncapi.json")
def asyncapi(actor: CurrentActor, settings: SettingsDep) -> AsyncApiDocument:
    """The AsyncAPI document of the events: subjects, schemas, the inbound request format
    (operators and administrators)."""
    require_role(actor, "operator", "admin")
    return AsyncApiDocument(**asyncapi_document(settings.nats_url.split(",")[0]))
