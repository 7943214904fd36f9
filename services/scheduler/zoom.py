"""Creating meetings on Zoom, behind a small provider interface.

:class:`ZoomProvider` speaks Zoom's REST API v2 with a Server-to-Server OAuth app: it asks
``POST <oauth_url>?grant_type=account_credentials&account_id=...`` (HTTP Basic with the client ID
and secret) for a bearer token, keeps it until shortly before it expires, and retries a call once
with a fresh token when Zoom answers 401. Every failure reaches the caller as
:class:`shared.errors.Unavailable` saying, in English and Bahasa Indonesia, what went wrong.
"""

from __future__ import annotations

import logging
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from shared.errors import Unavailable

log = logging.getLogger("sivicon.scheduler.zoom")

_PASSCODE_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class ProvisionedMeeting:
    meeting_id: str
    passcode: str
    join_url: str
    host_email: str


class MeetingProvider(Protocol):
    def create_meeting(
        self,
        host_email: str,
        topic: str,
        start: datetime,
        end: datetime,
        tz: str,
        reference: str = "",
    ) -> ProvisionedMeeting:
        """Create the meeting, or return the one already made for ``reference``."""
        ...

    def delete_meeting(self, meeting_id: str) -> None: ...


AGENDA_MARKER = "SIVICON request "


def new_passcode(length: int = 8) -> str:
    """A passcode Zoom accepts (at most 10 characters) with letters and digits both present."""
    while True:
        code = "".join(secrets.choice(_PASSCODE_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in code) and any(c.isalpha() for c in code):
            return code


class ZoomProvider:
    """Zoom's meeting API through a Server-to-Server OAuth app."""

    def __init__(
        self,
        *,
        api_url: str,
        oauth_url: str,
        account_id: str,
        client_id: str,
        client_secret: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.oauth_url = oauth_url
        self.account_id = account_id
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._client = httpx.Client(timeout=timeout, transport=transport)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_expires = 0.0

    def close(self) -> None:
        self._client.close()

    # ---- meetings

    def create_meeting(
        self,
        host_email: str,
        topic: str,
        start: datetime,
        end: datetime,
        tz: str,
        reference: str = "",
    ) -> ProvisionedMeeting:
        """Zoom has no idempotency key: the request's reference goes into the agenda, and a
        meeting already carrying it (made before a crash, say) is returned, not made again."""
        if reference:
            existing = self._find_by_reference(host_email, reference)
            if existing is not None:
                return existing
        body = {
            "topic": topic[:200],
            "agenda": f"{AGENDA_MARKER}{reference}" if reference else "",
            "type": 2,
            "start_time": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": max(1, round((end - start).total_seconds() / 60)),
            "timezone": tz,
            "password": new_passcode(),
            "settings": {
                "join_before_host": False,
                "waiting_room": True,
                "mute_upon_entry": True,
                "approval_type": 2,
            },
        }
        response = self._call("POST", f"/users/{quote(host_email, safe='@')}/meetings", json=body)
        if response.status_code != 201:
            raise self._refused("create the meeting", "membuat rapat", response)
        data: dict[str, Any] = response.json()
        return ProvisionedMeeting(
            meeting_id=str(data["id"]),
            passcode=str(data.get("password") or body["password"]),
            join_url=str(data["join_url"]),
            host_email=str(data.get("host_email") or host_email),
        )

    def _find_by_reference(self, host_email: str, reference: str) -> ProvisionedMeeting | None:
        marker = f"{AGENDA_MARKER}{reference}"
        path = f"/users/{quote(host_email, safe='@')}/meetings"
        token = ""
        while True:
            params = {"type": "scheduled", "page_size": 300}
            if token:
                params["next_page_token"] = token
            response = self._call("GET", path, params=params)
            if response.status_code != 200:
                raise self._refused("list the meetings", "membaca daftar rapat", response)
            page: dict[str, Any] = response.json()
            for listed in page.get("meetings", []):
                if (listed.get("agenda") or "").strip() == marker:
                    return self._provisioned(str(listed["id"]), host_email)
            token = page.get("next_page_token") or ""
            if not token:
                return None

    def _provisioned(self, meeting_id: str, host_email: str) -> ProvisionedMeeting:
        response = self._call("GET", f"/meetings/{quote(meeting_id, safe='')}")
        if response.status_code != 200:
            raise self._refused("read the meeting", "membaca rapat", response)
        data: dict[str, Any] = response.json()
        return ProvisionedMeeting(
            meeting_id=str(data["id"]),
            passcode=str(data.get("password") or ""),
            join_url=str(data["join_url"]),
            host_email=str(data.get("host_email") or host_email),
        )

    def delete_meeting(self, meeting_id: str) -> None:
        response = self._call("DELETE", f"/meetings/{quote(meeting_id, safe='')}")
        if response.status_code not in (204, 404):
            raise self._refused("delete the meeting", "menghapus rapat", response)

    # ---- plumbing

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._send(method, path, self._access_token(), **kwargs)
        if response.status_code == 401:
            # The token may have been revoked or expired early: one retry with a fresh one.
            response = self._send(method, path, self._access_token(refresh=True), **kwargs)
        return response

    def _send(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(
                method,
                self.api_url + path,
                headers={"Authorization": f"Bearer {token}"},
                **kwargs,
            )
        except httpx.HTTPError as exc:
            raise _unreachable(self.api_url, exc) from exc

    def _access_token(self, *, refresh: bool = False) -> str:
        with self._lock:
            if refresh or self._token is None or self._clock() >= self._token_expires:
                self._token, lifetime = self._fetch_token()
                # Renew a minute early, so that a token never expires in flight.
                self._token_expires = self._clock() + max(lifetime - 60, lifetime / 2)
            return self._token

    def _fetch_token(self) -> tuple[str, float]:
        try:
            response = self._client.post(
                self.oauth_url,
                params={"grant_type": "account_credentials", "account_id": self.account_id},
                auth=(self._client_id, self._client_secret),
            )
        except httpx.HTTPError as exc:
            raise _unreachable(self.oauth_url, exc) from exc
        if response.status_code != 200:
            raise self._refused("issue an access token", "menerbitkan token akses", response)
        data = response.json()
        return str(data["access_token"]), float(data.get("expires_in", 3600))

    @staticmethod
    def _refused(what: str, apa: str, response: httpx.Response) -> Unavailable:
        detail = _zoom_error(response)
        log.warning("Zoom refused to %s: HTTP %s %s", what, response.status_code, detail)
        return Unavailable(
            f"Zoom refused to {what} (HTTP {response.status_code}: {detail})",
            f"Zoom menolak {apa} (HTTP {response.status_code}: {detail}); "
            "coba lagi atau masukkan rapat secara manual",
            code="zoom_refused",
        )


def _unreachable(url: str, exc: httpx.HTTPError) -> Unavailable:
    log.warning("Zoom unreachable at %s: %s", url, exc)
    return Unavailable(
        f"Zoom cannot be reached ({type(exc).__name__}: {exc}); try again later "
        "or enter the meeting by hand",
        "Zoom tidak dapat dihubungi; coba lagi nanti atau masukkan rapat secara manual",
        code="zoom_unavailable",
    )


def _zoom_error(response: httpx.Response) -> str:
    """Zoom's own words: ``{code, message}`` from the API, ``{error, reason}`` from OAuth."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if not isinstance(body, dict):
        return str(body)[:200]
    if "message" in body:
        return f"{body.get('code', '')} {body['message']}".strip()
    if "reason" in body or "error" in body:
        return f"{body.get('error', '')} {body.get('reason', '')}".strip()
    return str(body)[:200]
