"""The meeting's invitation for the agency's calendar (iCalendar, RFC 5545): once the reply letter
with the meeting was sent, ``/permohonan/{id}/undangan.ics`` gives the meeting's time, topic,
join link, ID and passcode, to open in Outlook, Google Calendar or a phone's calendar."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response

from services.portal.backend import Refusal
from services.portal.requests_access import opd_only, refused_page, request_id_of
from services.portal.requests_detail import sent_letter_of
from services.portal.signin import PageRefused, SessionDep
from services.portal.state import BackendDep

router = APIRouter(include_in_schema=False)

NOT_YET = "Undangan tersedia setelah surat balasan dengan rincian Zoom Meeting dikirim kepada Anda."


def _text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 says (backslash, semicolon, comma, new line)."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _utc(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    parts: list[str] = []
    data = line.encode()
    while len(data) > 75:
        cut = 75
        while cut > 0 and (data[cut] & 0xC0) == 0x80:  # never inside a UTF-8 character
            cut -= 1
        parts.append(data[:cut].decode())
        data = b" " + data[cut:]
    parts.append(data.decode())
    return parts


def invitation(request: dict[str, Any], meeting: dict[str, Any], now: datetime) -> str:
    """The VCALENDAR of one meeting: the request as intake answers it, the meeting as the
    scheduler does."""
    wish = request["meeting"]
    details = (
        f"Zoom Meeting untuk permohonan {request['agenda_number']}\n"
        f"Tautan: {meeting['join_url']}\n"
        f"ID Meeting: {meeting['meeting_id']}\n"
        f"Kode sandi: {meeting['passcode']}"
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//DKISP Kota Tarakan//SIVICON//ID",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{request['request_id']}@sivicon",
        f"DTSTAMP:{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
        f"DTSTART:{_utc(wish['start'])}",
        f"DTEND:{_utc(wish['end'])}",
        f"SUMMARY:{_text(wish['topic'])}",
        f"DESCRIPTION:{_text(details)}",
        f"LOCATION:{_text(meeting['join_url'])}",
        f"URL:{meeting['join_url']}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(part for line in lines for part in _fold(line)) + "\r\n"


@router.get("/permohonan/{request_id}/undangan.ics")
async def meeting_invitation(request_id: str, session: SessionDep, backend: BackendDep) -> Response:
    """The meeting as a calendar invitation, once the reply letter with it was sent."""
    opd_only(session)
    rid = request_id_of(request_id)
    letter = await sent_letter_of(backend, session, rid)
    if letter is None or letter.get("kind") != "meeting_provided":
        raise PageRefused(404, NOT_YET)
    try:
        filed, scheduled = await asyncio.gather(
            backend.get(session, "intake", f"/api/v1/requests/{rid}"),
            backend.get(session, "scheduler", f"/api/v1/meetings/{rid}"),
        )
    except Refusal as refusal:
        raise refused_page(refusal) from None
    meeting = scheduled.get("meeting")
    if not meeting:
        raise PageRefused(404, NOT_YET)
    return Response(
        invitation(filed, meeting, datetime.now(UTC)),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="undangan-{rid}.ics"',
            "Cache-Control": "no-store",
        },
    )
