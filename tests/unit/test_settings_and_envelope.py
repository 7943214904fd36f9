from __future__ import annotations

import subprocess
import sys
from uuid import uuid4

import pytest

from shared.envelope import EnvelopeError, from_message, to_body, to_headers
from shared.settings import SettingsError, load_settings
from tests.builders import disposed


def test_production_refuses_the_embedded_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIVICON_MODE", "production")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "SIVICON_AUTH_SECRET" in str(refused.value)
    monkeypatch.setenv("SIVICON_AUTH_SECRET", "s" * 40)
    with pytest.raises(SettingsError) as sqlite:
        load_settings()
    assert "SIVICON_DATABASE=postgres" in str(sqlite.value)
    monkeypatch.setenv("SIVICON_DATABASE", "postgres")
    monkeypatch.setenv("SIVICON_DEMO_DATA", "false")
    monkeypatch.setenv("SIVICON_NATS_URL", "tls://nats.example:4222")
    monkeypatch.setenv("SIVICON_NATS_CREDENTIALS", "/etc/sivicon/intake.nk")
    monkeypatch.setenv("SIVICON_NATS_TLS_CA", "/etc/sivicon/ca.pem")
    assert load_settings().mode == "production"


def test_bad_configuration_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIVICON_NATS_URL", "http://localhost:4222")
    monkeypatch.setenv("SIVICON_SLOT_BUFFER_MINUTES", "lots")
    with pytest.raises(SettingsError) as bad:
        load_settings()
    message = str(bad.value)
    assert "SIVICON_NATS_URL" in message
    assert "is not a NATS URL" in message
    assert "SIVICON_SLOT_BUFFER_MINUTES" in message


def test_sivicon_run_says_what_is_wrong_with_the_configuration() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "run", "intake"],
        env={"SIVICON_MODE": "production", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SIVICON_AUTH_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_event_survives_the_trip_through_headers_and_body() -> None:
    event = disposed(uuid4(), 2, "kabid")
    headers = to_headers(event, event_id=str(uuid4()), time=event.disposed_at, causation_id="c-1")
    envelope = from_message(headers, to_body(event))
    assert envelope.event == event
    assert envelope.causation_id == "c-1"
    assert envelope.correlation_id == str(event.request_id)
    assert headers["ce-type"] == "sivicon.Disposed.v1"
    assert headers["Nats-Msg-Id"] == headers["ce-id"]


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        ({}, b"{}", "missing header ce-type"),
        ({"ce-type": "sivicon.Nope.v1"}, b"{}", "unknown event type"),
        ({"ce-type": "sivicon.Disposed.v1"}, b"not json", "does not match its schema"),
        ({"ce-type": "sivicon.Disposed.v9"}, b"{}", "unknown event type"),
    ],
)
def test_what_is_not_an_event_is_refused_with_a_reason(
    headers: dict[str, str], body: bytes, reason: str
) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        from_message(headers, body)


def test_a_published_event_refuses_unknown_fields() -> None:
    event = disposed(uuid4(), 2, "kabid")
    tampered = to_body(event).replace(b'"sop_step":2', b'"sop_step":2,"extra":1')
    headers = to_headers(event, event_id=str(uuid4()), time=event.disposed_at)
    with pytest.raises(EnvelopeError):
        from_message(headers, tampered)
