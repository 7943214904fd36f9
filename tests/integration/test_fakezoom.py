"""The fake Zoom server speaks Zoom's API as its OpenAPI text describes it; the Zoom client
works against it (token, cache, refresh on 401, refusals, unreachable)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.launcher import free_port
from services.scheduler.fakezoom.embedded import RunningFakeZoom, fake_zoom_in_thread
from services.scheduler.fakezoom.state import FakeZoomState
from services.scheduler.zoom import ZoomProvider
from shared.errors import Unavailable

HOST = "dkisp.zoom1@tarakankota.go.id"


@pytest.fixture
def zoom() -> Iterator[RunningFakeZoom]:
    state = FakeZoomState(account_id="acc-1", client_id="cid", client_secret="secret")
    with fake_zoom_in_thread(state) as running:
        yield running


def _token(zoom: RunningFakeZoom) -> str:
    response = httpx.post(
        zoom.oauth_url,
        params={"grant_type": "account_credentials", "account_id": "acc-1"},
        auth=("cid", "secret"),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    assert "meeting:write:admin" in body["scope"]
    return str(body["access_token"])


def _create(zoom: RunningFakeZoom, token: str, body: object, user: str = HOST) -> httpx.Response:
    return httpx.post(
        f"{zoom.api_url}/users/{user}/meetings",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


def test_token_needs_the_apps_credentials_and_account(zoom: RunningFakeZoom) -> None:
    wrong = httpx.post(
        zoom.oauth_url,
        params={"grant_type": "account_credentials", "account_id": "acc-1"},
        auth=("cid", "wrong"),
    )
    assert wrong.status_code == 401
    assert wrong.json() == {
        "reason": "Invalid client_id or client_secret",
        "error": "invalid_client",
    }
    other_account = httpx.post(
        zoom.oauth_url,
        params={"grant_type": "account_credentials", "account_id": "acc-2"},
        auth=("cid", "secret"),
    )
    assert other_account.status_code == 400
    assert other_account.json()["error"] == "invalid_request"


def test_create_get_list_and_delete_a_meeting(zoom: RunningFakeZoom) -> None:
    token = _token(zoom)
    created = _create(
        zoom,
        token,
        {
            "topic": "Rapat Koordinasi Posyandu",
            "type": 2,
            "start_time": "2026-12-03T09:00:00",
            "duration": 120,
            "timezone": "Asia/Makassar",
            "password": "Ab12@x",
        },
    )
    assert created.status_code == 201
    meeting = created.json()
    assert 10**10 <= meeting["id"] < 10**11
    assert meeting["host_email"] == HOST
    assert meeting["start_time"] == "2026-12-03T01:00:00Z"
    assert meeting["duration"] == 120
    assert meeting["password"] == "Ab12@x"
    assert meeting["join_url"].startswith(f"https://zoom.us/j/{meeting['id']}?pwd=")
    for key in ("uuid", "host_id", "created_at", "start_url", "settings", "timezone", "topic"):
        assert meeting[key]
    headers = {"Authorization": f"Bearer {token}"}
    fetched = httpx.get(f"{zoom.api_url}/meetings/{meeting['id']}", headers=headers)
    assert fetched.json()["join_url"] == meeting["join_url"]
    listed = httpx.get(f"{zoom.api_url}/users/{HOST}/meetings", headers=headers).json()
    assert [m["id"] for m in listed["meetings"]] == [meeting["id"]]
    assert listed["total_records"] == 1
    assert (
        httpx.delete(f"{zoom.api_url}/meetings/{meeting['id']}", headers=headers).status_code == 204
    )
    gone = httpx.get(f"{zoom.api_url}/meetings/{meeting['id']}", headers=headers)
    assert gone.status_code == 404
    assert gone.json()["code"] == 3001


def test_meeting_calls_without_a_valid_token_are_refused(zoom: RunningFakeZoom) -> None:
    body = {"topic": "x", "type": 2, "start_time": "2026-12-03T01:00:00Z", "duration": 60}
    refused = _create(zoom, "not-a-token", body)
    assert refused.status_code == 401
    assert refused.json() == {"code": 124, "message": "Invalid access token."}
    anonymous = httpx.post(f"{zoom.api_url}/users/{HOST}/meetings", json=body)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == 124


def test_invalid_meeting_bodies_get_zoom_validation_errors(zoom: RunningFakeZoom) -> None:
    token = _token(zoom)
    refused = _create(
        zoom,
        token,
        {
            "topic": "x" * 201,
            "type": 5,
            "start_time": "tomorrow",
            "duration": 0,
            "timezone": "Mars/Olympus",
            "password": "far-too-long-passcode",
        },
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == 300
    assert body["message"] == "Validation Failed."
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"topic", "type", "start_time", "duration", "timezone", "password"}
    not_json = httpx.post(
        f"{zoom.api_url}/users/{HOST}/meetings",
        content=b"{",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert not_json.status_code == 400
    assert not_json.json()["code"] == 300


def test_unknown_users_are_404_when_the_account_lists_its_users() -> None:
    state = FakeZoomState(
        account_id="a", client_id="c", client_secret="s", allowed_users=frozenset({HOST})
    )
    with fake_zoom_in_thread(state) as zoom:
        token = httpx.post(
            zoom.oauth_url,
            params={"grant_type": "account_credentials", "account_id": "a"},
            auth=("c", "s"),
        ).json()["access_token"]
        body = {"topic": "x", "type": 2, "start_time": "2026-12-03T01:00:00Z", "duration": 60}
        missing = _create(zoom, token, body, user="someone@else.go.id")
        assert missing.status_code == 404
        assert missing.json()["code"] == 1001
        assert _create(zoom, token, body, user=HOST).status_code == 201
        assert _create(zoom, token, body, user="me").status_code == 404


# --------------------------------------------------------------------------- the Zoom client


def _provider(zoom: RunningFakeZoom, secret: str = "secret") -> ZoomProvider:  # noqa: S107
    return ZoomProvider(
        api_url=zoom.api_url,
        oauth_url=zoom.oauth_url,
        account_id="acc-1",
        client_id="cid",
        client_secret=secret,
    )


def test_provider_creates_a_meeting_with_the_requested_time(zoom: RunningFakeZoom) -> None:
    provider = _provider(zoom)
    start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    made = provider.create_meeting(
        HOST, "Rapat", start, start + timedelta(hours=2), "Asia/Makassar"
    )
    stored = zoom.state.meetings[int(made.meeting_id)]
    assert stored["start_time"] == "2026-12-03T01:00:00Z"
    assert stored["duration"] == 120
    assert stored["host_email"] == HOST
    assert made.passcode == stored["password"]
    assert made.join_url == stored["join_url"]
    assert len(zoom.state.tokens) == 1
    provider.create_meeting(HOST, "Rapat 2", start, start + timedelta(hours=1), "Asia/Makassar")
    assert len(zoom.state.tokens) == 1  # the token is reused until it expires


def test_provider_fetches_a_fresh_token_once_when_zoom_answers_401(zoom: RunningFakeZoom) -> None:
    provider = _provider(zoom)
    start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    provider.create_meeting(HOST, "Rapat", start, start + timedelta(hours=1), "UTC")
    zoom.state.revoke_all_tokens()
    made = provider.create_meeting(HOST, "Rapat", start, start + timedelta(hours=1), "UTC")
    assert int(made.meeting_id) in zoom.state.meetings
    provider.delete_meeting(made.meeting_id)
    assert int(made.meeting_id) not in zoom.state.meetings


def test_provider_reports_refused_credentials_and_an_unreachable_zoom(
    zoom: RunningFakeZoom,
) -> None:
    start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    with pytest.raises(Unavailable) as refused:
        _provider(zoom, secret="wrong").create_meeting(
            HOST, "Rapat", start, start + timedelta(hours=1), "UTC"
        )
    assert refused.value.status == 503
    assert "invalid_client" in refused.value.message
    assert "Zoom menolak" in refused.value.pesan
    nobody = f"http://127.0.0.1:{free_port()}"
    offline = ZoomProvider(
        api_url=nobody + "/v2",
        oauth_url=nobody + "/oauth/token",
        account_id="a",
        client_id="c",
        client_secret="s",
        timeout=2,
    )
    with pytest.raises(Unavailable) as unreachable:
        offline.create_meeting(HOST, "Rapat", start, start + timedelta(hours=1), "UTC")
    assert unreachable.value.code == "zoom_unavailable"
    assert "tidak dapat dihubungi" in unreachable.value.pesan


def test_server_runs_as_its_own_process_with_a_health_url(tmp_path: object) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "services.scheduler.fakezoom.server", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert health.status_code == 200
        # It accepts the credentials SIVICON is configured with by default.
        token = httpx.post(
            f"http://127.0.0.1:{port}/oauth/token",
            params={"grant_type": "account_credentials", "account_id": "fake-account"},
            auth=("fake-client", "fake-secret"),
        )
        assert token.status_code == 200
    finally:
        process.terminate()
        process.wait(10)


def test_provider_returns_the_meeting_already_made_for_a_request(zoom: RunningFakeZoom) -> None:
    """A retry after a crash between Zoom's answer and our record makes no second meeting."""
    provider = _provider(zoom)
    start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    for n in range(5):  # other meetings on the same host
        provider.create_meeting(
            HOST, f"Rapat {n}", start, start + timedelta(hours=1), "UTC", reference=f"other-{n}"
        )
    first = provider.create_meeting(
        HOST, "Rapat", start, start + timedelta(hours=1), "UTC", reference="req-42"
    )
    again = provider.create_meeting(
        HOST, "Rapat", start, start + timedelta(hours=1), "UTC", reference="req-42"
    )
    assert again == first
    assert len(zoom.state.meetings) == 6
    listed = [m for m in zoom.state.meetings.values() if m["agenda"] == "SIVICON request req-42"]
    assert len(listed) == 1


def test_fake_zoom_pages_the_meeting_list(zoom: RunningFakeZoom) -> None:
    provider = _provider(zoom)
    start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    for n in range(3):
        provider.create_meeting(HOST, f"Rapat {n}", start, start + timedelta(hours=1), "UTC")
    first = zoom.state.meetings_of(HOST, 2)
    second = zoom.state.meetings_of(HOST, 2, first["next_page_token"])
    assert [len(first["meetings"]), len(second["meetings"])] == [2, 1]
    assert second["next_page_token"] == ""
