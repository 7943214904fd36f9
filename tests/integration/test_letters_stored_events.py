"""Stores written before the letters' state became typed still load: the stored events below
were recorded by the previous ``services/letters/domain.py`` (JSON-shaped facts, dict actors),
and replay into today's typed state, views and integration events. Stored events are never
rewritten, so these rows must keep loading."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pypdf
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import resolve_topic

from services.letters.domain import Letter, LetterRegister, RequestFile, register_id
from services.letters.integration import to_integration
from services.letters.office import Office, signature_for
from services.letters.pdf import render_letter
from services.letters.views import letter_status_view, letter_view
from services.letters.wording import default_body
from shared.events import Actor, LetterDrafted, LetterReceived, LetterSent

IDS = {
    "file": UUID("6f1c2f0e-0000-4000-8000-000000000001"),  # the request's ID
    "letter": UUID("6f1c2f0e-0000-4000-8000-000000000002"),
    "register": register_id("DKISP", 2026),
}

# (aggregate, version, event class, stored state) as the previous code wrote them.
# fmt: off
# ruff: noqa: E501 (each row is one stored event, as recorded)
ROWS = [
    ('file', 1, 'RequestFile.Opened',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"originator_topic":"services.letters.domain:RequestFile"}'),
    ('file', 2, 'RequestFile.RequestNoted',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"request":{"opd_code":"DINKES","opd_name":"Dinas Kesehatan","agenda_number":"VC/2026/0042","requester_name":"dr. Sri Wahyuni","requester_position":"Kepala Dinas Kesehatan","letter_number":"800/412/DINKES","letter_date":"2026-11-27","letter_subject":"Permohonan Fasilitas Zoom Meeting Rapat Koordinasi Posyandu","topic":"Rapat Koordinasi Posyandu","start":"2026-12-03T01:00:00Z","end":"2026-12-03T03:00:00Z","participants":150},"caused_by":"c1"}'),
    ('file', 3, 'RequestFile.SlotNoted',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"slot":{"available":true,"start":"2026-12-03T01:00:00Z","end":"2026-12-03T03:00:00Z","conflicts":[],"alternatives":[{"start":"2026-12-03T05:00:00Z","end":"2026-12-03T07:00:00Z"}],"checked_at":"2026-12-01T01:00:00Z"},"caused_by":"c2"}'),
    ('file', 4, 'RequestFile.MeetingNoted',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"meeting":{"meeting_id":"812 3456 7890","passcode":"posyandu","join_url":"https://zoom.us/j/81234567890","host_email":"zoom1@tarakankota.go.id","topic":"Rapat Koordinasi Posyandu","start":"2026-12-03T01:00:00Z","end":"2026-12-03T03:00:00Z"},"caused_by":"c3"}'),
    ('file', 5, 'RequestFile.LetterAttached',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"letter_id":"6f1c2f0e-0000-4000-8000-000000000002"}'),
    ('file', 6, 'RequestFile.DraftForwarded',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"letter_id":"6f1c2f0e-0000-4000-8000-000000000002","by":{"username":"subko","name":"Rina Marlina","role":"subkoordinator","on_behalf_of":null,"opd_code":null},"caused_by":"c4"}'),
    ('file', 7, 'RequestFile.ReadyForSignature',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"by":{"username":"kabid","name":"Budi Santoso","role":"kabid","on_behalf_of":null,"opd_code":null},"caused_by":"c5"}'),
    ('file', 8, 'RequestFile.LetterSentNoted',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"letter_id":"6f1c2f0e-0000-4000-8000-000000000002"}'),
    ('file', 9, 'RequestFile.CaseClosedNoted',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"outcome":"meeting_provided","closed_at":"2026-12-01T05:00:00Z","caused_by":"c6"}'),
    ('letter', 1, 'Letter.Drafted',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"originator_topic":"services.letters.domain:Letter","request_id":"6f1c2f0e-0000-4000-8000-000000000001","kind":"meeting_provided","hal":"Tanggapan atas Permohonan Fasilitas Zoom Meeting","content":{"kind":"meeting_provided","hal":"Tanggapan atas Permohonan Fasilitas Zoom Meeting","sifat":"Biasa","drafted_at":"2026-12-01T02:00:00+00:00","request":{"opd_code":"DINKES","opd_name":"Dinas Kesehatan","agenda_number":"VC/2026/0042","requester_name":"dr. Sri Wahyuni","requester_position":"Kepala Dinas Kesehatan","letter_number":"800/412/DINKES","letter_date":"2026-11-27","letter_subject":"Permohonan Fasilitas Zoom Meeting Rapat Koordinasi Posyandu","topic":"Rapat Koordinasi Posyandu","start":"2026-12-03T01:00:00Z","end":"2026-12-03T03:00:00Z","participants":150},"meeting":{"meeting_id":"812 3456 7890","passcode":"posyandu","join_url":"https://zoom.us/j/81234567890","host_email":"zoom1@tarakankota.go.id","topic":"Rapat Koordinasi Posyandu","start":"2026-12-03T01:00:00Z","end":"2026-12-03T03:00:00Z"}},"draft_sha256":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","drafted_by":{"username":"subko","name":"Rina Marlina","role":"subkoordinator","on_behalf_of":null,"opd_code":null},"drafted_at":"2026-12-01T02:00:00+00:00"}'),
    ('letter', 2, 'Letter.Sent',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"request_id":"6f1c2f0e-0000-4000-8000-000000000001","kind":"meeting_provided","number":"000.1.2/0001/DKISP","serial":1,"signer":{"username":"kadis","name":"Hendrik Arfandi","role":"kadis","on_behalf_of":null,"opd_code":null},"channels":["portal"],"pdf_sha256":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","verification_url":"http://portal.test/verifikasi/6f1c2f0e-0000-4000-8000-000000000002","sent_at":"2026-12-01T03:00:00+00:00"}'),
    ('letter', 3, 'Letter.Received',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"request_id":"6f1c2f0e-0000-4000-8000-000000000001","received_by":{"username":"opd.dinkes","name":"dr. Sri Wahyuni","role":"opd","on_behalf_of":null,"opd_code":"DINKES"},"received_at":"2026-12-01T04:00:00+00:00"}'),
    ('register', 1, 'LetterRegister.Opened',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"originator_topic":"services.letters.domain:LetterRegister","unit":"DKISP","year":2026}'),
    ('register', 2, 'LetterRegister.NumberAssigned',
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T06:00:00+00:00"},"letter_id":"6f1c2f0e-0000-4000-8000-000000000002","serial":1}'),
]
# fmt: on


def _store() -> Application[UUID]:
    app = Application[UUID]()
    events = [
        StoredEvent(
            originator_id=IDS[key],
            originator_version=version,
            topic=f"services.letters.domain:{topic}",
            state=state.encode(),
        )
        for key, version, topic, state in ROWS
    ]
    app.recorder.insert_events(events)
    return app


def test_a_request_file_written_before_replays_into_typed_facts() -> None:
    file: RequestFile = _store().repository.get(IDS["file"])
    assert file.request is not None
    assert file.request.letter_date == date(2026, 11, 27)
    assert file.request.start == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    assert file.slot is not None
    assert file.slot.available
    assert file.slot.alternatives[0].start == datetime(2026, 12, 3, 5, 0, tzinfo=UTC)
    assert file.meeting is not None
    assert file.meeting.meeting_id == "812 3456 7890"
    assert file.forwarded_letter_id == IDS["letter"]
    assert file.ready_for_signature
    assert file.letter_ids == [IDS["letter"]]
    assert file.sent_letter_id == IDS["letter"]
    assert file.case_closed is not None
    assert file.case_closed.outcome == "meeting_provided"
    status = letter_status_view(file, Office(), datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    assert status.meeting_id == "812 3456 7890"
    assert status.draftable_kind is None


def test_a_letter_written_before_replays_with_its_actors_and_publishes_the_same() -> None:
    app = _store()
    letter: Letter = app.repository.get(IDS["letter"])
    assert letter.status == "received"
    assert letter.drafted_by == Actor(username="subko", name="Rina Marlina", role="subkoordinator")
    assert letter.sent is not None
    assert letter.sent.signer.role == "kadis"
    assert letter.receipt is not None
    assert letter.receipt.received_by.opd_code == "DINKES"
    view = letter_view(letter, Office()).model_dump(mode="json")
    assert view["number"] == "000.1.2/0001/DKISP"
    assert view["meeting"]["passcode"] == "posyandu"
    assert view["sent_at"] == "2026-12-01T03:00:00Z"
    published = [
        type(event)
        for notification in app.recorder.select_notifications(1, 100)
        for event in to_integration(app.mapper.to_domain_event(notification))
    ]
    assert published == [LetterDrafted, LetterSent, LetterReceived]
    register: LetterRegister = app.repository.get(IDS["register"])
    assert register.last_serial == 1
    assert register.letters == [IDS["letter"]]


def test_the_old_topics_name_todays_classes() -> None:
    for aggregate in (RequestFile, Letter, LetterRegister):
        old = f"services.letters.domain:{aggregate.__qualname__}"
        assert resolve_topic(old) is aggregate
        assert resolve_topic(f"{old}.Event") is aggregate.Event
    sent = Letter.Sent  # type: ignore[attr-defined]
    assert resolve_topic("services.letters.domain:Letter.Sent") is sent


def test_a_draft_stored_before_the_body_was_kept_prints_the_generated_wording() -> None:
    """``Letter.Drafted`` version 1 (no ``body``) is upcast to version 2 with ``body`` None:
    the letter shows and prints the wording SIVICON generated for it, as it did then."""
    letter: Letter = _store().repository.get(IDS["letter"])
    assert letter.draft.body is None
    office = Office()
    view = letter_view(letter, office).model_dump(mode="json")
    assert view["body"] == list(default_body(letter.draft, office))
    assert view["body"][0].startswith(
        "Menindaklanjuti surat Saudara Nomor 800/412/DINKES tanggal 27 November 2026"
    )
    pdf = render_letter(
        letter.draft, office=office, signature=signature_for(office, "meeting_provided", None)
    )
    words = " ".join(
        " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).split()
    )
    assert "bersama ini kami sampaikan bahwa fasilitas Zoom Meeting" in words
    assert "812 3456 7890" in words


def test_a_draft_stored_now_keeps_its_body_as_version_2() -> None:
    app = _store()
    letter: Letter = app.repository.get(IDS["letter"])
    edited = replace(letter.draft, body=("Paragraf yang diubah & <b>dicetak</b>:", "Penutup."))
    new = Letter.drafted(uuid4(), IDS["file"], edited, "d" * 64, letter.drafted_by)
    app.save(new)
    (stored,) = app.recorder.select_events(new.id, lte=1)
    assert stored.topic == "services.letters.domain.letter:Letter.Drafted"
    state = json.loads(stored.state)
    assert state["class_version"] == 2
    assert state["body"] == ["Paragraf yang diubah & <b>dicetak</b>:", "Penutup."]
    again: Letter = app.repository.get(new.id)
    assert again.draft.body == edited.body
    published = to_integration(app.mapper.to_domain_event(stored))
    assert [type(event) for event in published] == [LetterDrafted]  # the contract is unchanged
