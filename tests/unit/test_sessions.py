"""The portal's sessions end on their own: after the idle time without a request, and at the
absolute lifetime however busy; an administrator's change ends every session of the user."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from services.portal.sessions import SessionStore
from tests.builders import person


def store(tmp_path: Path, *, idle: float, lifetime: float) -> SessionStore:
    return SessionStore(
        tmp_path / "sessions.sqlite",
        idle=timedelta(seconds=idle),
        lifetime=timedelta(seconds=lifetime),
    )


def test_a_session_left_idle_ends_and_one_in_use_lives_on(tmp_path: Path) -> None:
    sessions = store(tmp_path, idle=0.4, lifetime=60)
    used, _ = sessions.start(person("kabid"), "token-1")
    left, session = sessions.start(person("kadis"), "token-2")
    for _ in range(3):
        time.sleep(0.2)
        assert sessions.get(used) is not None  # each request restarts its idle time
    assert not sessions.alive(session)
    assert sessions.get(left) is None
    assert sessions.get(left) is None  # and it is gone from the store, not only hidden


def test_a_session_ends_at_its_lifetime_however_busy(tmp_path: Path) -> None:
    sessions = store(tmp_path, idle=60, lifetime=0.5)
    key, _ = sessions.start(person("kabid"), "token")
    deadline = time.monotonic() + 0.45
    while time.monotonic() < deadline:
        assert sessions.get(key) is not None
        time.sleep(0.05)
    time.sleep(0.1)
    assert sessions.get(key) is None


def test_every_session_of_a_user_ends_at_once_and_only_theirs(tmp_path: Path) -> None:
    sessions = store(tmp_path, idle=60, lifetime=60)
    phone, _ = sessions.start(person("kabid"), "token-1")
    desk, _ = sessions.start(person("kabid"), "token-2")
    other, _ = sessions.start(person("kadis"), "token-3")
    assert sessions.end_for("kabid") == 2
    assert sessions.get(phone) is None
    assert sessions.get(desk) is None
    assert sessions.get(other) is not None
    assert phone != desk  # each sign-in has its own random key
