"""The office's licensed Zoom host accounts: registered and taken out of the schedule by the
administrator; listed for the API from an index of the ``HostAccount`` aggregates, and for the
slot check from the registry of their slugs (``HostAccountIndex``).

The check reads the registry, written in the same save as each account, because it is on the
consumer's path: the index loads every aggregate stored since it last looked (the requests, the
day schedules) to find the rare host account among them, a third of each check's time when
profiled."""

from __future__ import annotations

import logging
from datetime import datetime
from operator import itemgetter

from eventsourcing.persistence import IntegrityError

from services.scheduler.domain import (
    HostAccount,
    HostAccountIndex,
    HostInfo,
    host_account_uuid,
    validate_host_account,
)
from shared.errors import NotFound, OutOfOrder
from shared.eventstore import ServiceApplication
from shared.readmodel import AggregateIndex

log = logging.getLogger("sivicon.scheduler")

DEMO_HOST_ACCOUNTS = (
    ("zoom-1", "Zoom DKISP 1", "dkisp.zoom1@tarakankota.go.id", 100, 1),
    ("zoom-2", "Zoom DKISP 2", "dkisp.zoom2@tarakankota.go.id", 300, 1),
    ("zoom-3", "Zoom DKISP 3", "dkisp.zoom3@tarakankota.go.id", 500, 1),
)


def _row(account: HostAccount) -> tuple[datetime, HostInfo]:
    return account.created_on, account.info()


class HostAccounts:
    def __init__(self, app: ServiceApplication) -> None:
        self._app = app
        self._index = AggregateIndex(app, HostAccount, _row)

    def all(self) -> list[HostInfo]:
        """Every host account, in the order they were registered."""
        return [info for _, info in sorted(self._index.rows(), key=itemgetter(0))]

    def registered(self) -> list[HostInfo]:
        """Every host account as the store has it now, in the order they were registered."""
        registry = self._app.get_or_none(HostAccountIndex.ID)
        slugs: list[str] = registry.slugs if registry is not None else []
        return [self._account(slug).info() for slug in slugs]

    def register(
        self, slug: str, name: str, email: str, capacity: int, concurrent: int, active: bool = True
    ) -> HostInfo:
        validate_host_account(slug, name, email, capacity, concurrent)
        if self._app.get_or_none(host_account_uuid(slug)) is not None:
            raise _exists(slug)
        registry = self._app.get_or_none(HostAccountIndex.ID) or HostAccountIndex()
        account = HostAccount(
            slug=slug,
            name=name.strip(),
            email=email.strip().lower(),
            capacity=capacity,
            concurrent=concurrent,
            active=active,
        )
        registry.add(slug)
        try:
            self._app.save(account, registry)
        except IntegrityError:
            raise _exists(slug) from None  # registered at the same time
        return account.info()

    def set_active(self, slug: str, active: bool) -> HostInfo:
        account = self._account(slug)
        if account.active != active:
            account.set_active(active)
            self._app.save(account)
        return account.info()

    def seed_demo(self) -> None:
        """The demo office's three licences, once (deterministic IDs make a repeat harmless)."""
        if self._app.get_or_none(HostAccountIndex.ID) is not None:
            return
        for slug, name, email, capacity, concurrent in DEMO_HOST_ACCOUNTS:
            try:
                self.register(slug, name, email, capacity, concurrent)
            except OutOfOrder:
                log.info("demo host account %s exists already", slug)

    def _account(self, slug: str) -> HostAccount:
        account = self._app.get_or_none(host_account_uuid(slug))
        if not isinstance(account, HostAccount):
            raise NotFound(f"host account {slug} is unknown", f"akun host {slug} tidak dikenal")
        return account


def _exists(slug: str) -> OutOfOrder:
    return OutOfOrder(
        f"host account {slug} exists already",
        f"akun host {slug} sudah ada",
        code="already_exists",
    )
