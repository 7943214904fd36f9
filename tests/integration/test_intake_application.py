"""The intake application on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.intake.application import (
    IntakeApplication,
    SubmissionInvalid,
    client_ref_answered,
    names_client_ref,
)
from services.intake.integration import to_integration
from shared.documents import DocumentStore
from shared.errors import ClosedCase, OutOfOrder
from shared.events import RequestRejected, RequestSubmitted, RequestWithdrawn
from tests.builders import person, submission

CLOSED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def app(store_env: dict[str, str], tmp_path: Path) -> IntakeApplication:
    application = IntakeApplication(env=store_env, documents=DocumentStore(tmp_path / "docs"))
    application.seed_demo_agencies()
    return application


def submit(app: IntakeApplication, body: dict[str, object]) -> tuple[dict[str, object], bool]:
    return app.submit_json(
        opd_code="DINKES",
        body=json.dumps(body).encode(),
        channel="nats",
        submitted_by=person("opd"),
    )


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
    body = json.dumps(submission("SIMPEG-2026-000123")).encode()

    def send(message_id: str, channel: str = "nats") -> tuple[dict[str, object], bool]:
        return app.submit_json(
            opd_code="DINKES",
            body=body,
            channel=channel,
            submitted_by=person("opd"),
            client_ref_hint=message_id,
        )

    first, created = send("SIMPEG-2026-000123")
    again, repeated = send("SIMPEG-2026-000123/2")  # a new message ID naming the same client_ref
    assert created
    assert not repeated
    assert again == first
    answers = [e for e in published(app) if isinstance(e, RequestSubmitted)]
    assert len(answers) == 2
    assert answers[1] == answers[0]  # the same request, agenda number, content and time
    assert answers[0].agenda_number.endswith("/0001")
    # Over HTTP the reply itself is the answer: nothing is published again.
    over_http, _ = send("SIMPEG-2026-000123", channel="http")
    assert over_http == first
    assert len([e for e in published(app) if isinstance(e, RequestSubmitted)]) == 2
    assert len(app.list_requests()) == 1
    # Any other message ID is still refused.
    for other in ("SIMPEG-2026-000124", "SIMPEG-2026-000123-2", "SIMPEG-2026-000123/"):
        with pytest.raises(SubmissionInvalid) as refused:
            send(other)
        assert refused.value.errors[0].field == "client_ref"


def test_the_one_answer_is_given_whatever_happened_since(app: IntakeApplication) -> None:
    body = submission("SIMPEG-LATE")
    meeting = dict(body["meeting"])  # type: ignore[call-overload]
    requester = dict(body["requester"])  # type: ignore[call-overload]
    letter = {k: v for k, v in body["letter"].items() if k != "pdf_base64"}  # type: ignore[attr-defined]

    def send(now: datetime) -> tuple[dict[str, object], bool]:
        return app.submit(
            opd_code="DINKES",
            channel="nats",
            client_ref="SIMPEG-LATE",
            requester=requester,
            letter=letter,
            meeting=meeting,
            pdf=None,
            submitted_by=person("opd"),
            now=now,
            message_id="SIMPEG-LATE/after-the-meeting",
        )

    first, _ = send(datetime.now(UTC))
    app.withdraw(UUID(str(first["request_id"])), "acara dibatalkan", person("opd"))
    # Long after the meeting's time, and withdrawn meanwhile: still the one answer.
    later, created = send(datetime.now(UTC) + timedelta(days=30))
    assert not created
    assert later["request_id"] == first["request_id"]
    answers = [e for e in published(app) if isinstance(e, RequestSubmitted)]
    assert len(answers) == 2
    assert answers[1] == answers[0]


def test_a_rejected_submission_binds_nothing(app: IntakeApplication) -> None:
    bad = submission("SIMPEG-FIX", participants=0)
    with pytest.raises(SubmissionInvalid):
        app.submit_json(
            opd_code="DINKES",
            body=json.dumps(bad).encode(),
            channel="nats",
            submitted_by=person("opd"),
            client_ref_hint="SIMPEG-FIX",
        )
    fixed, created = app.submit_json(
        opd_code="DINKES",
        body=json.dumps(submission("SIMPEG-FIX")).encode(),
        channel="nats",
        submitted_by=person("opd"),
        client_ref_hint="SIMPEG-FIX/2",
    )
    assert created
    assert fixed["client_ref"] == "SIMPEG-FIX"


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
    rejection_id = app.reject(
        opd_code="DINKES", client_ref="SIMPEG-4", errors=late.value.errors, tracking=None
    )
    events = [
        e
        for n in app.recorder.select_notifications(1, 100)
        for e in to_integration(app.mapper.to_domain_event(n))
    ]
    rejected = [e for e in events if isinstance(e, RequestRejected)]
    assert rejected[0].request_id == rejection_id
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
    position = Tracking("SIVICON@test", 7)
    assert app.note_case_closed(
        request_id, outcome="meeting_provided", closed_at=CLOSED_AT, tracking=position
    )
    assert app.has_tracking(position)
    assert not app.note_case_closed(  # the same closing again notes nothing more
        request_id, outcome="meeting_provided", closed_at=CLOSED_AT, tracking=None
    )
    before = app.recorder.max_notification_id()
    with pytest.raises(ClosedCase) as refused:
        app.withdraw(request_id, "acara ditunda", person("opd"))
    assert (refused.value.status, refused.value.code) == (409, "case_closed")
    assert "closed" in refused.value.message
    assert "tidak dapat dibatalkan" in refused.value.pesan
    assert app.recorder.max_notification_id() == before
    assert not any(isinstance(e, RequestWithdrawn) for e in published(app))
    shown = app.get_request(request_id)
    assert (shown["status"], shown["case_outcome"]) == ("closed", "meeting_provided")
    assert shown["withdrawn"] is None


def test_a_withdrawal_the_case_refused_shows_the_case_s_outcome(app: IntakeApplication) -> None:
    """Asked before intake heard of the closing: published, then refused by the case."""
    view, _ = submit(app, submission("SIMPEG-RACE"))
    request_id = UUID(str(view["request_id"]))
    assert app.withdraw(request_id, "acara ditunda", person("opd"))["status"] == "withdrawn"
    assert [type(e) for e in published(app)][-1] is RequestWithdrawn
    app.note_case_closed(request_id, outcome="meeting_provided", closed_at=CLOSED_AT, tracking=None)
    shown = app.get_request(request_id)
    assert (shown["status"], shown["withdrawal_refused"]) == ("closed", True)
    # A withdrawal the case accepted reads as withdrawn.
    other, _ = submit(app, submission("SIMPEG-OK"))
    other_id = UUID(str(other["request_id"]))
    app.withdraw(other_id, "acara ditunda", person("opd"))
    app.note_case_closed(other_id, outcome="withdrawn", closed_at=CLOSED_AT, tracking=None)
    accepted = app.get_request(other_id)
    assert (accepted["status"], accepted["withdrawal_refused"]) == ("withdrawn", False)
    with pytest.raises(OutOfOrder, match="already withdrawn"):
        app.withdraw(other_id, "lagi", person("opd"))


def test_the_closing_of_a_case_intake_never_registered_only_moves_the_position(
    app: IntakeApplication,
) -> None:
    position = Tracking("SIVICON@test", 9)
    assert not app.note_case_closed(
        uuid4(), outcome="withdrawn", closed_at=CLOSED_AT, tracking=position
    )
    assert app.has_tracking(position)
