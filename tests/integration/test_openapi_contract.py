"""What every service's ``/openapi.json`` promises about refusals, and that the refusals keep it:
which operations need a bearer token, and one error body for 401, 403, 404, 409, 413 and 422."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import httpx
import pytest

from shared.httpapi import ERROR_BODY_REF, ErrorBody
from shared.settings import Settings
from tests.builders import request_form
from tests.integration.test_docs_pages import APPS
from tests.pdfs import make_pdf
from tests.support import auth, make_settings, running

PUBLIC = {
    ("get", "/api/v1/health"),
    ("get", "/api/v1/verify/{letter_id}"),
    ("post", "/api/v1/auth/login"),
}


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    ]


def _takes_input(method: str, operation: dict[str, Any]) -> bool:
    return method != "get" or bool(operation.get("parameters") or operation.get("requestBody"))


def _refers_to_our_error_body(operation: dict[str, Any], status: int) -> bool:
    answer = operation["responses"].get(str(status), {})
    return bool(
        answer.get("content", {}).get("application/json", {}).get("schema")
        == {"$ref": ERROR_BODY_REF}
    )


@pytest.mark.parametrize("name", list(APPS))
async def test_the_documents_declare_the_token_and_every_refusal(
    name: str, settings: Settings
) -> None:
    async with running(APPS[name](settings)) as client:
        spec = (await client.get("/openapi.json")).json()

    assert spec["components"]["securitySchemes"]["bearer"]["type"] == "http"
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    declared = spec["components"]["schemas"]["ErrorBody"]
    assert declared["properties"]["error"] == {"$ref": "#/components/schemas/ErrorInfo"}
    assert set(spec["components"]["schemas"]["ErrorInfo"]["required"]) == {
        "code",
        "message",
        "pesan",
    }
    assert "HTTPValidationError" not in json.dumps(spec)

    for method, path, operation in _operations(spec):
        where = f"{name}: {method.upper()} {path}"
        refusals = [int(s) for s in operation["responses"] if s.startswith("4")]
        assert all(_refers_to_our_error_body(operation, s) for s in refusals), where
        if (method, path) in PUBLIC or not path.startswith("/api/v1"):
            assert "security" not in operation, where
            continue
        assert operation["security"] == [{"bearer": []}], where
        assert {401, 403} <= set(refusals), where
        if _takes_input(method, operation):
            assert 422 in refusals, where
        if "{" in path:
            assert 404 in refusals, where


def _keeps_the_contract(
    spec: dict[str, Any], method: str, path: str, answer: httpx.Response, status: int, code: str
) -> None:
    """The answer has the status and code expected, the document declares that status for the
    operation with our error body, and the body is that error body, field for field."""
    assert answer.status_code == status, answer.text
    assert _refers_to_our_error_body(spec["paths"][path][method], status), (method, path, status)
    body = ErrorBody.model_validate(answer.json())
    assert body.error.code == code


async def test_intake_refuses_in_the_shape_it_declares(settings: Settings) -> None:
    letter = make_pdf()
    limit = max(1024, len(letter))
    small = make_settings(settings.data_dir, settings.nats_url, max_letter_pdf_bytes=limit)
    pdf = ("surat.pdf", letter, "application/pdf")
    async with running(APPS["intake"](small)) as client:
        spec = (await client.get("/openapi.json")).json()
        opd, admin = auth(small, "opd"), auth(small, "admin")

        no_token = await client.get("/api/v1/requests")
        _keeps_the_contract(spec, "get", "/api/v1/requests", no_token, 401, "not_authenticated")
        forged = await client.get("/api/v1/requests", headers={"Authorization": "Bearer a.b"})
        _keeps_the_contract(spec, "get", "/api/v1/requests", forged, 401, "not_authenticated")

        wrong_role = await client.post(
            "/api/v1/agencies", json={"code": "X1", "name": "X"}, headers=opd
        )
        _keeps_the_contract(spec, "post", "/api/v1/agencies", wrong_role, 403, "wrong_role")

        unknown = await client.get(f"/api/v1/requests/{uuid4()}", headers=admin)
        _keeps_the_contract(spec, "get", "/api/v1/requests/{request_id}", unknown, 404, "not_found")

        bad_body = await client.post("/api/v1/agencies", json={"code": "X"}, headers=admin)
        _keeps_the_contract(spec, "post", "/api/v1/agencies", bad_body, 422, "invalid_input")
        assert {d["field"] for d in bad_body.json()["error"]["details"]} == {"code", "name"}

        not_a_uuid = await client.get("/api/v1/requests/42", headers=admin)
        _keeps_the_contract(
            spec, "get", "/api/v1/requests/{request_id}", not_a_uuid, 422, "invalid_input"
        )

        # The machine submission's field errors take the same path as every other refusal.
        invalid = await client.post("/api/v1/submissions", json={"client_ref": "x"}, headers=opd)
        _keeps_the_contract(spec, "post", "/api/v1/submissions", invalid, 422, "invalid_input")
        assert {d["field"] for d in invalid.json()["error"]["details"]} >= {"requester", "letter"}

        huge = ("surat.pdf", b"%PDF-1.4" + b"0" * limit, "application/pdf")
        too_large = await client.post(
            "/api/v1/requests", data=request_form(), files={"letter_pdf": huge}, headers=opd
        )
        _keeps_the_contract(spec, "post", "/api/v1/requests", too_large, 413, "too_large")

        filed = await client.post(
            "/api/v1/requests", data=request_form(), files={"letter_pdf": pdf}, headers=opd
        )
        assert filed.status_code == 201, filed.text
        withdraw = f"/api/v1/requests/{filed.json()['request_id']}/withdraw"
        reason = {"reason": "acara dibatalkan"}
        assert (await client.post(withdraw, json=reason, headers=opd)).status_code == 200
        again = await client.post(withdraw, json=reason, headers=opd)
        _keeps_the_contract(
            spec,
            "post",
            "/api/v1/requests/{request_id}/withdraw",
            again,
            409,
            "step_out_of_order",
        )


async def test_letters_refuse_in_the_declared_shape_publicly_and_not(settings: Settings) -> None:
    async with running(APPS["letters"](settings)) as client:
        spec = (await client.get("/openapi.json")).json()
        unknown = await client.get(f"/api/v1/verify/{uuid4()}")
        _keeps_the_contract(spec, "get", "/api/v1/verify/{letter_id}", unknown, 404, "not_found")
        unknown_letter = await client.post(
            f"/api/v1/letters/{uuid4()}/send", headers=auth(settings, "kadis")
        )
        _keeps_the_contract(
            spec, "post", "/api/v1/letters/{letter_id}/send", unknown_letter, 404, "not_found"
        )
        no_token = await client.post(f"/api/v1/letters/{uuid4()}/send")
        _keeps_the_contract(
            spec, "post", "/api/v1/letters/{letter_id}/send", no_token, 401, "not_authenticated"
        )
