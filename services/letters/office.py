"""The sending office as its letters show it: the letterhead, the register's numbers, who signs
which reply, and how dates and times are written (in Indonesian, in the office's time zone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from shared.calendar import OFFICE_TIMEZONE, ZONE_LABELS, indonesian_day_date
from shared.events import Actor
from shared.roles import ROLE_NAMES


@dataclass(frozen=True)
class Office:
    """The sending office as printed on the letter; defaults are Tarakan's DKISP."""

    government: str = "PEMERINTAH KOTA TARAKAN"
    name: str = "DINAS KOMUNIKASI, INFORMATIKA, STATISTIK DAN PERSANDIAN"
    address: str = "Jalan Jenderal Sudirman Nomor 76, Tarakan, Kalimantan Utara"
    city: str = "Tarakan"
    unit_code: str = "DKISP"
    classification: str = "000.1.2"
    head_title: str = "Kepala Dinas Komunikasi, Informatika, Statistik dan Persandian"
    head_pangkat: str = ""
    head_nip: str = ""
    subkoordinator_title: str = ROLE_NAMES["subkoordinator"]
    timezone: str = OFFICE_TIMEZONE
    copies: tuple[str, ...] = field(
        default=(ROLE_NAMES["kabid"], "Arsip"),
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def zone_label(self) -> str:
        return ZONE_LABELS.get(self.timezone, self.timezone)

    def letter_number(self, serial: int) -> str:
        """The number of the ``serial``-th letter of the register: ``000.1.2/0001/DKISP``."""
        return f"{self.classification}/{serial:04d}/{self.unit_code}"

    def blank_number(self) -> str:
        """The number as a draft shows it, before the register gives one."""
        return f"{self.classification}/........../{self.unit_code}"


@dataclass(frozen=True)
class Signature:
    """The signature block: jabatan lines, then the name, pangkat and NIP when known."""

    jabatan: tuple[str, ...]
    name: str
    pangkat: str = ""
    nip: str = ""

    @property
    def position(self) -> str:
        """The jabatan on one line, as the verification page shows it."""
        return " ".join(self.jabatan).rstrip(",")


def signature_for(office: Office, kind: str, signer: Actor | None) -> Signature:
    """Who signs which letter: Kadis (or a Plt) the meeting reply; the Sub-coordinator, a.n.
    Kadis, the schedule-full reply. ``signer`` None gives the unsigned block of a draft."""
    head = f"{office.head_title} Kota {office.city.title()}"
    unsigned = "(belum ditandatangani)"
    if kind == "schedule_full":
        name = signer.name if signer else unsigned
        return Signature((f"a.n. {head},", f"{office.subkoordinator_title},"), name)
    if signer is None:
        return Signature((f"{head},",), unsigned)
    if signer.on_behalf_of == "kadis" and signer.role != "kadis":
        return Signature((f"Plt. {head},",), signer.name)
    return Signature((f"{head},",), signer.name, office.head_pangkat, office.head_nip)


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%H.%M")


def time_range(start: datetime, end: datetime, office: Office) -> str:
    start_local, end_local = start.astimezone(office.zone), end.astimezone(office.zone)
    if start_local.date() == end_local.date():
        return f"{_hhmm(start_local)}–{_hhmm(end_local)} {office.zone_label}"
    return (
        f"{_hhmm(start_local)} {office.zone_label} s.d. "
        f"{indonesian_day_date(end_local)} {_hhmm(end_local)} {office.zone_label}"
    )
