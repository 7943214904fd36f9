"""The intake application on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.intake.application import IntakeApplication
from services.intake.domain import request_id_for
from services.intake.integration import to_integration
from services.intake.submissions import (
    Filing,
    Refusal,
    SubmissionInvalid,
    client_ref_answered,
    names_client_ref,
    parse_submission,
)
from services.intake.values import Channel
from services.intake.views import request_view
from shared.documents import DocumentStore
from shared.errors import ClosedCase, OutOfOrder
from shared.events import CaseClosed, Outcome, RequestRejected, RequestSubmitted, RequestWithdrawn
from tests.builders import person, submission

CLOSED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def app(store_env: dict[str, str], tmp_path: Path) -> IntakeApplication:
    application = IntakeApplication(env=store_env, documents=DocumentStore(tmp_path / "docs"))
    application.seed_demo_agencies()
    return application


def filing(
    body: dict[str, object], message_id: str | None = None, channel: Channel = "nats"
) -> Filing:
    return parse_submission(
        json.dumps(body).encode(),
        opd_code="DINKES",
        channel=channel,
        submitted_by=person("opd"),
        message_id=message_id,
    )


def submit(app: IntakeApplication, body: dict[str, object]) -> tuple[dict[str, Any], bool]:
    request, created = app.submit(filing(body))
    return request_view(request).model_dump(mode="json"), created


def shown(app: IntakeApplication, request_id: UUID) -> dict[str, Any]:
    return request_view(app.get_request(request_id)).model_dump(mode="json")


def close_case(app: IntakeApplication, request_id: UUID, outcome: Outcome, position: int) -> None:
    closed = CaseClosed(
        request_id=request_id,
        outcome=outcome,
        steps=[],
        meeting_minutes_taken=None,
        sla_breaches=[],
        closed_at=CLOSED_AT,
    )
    app.process_event(closed, Tracking("SIVICON@test", position))


def test_a_submission_is_registered_with_the_next_agenda_number(app: IntakeApplication) -> None:
    first, created = submit(app, submission("SIMPEG-1"))
    second, _ = submit(app, submission("SIMPEG-2"))
    assert created
    assert first["agenda_number"].endswith("/0001")
    assert second["agenda_number"].endswith("/0002")
    sha = first["letter"]["document_sha256"]
    assert app.documents.get(sha).startswith(b"%PDF-")
    events = [
        e
        for n in app.recorder.select_notifications(1, 100)
        for e in to_integration(app.mapper.to_domain_event(n))
    ]
    submitted = [e for e in events if isinstance(e, RequestSubmitted)]
    assert [e.client_ref for e in submitted] == ["SIMPEG-1", "SIMPEG-2"]
    assert submitted[0].letter.document_sha256 == sha


def test_resending_a_client_reference_finds_the_first_request(app: IntakeApplication) -> None:
    body = submission("SIMPEG-9")
    first, _ = submit(app, body)
    again, created = submit(app, body)
    assert not created
    assert again["request_id"] == first["request_id"]
    with pytest.raises(OutOfOrder) as changed:
        submit(app, {**body, "meeting": {**body["meeting"], "participants": 10}})  # type: ignore[dict-item]
    assert changed.value.code == "client_ref_reused"
    assert len(app.list_requests()) == 1


def test_a_resend_over_nats_is_answered_again_with_the_one_answer(app: IntakeApplication) -> None:
    body = submission("SIMPEG-2026-000123")
    request_id = request_id_for("DINKES", "SIMPEG-2026-000123")
    positions = iter(range(1, 100))

    def received(message_id: str) -> dict[str, Any]:
        """As the inbound consumer hands it over: once, with the message's tracking."""
        app.process_event(filing(body, message_id), Tracking("SIVICON@test", next(positions)))
        return shown(app, request_id)

    def send(message_id: str, channel: Channel) -> tuple[dict[str, Any], bool]:
        request, created = app.submit(filing(body, message_id, channel))
        return request_view(request).model_dump(mode="json"), created

    first = received("SIMPEG-2026-000123")
    again = received("SIMPEG-2026-000123/2")  # a new message ID naming the same client_ref
    assert app.has_tracking(Tracking("SIVICON@test", 2))
    assert again == first
    answers = [e for e in published(app) if isinstance(e, RequestSubmitted)]
    assert len(answers) == 2
    assert answers[1] == answers[0]  # the same request, agenda number, content and time
    assert answers[0].agenda_number.endswith("/0001")
    # Over HTTP the reply itself is the answer: nothing is published again.
    over_http, created = send("SIMPEG-2026-000123", channel="http")
    assert not created
    assert over_http == first
    assert len([e for e in published(app) if isinstance(e, RequestSubmitted)]) == 2
    assert len(app.list_requests()) == 1
    # Any other message ID is still refused.
    for other in ("SIMPEG-2026-000124", "SIMPEG-2026-000123-2", "SIMPEG-2026-000123/"):
        with pytest.raises(SubmissionInvalid) as refused:
            send(other, channel="nats")
        assert refused.value.errors[0].field == "client_ref"


def test_the_one_answer_is_given_whatever_happened_since(app: IntakeApplication) -> None:
    body = submission("SIMPEG-LATE")
    without_pdf = replace(filing(body, "SIMPEG-LATE/after-the-meeting"), pdf=None)

    first, _ = app.submit(without_pdf, now=datetime.now(UTC))
    app.withdraw(first.id, "acara dibatalkan", person("opd"))
    # Long after the meeting's time, and withdrawn meanwhile: still the one answer.
    later, created = app.submit(without_pdf, now=datetime.now(UTC) + timedelta(days=30))
    assert not created
    assert later.id == first.id
    answers = [e for e in published(app) if isinstance(e, RequestSubmitted)]
    assert len(answers) == 2
    assert answers[1] == answers[0]


def test_a_rejected_submission_binds_nothing(app: IntakeApplication) -> None:
    past = submission(
        "SIMPEG-FIX", start="2020-01-01T09:00:00+08:00", end="2020-01-01T11:00:00+08:00"
    )
    with pytest.raises(SubmissionInvalid):
        app.process_event(filing(past, "SIMPEG-FIX"), Tracking("SIVICON@test", 1))
    assert not app.has_tracking(Tracking("SIVICON@test", 1))
    fixed, created = app.submit(filing(submission("SIMPEG-FIX"), "SIMPEG-FIX/2"))
    assert created
    assert fixed.client_ref == "SIMPEG-FIX"


def test_message_ids_naming_a_client_ref() -> None:
    assert names_client_ref("800/412/DINKES", "800/412/DINKES")
    assert names_client_ref("800/412/DINKES/2", "800/412/DINKES")
    assert not names_client_ref("800/412/DINKES/", "800/412/DINKES")
    assert not names_client_ref("800/412", "800/412/DINKES")
    assert not names_client_ref("SIMPEG-10", "SIMPEG-1")
    # A refusal answers with the client_ref of the body when the message ID names it.
    body = json.dumps({"client_ref": "SIMPEG-1", "extra": 1}).encode()
    assert client_ref_answered(body, "SIMPEG-1/retry") == "SIMPEG-1"
    assert client_ref_answered(body, "OTHER") == "OTHER"
    assert client_ref_answered(b"\x00not json", "SIMPEG-1/retry") == "SIMPEG-1/retry"
    assert client_ref_answered(b"[1]", None) is None


def test_invalid_submissions_say_which_fields_are_wrong(app: IntakeApplication) -> None:
    body = submission("SIMPEG-3", participants=5000)
    body["extra"] = True
    with pytest.raises(SubmissionInvalid) as invalid:
        submit(app, body)
    fields = {e.field for e in invalid.value.errors}
    assert {"meeting.participants", "extra"} <= fields
    past = submission(
        "SIMPEG-4", start="2020-01-01T09:00:00+08:00", end="2020-01-01T11:00:00+08:00"
    )
    with pytest.raises(SubmissionInvalid) as late:
        submit(app, past)
    assert [e.field for e in late.value.errors] == ["meeting.start"]
    position = Tracking("SIVICON@test", 3)
    app.process_event(Refusal("DINKES", "SIMPEG-4", tuple(late.value.errors)), position)
    assert app.has_tracking(position)
    rejected = [e for e in published(app) if isinstance(e, RequestRejected)]
    assert [(e.client_ref, e.opd_code) for e in rejected] == [("SIMPEG-4", "DINKES")]
    assert rejected[0].errors[0].field == "meeting.start"


def test_concurrent_submissions_get_distinct_gap_free_numbers(app: IntakeApplication) -> None:
    with ThreadPoolExecutor(4) as pool:
        views = list(pool.map(lambda i: submit(app, submission(f"C-{i}"))[0], range(12)))
    seqs = sorted(int(str(v["agenda_number"]).rsplit("/", 1)[1]) for v in views)
    assert seqs == list(range(1, 13))


def published(app: IntakeApplication) -> list[object]:
    return [
        e
        for n in app.recorder.select_notifications(1, 1000)
        for e in to_integration(app.mapper.to_domain_event(n))
    ]


def test_a_request_whose_case_was_closed_can_no_longer_be_withdrawn(
    app: IntakeApplication,
) -> None:
    view, _ = submit(app, submission("SIMPEG-CLOSED"))
    request_id = UUID(str(view["request_id"]))
    close_case(app, request_id, "meeting_provided", 7)
    assert app.has_tracking(Tracking("SIVICON@test", 7))
    before = app.recorder.max_notification_id()
    close_case(app, request_id, "meeting_provided", 8)  # the same closing again notes nothing
    assert app.has_tracking(Tracking("SIVICON@test", 8))
    assert app.recorder.max_notification_id() == before
    with pytest.raises(ClosedCase) as refused:
        app.withdraw(request_id, "acara ditunda", person("opd"))
    assert (refused.value.status, refused.value.code) == (409, "case_closed")
    assert "closed" in refused.value.message
    assert "tidak dapat dibatalkan" in refused.value.pesan
    assert app.recorder.max_notification_id() == before
    assert not any(isinstance(e, RequestWithdrawn) for e in published(app))
    closed = shown(app, request_id)
    assert (closed["status"], closed["case_outcome"]) == ("closed", "meeting_provided")
    assert closed["withdrawn"] is None


def test_a_withdrawal_the_case_refused_shows_the_case_s_outcome(app: IntakeApplication) -> None:
    """Asked before intake heard of the closing: published, then refused by the case."""
    view, _ = submit(app, submission("SIMPEG-RACE"))
    request_id = UUID(str(view["request_id"]))
    assert app.withdraw(request_id, "acara ditunda", person("opd")).status == "withdrawn"
    assert [type(e) for e in published(app)][-1] is RequestWithdrawn
    close_case(app, request_id, "meeting_provided", 1)
    refused = shown(app, request_id)
    assert (refused["status"], refused["withdrawal_refused"]) == ("closed", True)
    # A withdrawal the case accepted reads as withdrawn.
    other, _ = submit(app, submission("SIMPEG-OK"))
    other_id = UUID(str(other["request_id"]))
    app.withdraw(other_id, "acara ditunda", person("opd"))
    close_case(app, other_id, "withdrawn", 2)
    accepted = shown(app, other_id)
    assert (accepted["status"], accepted["withdrawal_refused"]) == ("withdrawn", False)
    with pytest.raises(OutOfOrder, match="already withdrawn"):
        app.withdraw(other_id, "lagi", person("opd"))


def test_the_closing_of_a_case_intake_never_registered_only_moves_the_position(
    app: IntakeApplication,
) -> None:
    before = app.recorder.max_notification_id()
    close_case(app, uuid4(), "withdrawn", 9)
    assert app.has_tracking(Tracking("SIVICON@test", 9))
    assert app.recorder.max_notification_id() == before
