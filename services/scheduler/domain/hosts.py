"""Licensed Zoom host accounts: who hosts, how many participants, how many meetings at once,
and the index that lists them."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.scheduler.domain.namespace import NAMESPACE
from shared.errors import InvalidInput

CAPACITIES = (100, 300, 500, 1000)
CONCURRENCY = (1, 2)


class HostAccount(Aggregate):
    """A licensed Zoom host: who hosts, how many participants, how many meetings at once."""

    @staticmethod
    def create_id(slug: str) -> UUID:
        return host_account_uuid(slug)

    @event("Registered")
    def __init__(
        self, slug: str, name: str, email: str, capacity: int, concurrent: int, active: bool
    ) -> None:
        self.slug = slug
        self.name = name
        self.email = email
        self.capacity = capacity
        self.concurrent = concurrent
        self.active = active

    @event("ActiveChanged")
    def set_active(self, active: bool) -> None:
        self.active = active

    def info(self) -> HostInfo:
        return HostInfo(
            self.slug, self.name, self.email, self.capacity, self.concurrent, self.active
        )


def host_account_uuid(slug: str) -> UUID:
    return uuid5(NAMESPACE, f"host-account:{slug}")


def validate_host_account(slug: str, name: str, email: str, capacity: int, concurrent: int) -> None:
    if capacity not in CAPACITIES:
        raise InvalidInput(
            f"capacity must be one of {', '.join(map(str, CAPACITIES))}, not {capacity}",
            f"kapasitas harus salah satu dari {', '.join(map(str, CAPACITIES))}",
        )
    if concurrent not in CONCURRENCY:
        raise InvalidInput(
            f"concurrent meetings must be 1 or 2, not {concurrent}",
            "jumlah rapat bersamaan harus 1 atau 2",
        )
    if not name.strip() or "@" not in email:
        raise InvalidInput(
            "a host account needs a name and an email address",
            "akun host memerlukan nama dan alamat email",
        )


class HostAccountIndex(Aggregate):
    """The registry of host account slugs, written with each account: what the slot check
    reads to know every licence in one read."""

    ID = uuid5(NAMESPACE, "host-account-index")

    @staticmethod
    def create_id() -> UUID:
        return HostAccountIndex.ID

    @event("Started")
    def __init__(self) -> None:
        self.slugs: list[str] = []

    @event("Added")
    def add(self, slug: str) -> None:
        self.slugs.append(slug)


@dataclass(frozen=True)
class HostInfo:
    slug: str
    name: str
    email: str
    capacity: int
    concurrent: int
    active: bool
