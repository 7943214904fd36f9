"""The portal's user rules without a server: demo accounts, seeding, the sign-in guard."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from services.portal.admin_rules import (
    check_appointment,
    check_new_password,
    check_profile,
    check_username,
    format_nip,
    period_text,
)
from services.portal.throttle import SignInGuard, TooManyAttempts
from services.portal.users import DEMO_PASSWORD, demo_users, public_view, seed_demo_users
from shared import auth as auth_module
from shared.auth import UserDirectory, hash_password
from shared.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound


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


# --------------------------------------------------------------------------- administration


def _directory(tmp_path: Path, today: date | None = None) -> UserDirectory:
    directory = UserDirectory(tmp_path / "users.json", today=(lambda: today) if today else None)
    seed_demo_users(directory)
    return directory


def test_a_plt_acts_only_from_the_first_to_the_last_day_of_the_appointment(
    tmp_path: Path,
) -> None:
    directory = _directory(tmp_path)
    directory.update(
        "kabid",
        acting_for="kadis",
        acting_kind="Plh",
        acting_from=date(2026, 12, 1),
        acting_until=date(2026, 12, 4),
    )
    for day in (date(2026, 11, 30), date(2026, 12, 5)):
        with pytest.raises(Forbidden) as refused:
            directory.authenticate("kabid", DEMO_PASSWORD, acting=True, today=day)
        assert refused.value.code == "acting_not_in_force"
        assert "penunjukan Plt/Plh Anda tidak berlaku hari ini" in refused.value.pesan
        assert "1 Desember 2026 s.d. 4 Desember 2026" in refused.value.pesan
        # Outside the period they still sign in as themselves.
        assert directory.authenticate("kabid", DEMO_PASSWORD, today=day).on_behalf_of is None
    for day in (date(2026, 12, 1), date(2026, 12, 4)):
        actor = directory.authenticate("kabid", DEMO_PASSWORD, acting=True, today=day)
        assert actor.on_behalf_of == "kadis"


def test_today_is_the_office_date_unless_given(tmp_path: Path) -> None:
    directory = _directory(tmp_path, today=date(2027, 1, 10))
    directory.update("kabid", acting_for="kadis", acting_from=date(2027, 1, 11))
    with pytest.raises(Forbidden):
        directory.authenticate("kabid", DEMO_PASSWORD, acting=True)
    assert UserDirectory(tmp_path / "x.json", timezone="Asia/Makassar").today() is not None


def test_the_demo_plt_without_an_end_acts_on_any_day(tmp_path: Path) -> None:
    directory = _directory(tmp_path)
    for day in (date(2020, 1, 1), date(2040, 12, 31)):
        actor = directory.authenticate("plt.kadis", DEMO_PASSWORD, acting=True, today=day)
        assert actor.on_behalf_of == "kadis"


def test_a_deactivated_account_is_refused_after_the_same_password_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = _directory(tmp_path)
    directory.update("staf", active=False)
    checks: list[str] = []
    real_check = auth_module.check_password

    def counting(password: str, stored: str) -> bool:
        checks.append(password)
        return real_check(password, stored)

    monkeypatch.setattr(auth_module, "check_password", counting)
    with pytest.raises(NotAuthenticated) as deactivated:
        directory.authenticate("staf", DEMO_PASSWORD)
    assert deactivated.value.code == "account_deactivated"
    assert deactivated.value.pesan == "akun Anda dinonaktifkan; hubungi administrator SIVICON"
    with pytest.raises(NotAuthenticated) as wrong:
        directory.authenticate("staf", "salah")
    assert wrong.value.pesan == "nama pengguna atau kata sandi salah"  # tells a guesser nothing
    with pytest.raises(NotAuthenticated):
        directory.authenticate("tidak.ada", "salah")
    assert len(checks) == 3  # one scrypt each: unknown, wrong and deactivated take the same time
    directory.update("staf", active=True)
    assert directory.authenticate("staf", DEMO_PASSWORD).role == "staf"


def test_accounts_written_before_administration_load_as_active(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text(
        json.dumps(
            [
                {
                    "username": "lama",
                    "name": "Akun Lama",
                    "role": "staf",
                    "password_hash": hash_password("kata-sandi-lama"),
                    "opd_code": None,
                    "acting_for": None,
                }
            ]
        )
    )
    directory = UserDirectory(path)
    user = directory.get("lama")
    assert user.active
    assert user.acting_from is None
    directory.update("lama", acting_for="kabid", acting_from=date(2026, 12, 1))
    assert UserDirectory(path).get("lama").acting_from == date(2026, 12, 1)


def test_a_username_is_added_once(tmp_path: Path) -> None:
    directory = _directory(tmp_path)
    kadis = directory.get("kadis")
    with pytest.raises(InvalidInput) as taken:
        directory.add(replace(kadis, name="Orang Lain"))
    assert taken.value.pesan == "nama pengguna kadis sudah dipakai"
    with pytest.raises(NotFound):
        directory.update("tidak.ada", active=False)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("19720314 199803 2 004", "19720314 199803 2 004"),
        ("197203141998032004", "19720314 199803 2 004"),
        (" 1972 0314 1998 03 2004 ", "19720314 199803 2 004"),
        ("", ""),
    ],
)
def test_a_nip_may_be_written_with_spaces(written: str, stored: str) -> None:
    assert format_nip(written) == (stored, None)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("1972031419980320", "NIP harus 18 angka"),
        ("19720314 199803 2 00A", "NIP harus 18 angka"),
        ("19721314 199803 2 004", "tanggal lahir"),
        ("19720314 199813 2 004", "bulan pengangkatan"),
        ("19720314 196803 2 004", "bulan pengangkatan"),
        ("19720314 199803 3 004", "1 (laki-laki) atau 2 (perempuan)"),
    ],
)
def test_a_wrong_nip_is_explained_in_indonesian(written: str, message: str) -> None:
    kept, error = format_nip(written)
    assert kept == written
    assert error is not None
    assert message in error


def test_usernames_are_lowercase_letters_digits_and_dots() -> None:
    assert check_username("budi.santoso2", set()) is None
    for bad in ("Budi", "budi santoso", ".budi", "budi.", "budi..s", "bu", "budi_s"):
        assert check_username(bad, set()) is not None, bad
    assert check_username("kadis", {"kadis"}) == "nama pengguna ini sudah dipakai"
    assert check_username("baru", set()) is not None  # /admin/pengguna/baru is the form


def test_a_temporary_password_is_long_enough_and_typed_twice() -> None:
    assert check_new_password("sementara-2026", "sementara-2026", "budi") == {}
    assert "paling sedikit 10" in check_new_password("pendek", "pendek", "budi")["password"]
    assert check_new_password("budi.santoso", "budi.santoso", "budi.santoso")["password"]
    assert check_new_password(DEMO_PASSWORD, DEMO_PASSWORD, "budi")["password"]
    assert check_new_password("sementara-2026", "sementara-2027", "budi") == {
        "password_again": "kedua kata sandi tidak sama"
    }


def test_an_opd_account_needs_a_known_agency() -> None:
    values = {"name": "Budi", "role": "opd", "opd_code": "dinsos", "nip": ""}
    _, errors = check_profile(values, {"DINKES": "Dinas Kesehatan"})
    assert errors == {"opd_code": "OPD ini tidak terdaftar"}
    clean, errors = check_profile(values, {"DINSOS": "Dinas Sosial"})
    assert errors == {}
    assert clean["opd_code"] == "DINSOS"
    clean, _ = check_profile({**values, "role": "staf"}, None)
    assert clean["opd_code"] == ""  # only an OPD account keeps an agency


def test_an_appointment_has_a_role_a_kind_and_a_period() -> None:
    good = {
        "acting_for": "kadis",
        "acting_kind": "Plt",
        "acting_from": "2026-12-01",
        "acting_until": "",
    }
    assert check_appointment(good, "kabid") == (("kadis", "Plt", date(2026, 12, 1), None), {})
    _, errors = check_appointment({**good, "acting_until": "2026-11-30"}, "kabid")
    assert errors == {"acting_until": "tanggal akhir tidak boleh sebelum tanggal mulai"}
    _, errors = check_appointment({**good, "acting_from": ""}, "kabid")
    assert errors == {"acting_from": "tanggal mulai wajib diisi"}
    assert check_appointment(good, "kadis")[1] == {
        "acting_for": "jabatan yang diwakili harus berbeda dari peran pengguna sendiri"
    }
    assert "acting_for" in check_appointment(good, "opd")[1]
    assert "acting_kind" in check_appointment({**good, "acting_kind": "X"}, "kabid")[1]


def test_the_period_reads_as_the_office_writes_it() -> None:
    plt = next(u for u in demo_users() if u.username == "plt.kadis")
    assert period_text(plt) == "tanpa batas waktu"
    dated = replace(plt, acting_from=date(2026, 12, 1), acting_until=date(2026, 12, 31))
    assert period_text(dated) == "1 Desember 2026 s.d. 31 Desember 2026"
    assert period_text(replace(dated, acting_until=None)).startswith("mulai 1 Desember 2026")
