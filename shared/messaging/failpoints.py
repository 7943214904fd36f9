"""Fault injection for the crash tests: die where a test asks, as a SIGKILL would."""

from __future__ import annotations

import logging
import os

log = logging.getLogger("sivicon.messaging")


def failpoint(name: str) -> None:
    """Die here, as a SIGKILL would, when the fault-injection tests ask for it."""
    if name in os.environ.get("SIVICON_FAILPOINTS", "").split(","):
        log.warning("failpoint %s: exiting abruptly", name)
        os._exit(137)
