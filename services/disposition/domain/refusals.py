"""What a case answers when the procedure does not allow a change: one named error each, in
English and in Indonesian (the ``pesan`` the office reads). The case's guards decide when."""

from __future__ import annotations

from uuid import UUID

from shared.errors import Forbidden, InvalidInput, OutOfOrder
from shared.procedure import MAX_INSTRUCTION, MAX_NOTE, ROLE_FOR_STEP, SIFAT
from shared.roles import ROLE_NAMES


def label(role: str | None) -> str:
    return ROLE_NAMES.get(role or "", role or "-")


def case_closed(outcome: str) -> OutOfOrder:
    return OutOfOrder(f"the case is closed ({outcome})", "kasus sudah ditutup")


def does_not_dispose(role: str) -> Forbidden:
    return Forbidden(
        f"a {role} does not dispose cases",
        f"{label(role)} tidak berwenang mendisposisi",
        code="wrong_role",
    )


def not_your_turn(role: str, step: int | None, branch: str | None) -> OutOfOrder:
    if step is None:
        return OutOfOrder("the case has no step pending", "tidak ada langkah yang menunggu")
    if step == 4 and branch == "full":
        return OutOfOrder(
            "step 4 is done; the schedule-full reply is to be sent to the OPD",
            "langkah 4 sudah dilakukan; surat jadwal penuh perlu dikirim ke OPD",
        )
    if step == 5:
        return OutOfOrder(
            "the meeting has not been created yet (step 5)",
            "jadwal Zoom Meeting belum dibuat (langkah 5)",
        )
    return OutOfOrder(
        f"the case is at step {step}, the turn of {ROLE_FOR_STEP[step]}, not of {role}",
        f"kasus berada pada langkah {step}, giliran {label(ROLE_FOR_STEP[step])}",
    )


def wrong_target(step: int, to_role: str, targets: tuple[str, ...]) -> OutOfOrder:
    return OutOfOrder(
        f"at step {step} the case goes to {' or '.join(targets)}, not to {to_role}",
        f"pada langkah {step} disposisi ditujukan kepada "
        f"{' atau '.join(label(t) for t in targets)}, bukan {label(to_role)}",
    )


def schedule_not_checked() -> OutOfOrder:
    return OutOfOrder("the schedule has not been checked yet", "jadwal belum selesai dicek")


def schedule_full() -> OutOfOrder:
    return OutOfOrder(
        "the schedule is full: inform the OPD instead of disposing to staff",
        "jadwal penuh: informasikan kepada OPD, bukan disposisi ke staf",
    )


def schedule_available() -> OutOfOrder:
    return OutOfOrder(
        "the schedule is available: dispose to staff to create the meeting",
        "jadwal tersedia: disposisikan ke staf untuk membuat Zoom Meeting",
    )


def no_draft() -> OutOfOrder:
    return OutOfOrder("draft the reply letter first", "draf surat tanggapan belum dibuat")


def not_a_draft_of_this_case(letter_id: UUID) -> InvalidInput:
    return InvalidInput(
        f"letter {letter_id} is not a reply drafted for this case",
        "surat tersebut bukan draf tanggapan untuk permohonan ini",
    )


def forwarded_only_at_step_7() -> InvalidInput:
    return InvalidInput(
        "a letter is forwarded only at step 7", "surat hanya diteruskan pada langkah 7"
    )


def text_too_long() -> InvalidInput:
    return InvalidInput(
        f"instruction is at most {MAX_INSTRUCTION} and note {MAX_NOTE} characters",
        f"instruksi paling banyak {MAX_INSTRUCTION} dan catatan {MAX_NOTE} karakter",
    )


def unknown_sifat() -> InvalidInput:
    return InvalidInput(
        f"sifat must be one of {', '.join(SIFAT)}",
        f"sifat harus salah satu dari {', '.join(SIFAT)}",
    )


def checked_before_step_3(pending_step: int | None) -> OutOfOrder:
    return OutOfOrder(
        f"the schedule is checked after step 3; the case is at step {pending_step}",
        "jadwal dicek setelah disposisi Kepala Bidang (langkah 3)",
    )


def step_4_done() -> OutOfOrder:
    return OutOfOrder(
        "step 4 is done already; a new schedule check cannot change it",
        "langkah 4 sudah dilakukan; pengecekan jadwal baru tidak berlaku",
    )


def not_disposed_to_staff() -> OutOfOrder:
    return OutOfOrder(
        "the case was not disposed to staff to create a meeting (step 4)",
        "permohonan belum didisposisikan ke staf untuk dibuatkan Zoom Meeting",
    )


def reply_sent_already() -> OutOfOrder:
    return OutOfOrder("the reply letter was sent already", "surat tanggapan sudah dikirim")


def another_reply_sent() -> OutOfOrder:
    return OutOfOrder("another reply was sent already", "surat tanggapan lain sudah dikirim")


def no_meeting() -> OutOfOrder:
    return OutOfOrder(
        "no meeting was created for this case (step 5)",
        "Zoom Meeting untuk permohonan ini belum dibuat (langkah 5)",
    )


def schedule_not_full() -> OutOfOrder:
    return OutOfOrder(
        "the schedule check did not find the schedule full",
        "hasil pengecekan jadwal tidak menyatakan jadwal penuh",
    )


def not_drafted(letter_id: UUID) -> OutOfOrder:
    return OutOfOrder(
        f"letter {letter_id} was not drafted for this case",
        "surat tersebut bukan draf tanggapan untuk permohonan ini",
    )


def not_reported_to_kadis() -> OutOfOrder:
    return OutOfOrder(
        "the draft has not been reported to the Kadis yet (step 8)",
        "draf surat belum dilaporkan kepada Kepala Dinas (langkah 8)",
    )


def reviewer_signed(username: str) -> Forbidden:
    return Forbidden(
        f"{username} gave the paraf of step 8 and may not also sign the reply (step 9)",
        f"{username} telah memaraf konsep surat (langkah 8) sehingga tidak dapat juga "
        "menandatanganinya (langkah 9)",
        code="reviewer_may_not_sign",
    )


def full_reply_needs_step_4_to_opd() -> OutOfOrder:
    return OutOfOrder(
        "a schedule-full reply needs step 4 to have gone to the OPD",
        "surat jadwal penuh memerlukan langkah 4 kepada OPD",
    )


def not_sent(letter_id: UUID) -> OutOfOrder:
    return OutOfOrder(
        f"letter {letter_id} was not sent for this case",
        "surat tersebut belum dikirim untuk permohonan ini",
    )


def steps_missing(missing: list[int]) -> OutOfOrder:
    return OutOfOrder(
        f"the case cannot be closed: steps {missing} are not recorded",
        f"kasus belum dapat ditutup: langkah {missing} belum tercatat",
    )


def does_not_return(role: str) -> Forbidden:
    return Forbidden(
        f"a {role} does not return draft replies; Kabid (step 8) and Kadis (step 9) do",
        f"{label(role)} tidak berwenang mengembalikan draf surat",
        code="wrong_role",
    )


def nothing_to_return(role: str, step: int | None, branch: str | None) -> OutOfOrder:
    if (step is not None and step in (7, 8, 9)) or branch == "full":
        return OutOfOrder(
            f"there is no draft reply with {role} to return (the case is at step {step})",
            f"tidak ada draf surat pada {label(role)} untuk dikembalikan"
            + (f" (kasus pada langkah {step})" if step else ""),
        )
    return not_your_turn(role, step, branch)


def return_needs_note() -> InvalidInput:
    return InvalidInput(
        "say what is to be corrected: a returned draft needs a note",
        "tuliskan catatan perbaikan: draf yang dikembalikan wajib disertai catatan",
        details=[{"field": "note", "message": "catatan wajib diisi"}],
    )
