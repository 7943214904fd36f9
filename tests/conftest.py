from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.settings import Settings
from tests.support import drop_schema, make_settings, nats_server, postgres_dsn_env

TESTS = Path(__file__).parent
# Markers by folder, so that `-m "not e2e and not browser"` leaves the fast suite.
MARKERS_BY_FOLDER = {"e2e": "e2e", "faults": "e2e", "browser": "browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark whole systems (`e2e`), the browser (`browser`) and PostgreSQL (`postgres`)."""
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0]
        if folder in MARKERS_BY_FOLDER:
            item.add_marker(MARKERS_BY_FOLDER[folder])
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        if "postgres" in (params.get("store_env"), params.get("system")):
            item.add_marker("postgres")


@pytest.fixture
def nats_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, real nats-server with JetStream on a random port, for one test."""
    with nats_server(tmp_path / "nats-server") as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, nats_url: str) -> Settings:
    return make_settings(tmp_path / "var", nats_url)


@pytest.fixture(params=["sqlite", "postgres"])
def store_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """An ``eventsourcing`` environment for SQLite, and for PostgreSQL where one is reachable."""
    if request.param == "sqlite":
        yield {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / "store.sqlite"),
        }
        return
    pg = postgres_dsn_env()
    if pg is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not reachable, and CI must run the PostgreSQL tests")
        pytest.skip("PostgreSQL not reachable (set SIVICON_TEST_POSTGRES_DSN)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_HOST": pg["host"],
        "POSTGRES_PORT": pg["port"],
        "POSTGRES_USER": pg["user"],
        "POSTGRES_PASSWORD": pg["password"],
        "POSTGRES_DBNAME": pg["dbname"],
        "POSTGRES_SCHEMA": schema,
    }
    drop_schema(pg, schema)
