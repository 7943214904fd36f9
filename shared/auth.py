"""Who is calling, and in which role: signed user tokens, the user directory, role checks.

A token is ``base64url(claims).base64url(HMAC-SHA256(claims))`` with the shared secret; every
service verifies it locally. The claims are an :class:`~shared.events.Actor` plus an expiry.
An acting official (Plt/Plh) keeps their own ``role`` and carries ``on_behalf_of``: the role whose
authority they exercise, which is the role the procedure checks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from shared.errors import Forbidden, NotAuthenticated
from shared.events import Actor
from shared.roles import ROLE_NAMES, effective_role


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(secret: bytes, actor: Actor, ttl_seconds: int) -> str:
    claims = {**actor.model_dump(), "exp": int(time.time()) + ttl_seconds}
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signature = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def verify_token(secret: bytes, token: str) -> Actor:
    try:
        payload, signature = token.split(".")
    except ValueError:
        raise NotAuthenticated("malformed token", "token tidak valid") from None
    expected = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        raise NotAuthenticated("invalid token signature", "token tidak valid")
    try:
        claims: dict[str, Any] = json.loads(_unb64(payload))
    except ValueError:
        raise NotAuthenticated("malformed token", "token tidak valid") from None
    if int(claims.pop("exp", 0)) < time.time():
        raise NotAuthenticated(
            "token expired, please log in again", "sesi telah berakhir, silakan masuk kembali"
        )
    return Actor.model_validate(claims)


def require_role(actor: Actor, *roles: str) -> None:
    """Refuse with 403 unless the actor acts in one of ``roles``."""
    if effective_role(actor) not in roles:
        allowed = ", ".join(ROLE_NAMES.get(r, r) for r in roles)
        raise Forbidden(
            f"this action is for {', '.join(roles)}; you are logged in as {actor.role}",
            f"tindakan ini hanya untuk {allowed}; Anda masuk sebagai "
            f"{ROLE_NAMES.get(effective_role(actor), actor.role)}",
            code="wrong_role",
        )


# --------------------------------------------------------------------------- user directory


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str
    password_hash: str
    opd_code: str | None = None
    acting_for: str | None = None
    nip: str = ""
    jabatan: str = ""
    pangkat: str = ""

    def actor(self, *, acting: bool = False) -> Actor:
        return Actor(
            username=self.username,
            name=self.name,
            role=self.role,
            on_behalf_of=self.acting_for if acting else None,
            opd_code=self.opd_code,
        )


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), n=2**14, r=8, p=1)
    return hmac.compare_digest(digest.hex(), digest_hex)


_UNKNOWN_USER_HASH = hash_password(secrets.token_urlsafe(16))


class UserDirectory:
    """Users kept in a JSON file under the data directory (administration comes later)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, User]:
        if not self.path.exists():
            return {}
        rows = json.loads(self.path.read_text(encoding="utf-8"))
        return {row["username"]: User(**row) for row in rows}

    def save(self, users: Iterable[User]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps([asdict(u) for u in users], indent=2, ensure_ascii=False), encoding="utf-8"
        )
        os.replace(tmp, self.path)

    def authenticate(self, username: str, password: str, *, acting: bool = False) -> Actor:
        user = self.load().get(username)
        # An unknown username costs the same scrypt as a known one: the answer's time does not
        # tell which usernames exist.
        known_hash = user.password_hash if user is not None else _UNKNOWN_USER_HASH
        if not check_password(password, known_hash) or user is None:
            raise NotAuthenticated(
                "wrong username or password",
                "nama pengguna atau kata sandi salah",
                code="bad_credentials",
            )
        if acting and not user.acting_for:
            raise Forbidden(
                f"{username} is not appointed to act for another official",
                f"{username} tidak ditunjuk sebagai Plt/Plh",
                code="not_acting",
            )
        return user.actor(acting=acting)
