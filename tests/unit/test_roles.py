"""The roles, written once: every role a token or event may carry has its office name, and an
acting official (Plt/Plh) acts in the role they hold, whether read from a token or a record."""

from __future__ import annotations

from typing import get_args

from shared.events import Actor
from shared.roles import ROLE_NAMES, Role, effective_role


def test_every_role_has_its_name_as_the_office_says_it() -> None:
    assert set(ROLE_NAMES) == set(get_args(Role))


def test_an_acting_official_acts_in_the_role_they_hold() -> None:
    plt = Actor(username="kabid", name="Kabid", role="kabid", on_behalf_of="kadis")
    kabid = Actor(username="kabid", name="Kabid", role="kabid")

    assert effective_role(plt) == "kadis"
    assert effective_role(kabid) == "kabid"
