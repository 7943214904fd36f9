"""Signatures of integration events: what they cover, and each way a forgery is told apart."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from shared import subjects
from shared.envelope import to_body, to_headers
from shared.signing import (
    KEY_ID,
    SIGNATURE,
    SIGNED_HEADERS,
    Keyring,
    SignatureRefused,
    SigningError,
    generate_key,
    load_key,
    own_key_published,
    read_keyring_file,
    signed_bytes,
    verify_event,
    write_keyring_file,
)
from tests.builders import letter_sent
from tests.support import published_keyring, signed, signing_key, stranger_key


def message(key: object = None) -> tuple[str, dict[str, str], bytes]:
    event = letter_sent(uuid4(), uuid4())
    subject, body = subjects.event_subject(event), to_body(event)
    headers = to_headers(event, event_id="e-1", time=datetime(2026, 12, 1, tzinfo=UTC))
    return subject, signed(subject, headers, body, key), body  # type: ignore[arg-type]


def refusal(subject: str, headers: dict[str, str], body: bytes) -> str:
    with pytest.raises(SignatureRefused) as refused:
        verify_event(Keyring(published_keyring()), subject, headers, body)
    return str(refused.value)


def test_an_event_signed_by_its_producer_is_accepted() -> None:
    subject, headers, body = message()
    assert verify_event(Keyring(published_keyring()), subject, headers, body) == "letters"
    assert headers[KEY_ID] == signing_key("letters").key_id
    assert headers[KEY_ID].startswith("letters-")
    assert len(headers[KEY_ID]) == len("letters-") + 16


def test_the_signature_covers_the_subject_every_signed_header_and_the_body() -> None:
    subject, headers, body = message()
    assert refusal(subject[:-1] + "0", headers, body).startswith("bad signature")
    assert refusal(subject, headers, body.replace(b'"number"', b'"number" ')).startswith(
        "bad signature"
    )
    for name in SIGNED_HEADERS:
        changed = {**headers, name: headers.get(name, "") + "x"}
        assert refusal(subject, changed, body).startswith("bad signature"), name


def test_the_signed_bytes_are_the_subject_the_headers_in_order_then_the_body() -> None:
    headers = {"ce-id": "1", "traceparent": "t", "ce-type": "sivicon.X.v1", "other": "no"}
    expected = (
        b"s.u.b\nce-specversion:\nce-id:1\nce-source:\nce-type:sivicon.X.v1\nce-time:\n"
        b"ce-subject:\nce-datacontenttype:\nNats-Msg-Id:\nsivicon-correlation-id:\n"
        b"sivicon-causation-id:\ntraceparent:t\n"
    ) + b"{}"
    assert signed_bytes("s.u.b", headers, b"{}") == expected


def test_each_forgery_is_refused_with_its_reason() -> None:
    subject, headers, body = message("unsigned")
    assert refusal(subject, headers, body).startswith("unsigned")

    stranger = stranger_key("letters")
    subject, headers, body = message(stranger)
    assert refusal(subject, headers, body).startswith(f"unknown key '{stranger.key_id}'")

    subject, headers, body = message(stranger)
    headers[KEY_ID] = signing_key("letters").key_id  # a forger's key under the real key's ID
    assert refusal(subject, headers, body).startswith("bad signature")

    subject, headers, body = message(signing_key("disposition"))  # another service's own key
    assert refusal(subject, headers, body) == (
        "wrong producer: signed by disposition, but ce-source names letters"
    )

    subject, headers, body = message()
    headers[SIGNATURE] = "%%%not base64%%%"
    assert refusal(subject, headers, body).startswith("bad signature")


def test_the_producer_must_be_named_by_source_subject_and_type_alike() -> None:
    event = letter_sent(uuid4(), uuid4())
    body = to_body(event)
    headers = to_headers(event, event_id="e-2", time=datetime(2026, 12, 1, tzinfo=UTC))
    # disposition signing a LetterSent on its own subject, naming itself as the source
    subject = f"sivicon.disposition.LetterSent.{event.request_id}"
    forged = {**headers, "ce-source": "/sivicon/disposition"}
    assert refusal(subject, signed(subject, forged, body, signing_key("disposition")), body) == (
        "wrong producer: signed by disposition, but the event type names letters"
    )
    # letters signing its own event, published under disposition's subject
    subject = f"sivicon.disposition.LetterSent.{event.request_id}"
    assert refusal(subject, signed(subject, headers, body, signing_key("letters")), body) == (
        "wrong producer: signed by letters, but the subject names disposition"
    )


def test_an_unknown_key_is_looked_up_once_more_in_the_published_keyring() -> None:
    subject, headers, body = message()
    reads: list[int] = []

    def reload(kid: str) -> dict[str, object]:
        reads.append(1)
        return published_keyring()  # type: ignore[return-value]

    keyring = Keyring({}, reload=reload)  # type: ignore[arg-type]
    assert verify_event(keyring, subject, headers, body) == "letters"
    assert verify_event(keyring, subject, headers, body) == "letters"
    assert len(reads) == 1
    stranger_subject, stranger_headers, stranger_body = message(stranger_key("letters"))
    for _ in range(2):
        with pytest.raises(SignatureRefused, match=r"^unknown key"):
            verify_event(keyring, stranger_subject, stranger_headers, stranger_body)
    assert len(reads) == 2  # once per unknown key, not once per message


def test_a_key_is_kept_for_its_owner_only_and_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "letters.ed25519"
    key = generate_key(path, "letters")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_key(path, "letters").key_id == key.key_id
    with pytest.raises(FileExistsError):
        generate_key(path, "letters")


def test_a_missing_or_damaged_key_names_the_file_and_what_to_run(tmp_path: Path) -> None:
    missing = tmp_path / "keys" / "intake.ed25519"
    with pytest.raises(SigningError, match=f"{missing}.*sivicon keys init"):
        load_key(missing, "intake")
    damaged = tmp_path / "damaged.ed25519"
    damaged.write_text("not a key")
    with pytest.raises(SigningError, match=f"{damaged} is not an Ed25519 private key"):
        load_key(damaged, "intake")


def test_a_keyring_without_the_service_s_own_key_is_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    write_keyring_file(path, published_keyring())
    entries = read_keyring_file(path)
    assert entries == published_keyring()
    own_key_published(signing_key("intake"), entries, str(path))
    with pytest.raises(SigningError, match="sivicon keys publish"):
        own_key_published(stranger_key("intake"), entries, str(path))


def test_a_keyring_entry_whose_id_does_not_match_its_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    entry = signing_key("letters").entry().to_json()
    path.write_text(json.dumps({signing_key("intake").key_id: entry}))
    with pytest.raises(SigningError, match="does not match its key"):
        read_keyring_file(path)
