from __future__ import annotations

from shared.asyncapi import asyncapi_document
from shared.events import ALL_EVENTS


def test_the_asyncapi_document_lists_every_event_and_the_inbound_format() -> None:
    document = asyncapi_document()
    assert document["asyncapi"].startswith("3.")
    channels = document["channels"]
    for event in ALL_EVENTS:
        assert event.ce_type() in channels
        address = channels[event.ce_type()]["address"]
        assert address == f"sivicon.{event.producer}.{event.event_name}.{{request_id}}"
    schemas = document["components"]["schemas"]
    assert "Submission" in schemas
    assert set(schemas["Submission"]["required"]) == {
        "client_ref",
        "requester",
        "letter",
        "meeting",
    }
    assert "RequestSubmitted" in schemas
