"""The letters application over SQLite and PostgreSQL: from the facts to a signed, numbered,
received reply, and what it publishes."""

from __future__ import annotations

import io
import itertools
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pypdf
import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from services.letters.application import LettersApplication
from services.letters.domain import Letter
from services.letters.integration import to_integration
from services.letters.office import Office
from services.letters.views import letter_status_view, letter_view, verification_view
from shared.documents import DocumentStore, sha256_of
from shared.errors import ClosedCase, Forbidden, InvalidInput, NotFound, OutOfOrder
from shared.events import (
    Actor,
    IntegrationEvent,
    LetterDrafted,
    LetterReceived,
    LetterSent,
    MeetingCancelled,
)
from shared.messaging import Consumed
from tests.builders import (
    END,
    START,
    T0,
    case_closed,
    disposed,
    draft_returned,
    meeting_created,
    person,
    slot_checked,
    submitted,
)

SUBKO = person("subkoordinator")
KADIS = person("kadis")
KABID = person("kabid")
STAF = person("staf")
DINKES = person("opd", opd_code="DINKES")
DISDIK = person("opd", opd_code="DISDIK")


_positions = itertools.count(1)


def feed(
    app: LettersApplication, event: IntegrationEvent, tracking: Tracking | None = None
) -> None:
    """Hand an event to the application as the consumer does."""
    app.process_event(event, tracking or Consumed("test", next(_positions), str(uuid4())))


def shown(letter: Letter) -> dict[str, Any]:
    """A letter as the API answers it."""
    return letter_view(letter, Office()).model_dump(mode="json")


def status(app: LettersApplication, request_id: UUID, reader: Actor) -> dict[str, Any]:
    file = app.request_file(request_id, reader)
    return letter_status_view(file, app.office, app.clock()).model_dump(mode="json")


def verified(app: LettersApplication, letter_id: UUID) -> dict[str, Any]:
    return verification_view(app.verify(letter_id), app.office).model_dump(mode="json")


def ready_for_kadis(app: LettersApplication, request_id: UUID) -> str:
    """Steps 1 to 8 of the meeting branch as seen by letters; returns the drafted letter's ID."""
    feed(app, submitted(request_id))
    feed(app, slot_checked(request_id, available=True))
    feed(app, meeting_created(request_id))
    letter_id = str(shown(app.draft(request_id, SUBKO))["letter_id"])
    feed(app, disposed(request_id, 7, "kabid", letter_id))
    feed(app, disposed(request_id, 8, "kadis"))
    return letter_id


def published(app: LettersApplication) -> list[IntegrationEvent]:
    out: list[IntegrationEvent] = []
    for notification in app.recorder.select_notifications(1, 1000):
        out.extend(to_integration(app.mapper.to_domain_event(notification)))
    return out


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def documents(tmp_path: Path) -> DocumentStore:
    return DocumentStore(tmp_path / "documents")


def make_app(
    store_env: dict[str, str], documents: DocumentStore, clock: Clock
) -> LettersApplication:
    return LettersApplication(
        env={**store_env, "SQLITE_LOCK_TIMEOUT": "20"},
        documents=documents,
        verification_base="http://portal.test/verifikasi/",
        clock=clock,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(store_env: dict[str, str], documents: DocumentStore, clock: Clock) -> LettersApplication:
    return make_app(store_env, documents, clock)


# --------------------------------------------------------------------------- the meeting branch


def test_meeting_reply_from_draft_to_receipt(
    app: LettersApplication, documents: DocumentStore
) -> None:
    request_id = uuid4()
    feed(app, submitted(request_id))
    feed(app, slot_checked(request_id, available=True))
    feed(app, meeting_created(request_id))

    with pytest.raises(Forbidden):
        app.draft(request_id, KABID)
    draft = shown(app.draft(request_id, SUBKO))
    letter_id = UUID(draft["letter_id"])
    assert draft["kind"] == "meeting_provided"
    assert draft["status"] == "draft"
    assert draft["number"] is None
    assert sha256_of(documents.get(draft["draft_sha256"])) == draft["draft_sha256"]

    with pytest.raises(Forbidden):
        app.send(letter_id, KABID)
    with pytest.raises(OutOfOrder, match="step 8"):
        app.send(letter_id, KADIS)
    with pytest.raises(OutOfOrder, match="not been sent"):
        app.receive(letter_id, DINKES)

    feed(app, disposed(request_id, 7, "kabid", letter_id))
    feed(app, disposed(request_id, 8, "kadis"))
    sent = shown(app.send(letter_id, KADIS))
    assert sent["number"] == "000.1.2/0001/DKISP"
    assert sent["status"] == "sent"
    assert sent["verification_url"] == f"http://portal.test/verifikasi/{letter_id}"
    pdf, filename = app.letter_pdf(letter_id, DINKES)
    assert sha256_of(pdf) == sent["pdf_sha256"]
    assert filename == "000.1.2-0001-DKISP.pdf"
    with pytest.raises(OutOfOrder, match="already sent"):
        app.send(letter_id, KADIS)

    verification = verified(app, letter_id)
    assert verification["number"] == "000.1.2/0001/DKISP"
    assert verification["pdf_sha256"] == sent["pdf_sha256"]
    assert verification["signer_name"] == KADIS.name
    assert verification["date"] == "2026-12-01"

    with pytest.raises(Forbidden):
        app.receive(letter_id, DISDIK)
    received = shown(app.receive(letter_id, DINKES))
    assert received["status"] == "received"
    with pytest.raises(OutOfOrder, match="already acknowledged"):
        app.receive(letter_id, DINKES)

    events = published(app)
    assert [type(e) for e in events] == [LetterDrafted, LetterSent, LetterReceived]
    drafted, letter_sent, letter_received = events
    assert isinstance(drafted, LetterDrafted)
    assert drafted.request_id == request_id
    assert drafted.drafted_by == SUBKO
    assert drafted.draft_sha256 == draft["draft_sha256"]
    assert isinstance(letter_sent, LetterSent)
    assert letter_sent.pdf_sha256 == sha256_of(pdf)
    assert letter_sent.signer == KADIS
    assert letter_sent.channels == ["portal"]
    assert letter_sent.number == "000.1.2/0001/DKISP"
    assert isinstance(letter_received, LetterReceived)
    assert letter_received.received_by == DINKES


def words_in(pdf: bytes) -> str:
    """The PDF's text as pypdf reads it, every run of whitespace as one space."""
    return " ".join(
        " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).split()
    )


EDITED_SENTENCE = "Mohon tautan hanya dibagikan kepada peserta & panitia <Posyandu>."


def test_the_subcoordinator_edits_the_body_and_kadis_signs_exactly_that_text(
    store_env: dict[str, str], app: LettersApplication, documents: DocumentStore, clock: Clock
) -> None:
    request_id = uuid4()
    feed(app, submitted(request_id))
    feed(app, slot_checked(request_id, available=True))
    feed(app, meeting_created(request_id))
    default = status(app, request_id, SUBKO)["default_body"]
    assert default[0].startswith("Menindaklanjuti surat Saudara Nomor")
    assert default[0].endswith("sebagai berikut:")

    first = shown(app.draft(request_id, SUBKO))
    assert first["body"] == default  # without an edit, the generated wording
    edited = [default[0], EDITED_SENTENCE, default[-1]]
    with pytest.raises(InvalidInput) as refused:
        app.draft(request_id, SUBKO, ["", "  "])
    assert refused.value.pesan == "isi surat tidak boleh kosong"
    assert status(app, request_id, SUBKO)["current_letter_id"] == first["letter_id"]

    draft = shown(app.draft(request_id, SUBKO, [*edited[:2], "", f"  {edited[2]}\n"]))
    assert draft["body"] == edited
    assert shown(app.letter(UUID(first["letter_id"]), SUBKO))["status"] == "superseded"
    preview = words_in(documents.get(draft["draft_sha256"]))
    assert EDITED_SENTENCE in preview
    assert "bergabung paling lambat 15 menit" not in preview  # the sentence it replaced

    letter_id = UUID(draft["letter_id"])
    feed(app, disposed(request_id, 7, "kabid", str(letter_id)))
    feed(app, disposed(request_id, 8, "kadis"))
    again = make_app(store_env, documents, clock)  # the text comes from the store
    assert shown(again.letter(letter_id, KADIS))["body"] == edited
    assert again.repository.get(letter_id).draft.body == tuple(edited)
    sent = shown(again.send(letter_id, KADIS))
    signed = words_in(documents.get(sent["pdf_sha256"]))
    assert EDITED_SENTENCE in signed
    assert "bergabung paling lambat 15 menit" not in signed
    assert sent["body"] == edited
    assert status(again, request_id, SUBKO)["default_body"] is None  # nothing to draft now


def test_an_acting_head_may_sign(app: LettersApplication) -> None:
    request_id = uuid4()
    letter_id = UUID(ready_for_kadis(app, request_id))
    plt = Actor(username="plt.kadis", name="Drs. Syamsul Bahri", role="kabid", on_behalf_of="kadis")
    sent = shown(app.send(letter_id, plt))
    assert sent["signer"]["on_behalf_of"] == "kadis"
    assert verified(app, letter_id)["signer_jabatan"].startswith("Plt. Kepala Dinas")


def test_the_kabid_who_gave_the_paraf_may_not_sign_as_plt_kadis(app: LettersApplication) -> None:
    request_id = uuid4()
    letter_id = UUID(ready_for_kadis(app, request_id))  # step 8 by the Kabid
    reviewer_as_plt = person("kabid", on_behalf_of="kadis")
    with pytest.raises(Forbidden) as refused:
        app.send(letter_id, reviewer_as_plt)
    assert refused.value.code == "reviewer_may_not_sign"
    assert shown(app.letter(letter_id, KADIS))["status"] == "draft"
    assert not any(isinstance(e, LetterSent) for e in published(app))
    assert shown(app.send(letter_id, KADIS))["status"] == "sent"


# --------------------------------------------------------------------------- schedule full


def test_schedule_full_reply_is_drafted_and_sent_by_the_subcoordinator(
    app: LettersApplication,
) -> None:
    request_id = uuid4()
    feed(app, submitted(request_id))
    feed(app, slot_checked(request_id, available=False))
    with pytest.raises(OutOfOrder, match="no reply can be drafted yet"):
        app.draft(request_id, SUBKO)
    feed(app, disposed(request_id, 4, "opd"))
    draft = shown(app.draft(request_id, SUBKO))
    assert draft["kind"] == "schedule_full"
    assert draft["alternatives"] == [
        {
            "start": (START + timedelta(hours=4)).isoformat().replace("+00:00", "Z"),
            "end": (END + timedelta(hours=4)).isoformat().replace("+00:00", "Z"),
        }
    ]
    letter_id = UUID(draft["letter_id"])
    with pytest.raises(Forbidden):
        app.send(letter_id, KADIS)
    sent = shown(app.send(letter_id, SUBKO))
    assert sent["number"] == "000.1.2/0001/DKISP"
    assert shown(app.receive(letter_id, DINKES))["status"] == "received"


# --------------------------------------------------------------------------- redrafts


def test_a_new_draft_supersedes_the_unsent_one_until_it_goes_up(app: LettersApplication) -> None:
    request_id = uuid4()
    feed(app, submitted(request_id))
    feed(app, slot_checked(request_id, available=True))
    feed(app, meeting_created(request_id, "111"))
    first = shown(app.draft(request_id, SUBKO))["letter_id"]
    feed(app, meeting_created(request_id, "222"))  # the meeting was re-created
    second = shown(app.draft(request_id, SUBKO))
    assert second["meeting"]["meeting_id"] == "222"
    listed = [shown(x) for x in app.letters_of(request_id, STAF)]
    assert [x["status"] for x in listed] == ["superseded", "draft"]
    assert listed[0]["superseded_by"] == second["letter_id"]

    feed(app, disposed(request_id, 7, "kabid", second["letter_id"]))
    feed(app, disposed(request_id, 8, "kadis"))
    with pytest.raises(OutOfOrder, match="replaced"):
        app.send(UUID(first), KADIS)
    with pytest.raises(OutOfOrder, match="already went up"):
        app.draft(request_id, SUBKO)
    assert shown(app.send(UUID(second["letter_id"]), KADIS))["status"] == "sent"


@pytest.mark.parametrize("step", [8, 9])
def test_a_returned_draft_may_be_redrafted_and_must_go_up_again(
    app: LettersApplication, step: int
) -> None:
    request_id = uuid4()
    first = ready_for_kadis(app, request_id)
    returned_at = T0 + timedelta(minutes=30)
    feed(app, draft_returned(request_id, first, step=step, at=returned_at))
    assert status(app, request_id, SUBKO)["draft_forwarded"] is False
    with pytest.raises(OutOfOrder, match="reported the draft"):
        app.send(UUID(first), KADIS)  # no signature until it went up again
    second = shown(app.draft(request_id, SUBKO, ["Dengan hormat, jam rapat diperbaiki:"]))
    listed = [shown(x) for x in app.letters_of(request_id, STAF)]
    assert [(x["letter_id"], x["status"]) for x in listed] == [
        (first, "superseded"),
        (second["letter_id"], "draft"),
    ]
    # A late copy of the first forwarding or paraf changes nothing: it came before the return.
    feed(app, disposed(request_id, 7, "kabid", first, at=T0 + timedelta(minutes=10)))
    feed(app, disposed(request_id, 8, "kadis", at=T0 + timedelta(minutes=20)))
    assert status(app, request_id, SUBKO)["draft_forwarded"] is False
    with pytest.raises(OutOfOrder):
        app.send(UUID(second["letter_id"]), KADIS)
    feed(app, disposed(request_id, 7, "kabid", second["letter_id"], at=returned_at + timedelta(1)))
    feed(app, disposed(request_id, 8, "kadis", at=returned_at + timedelta(2)))
    assert shown(app.send(UUID(second["letter_id"]), KADIS))["status"] == "sent"


def test_no_draft_for_unknown_or_withdrawn_requests(app: LettersApplication) -> None:
    with pytest.raises(NotFound):
        app.draft(uuid4(), SUBKO)
    request_id = uuid4()
    letter_id = UUID(ready_for_kadis(app, request_id))
    feed(app, case_closed(request_id, "withdrawn"))
    with pytest.raises(ClosedCase, match="withdrawn") as refused:
        app.send(letter_id, KADIS)
    assert (refused.value.status, refused.value.code) == (409, "case_closed")
    with pytest.raises(ClosedCase):
        app.draft(request_id, SUBKO)
    assert status(app, request_id, STAF)["case_outcome"] == "withdrawn"
    with pytest.raises(NotFound):
        app.send(uuid4(), KADIS)


def test_no_receipt_once_the_case_was_closed_as_withdrawn(app: LettersApplication) -> None:
    """The letter went out, then the OPD withdrew and the case accepted it: the reply no longer
    stands, so its receipt (step 10) is refused, and nothing is published for it."""
    request_id = uuid4()
    letter_id = UUID(ready_for_kadis(app, request_id))
    app.send(letter_id, KADIS)
    feed(app, case_closed(request_id, "withdrawn"))
    before = published(app)
    with pytest.raises(ClosedCase) as refused:
        app.receive(letter_id, DINKES)
    assert refused.value.code == "case_closed"
    assert "closed" in refused.value.message
    assert "ditutup" in refused.value.pesan
    assert shown(app.letter(letter_id, DINKES))["status"] == "sent"
    assert published(app) == before


# --------------------------------------------------------------------------- idempotency


def test_a_redelivered_event_has_no_second_effect(app: LettersApplication) -> None:
    request_id = uuid4()
    tracking = Tracking("SIVICON@test", 41)
    feed(app, submitted(request_id), tracking)
    assert app.has_tracking(tracking)
    with pytest.raises(IntegrityError):
        feed(app, submitted(request_id), tracking)
    before = len(app.recorder.select_notifications(1, 1000))
    # The same fact arriving again under another position (a republished copy) changes nothing.
    feed(app, submitted(request_id))
    feed(app, disposed(request_id, 8, "kadis"))
    feed(app, disposed(request_id, 8, "kadis"))
    feed(app, disposed(request_id, 3, "subkoordinator"))
    after = len(app.recorder.select_notifications(1, 1000))
    assert after == before + 1  # only ReadyForSignature, once
    assert status(app, request_id, STAF)["ready_for_signature"] is True

    # A step letters does not care about, for a request it never heard of: tracked, nothing kept.
    stranger, position = uuid4(), Tracking("SIVICON@test", 99)
    feed(app, disposed(stranger, 2, "kabid"), position)
    assert app.has_tracking(position)
    with pytest.raises(NotFound):
        app.request_file(stranger, STAF)


def test_what_letters_learns_names_the_event_that_caused_it(app: LettersApplication) -> None:
    request_id = uuid4()
    feed(app, submitted(request_id), Consumed("SIVICON@test", 7, "ce-id-of-the-submission"))
    noted = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 1000)][-1]
    assert type(noted).__name__ == "RequestNoted"
    assert noted.caused_by == "ce-id-of-the-submission"  # type: ignore[attr-defined]


def test_a_cancelled_meeting_stops_the_letter(app: LettersApplication) -> None:
    request_id = uuid4()
    letter_id = UUID(ready_for_kadis(app, request_id))
    cancelled = MeetingCancelled(
        request_id=request_id,
        meeting_id="812 3456 7890",  # the meeting the letter was drafted for
        host_account_id="zoom-1",
        reason="host account rusak",
        cancelled_by=STAF,
        cancelled_at=T0,
    )
    feed(app, cancelled)
    with pytest.raises(OutOfOrder, match="cancelled"):
        app.send(letter_id, KADIS)
    feed(app, meeting_created(request_id))  # a late copy of the cancelled meeting is ignored
    assert status(app, request_id, STAF)["meeting_id"] is None


# --------------------------------------------------------------------------- the register


def test_numbers_are_gap_free_under_concurrent_senders(
    store_env: dict[str, str], documents: DocumentStore, clock: Clock
) -> None:
    first = make_app(store_env, documents, clock)
    second = make_app(store_env, documents, clock)
    letters = [ready_for_kadis(first, uuid4()) for _ in range(6)]
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(letters))

    def sign(application: LettersApplication, letter_id: str) -> None:
        barrier.wait()
        try:
            results.append(shown(application.send(UUID(letter_id), KADIS))["number"])
        except BaseException as exc:  # reported below, the test fails on it
            errors.append(exc)

    threads = [
        threading.Thread(target=sign, args=(first if i % 2 else second, letter_id))
        for i, letter_id in enumerate(letters)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [f"000.1.2/{n:04d}/DKISP" for n in range(1, 7)]


def test_numbering_restarts_with_the_year_in_wita(app: LettersApplication, clock: Clock) -> None:
    clock.now = datetime(2026, 12, 31, 15, 0, tzinfo=UTC)  # 23.00 WITA, still 2026
    last_of_2026 = shown(app.send(UUID(ready_for_kadis(app, uuid4())), KADIS))
    clock.now = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00.30 WITA, 1 January 2027
    first_of_2027 = shown(app.send(UUID(ready_for_kadis(app, uuid4())), KADIS))
    assert last_of_2026["number"] == "000.1.2/0001/DKISP"
    assert first_of_2027["number"] == "000.1.2/0001/DKISP"
    assert verified(app, UUID(first_of_2027["letter_id"]))["date"] == "2027-01-01"


# --------------------------------------------------------------------------- readers


def test_an_agency_reads_only_its_own_sent_letters(app: LettersApplication) -> None:
    request_id = uuid4()
    letter_id = UUID(ready_for_kadis(app, request_id))
    with pytest.raises(NotFound):
        app.letter(letter_id, DINKES)  # a draft is the office's working paper
    assert app.letters_of(request_id, DINKES) == []
    with pytest.raises(NotFound):
        app.verify(letter_id)
    assert shown(app.letter(letter_id, person("auditor")))["status"] == "draft"
    # One table of readers (shared.access): the administrator reads letters too.
    assert shown(app.letter(letter_id, person("admin")))["status"] == "draft"

    app.send(letter_id, KADIS)
    assert shown(app.letter(letter_id, DINKES))["number"] == "000.1.2/0001/DKISP"
    assert len(app.letters_of(request_id, DINKES)) == 1
    with pytest.raises(Forbidden):
        app.letter(letter_id, DISDIK)
    with pytest.raises(Forbidden):
        app.letters_of(request_id, DISDIK)
