"""The meeting's calendar invitation: valid iCalendar a calendar program reads."""

from __future__ import annotations

from datetime import UTC, datetime

from services.portal.requests_invite import invitation

REQUEST = {
    "request_id": "6f1c2b1e-2f4a-4f7e-9d59-0c1a2b3c4d5e",
    "agenda_number": "VC/2026/0042",
    "meeting": {
        "topic": "Rapat Koordinasi Stunting; Kecamatan Tarakan Barat, Tengah",
        "start": "2026-12-21T01:00:00+00:00",
        "end": "2026-12-21T03:00:00Z",
    },
}
MEETING = {
    "meeting_id": "28606238302",
    "passcode": "u0Fszx5i",
    "join_url": "https://zoom.us/j/28606238302?pwd=mqn96eF88piZlZPkgin4R0GPeVkVOJDl",
}


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_the_invitation_holds_the_meeting_in_utc_with_its_link_id_and_passcode() -> None:
    text = invitation(REQUEST, MEETING, datetime(2026, 11, 30, 5, 0, tzinfo=UTC))
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    lines = unfold(text)
    assert "DTSTART:20261221T010000Z" in lines  # 09.00 WITA
    assert "DTEND:20261221T030000Z" in lines
    assert "UID:6f1c2b1e-2f4a-4f7e-9d59-0c1a2b3c4d5e@sivicon" in lines
    assert "SUMMARY:Rapat Koordinasi Stunting\\; Kecamatan Tarakan Barat\\, Tengah" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert "ID Meeting: 28606238302\\nKode sandi: u0Fszx5i" in description
    assert f"URL:{MEETING['join_url']}" in lines
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))  # folded
