"""Signed-in sessions of the portal: kept on the server, named by a random cookie.

The cookie holds only a random session key (HttpOnly, SameSite=Lax, Secure in production); the
store keeps its SHA-256, so a copy of the store gives nobody a session. A session ends after
``session_idle_minutes`` without a request, ``session_max_hours`` after signing in, or when its
user signs out: it is deleted on the server, whatever the browser keeps. It carries the user's
bearer token, with which the portal calls the services on the user's behalf, and the CSRF token
every form and HTMX call must send back.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.events import Actor

COOKIE = "sivicon_sesi"


@dataclass(frozen=True)
class Session:
    key_hash: str
    actor: Actor
    bearer: str
    csrf: str
    started_at: datetime
    seen_at: datetime


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class SessionStore:
    def __init__(self, path: Path, idle: timedelta, lifetime: timedelta) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.idle = idle
        self.lifetime = lifetime
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS sessions (key_hash TEXT PRIMARY KEY, actor TEXT, "
                "bearer TEXT, csrf TEXT, started_at TEXT, seen_at TEXT)"
            )

    def start(self, actor: Actor, bearer: str) -> tuple[str, Session]:
        """A new session; returns the cookie's key (only the browser keeps it) and the session."""
        key = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        session = Session(_hash(key), actor, bearer, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                (
                    session.key_hash,
                    actor.model_dump_json(),
                    bearer,
                    session.csrf,
                    now.isoformat(),
                    now.isoformat(),
                ),
            )
        return key, session

    def get(self, key: str | None) -> Session | None:
        """The live session of this cookie key (its idle time restarts), or ``None``."""
        if not key:
            return None
        key_hash = _hash(key)
        now = datetime.now(UTC)
        with self._lock:
            row = self._db.execute(
                "SELECT actor, bearer, csrf, started_at, seen_at FROM sessions WHERE key_hash = ?",
                (key_hash,),
            ).fetchone()
            if row is None:
                return None
            started, seen = datetime.fromisoformat(row[3]), datetime.fromisoformat(row[4])
            if now - seen > self.idle or now - started > self.lifetime:
                self._db.execute("DELETE FROM sessions WHERE key_hash = ?", (key_hash,))
                return None
            self._db.execute(
                "UPDATE sessions SET seen_at = ? WHERE key_hash = ?", (now.isoformat(), key_hash)
            )
        actor = Actor.model_validate_json(row[0])
        return Session(key_hash, actor, row[1], row[2], started, now)

    def alive(self, session: Session) -> bool:
        """Whether the session still exists and has not expired, *without* restarting its idle
        time (an open tab listening for updates is not the user's activity)."""
        with self._lock:
            row = self._db.execute(
                "SELECT started_at, seen_at FROM sessions WHERE key_hash = ?", (session.key_hash,)
            ).fetchone()
        if row is None:
            return False
        now = datetime.now(UTC)
        started, seen = datetime.fromisoformat(row[0]), datetime.fromisoformat(row[1])
        return now - seen <= self.idle and now - started <= self.lifetime

    def end_for(self, username: str) -> int:
        """End every session of a user (deactivated, password reset, role changed); how many."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM sessions WHERE json_extract(actor, '$.username') = ?", (username,)
            )
        return cursor.rowcount

    def end(self, session: Session) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE key_hash = ?", (session.key_hash,))
