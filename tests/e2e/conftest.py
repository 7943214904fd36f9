from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.launcher import BUSINESS_SERVICES, System, start_system
from tests.support import as_admin_of, drop_schema, postgres_dsn_env

AUTH = {"SIVICON_AUTH_SECRET": "e2e-" + "x" * 40}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The contract tests check the answers every e2e test before them got: they run last."""
    items.sort(key=lambda item: item.path.name == "test_contracts.py")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """The whole system as `sivicon up` starts it: real nats-server, every service a process,
    every service's store in SQLite, then in PostgreSQL (the production setting).

    A module that needs one store only (it kills processes, say) narrows this with
    ``pytest.mark.parametrize("system", ["sqlite"], indirect=True)``.
    """
    data_dir: Path = tmp_path_factory.mktemp(f"sivicon-{request.param}") / "var"
    if request.param == "sqlite":
        yield from _running(data_dir, AUTH)
        return
    pg = postgres_dsn_env()
    if pg is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not reachable, and CI must run the PostgreSQL tests")
        pytest.skip("PostgreSQL not reachable (set SIVICON_TEST_POSTGRES_DSN)")
    prefix = f"e2e_{uuid.uuid4().hex[:8]}_"
    env = {
        **AUTH,
        "SIVICON_DATABASE": "postgres",
        "SIVICON_POSTGRES_HOST": pg["host"],
        "SIVICON_POSTGRES_PORT": pg["port"],
        "SIVICON_POSTGRES_USER": pg["user"],
        "SIVICON_POSTGRES_PASSWORD": pg["password"],
        "SIVICON_POSTGRES_DBNAME": pg["dbname"],
        "SIVICON_POSTGRES_SCHEMA_PREFIX": prefix,
    }
    try:
        yield from _running(data_dir, env)
    finally:
        for service in BUSINESS_SERVICES:
            drop_schema(pg, prefix + service)


def _running(data_dir: Path, extra_env: dict[str, str]) -> Iterator[System]:
    running = as_admin_of(start_system(data_dir, fixed_ports=False, extra_env=extra_env))
    try:
        yield running
    finally:
        running.stop()
        for child in running.children.values():
            if child.process.returncode not in (0, -15, None) and child.name != "nats-server":
                print(f"--- {child.name} log ---\n{child.log_path.read_text()[-4000:]}")
