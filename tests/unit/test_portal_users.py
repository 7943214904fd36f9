"""The portal's user rules without a server: demo accounts, seeding, the sign-in guard."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from services.portal.throttle import SignInGuard, TooManyAttempts
from services.portal.users import (
    DEMO_PASSWORD,
    demo_users,
    public_view,
    seed_demo_users,
)
from shared.auth import UserDirectory, hash_password
from shared.errors import Forbidden, NotAuthenticated


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_there_is_a_demo_user_for_every_role_and_a_plt_for_kadis() -> None:
    users = {u.username: u for u in demo_users()}
    roles = {u.role for u in users.values()}
    assert roles == {
        "opd",
        "kadis",
        "kabid",
        "subkoordinator",
        "staf",
        "operator",
        "auditor",
        "admin",
    }
    assert users["opd.dinkes"].opd_code == "DINKES"
    assert users["opd.dinkes"].name == "dr. Sri Wahyuni"
    assert users["opd.disdik"].opd_code == "DISDIK"
    assert users["plt.kadis"].role == "kabid"
    assert users["plt.kadis"].acting_for == "kadis"
    kadis = users["kadis"]
    assert kadis.nip == "19750516 199501 1 001"
    assert kadis.pangkat == "Pembina Utama Muda (IV/c)"
    assert kadis.jabatan == "Kepala Dinas Komunikasi, Informatika, Statistik dan Persandian"


def test_seeding_adds_missing_users_and_never_overwrites(tmp_path: Path) -> None:
    directory = UserDirectory(tmp_path / "users.json")
    kadis = next(u for u in demo_users() if u.username == "kadis")
    directory.save([replace(kadis, name="Kadis Baru", password_hash=hash_password("rahasia-1"))])

    added = seed_demo_users(directory)

    assert "kadis" not in added
    assert len(added) == len(demo_users()) - 1
    assert directory.authenticate("kadis", "rahasia-1").name == "Kadis Baru"
    with pytest.raises(NotAuthenticated):
        directory.authenticate("kadis", DEMO_PASSWORD)
    assert directory.authenticate("staf", DEMO_PASSWORD).role == "staf"
    assert seed_demo_users(directory) == []


def test_plt_acts_for_kadis_only_when_asked(tmp_path: Path) -> None:
    directory = UserDirectory(tmp_path / "users.json")
    seed_demo_users(directory)
    assert directory.authenticate("plt.kadis", DEMO_PASSWORD, acting=True).on_behalf_of == "kadis"
    assert directory.authenticate("plt.kadis", DEMO_PASSWORD).on_behalf_of is None
    with pytest.raises(Forbidden):
        directory.authenticate("kabid", DEMO_PASSWORD, acting=True)


def test_public_view_has_no_password_hash() -> None:
    user = replace(demo_users()[0], password_hash=hash_password("x"))
    view = public_view(user)
    assert "password_hash" not in view
    assert "scrypt" not in str(view)


def test_each_failure_makes_the_next_attempt_from_that_address_wait_longer() -> None:
    clock = Clock()
    guard = SignInGuard(clock=clock)
    waits = []
    for _ in range(8):
        guard.failed("kadis", "10.0.0.9")
        with pytest.raises(TooManyAttempts) as refused:
            guard.check("KADIS", "10.0.0.9")
        waits.append(int(refused.value.message.split(" in ")[1].split()[0]))
        clock.now += 120  # past any delay: the next failure counts from here
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]  # growing, never more than a minute
    assert "coba lagi dalam 60 detik" in refused.value.pesan


def test_nobody_can_lock_kadis_out_from_another_address() -> None:
    clock = Clock()
    guard = SignInGuard(clock=clock)
    for _ in range(20):
        guard.failed("kadis", "10.0.0.66")
    with pytest.raises(TooManyAttempts):
        guard.check("kadis", "10.0.0.66")
    guard.check("kadis", "10.0.0.7")  # Kadis at the office signs in at once
    clock.now += 61
    guard.check("staf", "10.0.0.66")  # and the guessing address only waits, it is not banned


def test_many_failures_from_one_address_slow_every_username_from_it() -> None:
    clock = Clock()
    guard = SignInGuard(clock=clock)
    for index in range(21):
        guard.failed(f"tebakan{index}", "10.0.0.66")
    with pytest.raises(TooManyAttempts):
        guard.check("nama.baru", "10.0.0.66")


def test_a_success_clears_the_delay_and_old_failures_are_forgotten() -> None:
    clock = Clock()
    guard = SignInGuard(clock=clock)
    guard.failed("kabid", "10.0.0.9")
    clock.now += 5
    guard.succeeded("kabid", "10.0.0.9")
    guard.failed("kabid", "10.0.0.9")
    with pytest.raises(TooManyAttempts) as refused:
        guard.check("kabid", "10.0.0.9")
    assert "1 seconds" in refused.value.message  # counted afresh after the success
    clock.now += 16 * 60
    guard.check("kabid", "10.0.0.9")
