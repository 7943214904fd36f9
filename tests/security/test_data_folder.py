"""The data folder is its owner's alone, and a service without ``SIVICON_AUTH_SECRET`` makes a
random secret once and keeps it there: no built-in secret that every installation shares."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.disposition.main import create_app as disposition_app
from services.intake.main import create_app as intake_app
from services.letters.main import create_app as letters_app
from services.portal.main import create_app as portal_app
from services.scheduler.main import create_app as scheduler_app
from shared.datadir import keep_private
from shared.settings import SettingsError, load_settings
from tests.support import make_settings

ROOT = Path(__file__).parents[2]


@pytest.fixture
def umask() -> Iterator[None]:
    """What the test process's umask was, back after the test (the apps narrow it)."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def _open_to_others(folder: Path) -> list[str]:
    return [
        f"{path.relative_to(folder)} {stat.filemode(path.lstat().st_mode)}"
        for path in [folder, *folder.rglob("*")]
        if not path.is_symlink() and path.lstat().st_mode & 0o077
    ]


def test_every_service_keeps_the_data_folder_and_what_it_writes_to_its_owner(
    tmp_path: Path, umask: None
) -> None:
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    left_open = data / "documents" / "intake" / "ab" / "old-letter"
    left_open.parent.mkdir(parents=True)
    left_open.write_bytes(b"%PDF-1.4 kept by an older version")
    left_open.chmod(0o644)
    settings = make_settings(data, "nats://127.0.0.1:9")
    for create in (intake_app, disposition_app, scheduler_app, letters_app, portal_app):
        create(settings)
    written = {path.name for path in data.rglob("*")}
    assert {"intake.sqlite", "letters.sqlite", "users.json", "portal-sessions.sqlite"} <= written
    assert "auth-secret" in written
    assert _open_to_others(data) == []
    assert stat.S_IMODE((data / "auth-secret").stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_keeping_private_never_follows_a_link_out_of_the_folder(
    tmp_path: Path, umask: None
) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not ours to change")
    outside.chmod(0o644)
    data = tmp_path / "var"
    data.mkdir()
    (data / "link").symlink_to(outside)
    keep_private(data)
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644
    assert _open_to_others(data) == []


_PRINT_SECRET = "from shared.settings import load_settings; print(load_settings().secret.decode())"


def _secret_of_a_new_process(data: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIVICON_")}
    env["SIVICON_DATA_DIR"] = str(data)
    return subprocess.Popen(
        [sys.executable, "-c", _PRINT_SECRET], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )


def test_without_a_secret_processes_make_one_keep_it_and_share_it(tmp_path: Path) -> None:
    data = tmp_path / "var"
    starting_together = [_secret_of_a_new_process(data) for _ in range(4)]
    secrets = {process.communicate(timeout=60)[0].strip() for process in starting_together}
    assert len(secrets) == 1, secrets
    [secret] = secrets
    assert len(secret) >= 32
    assert "embedded-mode-secret" not in secret
    kept = data / "auth-secret"
    assert kept.read_text().strip() == secret
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    later = _secret_of_a_new_process(data).communicate(timeout=60)[0].strip()
    assert later == secret
    elsewhere = _secret_of_a_new_process(tmp_path / "other").communicate(timeout=60)[0].strip()
    assert elsewhere != secret


def test_production_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SIVICON_AUTH_SECRET"):
        load_settings(
            mode="production",
            data_dir=tmp_path,
            database="postgres",
            demo_data=False,
            auth_secret=None,
        )
    assert not (tmp_path / "auth-secret").exists()
