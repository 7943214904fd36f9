"""The generated nats-server configuration and its credentials, and the settings around them."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import nkeys
import pytest

from services.launcher import nats_server_binary
from services.natsconf import credentials_path, prepare, users
from shared.messaging.connection import NatsAccessError, client_options, read_public_key
from shared.settings import SettingsError, load_settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_run_makes_one_private_seed_per_user_and_a_config_nats_server_accepts(
    tmp_path: Path,
) -> None:
    setup = prepare(tmp_path, ["DINKES", "DISDIK"])

    assert set(setup.public_keys) == {
        "intake",
        "disposition",
        "scheduler",
        "letters",
        "portal",
        "agency-DINKES",
        "agency-DISDIK",
        "operator",
        "auditor",
        "admin",
    }
    assert mode(tmp_path / "nats") == 0o700
    assert mode(tmp_path / "nats" / "creds") == 0o700
    for user, public_key in setup.public_keys.items():
        seed = setup.credentials(user)
        assert mode(seed) == 0o600
        assert seed.read_bytes().startswith(b"SU")
        assert public_key in setup.config.read_text()
    assert mode(setup.config) == 0o600
    checked = subprocess.run(
        [nats_server_binary(), "-t", "-c", str(setup.config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
    assert "is valid" in checked.stdout + checked.stderr


def test_a_later_run_keeps_the_seeds_and_adds_a_new_agency(tmp_path: Path) -> None:
    first = prepare(tmp_path, ["DINKES"])
    seeds = {user: first.credentials(user).read_bytes() for user in first.public_keys}

    second = prepare(tmp_path, ["DINKES", "BPBD"])

    for user, seed in seeds.items():
        assert second.credentials(user).read_bytes() == seed
        assert second.public_keys[user] == first.public_keys[user]
    assert "agency-BPBD" in second.public_keys
    assert second.public_keys["agency-BPBD"] in second.config.read_text()
    assert users(["BPBD"])[-1] == "admin"


def test_an_unknown_user_has_no_credentials(tmp_path: Path) -> None:
    setup = prepare(tmp_path, ["DINKES"])
    with pytest.raises(KeyError, match="agency-DISDIK"):
        setup.credentials("agency-DISDIK")


def test_credentials_that_cannot_work_are_named_with_their_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.nk"
    with pytest.raises(NatsAccessError, match=f"{missing} does not exist"):
        client_options(missing)
    with pytest.raises(NatsAccessError, match=f"{tmp_path} cannot be read"):
        client_options(tmp_path)  # a folder: readable by nobody as a file
    not_a_seed = tmp_path / "password.nk"
    not_a_seed.write_text("hunter2\n")
    with pytest.raises(NatsAccessError, match=f"{not_a_seed} holds no NATS user seed"):
        client_options(not_a_seed)
    damaged = tmp_path / "damaged.nk"
    damaged.write_text("SU" + "A" * 56 + "\n")
    with pytest.raises(NatsAccessError, match=f"{damaged} holds a damaged NATS user seed"):
        client_options(damaged)
    missing_ca = tmp_path / "ca.pem"
    with pytest.raises(NatsAccessError, match=f"CA file {missing_ca} does not exist"):
        client_options(tls_ca=missing_ca)


def test_a_client_with_credentials_gets_the_inbox_of_its_own_public_key(tmp_path: Path) -> None:
    seed = credentials_path(tmp_path, "operator")
    prepare(tmp_path, [])
    public_key = read_public_key(seed)
    assert public_key == nkeys.from_seed(bytearray(seed.read_bytes().strip())).public_key.decode()
    options = client_options(seed)
    assert options == {"nkeys_seed": str(seed), "inbox_prefix": f"_INBOX.{public_key}"}
    assert client_options() == {}


def test_production_refuses_nats_without_credentials_tls_and_a_ca(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "SIVICON_MODE": "production",
        "SIVICON_AUTH_SECRET": "s" * 40,
        "SIVICON_DATABASE": "postgres",
        "SIVICON_DEMO_DATA": "false",
    }.items():
        monkeypatch.setenv(name, value)
    steps = [
        ("SIVICON_NATS_CREDENTIALS", "/etc/sivicon/intake.nk", "SIVICON_NATS_CREDENTIALS"),
        ("SIVICON_NATS_URL", "tls://nats-1:4222,nats://nats-2:4222", "tls://"),
        ("SIVICON_NATS_URL", "tls://nats-1:4222,tls://nats-2:4222", "SIVICON_NATS_URL"),
        ("SIVICON_NATS_TLS_CA", "/etc/sivicon/ca.pem", "SIVICON_NATS_TLS_CA"),
    ]
    for name, value, refusal in steps:
        with pytest.raises(SettingsError) as refused:
            load_settings()
        assert refusal in str(refused.value)
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.nats_credentials == Path("/etc/sivicon/intake.nk")
    assert settings.nats_tls_ca == Path("/etc/sivicon/ca.pem")


def test_agency_codes_for_nats_users_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIVICON_NATS_AGENCIES", "DINKES, BPBD")
    assert load_settings().machine_agencies == ("DINKES", "BPBD")
    monkeypatch.setenv("SIVICON_NATS_AGENCIES", "DINKES,sivicon.>")
    with pytest.raises(SettingsError, match="SIVICON_NATS_AGENCIES"):
        load_settings()
