"""Who is calling, and in which role: signed user tokens, the user directory, role checks.

A token is ``base64url(claims).base64url(HMAC-SHA256(claims))`` with the shared secret; every
service verifies it locally. The claims are an :class:`~shared.events.Actor` plus the times of
issue (``iat``) and expiry (``exp``). Anything else presented as a token is a 401, never a 500;
the token of a user deactivated since it was issued is refused by :mod:`shared.revocations`.
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
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from shared.calendar import OFFICE_TIMEZONE, indonesian_date
from shared.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from shared.events import Actor
from shared.roles import ROLE_NAMES, effective_role


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


MAX_TOKEN_CHARS = 4096
"""A token the portal issues is a few hundred characters; a longer one is refused unread."""


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says: who, and when it was issued and expires (Unix seconds;
    the issue to the millisecond, so that a revocation and a new login in the same second are
    told apart). ``issued_at`` is ``None`` for a token issued before tokens carried ``iat``."""

    actor: Actor
    issued_at: float | None
    expires_at: int


def issue_token(secret: bytes, actor: Actor, ttl_seconds: int, *, now: float | None = None) -> str:
    issued = time.time() if now is None else now
    claims = {**actor.model_dump(), "iat": round(issued, 3), "exp": int(issued) + ttl_seconds}
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signature = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def _malformed(why: str) -> NotAuthenticated:
    return NotAuthenticated(
        f"the bearer token is not valid ({why}); log in again for a new one",
        "token tidak valid; silakan masuk kembali",
    )


def _is_seconds(value: object, *, whole: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return (isinstance(value, int) or not whole) and 0 <= value < 2**53


def read_token(secret: bytes, token: str) -> TokenClaims:
    """Verify a token and read its claims; anything but a valid, unexpired token of ours is
    refused with :class:`NotAuthenticated` (401), whatever its bytes."""
    if len(token) > MAX_TOKEN_CHARS:
        raise _malformed(f"longer than {MAX_TOKEN_CHARS} characters")
    if not token.isascii() or token.count(".") != 1:
        raise _malformed("not of the form <claims>.<signature>")
    payload, signature = token.split(".")
    expected = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        raise _malformed("its signature does not match")
    # From here the claims are ours (or the secret leaked): still, never a 500 on their shape.
    try:
        claims = json.loads(_unb64(payload))
    except (ValueError, RecursionError):
        raise _malformed("its claims are not JSON") from None
    if not isinstance(claims, dict):
        raise _malformed("its claims are not an object")
    expires, issued = claims.pop("exp", None), claims.pop("iat", None)
    if not _is_seconds(expires, whole=True):
        raise _malformed("its expiry is missing or not whole seconds")
    if issued is not None and not _is_seconds(issued, whole=False):
        raise _malformed("its time of issue is not a number of seconds")
    if expires < time.time():
        raise NotAuthenticated(
            "token expired, please log in again", "sesi telah berakhir, silakan masuk kembali"
        )
    try:
        actor = Actor.model_validate(claims)
    except ValidationError:
        raise _malformed("its claims do not name a user and a role") from None
    return TokenClaims(actor, issued, expires)


def verify_token(secret: bytes, token: str) -> Actor:
    return read_token(secret, token).actor


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
    """An account. ``acting_for`` is a Plt/Plh appointment: the role this user may act for,
    from ``acting_from`` to ``acting_until`` inclusive (office dates; an open end is unbounded).
    A deactivated account (``active`` false) is kept, with its history, but cannot sign in."""

    username: str
    name: str
    role: str
    password_hash: str
    opd_code: str | None = None
    acting_for: str | None = None
    nip: str = ""
    jabatan: str = ""
    pangkat: str = ""
    active: bool = True
    acting_kind: str = "Plt"
    acting_from: date | None = None
    acting_until: date | None = None

    def acting_on(self, day: date) -> bool:
        """Whether the Plt/Plh appointment is in force on ``day``."""
        if not self.acting_for:
            return False
        starts = self.acting_from is None or self.acting_from <= day
        return starts and (self.acting_until is None or day <= self.acting_until)

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


_DATE_FIELDS = ("acting_from", "acting_until")


def _row_of(user: User) -> dict[str, Any]:
    row = asdict(user)
    for name in _DATE_FIELDS:
        row[name] = row[name].isoformat() if row[name] is not None else None
    return row


def _user_of(row: dict[str, Any]) -> User:
    # Rows written before a field existed take its default (an active account, no period).
    for name in _DATE_FIELDS:
        if row.get(name):
            row[name] = date.fromisoformat(row[name])
    return User(**row)


class UserDirectory:
    """Users kept in a JSON file under the data directory, administered by the ``admin`` role.

    Changes are read-modify-write of the whole file under one lock (one portal process owns it).
    """

    def __init__(
        self,
        path: Path,
        timezone: str = OFFICE_TIMEZONE,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.path = path
        self.zone = ZoneInfo(timezone)
        self._today = today
        self._lock = threading.Lock()

    def load(self) -> dict[str, User]:
        if not self.path.exists():
            return {}
        rows = json.loads(self.path.read_text(encoding="utf-8"))
        return {row["username"]: _user_of(row) for row in rows}

    def save(self, users: Iterable[User]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps([_row_of(u) for u in users], indent=2, ensure_ascii=False), encoding="utf-8"
        )
        os.replace(tmp, self.path)

    def today(self) -> date:
        """Today's date in the office's time zone: the day an appointment is checked against."""
        return self._today() if self._today else datetime.now(self.zone).date()

    def get(self, username: str) -> User:
        user = self.load().get(username)
        if user is None:
            raise NotFound(f"user {username} is unknown", f"pengguna {username} tidak dikenal")
        return user

    def add(self, user: User) -> User:
        """Add a new account; refused when the username is taken (also by a deactivated one)."""
        with self._lock:
            users = self.load()
            if user.username in users:
                raise InvalidInput(
                    f"username {user.username} is taken",
                    f"nama pengguna {user.username} sudah dipakai",
                    code="username_taken",
                    details=[{"field": "username", "message": "sudah dipakai"}],
                )
            self.save([*users.values(), user])
        return user

    def update(self, username: str, **changes: Any) -> User:
        """Change some fields of an account (never its username); returns the account as saved."""
        if "username" in changes:
            raise ValueError("a username never changes")
        with self._lock:
            users = self.load()
            if username not in users:
                raise NotFound(f"user {username} is unknown", f"pengguna {username} tidak dikenal")
            users[username] = replace(users[username], **changes)
            self.save(users.values())
        return users[username]

    def set_password(self, username: str, password: str) -> User:
        return self.update(username, password_hash=hash_password(password))

    def authenticate(
        self, username: str, password: str, *, acting: bool = False, today: date | None = None
    ) -> Actor:
        user = self.load().get(username)
        # An unknown username costs the same scrypt as a known one, and a deactivated account
        # the same as an active one: the answer's time does not tell which usernames exist.
        known_hash = user.password_hash if user is not None else _UNKNOWN_USER_HASH
        if not check_password(password, known_hash) or user is None:
            raise NotAuthenticated(
                "wrong username or password",
                "nama pengguna atau kata sandi salah",
                code="bad_credentials",
            )
        if not user.active:
            raise NotAuthenticated(
                f"the account {username} is deactivated",
                "akun Anda dinonaktifkan; hubungi administrator SIVICON",
                code="account_deactivated",
            )
        if acting and not user.acting_for:
            raise Forbidden(
                f"{username} is not appointed to act for another official",
                f"{username} tidak ditunjuk sebagai Plt/Plh",
                code="not_acting",
            )
        if acting and not user.acting_on(today or self.today()):
            raise Forbidden(
                f"the appointment of {username} to act for {user.acting_for} is not in force today",
                f"penunjukan Plt/Plh Anda tidak berlaku hari ini ({_period(user)})",
                code="acting_not_in_force",
            )
        return user.actor(acting=acting)


def _period(user: User) -> str:
    """``berlaku 1 Desember 2026 s.d. 31 Desember 2026``, as the appointment reads."""
    start = indonesian_date(user.acting_from) if user.acting_from else None
    end = indonesian_date(user.acting_until) if user.acting_until else None
    if start and end:
        return f"berlaku {start} s.d. {end}"
    return f"berlaku mulai {start}" if start else f"berlaku sampai {end}"
