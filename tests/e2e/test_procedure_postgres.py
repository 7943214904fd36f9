"""The free branch again, with every service's store in PostgreSQL (the production setting)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.launcher import System, start_system
from tests.e2e.test_procedure import (  # noqa: F401 - collected here with this module's system
    test_free_branch_runs_all_ten_steps_and_closes_the_case,
    users,
)
from tests.support import drop_schema, postgres_dsn_env


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    pg = postgres_dsn_env()
    if pg is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not reachable, and CI must run the PostgreSQL tests")
        pytest.skip("PostgreSQL not reachable (set SIVICON_TEST_POSTGRES_DSN)")
    prefix = f"e2e_{uuid.uuid4().hex[:8]}_"
    data_dir: Path = tmp_path_factory.mktemp("sivicon-pg") / "var"
    running = start_system(
        data_dir,
        fixed_ports=False,
        extra_env={
            "SIVICON_AUTH_SECRET": "e2e-" + "x" * 40,
            "SIVICON_DATABASE": "postgres",
            "SIVICON_POSTGRES_HOST": pg["host"],
            "SIVICON_POSTGRES_PORT": pg["port"],
            "SIVICON_POSTGRES_USER": pg["user"],
            "SIVICON_POSTGRES_PASSWORD": pg["password"],
            "SIVICON_POSTGRES_DBNAME": pg["dbname"],
            "SIVICON_POSTGRES_SCHEMA_PREFIX": prefix,
        },
    )
    try:
        yield running
    finally:
        running.stop()
        for service in ("intake", "disposition", "scheduler", "letters"):
            drop_schema(pg, prefix + service)
