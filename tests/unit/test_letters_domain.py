"""The letter rules: which reply may be drafted, who sends which kind and when, who receives."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.letters.domain import (
    HAL,
    MEETING_PROVIDED,
    SCHEDULE_FULL,
    Letter,
    LetterRegister,
    RequestFile,
    register_id,
)
from services.letters.values import (
    MAX_PARAGRAPH_CHARS,
    MAX_PARAGRAPHS,
    Draft,
    MeetingCopy,
    Period,
    Receipt,
    RequestCopy,
    SentLetter,
    SlotCopy,
    letter_body,
)
from shared.errors import ClosedCase, Forbidden, InvalidInput, OutOfOrder
from shared.events import Actor
from tests.builders import END, START, T0, person

SUBKO = person("subkoordinator")
KADIS = person("kadis")
KABID = person("kabid")
PLT_KADIS = person("kabid", on_behalf_of="kadis")  # the Kabid who reviews, acting as Kadis
OTHER_PLT_KADIS = Actor(
    username="plt.kadis", name="Drs. Syamsul Bahri", role="kabid", on_behalf_of="kadis"
)
DINKES = person("opd", opd_code="DINKES")
DISDIK = person("opd", opd_code="DISDIK")

REQUEST = RequestCopy(
    opd_code="DINKES",
    opd_name="Dinas Kesehatan",
    agenda_number="VC/2026/0042",
    requester_name="dr. Sri Wahyuni",
    requester_position="Kepala Dinas Kesehatan",
    letter_number="800/412/DINKES",
    letter_date=date(2026, 11, 27),
    letter_subject="Permohonan Fasilitas Zoom Meeting",
    topic="Rapat Koordinasi Posyandu",
    start=START,
    end=END,
    participants=150,
)
MEETING = MeetingCopy(
    meeting_id="81234567890",
    passcode="Xy7Qa2",
    join_url="https://zoom.us/j/8",
    host_email="zoom1@tarakankota.go.id",
    topic="Rapat Koordinasi Posyandu",
    start=START,
    end=END,
)
FREE_SLOT = SlotCopy(True, START, END, conflicts=(), alternatives=(), checked_at=T0)
FULL_SLOT = SlotCopy(
    False, START, END, conflicts=(Period(START, END),), alternatives=(Period(END, END),),
    checked_at=T0,
)  # fmt: skip


def file_with(*, meeting: bool = False, full: bool = False) -> RequestFile:
    file = RequestFile(id=uuid4())
    file.note_request(REQUEST, None)
    if meeting:
        file.note_slot(FREE_SLOT, None)
        file.note_meeting(MEETING, None)
    if full:
        file.note_slot(FULL_SLOT, None)
    return file


def letter_for(file: RequestFile, kind: str) -> Letter:
    content = Draft(kind, HAL, "Biasa", T0, REQUEST)
    letter = Letter.drafted(uuid4(), file.id, content, "0" * 64, SUBKO)
    file.attach_letter(letter.id)
    return letter


def send(letter: Letter, signer: Actor = KADIS) -> None:
    letter.send(
        SentLetter(
            number="000.1.2/0001/DKISP",
            serial=1,
            signer=signer,
            channels=("portal",),
            pdf_sha256="1" * 64,
            verification_url="http://portal/verifikasi/x",
            sent_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        )
    )


def test_a_meeting_makes_a_meeting_provided_reply() -> None:
    assert file_with(meeting=True).check_may_draft(SUBKO) == MEETING_PROVIDED


def test_a_full_schedule_reply_needs_the_disposition_to_the_agency() -> None:
    file = file_with(full=True)
    with pytest.raises(OutOfOrder):
        file.check_may_draft(SUBKO)
    file.allow_full_reply(SUBKO, None)
    assert file.check_may_draft(SUBKO) == SCHEDULE_FULL


def test_nothing_to_reply_yet_is_out_of_order() -> None:
    with pytest.raises(OutOfOrder, match="no reply can be drafted yet"):
        file_with().check_may_draft(SUBKO)


def test_only_the_subcoordinator_drafts() -> None:
    with pytest.raises(Forbidden) as refused:
        file_with(meeting=True).check_may_draft(KABID)
    assert refused.value.code == "wrong_role"


def test_no_redraft_once_the_draft_went_up_to_kabid() -> None:
    file = file_with(meeting=True)
    letter = letter_for(file, MEETING_PROVIDED)
    file.note_draft_forwarded(letter.id, SUBKO, None)
    with pytest.raises(OutOfOrder, match="already went up"):
        file.check_may_draft(SUBKO)


def test_kadis_sends_the_meeting_reply_only_after_step_8() -> None:
    file = file_with(meeting=True)
    letter = letter_for(file, MEETING_PROVIDED)
    file.note_draft_forwarded(letter.id, SUBKO, None)
    with pytest.raises(Forbidden):
        file.check_may_send(letter.id, MEETING_PROVIDED, KABID)
    with pytest.raises(OutOfOrder, match="step 8"):
        file.check_may_send(letter.id, MEETING_PROVIDED, KADIS)
    file.note_ready_for_signature(KABID, None)
    file.check_may_send(letter.id, MEETING_PROVIDED, KADIS)
    file.check_may_send(letter.id, MEETING_PROVIDED, OTHER_PLT_KADIS)
    with pytest.raises(Forbidden):
        file.check_may_send(letter.id, MEETING_PROVIDED, SUBKO)


def test_the_official_who_reviewed_the_draft_may_not_sign_it_even_as_plt_kadis() -> None:
    file = file_with(meeting=True)
    letter = letter_for(file, MEETING_PROVIDED)
    file.note_draft_forwarded(letter.id, SUBKO, None)
    file.note_ready_for_signature(KABID, None)
    with pytest.raises(Forbidden) as refused:
        file.check_may_send(letter.id, MEETING_PROVIDED, PLT_KADIS)
    assert refused.value.code == "reviewer_may_not_sign"
    assert "step 8" in refused.value.message
    assert "tidak dapat juga menandatanganinya" in refused.value.pesan
    # Rebuilt from its stored events, the file still knows who reviewed (no field was added).
    replayed: RequestFile | None = None
    for domain_event in file.collect_events():
        replayed = domain_event.mutate(replayed)
    assert replayed is not None
    with pytest.raises(Forbidden, match="may not also sign"):
        replayed.check_may_send(letter.id, MEETING_PROVIDED, PLT_KADIS)
    # Returned and reviewed again by someone else, the same person may sign.
    file.note_draft_returned(letter.id, KADIS, "perbaiki", T0, None)
    file.note_draft_forwarded(letter.id, SUBKO, None)
    file.note_ready_for_signature(OTHER_PLT_KADIS, None)
    file.check_may_send(letter.id, MEETING_PROVIDED, PLT_KADIS)


def test_the_subcoordinator_sends_the_schedule_full_reply_kadis_does_not() -> None:
    file = file_with(full=True)
    file.allow_full_reply(SUBKO, None)
    letter = letter_for(file, SCHEDULE_FULL)
    file.check_may_send(letter.id, SCHEDULE_FULL, SUBKO)
    with pytest.raises(Forbidden):
        file.check_may_send(letter.id, SCHEDULE_FULL, KADIS)


def test_a_case_closed_as_withdrawn_gets_no_letter_and_no_receipt() -> None:
    file = file_with(meeting=True)
    letter = letter_for(file, MEETING_PROVIDED)
    file.note_ready_for_signature(KABID, None)
    file.check_may_receive(DINKES)
    file.note_case_closed("withdrawn", datetime(2026, 12, 1, 3, 0, tzinfo=UTC), None)
    assert file.draftable_kind() is None
    for check in (
        lambda: file.check_may_draft(SUBKO),
        lambda: file.check_may_send(letter.id, MEETING_PROVIDED, KADIS),
        lambda: file.check_may_receive(DINKES),
    ):
        with pytest.raises(ClosedCase, match="withdrawn") as refused:
            check()
        assert refused.value.code == "case_closed"
    # A withdrawal noted before the case decided them (an older store) still stops the letter.
    older = file_with(meeting=True)
    older.note_withdrawn("acara dibatalkan", None)
    with pytest.raises(OutOfOrder, match="withdrawn"):
        older.check_may_draft(SUBKO)


def test_a_cancelled_meeting_cannot_be_sent() -> None:
    file = file_with(meeting=True)
    letter = letter_for(file, MEETING_PROVIDED)
    file.note_ready_for_signature(KABID, None)
    file.note_meeting_cancelled(MEETING.meeting_id, None)
    with pytest.raises(OutOfOrder, match="cancelled"):
        file.check_may_send(letter.id, MEETING_PROVIDED, KADIS)


def test_a_reply_is_sent_once() -> None:
    file = file_with(meeting=True)
    letter = letter_for(file, MEETING_PROVIDED)
    file.note_ready_for_signature(KABID, None)
    send(letter)
    file.mark_sent(letter.id)
    assert letter.status == "sent"
    with pytest.raises(OutOfOrder, match="already sent"):
        send(letter)
    with pytest.raises(OutOfOrder, match="already sent"):
        file.check_may_send(letter.id, MEETING_PROVIDED, KADIS)
    with pytest.raises(OutOfOrder, match="already sent"):
        file.check_may_draft(SUBKO)


def test_a_superseded_draft_cannot_be_sent() -> None:
    file = file_with(meeting=True)
    first = letter_for(file, MEETING_PROVIDED)
    first.supersede(uuid4())
    with pytest.raises(OutOfOrder, match="replaced"):
        send(first)


def test_receipt_only_by_the_addressed_agency_after_sending_and_once() -> None:
    file = file_with(meeting=True)
    letter = letter_for(file, MEETING_PROVIDED)
    with pytest.raises(OutOfOrder, match="not been sent"):
        letter.receive(Receipt(DINKES, datetime(2026, 12, 1, 2, 0, tzinfo=UTC)))
    send(letter)
    with pytest.raises(Forbidden) as other_agency:
        file.check_may_receive(DISDIK)
    assert other_agency.value.code == "wrong_agency"
    with pytest.raises(Forbidden):
        file.check_may_receive(KADIS)
    file.check_may_receive(DINKES)
    letter.receive(Receipt(DINKES, datetime(2026, 12, 1, 2, 0, tzinfo=UTC)))
    assert letter.status == "received"
    with pytest.raises(OutOfOrder, match="already acknowledged"):
        letter.receive(Receipt(DINKES, datetime(2026, 12, 1, 3, 0, tzinfo=UTC)))


def test_the_register_numbers_without_gaps_and_survives_reconstruction() -> None:
    register = LetterRegister(id=register_id("DKISP", 2026), unit="DKISP", year=2026)
    serials = [register.assign(uuid4()) for _ in range(3)]
    assert serials == [1, 2, 3]
    replayed: LetterRegister | None = None
    for domain_event in register.collect_events():
        replayed = domain_event.mutate(replayed)
    assert replayed is not None
    assert replayed.last_serial == 3
    assert replayed.assign(uuid4()) == 4
    assert register_id("DKISP", 2027) != register_id("DKISP", 2026)


def test_facts_replay_as_the_same_typed_values_and_a_known_fact_is_not_recorded_again() -> None:
    file = file_with(meeting=True)
    file.note_request(REQUEST, None)  # a redelivered or republished copy of a known fact
    file.note_meeting(MEETING, None)
    file.note_ready_for_signature(KABID, None)
    file.note_ready_for_signature(KABID, None)
    events = file.collect_events()
    assert len(events) == 5  # opened, request, slot, meeting, ready for signature
    replayed: RequestFile | None = None
    for domain_event in events:
        replayed = domain_event.mutate(replayed)
    assert replayed is not None
    assert (replayed.request, replayed.slot, replayed.meeting) == (REQUEST, FREE_SLOT, MEETING)
    assert replayed.ready_for_signature


def test_an_edited_body_is_kept_as_paragraphs_of_plain_text() -> None:
    assert letter_body(["  Paragraf  satu\nberlanjut. ", "", "\n", "Paragraf dua & <b>"]) == (
        "Paragraf satu berlanjut.",
        "Paragraf dua & <b>",
    )
    letter = Letter.drafted(
        uuid4(), uuid4(), Draft(MEETING_PROVIDED, HAL, "Biasa", T0, REQUEST, body=("Isi.",)),
        "0" * 64, SUBKO,
    )  # fmt: skip
    assert letter.draft.body == ("Isi.",)


@pytest.mark.parametrize(
    ("paragraphs", "pesan"),
    [
        ([], "isi surat tidak boleh kosong"),
        (["  ", "\n\n"], "isi surat tidak boleh kosong"),
        (["a"] * (MAX_PARAGRAPHS + 1), "paling banyak 20 paragraf"),
        (["a", "b" * (MAX_PARAGRAPH_CHARS + 1)], "paragraf ke-2 terdiri atas 2001 karakter"),
        (["bel\x07"], "paragraf ke-1 memuat karakter yang tidak dapat dicetak"),
    ],
)
def test_an_edited_body_beyond_the_limits_is_refused_in_indonesian(
    paragraphs: list[str], pesan: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        letter_body(paragraphs)
    assert pesan in refused.value.pesan
    assert refused.value.details == [{"field": "body", "message": refused.value.pesan}]
