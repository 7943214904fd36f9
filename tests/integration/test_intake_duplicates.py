"""The same letter filed twice: intake names an agency's other requests with the same letter
number (ignoring case and surrounding spaces) or the same PDF, and only to those who may read the
request."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.intake.application import IntakeApplication
from services.intake.main import create_app
from services.intake.submissions import parse_submission
from shared.documents import DocumentStore
from shared.settings import Settings
from tests.builders import person, request_form, submission
from tests.pdfs import make_pdf
from tests.support import auth, running

NUMBER = "800/412/DINKES"


@pytest.fixture
def app(store_env: dict[str, str], tmp_path: Path) -> IntakeApplication:
    application = IntakeApplication(env=store_env, documents=DocumentStore(tmp_path / "docs"))
    application.seed_demo_agencies()
    return application


def file(app: IntakeApplication, ref: str, number: str, pdf: str, opd: str = "DINKES") -> UUID:
    body: dict[str, Any] = submission(ref)
    body["letter"] = {
        **body["letter"],
        "number": number,
        "pdf_base64": base64.b64encode(make_pdf(pdf)).decode(),
    }
    filing = parse_submission(
        json.dumps(body).encode(),
        opd_code=opd,
        channel="http",
        submitted_by=person("opd", opd_code=opd),
        message_id=None,
    )
    request, _ = app.submit(filing)
    return request.id


def test_the_agency_s_requests_with_the_same_number_or_pdf_are_named(
    app: IntakeApplication,
) -> None:
    first = file(app, "A-1", NUMBER, "surat A")
    same_number = file(app, "A-2", f"  {NUMBER.lower()} ", "surat B")
    same_pdf = file(app, "A-3", "800/413/DINKES", "surat A")
    both = file(app, "A-4", NUMBER, "surat A")
    longer_number = file(app, "A-5", f"{NUMBER}/2", "surat C")  # not the same number
    elsewhere = file(app, "B-1", NUMBER, "surat A", opd="DISDIK")  # another agency's

    request, found = app.duplicates(first)
    assert request.id == first
    assert [(d.request.request_id, d.same_number, d.same_pdf) for d in found] == [
        (both, True, True),
        (same_pdf, False, True),
        (same_number, True, False),
    ]
    _, for_the_longer_number = app.duplicates(longer_number)
    assert for_the_longer_number == []
    _, for_the_other_agency = app.duplicates(elsewhere)
    assert for_the_other_agency == []
    _, for_the_second = app.duplicates(same_number)  # its PDF is its own: the number only
    assert [(d.request.request_id, d.same_number, d.same_pdf) for d in for_the_second] == [
        (both, True, False),
        (first, True, False),
    ]


async def test_only_who_may_read_the_request_learns_of_its_duplicates(settings: Settings) -> None:
    async with running(create_app(settings)) as client:

        async def filed(number: str, pdf: str) -> str:
            answer = await client.post(
                "/api/v1/requests",
                data=request_form(letter_number=number),
                files={"letter_pdf": ("surat.pdf", make_pdf(pdf), "application/pdf")},
                headers=auth(settings, "opd"),
            )
            assert answer.status_code == 201, answer.text
            request_id: str = answer.json()["request_id"]
            return request_id

        first = await filed(NUMBER, "surat A")
        again = await filed(NUMBER.lower(), "surat B")
        other = await filed("800/999/DINKES", "surat C")
        path = f"/api/v1/requests/{first}/duplicates"

        mine = await client.get(path, headers=auth(settings, "opd"))
        assert mine.status_code == 200
        [duplicate] = mine.json()
        assert duplicate["request"]["request_id"] == again
        assert (duplicate["same_number"], duplicate["same_pdf"]) == (True, False)
        assert duplicate["request"]["letter"]["number"] == NUMBER.lower()
        assert (await client.get(path, headers=auth(settings, "kadis"))).json() == mine.json()
        none = await client.get(
            f"/api/v1/requests/{other}/duplicates", headers=auth(settings, "opd")
        )
        assert none.json() == []

        theirs = await client.get(path, headers=auth(settings, "opd", "DISDIK"))
        assert theirs.status_code == 403
        assert theirs.json()["error"]["code"] == "wrong_agency"
        unknown = await client.get(
            f"/api/v1/requests/{uuid4()}/duplicates", headers=auth(settings, "opd")
        )
        assert unknown.status_code == 404
