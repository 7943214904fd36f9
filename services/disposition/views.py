"""How a case is shown: the case, its audit history, the Lembar Disposisi, an inbox row.

Pure functions from a :class:`~services.disposition.domain.Case` to JSON-ready dicts. Times are
sent in UTC (ISO 8601); the Lembar Disposisi, a document, gives dates in the office's time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from services.disposition.domain import Case
from services.disposition.procedure import STEP_NAMES, initials
from shared.calendar import WorkingCalendar
from shared.procedure import MEETING_LIMIT_TEXT, REVIEW_LIMIT_TEXT
from shared.roles import ROLE_NAMES


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _actor(actor: dict[str, Any]) -> dict[str, Any]:
    return {
        "username": actor["username"],
        "name": actor["name"],
        "role": actor["role"],
        "on_behalf_of": actor.get("on_behalf_of"),
    }


# What a record outside the ten steps is called in the history.
OTHER_RECORDS = {
    "withdrawal": "Permohonan dibatalkan oleh OPD pemohon",
    "withdrawal_refused": "Pembatalan oleh OPD pemohon ditolak: kasus sudah ditutup",
}


def record_view(record: dict[str, Any]) -> dict[str, Any]:
    step = record["sop_step"]
    return {
        "seq": record["seq"],
        "sop_step": step,
        "step_name": STEP_NAMES[step] if step else OTHER_RECORDS.get(record["kind"], ""),
        "kind": record["kind"],
        "actor": _actor(record["actor"]),
        "role": record["actor"]["role"],
        "on_behalf_of": record["actor"].get("on_behalf_of"),
        "at": iso(record["at"]),
        "to_role": record["to_role"],
        "instruction": record["instruction"],
        "note": record["note"],
        "sifat": record["sifat"],
        "refs": _jsonable(record["refs"]),
        "sla": _jsonable(record["sla"]),
    }


def case_view(case: Case, calendar: WorkingCalendar) -> dict[str, Any]:
    pending = case.pending_step
    return {
        "case_id": str(case.id),
        "state": "closed" if case.closed else "open",
        "opened_at": iso(case.created_on),
        "request": case.request,
        "pending_step": pending,
        "pending_step_name": STEP_NAMES.get(pending) if pending else None,
        "current_role": case.current_role,
        "current_role_label": ROLE_NAMES.get(case.current_role or ""),
        "due_at": iso(case.deadline_of(pending, calendar)) if pending in (5, 8) else None,
        "steps_done": sorted(case.done_steps),
        "branch": case.branch,
        "sifat": case.sifat,
        "slot_check": case.latest_slot_check,
        "meeting": case.meeting,
        "letter": {
            "drafts": _jsonable(case.drafts),
            "forwarded_letter_id": _jsonable(case.forwarded_letter_id),
            "sent": _jsonable(case.sent_letter),
        },
        "sla_breaches": _jsonable(case.sla_breaches),
        "closed": case.closed is not None,
        "outcome": case.closed["outcome"] if case.closed else None,
        "closed_at": iso(case.closed["at"]) if case.closed else None,
    }


def _sla_summary(case: Case, step: int, limit: str, calendar: WorkingCalendar) -> dict[str, Any]:
    start = case.step_record(4 if step == 5 else 7)
    done = case.step_record(step)
    if start is None or (step == 5 and case.branch != "free"):
        return {"limit": limit, "applies": False}
    if done is not None and done["sla"] is not None:
        return {"applies": True, "completed": True, **_jsonable(done["sla"])}
    return {
        "applies": True,
        "completed": False,
        "limit": limit,
        "started_at": iso(start["at"]),
        "deadline": iso(case.deadline_of(step, calendar)),
        "completed_at": None,
        "minutes_taken": None,
        "breached": None,
    }


def history_view(case: Case, calendar: WorkingCalendar) -> dict[str, Any]:
    return {
        "case_id": str(case.id),
        "agenda_number": case.request["agenda_number"],
        "records": [record_view(r) for r in case.records],
        "steps_done": sorted(case.done_steps),
        "sla": {
            "step_5": _sla_summary(case, 5, MEETING_LIMIT_TEXT, calendar),
            "step_8": _sla_summary(case, 8, REVIEW_LIMIT_TEXT, calendar),
            "meeting_minutes_taken": case.minutes_for_meeting(),
            "breaches": _jsonable(case.sla_breaches),
        },
        "closed": case.closed is not None,
        "outcome": case.closed["outcome"] if case.closed else None,
        "closed_at": iso(case.closed["at"]) if case.closed else None,
    }


def disposition_sheet(case: Case, timezone: str) -> dict[str, Any]:
    """The Lembar Disposisi: the request letter and each forward with instruction and paraf."""
    zone = ZoneInfo(timezone)
    request = case.request
    forwards = [r for r in case.records if r["kind"] == "disposition"]
    first_sifat = forwards[0]["sifat"] if forwards else "biasa"
    return {
        "case_id": str(case.id),
        "letter_from": request["opd_name"],
        "letter_number": request["letter"]["number"],
        "letter_date": request["letter"]["date"],
        "received_date": datetime.fromisoformat(request["submitted_at"])
        .astimezone(zone)
        .date()
        .isoformat(),
        "agenda_number": request["agenda_number"],
        "sifat": first_sifat,
        "hal": request["letter"]["subject"],
        "forwards": [
            {
                "sop_step": r["sop_step"],
                "from_role": r["actor"].get("on_behalf_of") or r["actor"]["role"],
                "from_name": r["actor"]["name"],
                "on_behalf_of": r["actor"].get("on_behalf_of"),
                "to_role": r["to_role"],
                "to_label": ROLE_NAMES.get(r["to_role"], r["to_role"]),
                "instruction": r["instruction"],
                "note": r["note"],
                "sifat": r["sifat"],
                "initials": initials(r["actor"]["name"]),
                "date": r["at"].astimezone(zone).date().isoformat(),
            }
            for r in forwards
        ],
        "timezone": timezone,
    }


def inbox_row(case: Case, calendar: WorkingCalendar) -> dict[str, Any]:
    pending = case.pending_step
    request = case.request
    return {
        "case_id": str(case.id),
        "agenda_number": request["agenda_number"],
        "opd_code": request["opd_code"],
        "opd_name": request["opd_name"],
        "hal": request["letter"]["subject"],
        "letter_number": request["letter"]["number"],
        "meeting_topic": request["meeting"]["topic"],
        "meeting_start": request["meeting"]["start"],
        "meeting_end": request["meeting"]["end"],
        "pending_step": pending,
        "pending_step_name": STEP_NAMES.get(pending) if pending else None,
        "current_role": case.current_role,
        "sifat": case.sifat,
        "opened_at": iso(case.records[0]["at"]),
        "case_opened_at": iso(case.created_on),
        "waiting_since": iso(case.records[-1]["at"]),
        "due_at": iso(case.deadline_of(pending, calendar)) if pending in (5, 8) else None,
        "closed": case.closed is not None,
        "outcome": case.closed["outcome"] if case.closed else None,
    }
