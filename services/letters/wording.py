"""The words of the reply letter: the body's paragraphs for each kind of reply (plain text, the
default the Sub-coordinator may edit), and, as reportlab paragraph markup, the meeting's details
and the notes at the foot. ``services.letters.pdf`` lays them out; text is escaped where it is
put into markup (the body's paragraphs by :func:`body_markup`)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from services.letters.office import Office, time_range
from services.letters.values import Draft, MeetingCopy, RequestCopy
from shared.calendar import indonesian_date, indonesian_day_date

CLOSING = "Demikian disampaikan, atas perhatian dan kerja sama Saudara diucapkan terima kasih."
MEETING_NOTICE = (
    "Kami mohon agar Meeting ID, kode sandi dan tautan tersebut hanya dibagikan kepada peserta "
    "kegiatan, dan agar penyelenggara bergabung paling lambat 15 menit sebelum kegiatan dimulai."
)
ALTERNATIVES_OFFERED = "Sebagai alternatif, fasilitas Zoom Meeting dapat kami sediakan pada:"
ASK_AGAIN_WITH_CHOICE = (
    "Apabila salah satu waktu tersebut sesuai, Saudara dapat mengajukan permohonan kembali "
    "dengan menyebutkan waktu yang dipilih."
)
NO_ALTERNATIVE = (
    "Saat ini belum tersedia waktu pengganti yang berdekatan; Saudara dapat mengajukan "
    "permohonan kembali untuk waktu yang lain."
)


def text(value: object) -> str:
    """User-supplied text, escaped for reportlab's paragraph markup."""
    return escape(str(value))


def addressee(request: RequestCopy) -> str:
    return request.requester_position or f"Kepala {request.opd_name}"


def reference(request: RequestCopy) -> str:
    return (
        f"Menindaklanjuti surat Saudara Nomor {request.letter_number} tanggal "
        f"{indonesian_date(request.letter_date)} hal {request.letter_subject}"
    )


def meeting_intro(request: RequestCopy) -> str:
    return (
        f"{reference(request)}, bersama ini kami sampaikan bahwa fasilitas Zoom Meeting "
        "telah kami siapkan dengan rincian sebagai berikut:"
    )


def meeting_rows(draft: Draft, meeting: MeetingCopy, office: Office) -> list[tuple[str, str]]:
    """The meeting's details, label and value; the link is the last row."""
    return [
        ("Acara", text(meeting.topic or draft.request.topic)),
        ("Hari/Tanggal", indonesian_day_date(meeting.start.astimezone(office.zone))),
        ("Waktu", time_range(meeting.start, meeting.end, office)),
        ("Meeting ID", f"<b>{text(meeting.meeting_id)}</b>"),
        ("Kode Sandi", f"<b>{text(meeting.passcode)}</b>"),
    ]


def link(url: str) -> str:
    return f"<link href={quoteattr(url)} color='blue'>{text(url)}</link>"


def schedule_full_intro(request: RequestCopy, office: Office) -> str:
    return (
        f"{reference(request)}, dengan ini kami sampaikan bahwa jadwal layanan Zoom "
        f"Meeting pada hari {indonesian_day_date(request.start.astimezone(office.zone))} "
        f"pukul {time_range(request.start, request.end, office)} telah penuh, karena seluruh "
        "akun Zoom berlisensi yang kami kelola telah digunakan untuk kegiatan lain pada "
        "waktu tersebut."
    )


def default_body(draft: Draft, office: Office) -> tuple[str, ...]:
    """The body's paragraphs SIVICON writes for a draft's facts (plain text)."""
    if draft.kind == "meeting_provided":
        return (meeting_intro(draft.request), MEETING_NOTICE, CLOSING)
    intro = schedule_full_intro(draft.request, office)
    if not draft.alternatives:
        return (intro, NO_ALTERNATIVE, CLOSING)
    return (intro, ALTERNATIVES_OFFERED, ASK_AGAIN_WITH_CHOICE, CLOSING)


def body_of(draft: Draft, office: Office) -> tuple[str, ...]:
    """The body's paragraphs as drafted (plain text): the edited ones, or the generated wording
    for a draft recorded before the body was kept."""
    return draft.body if draft.body is not None else default_body(draft, office)


def details_after(body: tuple[str, ...]) -> int:
    """How many paragraphs come before the facts the letter prints as a list (the meeting's
    details, the alternative times): those up to the first ending with a colon, else one."""
    for index, paragraph in enumerate(body, start=1):
        if paragraph.rstrip().endswith(":"):
            return index
    return 1


def body_markup(paragraph: str) -> str:
    """A body paragraph (plain text) as reportlab markup: ``&``, ``<`` and ``>`` escaped."""
    return text(paragraph)


def alternative_lines(draft: Draft, office: Office) -> list[str]:
    return [
        f"{index}. {indonesian_day_date(slot.start.astimezone(office.zone))}, "
        f"pukul {time_range(slot.start, slot.end, office)}"
        for index, slot in enumerate(draft.alternatives or (), start=1)
    ]


def verification_note(verification_url: str) -> str:
    return (
        "Surat ini dikirim melalui SIVICON. Keaslian surat dan kode SHA-256 berkasnya "
        f"dapat diperiksa pada: {text(verification_url)}"
    )
