"""Subject names and the one stream, ``SIVICON``, that holds them all."""

from __future__ import annotations

from uuid import UUID

from shared.events import IntegrationEvent

STREAM = "SIVICON"
ROOT = "sivicon"
ALL = f"{ROOT}.>"
INBOUND_PREFIX = f"{ROOT}.inbound.requests"
DEADLETTER_PREFIX = f"{ROOT}.deadletter"
ANSWERS_PREFIX = f"{ROOT}.answers"
# Key-value buckets (JetStream streams KV_<bucket>), written only by the admin and the portal.
KEYRING_BUCKET = "sivicon-keyring"
REVOCATIONS_BUCKET = "sivicon-revocations"


def event_subject(event: IntegrationEvent) -> str:
    """``sivicon.<service>.<EventName>.<request_id>``."""
    return f"{ROOT}.{event.producer}.{event.event_name}.{event.subject_token()}"


def event_filter(producer: str, event_name: str = "*") -> str:
    return f"{ROOT}.{producer}.{event_name}.*"


def request_filter(request_id: str) -> str:
    """Every event of one request, whoever published it."""
    return f"{ROOT}.*.*.{request_id}"


def inbound_subject(opd_code: str) -> str:
    return f"{INBOUND_PREFIX}.{opd_code}"


def inbound_filter() -> str:
    return f"{INBOUND_PREFIX}.*"


def answer_subject(opd_code: str, request_id: UUID | str) -> str:
    """``sivicon.answers.<OPD_CODE>.<request_id>``: a copy of intake's answer to a machine
    client, which only that agency's NATS user may read (``sivicon.answers.<OPD_CODE>.>``)."""
    return f"{ANSWERS_PREFIX}.{opd_code}.{request_id}"


def deadletter_subject(service: str) -> str:
    return f"{DEADLETTER_PREFIX}.{service}"
