"""The intake application on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.intake.application import (
    IntakeApplication,
    SubmissionInvalid,
)
from services.intake.integration import to_integration
from shared.documents import DocumentStore
from shared.errors import OutOfOrder
from shared.events import RequestRejected, RequestSubmitted
from tests.pdfs import make_pdf
from tests.support import actor


def submission(client_ref: str, **meeting: object) -> dict[str, object]:
    start = datetime.now(UTC) + timedelta(days=3)
    return {
        "client_ref": client_ref,
        "requester": {
            "name": "dr. Sri Wahyuni",
            "position": "Kepala Dinas Kesehatan",
            "phone": "+62 811 555 0101",
            "email": "dinkes@tarakankota.go.id",
        },
        "letter": {
            "number": "800/412/DINKES",
            "date": "2026-11-27",
            "subject": "Permohonan Fasilitas Zoom Meeting",
            "pdf_base64": base64.b64encode(make_pdf()).decode(),
        },
        "meeting": {
            "topic": "Rapat Koordinasi Posyandu",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
            "participants": 150,
            "notes": "",
            **meeting,
        },
    }


@pytest.fixture
def app(store_env: dict[str, str], tmp_path: Path) -> IntakeApplication:
    application = IntakeApplication(env=store_env, documents=DocumentStore(tmp_path / "docs"))
    application.seed_demo_agencies()
    return application


def submit(app: IntakeApplication, body: dict[str, object]) -> tuple[dict[str, object], bool]:
    return app.submit_json(
        opd_code="DINKES", body=json.dumps(body).encode(), channel="nats", submitted_by=actor("opd")
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
