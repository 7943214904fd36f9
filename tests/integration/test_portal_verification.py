"""The public verification page of the portal (`/verifikasi/<letter_id>`, the link printed on
every reply letter), answered from a real letters service over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from services.launcher import free_port
from services.letters.main import create_app as create_letters
from services.portal.main import create_app as create_portal
from shared.settings import Settings
from tests.builders import disposed, meeting_created, person, slot_checked, submitted
from tests.support import auth, make_settings, publish_event, running, serving


@pytest.fixture
def letters_settings(tmp_path: Path, nats_url: str) -> Iterator[Settings]:
    """The letters service on a free port, with its consumers, as the portal reaches it."""
    # The portal reaches letters at the URL its settings name, so the port is chosen first.
    port = free_port()
    settings = make_settings(tmp_path / "var", nats_url, letters_url=f"http://127.0.0.1:{port}")
    with serving(create_letters(settings), port=port):
        yield settings


async def until(letters: httpx.AsyncClient, settings: Settings, request_id: Any, key: str) -> None:
    """Poll until the letters consumer has applied what was published."""
    body: dict[str, Any] = {}
    for _ in range(150):
        response = await letters.get(
            f"/api/v1/requests/{request_id}/letter-status", headers=auth(settings, "staf")
        )
        body = response.json() if response.status_code == 200 else {}
        if body.get(key):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"letter status never had {key}: {body}")


async def sent_letter(settings: Settings) -> dict[str, Any]:
    """A meeting reply drafted, forwarded (steps 7 and 8) and signed by the Kadis."""
    request_id = uuid4()
    for event in (
        submitted(request_id),
        slot_checked(request_id, available=True),
        meeting_created(request_id),
    ):
        await publish_event(settings.nats_url, event)
    async with httpx.AsyncClient(base_url=settings.letters_url, timeout=30) as letters:
        await until(letters, settings, request_id, "draftable_kind")
        drafted = await letters.post(
            "/api/v1/letters",
            json={"request_id": str(request_id)},
            headers=auth(settings, "subkoordinator"),
        )
        assert drafted.status_code == 201, drafted.text
        letter_id = drafted.json()["letter_id"]
        await publish_event(settings.nats_url, disposed(request_id, 7, "kabid", letter_id))
        await until(letters, settings, request_id, "draft_forwarded")
        await publish_event(settings.nats_url, disposed(request_id, 8, "kadis"))
        await until(letters, settings, request_id, "ready_for_signature")
        sent = await letters.post(
            f"/api/v1/letters/{letter_id}/send", headers=auth(settings, "kadis")
        )
        assert sent.status_code == 200, sent.text
        return dict(sent.json())


async def test_the_verification_page_shows_the_sent_letter_and_its_signer(
    letters_settings: Settings,
) -> None:
    settings = letters_settings
    letter = await sent_letter(settings)
    async with running(create_portal(settings)) as portal:
        page = await portal.get(f"/verifikasi/{letter['letter_id']}")  # public: no token
        unknown = await portal.get(f"/verifikasi/{uuid4()}")
    assert page.status_code == 200
    assert "Surat terverifikasi" in page.text
    assert letter["number"] in page.text
    assert letter["pdf_sha256"] in page.text
    assert f"<td>{person('kadis').name}</td>" in page.text  # the signer, as the token names them
    assert unknown.status_code == 404
    assert "Surat tidak ditemukan" in unknown.text


async def test_the_verification_page_shows_the_signers_position(
    letters_settings: Settings,
) -> None:
    settings = letters_settings
    letter = await sent_letter(settings)
    async with running(create_portal(settings)) as portal:
        page = await portal.get(f"/verifikasi/{letter['letter_id']}")
    assert page.status_code == 200
    # The jabatan of the signature block on the PDF (the office's default head title).
    jabatan = "Kepala Dinas Komunikasi, Informatika, Statistik dan Persandian Kota Tarakan"
    assert f'<th scope="row">Jabatan</th><td>{escape(jabatan)}</td>' in page.text
