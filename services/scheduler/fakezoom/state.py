"""The fake Zoom's memory: tokens, users and meetings, and Zoom's validation of a new meeting.

Error bodies follow Zoom's: ``{"code": 300, "message": "Validation Failed.", "errors": [{"field",
"message"}]}`` for a bad body, ``{"code": 1001, ...}`` for an unknown user, ``{"code": 3001, ...}``
for an unknown meeting, ``{"code": 124, ...}`` for a missing or bad access token.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.calendar import OFFICE_TIMEZONE
from shared.validation import EMAIL_PATTERN

PASSWORD_RE = re.compile(r"^[A-Za-z0-9@\-_*!]{1,10}$")
EMAIL_RE = re.compile(EMAIL_PATTERN)
MEETING_TYPES = (1, 2, 3, 8)


class ZoomError(Exception):
    def __init__(
        self, status: int, code: int, message: str, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"code": code, "message": message}
        if errors:
            self.body["errors"] = errors


def _short_id(n: int = 22) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(n)).decode()[:n]


@dataclass
class FakeZoomUser:
    id: str
    email: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "first_name": self.email.split("@")[0],
            "last_name": "",
            "type": 2,
            "status": "active",
            "timezone": OFFICE_TIMEZONE,
        }


@dataclass
class FakeZoomState:
    """Thread-safe in-memory Zoom account: one process, one account."""

    account_id: str
    client_id: str
    client_secret: str
    owner_email: str = "owner@fakezoom.local"
    allowed_users: frozenset[str] | None = None  # None: any email is a user of the account
    token_ttl: int = 3600
    tokens: dict[str, float] = field(default_factory=dict)
    users: dict[str, FakeZoomUser] = field(default_factory=dict)
    meetings: dict[int, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- OAuth

    def issue_token(self) -> dict[str, Any]:
        token = secrets.token_urlsafe(48)
        with self._lock:
            self.tokens[token] = time.time() + self.token_ttl
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.token_ttl,
            "scope": "meeting:write:admin meeting:read:admin user:read:admin",
            "api_url": "https://api.zoom.us",
        }

    def revoke_all_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    def check_token(self, authorization: str | None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ZoomError(401, 124, "Invalid access token.")
        with self._lock:
            expires = self.tokens.get(token.strip())
        if expires is None:
            raise ZoomError(401, 124, "Invalid access token.")
        if expires < time.time():
            raise ZoomError(401, 124, "Access token is expired.")

    # ---- users

    def user(self, user_id: str) -> FakeZoomUser:
        email = self.owner_email if user_id == "me" else user_id
        with self._lock:
            for known in self.users.values():
                if user_id in (known.id, known.email):
                    return known
            allowed = self.allowed_users is None or email.lower() in self.allowed_users
            if not EMAIL_RE.match(email) or not allowed:
                raise ZoomError(404, 1001, f"User does not exist: {user_id}.")
            created = FakeZoomUser(id=_short_id(), email=email.lower())
            self.users[created.id] = created
            return created

    # ---- meetings

    def create_meeting(self, user_id: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ZoomError(400, 300, "Request Body should be a valid JSON object.")
        host = self.user(user_id)
        fields = validate_meeting(body)
        with self._lock:
            meeting_id = secrets.randbelow(9 * 10**10) + 10**10
            while meeting_id in self.meetings:
                meeting_id = secrets.randbelow(9 * 10**10) + 10**10
            password = fields["password"] or _numeric(6)
            encrypted = _short_id(32)
            meeting = {
                "uuid": _short_id(22) + "==",
                "id": meeting_id,
                "host_id": host.id,
                "host_email": host.email,
                "assistant_id": "",
                "topic": fields["topic"],
                "type": fields["type"],
                "status": "waiting",
                "start_time": fields["start_time"],
                "duration": fields["duration"],
                "timezone": fields["timezone"],
                "agenda": fields["agenda"],
                "created_at": _zulu(datetime.now(UTC)),
                "start_url": f"https://zoom.us/s/{meeting_id}?zak={_short_id(40)}",
                "join_url": f"https://zoom.us/j/{meeting_id}?pwd={encrypted}",
                "password": password,
                "h323_password": _numeric(6),
                "pstn_password": _numeric(6),
                "encrypted_password": encrypted,
                "pre_schedule": False,
                "settings": _settings(body.get("settings")),
            }
            self.meetings[meeting_id] = meeting
            return dict(meeting)

    def meeting(self, meeting_id: str) -> dict[str, Any]:
        with self._lock:
            found = self.meetings.get(_meeting_number(meeting_id))
            if found is None:
                raise ZoomError(404, 3001, f"Meeting does not exist: {meeting_id}.")
            return dict(found)

    def delete_meeting(self, meeting_id: str) -> None:
        with self._lock:
            if self.meetings.pop(_meeting_number(meeting_id), None) is None:
                raise ZoomError(404, 3001, f"Meeting does not exist: {meeting_id}.")

    def meetings_of(self, user_id: str, page_size: int, page_token: str = "") -> dict[str, Any]:
        host = self.user(user_id)
        try:
            offset = int(page_token) if page_token else 0
        except ValueError:
            raise ZoomError(400, 300, "Invalid field: next_page_token.") from None
        with self._lock:
            every = [m for m in self.meetings.values() if m["host_id"] == host.id]
        mine = every[offset : offset + page_size]
        more = offset + page_size < len(every)
        listed = [
            {
                k: m[k]
                for k in (
                    "uuid",
                    "id",
                    "host_id",
                    "topic",
                    "type",
                    "start_time",
                    "duration",
                    "timezone",
                    "agenda",
                    "created_at",
                    "join_url",
                )
            }
            for m in mine
        ]
        return {
            "page_size": page_size,
            "total_records": len(every),
            "next_page_token": str(offset + page_size) if more else "",
            "meetings": listed,
        }


def _meeting_number(meeting_id: str) -> int:
    try:
        return int(meeting_id)
    except ValueError:
        raise ZoomError(404, 3001, f"Meeting does not exist: {meeting_id}.") from None


def _numeric(n: int) -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(n))


def _zulu(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _settings(given: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "host_video": False,
        "participant_video": False,
        "join_before_host": False,
        "mute_upon_entry": False,
        "waiting_room": False,
        "approval_type": 2,
        "audio": "voip",
        "auto_recording": "none",
        "meeting_authentication": False,
    }
    if isinstance(given, dict):
        settings.update({k: v for k, v in given.items() if k in settings})
    return settings


def validate_meeting(body: dict[str, Any]) -> dict[str, Any]:
    """Zoom's checks on a new meeting; every problem is listed, as Zoom does."""
    errors: list[dict[str, str]] = []

    def bad(field_name: str, message: str) -> None:
        errors.append({"field": field_name, "message": message})

    topic = body.get("topic", "")
    if not isinstance(topic, str):
        bad("topic", "Invalid field.")
        topic = ""
    elif len(topic) > 200:
        bad("topic", "Length must be less or equal to 200.")
    agenda = body.get("agenda", "")
    if not isinstance(agenda, str) or len(agenda) > 2000:
        bad("agenda", "Length must be less or equal to 2000.")
    meeting_type = body.get("type", 2)
    if isinstance(meeting_type, bool) or meeting_type not in MEETING_TYPES:
        bad("type", "Invalid field.")
    duration = body.get("duration", 60)
    if isinstance(duration, bool) or not isinstance(duration, int) or not 0 < duration <= 1440:
        bad("duration", "Invalid field.")
    timezone = body.get("timezone", "UTC")
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        bad("timezone", f"Invalid timezone: {timezone}.")
        timezone = "UTC"
    start_time = _start_time(body.get("start_time"), str(timezone), meeting_type, bad)
    password = body.get("password")
    if password is not None and (not isinstance(password, str) or not PASSWORD_RE.match(password)):
        bad(
            "password",
            "Password can only contain the following characters: [a-z A-Z 0-9 @ - _ * !] "
            "and has a maximum length of 10 characters.",
        )
    if errors:
        raise ZoomError(400, 300, "Validation Failed.", errors)
    return {
        "topic": topic,
        "agenda": agenda,
        "type": meeting_type,
        "duration": duration,
        "timezone": timezone,
        "start_time": start_time,
        "password": password,
    }


def _start_time(value: Any, timezone: str, meeting_type: Any, bad: Any) -> str:
    if value is None:
        if meeting_type in (2, 8):
            bad("start_time", "start_time is required for a scheduled meeting.")
        return _zulu(datetime.now(UTC))
    if not isinstance(value, str):
        bad("start_time", "Invalid field.")
        return ""
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        bad("start_time", "Invalid field.")
        return ""
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return _zulu(parsed)
