"""The portal's user rules without a server: demo accounts, seeding, the brute-force guard."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from services.portal.users import (
    DEMO_PASSWORD,
    LoginThrottle,
    TooManyAttempts,
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


def test_throttle_refuses_after_ten_failures_within_five_minutes() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(9):
        throttle.failed("kadis")
        clock.now += 1
    throttle.check("kadis")  # nine failures: still allowed
    throttle.failed("KADIS")  # case does not reset the count
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("kadis")
    assert refused.value.status == 429
    assert "coba lagi" in refused.value.pesan
    throttle.check("kabid")  # other users are not affected


def test_throttle_forgets_failures_older_than_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(10):
        throttle.failed("staf")
    with pytest.raises(TooManyAttempts):
        throttle.check("staf")
    clock.now += 301
    throttle.check("staf")


def test_a_success_clears_the_count() -> None:
    throttle = LoginThrottle(clock=Clock())
    for _ in range(9):
        throttle.failed("subko")
    throttle.succeeded("subko")
    throttle.failed("subko")
    throttle.check("subko")
