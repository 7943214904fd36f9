"""The brute-force guard of signing in: failures slow the next attempt, never lock an account.

Each failure makes the next attempt for the same account *from the same address* wait longer
(1, 2, 4 ... seconds, at most a minute), and many failures from one address slow every attempt
from it. Nobody can lock Kadis out: the delay of ``kadis`` from one address does not touch
``kadis`` from another, and a success clears it. Kept in memory: a restart forgets, which is
acceptable for a guard that only has to make guessing slow. Usernames are case-folded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from shared.errors import SiviconError

FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 60.0
# Failures from one address, over any usernames, before the address itself is slowed.
ADDRESS_ALLOWANCE = 20
FORGET_AFTER_SECONDS = 15 * 60.0


class TooManyAttempts(SiviconError):
    status = 429
    code = "too_many_attempts"


@dataclass
class _Streak:
    failures: int
    last_failure: float

    def wait(self, now: float, allowance: int = 0) -> float:
        over = self.failures - allowance
        if over <= 0:
            return 0.0
        delay = min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2.0 ** (over - 1))
        return max(0.0, self.last_failure + delay - now)


class SignInGuard:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._accounts: dict[tuple[str, str], _Streak] = {}
        self._addresses: dict[str, _Streak] = {}
        self._lock = threading.Lock()

    def check(self, username: str, address: str) -> None:
        """Raise :class:`TooManyAttempts` while this account, from this address, must wait."""
        with self._lock:
            now = self.clock()
            self._forget_old(now)
            waits = [
                streak.wait(now, allowance)
                for streak, allowance in (
                    (self._accounts.get((username.casefold(), address)), 0),
                    (self._addresses.get(address), ADDRESS_ALLOWANCE),
                )
                if streak is not None
            ]
        wait = max(waits, default=0.0)
        if wait > 0:
            seconds = int(wait + 0.999)
            raise TooManyAttempts(
                f"too many failed sign-ins; try again in {seconds} seconds",
                f"terlalu banyak percobaan masuk yang gagal; coba lagi dalam {seconds} detik",
            )

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            now = self.clock()
            _bump(self._accounts, (username.casefold(), address), now)
            _bump(self._addresses, address, now)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._accounts.pop((username.casefold(), address), None)

    def _forget_old(self, now: float) -> None:
        _forget(self._accounts, now)
        _forget(self._addresses, now)


K = TypeVar("K")


def _bump(streaks: dict[K, _Streak], key: K, now: float) -> None:
    streak = streaks.setdefault(key, _Streak(0, now))
    streak.failures += 1
    streak.last_failure = now


def _forget(streaks: dict[K, _Streak], now: float) -> None:
    for key in [k for k, s in streaks.items() if now - s.last_failure > FORGET_AFTER_SECONDS]:
        del streaks[key]
