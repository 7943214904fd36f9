"""The Lembar Disposisi of a request letter, as data: the letter, and each forward down the chain
with its instruction and paraf. A document: its dates are in the office's time zone."""

from __future__ import annotations

from uuid import UUID
from zoneinfo import ZoneInfo

from services.disposition.domain import Case, Record
from services.disposition.views import View
from shared.procedure import initials
from shared.roles import ROLE_NAMES


class Forward(View):
    """One forward on the Lembar Disposisi: from whom to whom, the instruction, the paraf."""

    sop_step: int | None
    from_role: str
    from_name: str
    on_behalf_of: str | None
    to_role: str | None
    to_label: str | None
    instruction: str
    note: str
    sifat: str | None
    initials: str
    date: str

    @classmethod
    def of(cls, record: Record, zone: ZoneInfo) -> Forward:
        actor = record.actor
        return cls(
            sop_step=record.sop_step,
            from_role=actor.on_behalf_of or actor.role,
            from_name=actor.name,
            on_behalf_of=actor.on_behalf_of,
            to_role=record.to_role,
            to_label=ROLE_NAMES.get(record.to_role or "", record.to_role),
            instruction=record.instruction,
            note=record.note,
            sifat=record.sifat,
            initials=initials(actor.name),
            date=record.at.astimezone(zone).date().isoformat(),
        )


class DispositionSheet(View):
    """The Lembar Disposisi of the request letter, as data."""

    case_id: UUID
    letter_from: str
    letter_number: str
    letter_date: str
    received_date: str
    agenda_number: str
    sifat: str | None
    hal: str
    forwards: list[Forward]
    timezone: str

    @classmethod
    def of(cls, case: Case, timezone: str) -> DispositionSheet:
        zone = ZoneInfo(timezone)
        request = case.request
        # A draft returned with a note is a disposition back down, and written on the sheet too.
        forwards = [r for r in case.records if r.kind in ("disposition", "draft_returned")]
        return cls(
            case_id=case.id,
            letter_from=request.opd_name,
            letter_number=request.letter.number,
            letter_date=request.letter.date.isoformat(),
            received_date=request.submitted_at.astimezone(zone).date().isoformat(),
            agenda_number=request.agenda_number,
            sifat=forwards[0].sifat if forwards else "biasa",
            hal=request.letter.subject,
            forwards=[Forward.of(r, zone) for r in forwards],
            timezone=timezone,
        )
