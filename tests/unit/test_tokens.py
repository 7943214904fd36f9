"""Bearer tokens as every service reads them: anything but a valid token of ours is a 401
(``NotAuthenticated``), never another error; a token of a user disabled since it was issued is
refused too. Over real HTTP: ``tests/security/test_tokens.py``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.auth import MAX_TOKEN_CHARS, TokenClaims, issue_token, read_token
from shared.errors import NotAuthenticated
from shared.revocations import Revocations, disabled_at_of, entry_value
from tests.builders import person

SECRET = b"unit-test-secret-unit-test-secret"
KABID = person("kabid")


def signed(payload: bytes, secret: bytes = SECRET) -> str:
    """A token whose claims are ``payload`` (any bytes), correctly signed: only what is inside
    can be wrong."""
    part = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    mac = hmac.new(secret, part.encode(), hashlib.sha256).digest()
    return f"{part}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def refused(token: str) -> NotAuthenticated:
    with pytest.raises(NotAuthenticated) as caught:
        read_token(SECRET, token)
    assert caught.value.status == 401
    return caught.value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
claims_of_wrong_shape = st.dictionaries(
    st.sampled_from(["username", "name", "role", "on_behalf_of", "opd_code", "exp", "iat", "x"]),
    json_values,
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_any_text_as_a_token_is_refused_as_not_authenticated(text: str) -> None:
    refused(text)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=400)
    | json_values.map(lambda v: json.dumps(v).encode())
    | claims_of_wrong_shape.map(lambda c: json.dumps(c).encode())
)
def test_signed_claims_of_any_shape_are_refused_as_not_authenticated(payload: bytes) -> None:
    """Wrong base64 inside, non-UTF-8, JSON that is not an object, missing or wrongly typed
    claims: signed with the right secret, and still a 401 with a message, never a crash."""
    try:
        claims = read_token(SECRET, signed(payload))
    except NotAuthenticated as exc:
        refusal: NotAuthenticated | None = exc
    else:  # the generator happened to write valid claims: then they must really be valid
        refusal = None
        assert claims.expires_at >= time.time()
    if refusal is not None:
        assert refusal.message
        assert refusal.pesan


def test_each_kind_of_malformed_token_names_what_is_wrong() -> None:
    good = json.loads(base64.urlsafe_b64decode(issue_token(SECRET, KABID, 60).split(".")[0] + "=="))
    assert "longer than" in refused("a" * (MAX_TOKEN_CHARS + 1)).message
    assert "<claims>.<signature>" in refused("no-dot-at-all").message
    assert "<claims>.<signature>" in refused("é.é").message
    assert "signature" in refused(issue_token(b"another-secret", KABID, 60)).message
    assert "not JSON" in refused(signed(b"\xff\xfe{")).message
    assert "not JSON" in refused(signed(b"[" * 3000)).message
    assert "not an object" in refused(signed(b"[1, 2]")).message
    assert "expiry" in refused(signed(json.dumps({**good, "exp": "soon"}).encode())).message
    assert "expiry" in refused(signed(json.dumps({**good, "exp": 1e300}).encode())).message
    assert "time of issue" in refused(signed(json.dumps({**good, "iat": "x"}).encode())).message
    assert "name a user" in refused(signed(json.dumps({**good, "role": 7}).encode())).message
    expired = refused(issue_token(SECRET, KABID, -1))
    assert "expired" in expired.message


def test_a_token_of_ours_carries_who_and_when() -> None:
    now = time.time()
    claims = read_token(SECRET, issue_token(SECRET, KABID, 3600, now=now))
    assert claims.actor == KABID
    assert claims.issued_at == round(now, 3)
    assert claims.expires_at == int(now) + 3600


def test_a_revoked_users_tokens_from_before_are_refused_and_new_ones_pass() -> None:
    revocations = Revocations(token_ttl_seconds=3600)
    disabled = datetime.now(UTC)
    before = read_token(SECRET, issue_token(SECRET, KABID, 3600, now=disabled.timestamp() - 1))
    after = read_token(SECRET, issue_token(SECRET, KABID, 3600, now=disabled.timestamp() + 0.01))
    other = read_token(SECRET, issue_token(SECRET, person("kadis"), 3600))
    revocations.check(before)  # nothing revoked yet
    revocations.note("kabid", disabled)
    with pytest.raises(NotAuthenticated) as refusal:
        revocations.check(before)
    assert refusal.value.code == "token_revoked"
    assert "dicabut" in refusal.value.pesan
    revocations.check(after)
    revocations.check(other)
    revocations.note("kabid", None)  # the entry deleted
    revocations.check(before)


def test_a_token_without_iat_counts_as_issued_one_lifetime_before_it_expires() -> None:
    revocations = Revocations(token_ttl_seconds=12 * 3600)
    disabled = datetime.now(UTC)
    revocations.note("kabid", disabled)
    exp = int(disabled.timestamp()) + 11 * 3600  # issued (at most) 12 h before: 1 h ago
    legacy = read_token(SECRET, signed(json.dumps({**KABID.model_dump(), "exp": exp}).encode()))
    assert legacy.issued_at is None
    with pytest.raises(NotAuthenticated):
        revocations.check(legacy)
    later = TokenClaims(KABID, None, int((disabled + timedelta(hours=12, seconds=5)).timestamp()))
    revocations.check(later)


def test_an_entry_is_read_as_written_and_an_unreadable_one_refuses_every_token() -> None:
    at = datetime(2026, 12, 1, 2, 3, 4, 567000, tzinfo=UTC)
    assert disabled_at_of(entry_value(at)) == at
    assert json.loads(entry_value(at)) == {"disabled_at": "2026-12-01T02:03:04.567000+00:00"}
    revocations = Revocations(token_ttl_seconds=3600)
    revocations.note("kabid", disabled_at_of(b"not json"))
    fresh = read_token(SECRET, issue_token(SECRET, KABID, 3600))
    with pytest.raises(NotAuthenticated):
        revocations.check(fresh)
    for value in (b"[]", b'{"disabled_at": 5}', b'{"other": 1}', None):
        revocations.note("kabid", disabled_at_of(value))
        with pytest.raises(NotAuthenticated):
            revocations.check(fresh)
