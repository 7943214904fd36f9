"""The words of the reply letter, as reportlab paragraph markup: the heading's lines, the
body's paragraphs for each kind of reply, and the notes at the foot. ``services.letters.pdf``
lays them out; user-supplied text is escaped here, where it is put into the markup."""

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
        f"Menindaklanjuti surat Saudara Nomor {text(request.letter_number)} tanggal "
        f"{indonesian_date(request.letter_date)} hal {text(request.letter_subject)}"
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
