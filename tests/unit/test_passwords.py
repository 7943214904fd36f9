"""Passwords as people type them: long ones, with spaces and any characters, and checked
exactly as typed (no truncation, no case folding, no trimming)."""

from __future__ import annotations

from services.portal.admin_rules import check_new_password
from shared.auth import check_password, hash_password


def test_long_passwords_of_any_characters_are_accepted() -> None:
    for password in (
        "kalimat sandi yang cukup panjang untuk diingat oleh seorang kabid!",  # 66 characters
        "Ünïcødé ✓ 密码 kata sandi " * 7,  # about 190 characters, no rule on their kind
        "semuahurufkecil",  # no rule asks for capitals, digits or symbols
    ):
        assert check_new_password(password, password, "kabid") == {}, password


def test_a_password_is_checked_exactly_as_typed() -> None:
    password = "Kalimat Sandi Panjang " + "x" * 150
    stored = hash_password(password)
    assert check_password(password, stored)
    for near in (password.lower(), password[:-1], password + " ", " " + password, password[:72]):
        assert not check_password(near, stored)
