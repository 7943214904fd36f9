"""The procedure as data, written once: the ten steps of SOP 067/32/SOP/DKISP/2022, who acts at
each, where a disposition may go, the default instructions, the steps each way of ending a case
requires, and the time limits of steps 5 and 8.

The disposition service's Case holds a case to them; the portal shows each user the step and
the choices they have; ``sivicon audit`` checks a request's events against them. Pure standard
library.
"""

from __future__ import annotations

from datetime import timedelta

# The schedule was free: all ten steps, the meeting (5) and the reply signed by Kadis (9).
MEETING_PROVIDED_STEPS = tuple(range(1, 11))
# The schedule was full: the Subkoordinator informs the OPD at step 4, which receives it (10).
SCHEDULE_FULL_STEPS = (1, 2, 3, 4, 10)


def required_steps(outcome: str) -> tuple[int, ...]:
    """The steps that must be recorded before a case may close with ``outcome``."""
    return MEETING_PROVIDED_STEPS if outcome == "meeting_provided" else SCHEDULE_FULL_STEPS


# Step 5: staff create the meeting within 15 minutes of the disposition to them (step 4).
MEETING_LIMIT = timedelta(minutes=15)
MEETING_LIMIT_TEXT = "15 menit"
# Step 8: Kabid reports the draft reply to Kadis within one working day of receiving it (step 7).
REVIEW_LIMIT_WORKING_DAYS = 1
REVIEW_LIMIT_TEXT = "1 hari kerja"
# How the inboxes sort open cases: "new" reached its current step within NEW_WITHIN; "due soon"
# has DUE_SOON or less left before its step's deadline; "overdue" is past it.
NEW_WITHIN = timedelta(hours=24)
DUE_SOON = timedelta(hours=2)

STEP_NAMES: dict[int, str] = {
    1: "Kepala OPD mengajukan permohonan fasilitas Layanan Video Conference (Zoom Meeting)",
    2: "Kepala Dinas mendisposisi permohonan kepada Kepala Bidang",
    3: "Kepala Bidang mendisposisi permohonan kepada Subkoordinator",
    4: "Subkoordinator mengecek jadwal dan mendisposisi ke staf, atau menginformasikan OPD "
    "bila jadwal penuh",
    5: "Staf membuat jadwal Zoom Meeting sesuai permohonan OPD",
    6: "Staf melaporkan ke Subkoordinator",
    7: "Subkoordinator membuat draf surat tanggapan dan menginformasikan ID Meeting, Password "
    "dan Link kepada Kepala Bidang",
    8: "Kepala Bidang melaporkan draf surat tanggapan dan Link Zoom Meeting kepada Kepala Dinas",
    9: "Kepala Dinas mengirimkan surat tanggapan kepada OPD pemohon",
    10: "OPD pemohon menerima informasi atau surat tanggapan",
}

# Whose turn it is while a step is pending.
ROLE_FOR_STEP: dict[int, str] = {
    2: "kadis",
    3: "kabid",
    4: "subkoordinator",
    5: "staf",
    6: "staf",
    7: "subkoordinator",
    8: "kabid",
    9: "kadis",
    10: "opd",
}

# The steps each role completes with a disposition (POST /cases/{id}/dispositions).
DISPOSING_STEPS: dict[str, tuple[int, ...]] = {
    "kadis": (2,),
    "kabid": (3, 8),
    "subkoordinator": (4, 7),
    "staf": (6,),
}

TARGETS: dict[int, tuple[str, ...]] = {
    2: ("kabid",),
    3: ("subkoordinator",),
    4: ("staf", "opd"),
    6: ("subkoordinator",),
    7: ("kabid",),
    8: ("kadis",),
}

DEFAULT_INSTRUCTIONS: dict[tuple[int, str], str] = {
    (2, "kabid"): "Proses lebih lanjut",
    (3, "subkoordinator"): "Koordinasikan/konfirmasikan",
    (4, "staf"): "Buatkan ID Meeting dan Password Zoom Meeting sesuai permohonan",
    (4, "opd"): "Jadwal penuh; informasikan langsung kepada OPD pemohon",
    (6, "subkoordinator"): "Dilaporkan: ID Meeting, Password dan Link Zoom Meeting",
    (7, "kabid"): "Tanggapan dan saran",
    (8, "kadis"): "Mohon ditandatangani dan dikirim kepada OPD pemohon",
}

# Returning the draft reply with a note (instead of the paraf of step 8, or of Kadis's signature at
# step 9): Kabid at step 8, Kadis at step 9. It goes back to the Sub-coordinator, and steps 7 and
# 8 are open again: the reply is redrafted (or kept) and goes up the chain a second time.
RETURNING_STEPS: dict[str, int] = {"kabid": 8, "kadis": 9}
RETURNED_TO = "subkoordinator"
REOPENED_BY_RETURN = (7, 8)
RETURN_INSTRUCTION = "Dikembalikan untuk diperbaiki"

SIFAT = ("biasa", "segera", "sangat_segera", "rahasia")

MAX_INSTRUCTION = 500
MAX_NOTE = 2000


def initials(name: str) -> str:
    """Paraf: the initials of a name, leaving out titles such as ``dr.`` or ``S.Kom``."""
    words = [w for w in name.replace(",", " ").split() if "." not in w and w[:1].isalpha()]
    return "".join(w[0].upper() for w in words) or name[:2].upper()
