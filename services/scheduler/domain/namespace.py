"""The namespace of the scheduler's name-based aggregate IDs (host accounts, day schedules,
the singletons): fixed, so that the same name finds the same aggregate in every store."""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid5

NAMESPACE = uuid5(NAMESPACE_URL, "https://sivicon/scheduler")
