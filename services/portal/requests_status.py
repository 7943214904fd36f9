"""What became of a request, in the words an agency uses: derived from what intake answers (the
request's status, its case's outcome) and what disposition answers (the pending step, the branch
of step 4). The portal decides nothing here; it only names the state the services report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    word: str
    style: str = ""  # a badge class: "done", "late" or none
    note: str = ""


def status_of(
    intake_status: str,
    case_outcome: str | None,
    pending_step: int | None,
    branch: str | None,
) -> Status:
    """What became of a request, in the words an agency uses, from what intake (its status, the
    case's outcome) and disposition (the pending step, the branch of step 4) answer."""
    if intake_status == "withdrawn" or case_outcome == "withdrawn":
        return Status("dibatalkan")
    if case_outcome is not None:  # a case closes with the agency's receipt (step 10)
        full = case_outcome == "schedule_full"
        return Status("diterima", "done", "jadwal penuh" if full else "rapat tersedia")
    if pending_step == 10:
        reply = "jadwal penuh; " if branch == "full" else ""
        return Status("surat balasan terkirim", "", f"{reply}menunggu tanda terima Anda")
    if branch == "full":
        return Status("jadwal penuh", "late")
    if pending_step is not None and pending_step >= 6:
        return Status("rapat tersedia", "done")
    if pending_step is not None and pending_step >= 3:
        return Status("didisposisi")
    return Status("diajukan")
