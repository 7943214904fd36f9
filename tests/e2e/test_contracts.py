"""Each service's `/openapi.json` is its contract: every answer the e2e flows get must be one the
document declares, in the shape it declares. The harness's clients record every answer
(`harness.TRAFFIC`); this module drives the procedure once more, reading every view and provoking
every refusal on the way, then checks all answers recorded in the session so far (it runs last,
see conftest.py) against the documents of the running services."""

from __future__ import annotations

from functools import partial
from typing import Any
from uuid import uuid4

import httpx
import pytest
from jsonschema import Draft202012Validator

from services.launcher import System
from tests.builders import submission
from tests.e2e.harness import TRAFFIC, Exchange, User, file_request, login, wait_until
from tests.e2e.test_case_decides import to_meeting
from tests.e2e.test_procedure import events_of, future_slot, types

DOCUMENTED = ("intake", "disposition", "scheduler", "letters", "portal")
ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}
Document = dict[str, Any]

# Answers whose schema is another standard's: the AsyncAPI document follows the AsyncAPI 3.0
# specification (checked in tests/unit/test_asyncapi.py); its parts are not repeated here.
OTHER_STANDARDS = {("portal", "GET", "/api/v1/asyncapi.json")}

# The documents do not depend on the store, and the answers the other e2e modules got on
# PostgreSQL are in the traffic checked here: one store is enough for this module's own flows.
pytestmark = pytest.mark.parametrize("system", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def documents(system: System) -> dict[str, Document]:
    """The running services' documents, once the flows below have run."""
    drive_the_procedure(system)
    return {
        name: httpx.get(system.urls[name] + "/openapi.json", timeout=30).json()
        for name in DOCUMENTED
    }


@pytest.fixture(scope="module")
def traffic(documents: dict[str, Document]) -> list[Exchange]:
    """Every answer recorded so far: this module's flows, and every e2e test's before it."""
    return list(TRAFFIC)


def test_every_answer_is_declared_and_matches_its_schema(
    documents: dict[str, Document], traffic: list[Exchange]
) -> None:
    assert {e.service for e in traffic} >= set(DOCUMENTED), "the flows reach every service"
    problems = sorted({p for e in traffic for p in mismatches(e, documents)})
    assert not problems, "answers the documents do not describe:\n" + "\n".join(problems)


def test_every_answer_has_a_typed_schema(
    documents: dict[str, Document], traffic: list[Exchange]
) -> None:
    """A schema of `{}` or of an object of anything tells a client nothing about the answer."""
    ours = [e for e in traffic if (e.service, e.method, e.path) not in OTHER_STANDARDS]
    gaps = sorted({g for e in ours if e.status < 300 for g in untyped_answer(e, documents)})
    assert not gaps, "operations whose answer has no typed schema:\n" + "\n".join(gaps)


def drive_the_procedure(system: System) -> None:
    """Both branches to the end, a withdrawal, every list and view, refusals of each kind, and
    some of it through the portal's gateway."""
    names = ("opd.dinkes", "kadis", "kabid", "subko", "staf", "auditor", "admin")
    roles = ("opd", "kadis", "kabid", "subko", "staf", "auditor", "admin")
    users = {role: login(system, name) for role, name in zip(roles, names, strict=True)}
    opd, kadis, kabid, subko, staf, admin = (
        users[k] for k in ("opd", "kadis", "kabid", "subko", "staf", "admin")
    )
    start, end = future_slot(20, 9)
    free = file_request(opd, start=start, end=end, participants=80)
    to_meeting(users, free)
    staf.dispose(free, "subkoordinator")
    letter_id = subko.when_ready("POST", "letters", "/api/v1/letters", json={"request_id": free})[
        "letter_id"
    ]
    subko.dispose(free, "kabid", letter_id=letter_id)
    returns = f"/api/v1/cases/{free}/returns"
    opd.call("POST", "disposition", returns, json={"note": "bukan giliran"})  # 403
    kabid.call("POST", "disposition", returns, json={"note": " "})  # 422
    kabid.ok("POST", "disposition", returns, json={"note": "Perbaiki jam rapat"})
    kabid.call("POST", "disposition", returns, json={"note": "sekali lagi"})  # 409
    subko.dispose(free, "kabid", letter_id=letter_id)
    kabid.dispose(free, "kadis")
    kadis.when_ready("POST", "letters", f"/api/v1/letters/{letter_id}/send")
    opd.when_ready("POST", "letters", f"/api/v1/letters/{letter_id}/receipt")
    wait_until(lambda: "CaseClosed" in types(events_of(system, free)), what="CaseClosed")

    full = schedule_full_branch(users)
    withdrawn = file_request(opd, start=start, end=end, participants=20, topic="Rapat ditunda")
    wait_until(lambda: kadis.call("GET", "disposition", f"/api/v1/cases/{withdrawn}").is_success)
    opd.ok("POST", "intake", f"/api/v1/requests/{withdrawn}/withdraw", json={"reason": "Ditunda"})

    day = start[:10]
    for user in (opd, kadis, staf, users["auditor"]):
        for request_id in (free, full, withdrawn):
            for service, path in (
                ("intake", f"/api/v1/requests/{request_id}"),
                ("disposition", f"/api/v1/cases/{request_id}"),
                ("disposition", f"/api/v1/cases/{request_id}/history"),
                ("disposition", f"/api/v1/cases/{request_id}/disposition-sheet"),
                ("scheduler", f"/api/v1/meetings/{request_id}"),
                ("letters", f"/api/v1/requests/{request_id}/letter-status"),
                ("letters", f"/api/v1/letters?request_id={request_id}"),
                ("intake", f"/api/v1/requests/{request_id}/letter"),
                ("intake", f"/api/v1/requests/{request_id}/duplicates"),
            ):
                user.call("GET", service, path)
        for service, path in (
            ("portal", "/api/v1/me"),
            ("intake", "/api/v1/requests"),
            ("intake", "/api/v1/agencies"),
            ("intake", "/api/v1/agencies/details"),
            ("intake", "/api/v1/agencies/DINKES"),
            ("disposition", "/api/v1/cases"),
            ("disposition", "/api/v1/inbox"),
            ("scheduler", "/api/v1/host-accounts"),
            ("scheduler", f"/api/v1/schedule?date={day}"),
            ("scheduler", f"/api/v1/slots/check?start={start}&end={end}&participants=50"),
            ("letters", f"/api/v1/letters/{letter_id}"),
            ("letters", f"/api/v1/letters/{letter_id}/pdf"),
            ("letters", f"/api/v1/verify/{letter_id}"),
        ):
            user.call("GET", service, path.replace("+", "%2B"))
    admin.ok("GET", "portal", "/api/v1/users")
    admin.ok("GET", "portal", "/api/v1/asyncapi.json")
    admin.ok("POST", "intake", "/api/v1/agencies", json={"code": "KONTRAK", "name": "Dinas Uji"})
    account = {"id": "zoom-uji", "name": "Zoom Uji", "email": "uji@tarakankota.go.id"}
    admin.ok("POST", "scheduler", "/api/v1/host-accounts", json={**account, "capacity": 100})
    admin.ok("PATCH", "scheduler", "/api/v1/host-accounts/zoom-uji", json={"active": False})
    opd.ok("POST", "intake", "/api/v1/submissions", json=submission("kontrak-1"))
    for service in DOCUMENTED:
        admin.ok("GET", service, "/api/v1/health")
        admin.ok("GET", service, "/api/v1/health/details")
    # The browser's way: the same operations through the portal's gateway.
    opd.ok("GET", "portal", f"/gw/intake/api/v1/requests/{free}")
    opd.ok("GET", "portal", "/gw/disposition/api/v1/cases")
    # Refusals: no token, a wrong role, nothing there, out of order, invalid input.
    opd.client.get(system.urls["disposition"] + "/api/v1/inbox")
    opd.call("POST", "disposition", f"/api/v1/cases/{free}/dispositions", json={"to_role": "kabid"})
    kabid.call(
        "POST", "disposition", f"/api/v1/cases/{free}/dispositions", json={"to_role": "staf"}
    )
    kadis.call("GET", "disposition", f"/api/v1/cases/{uuid4()}")
    opd.call("POST", "intake", f"/api/v1/requests/{free}/withdraw", json={"reason": "Batal"})
    opd.call("POST", "intake", f"/api/v1/requests/{free}/withdraw", json={"reason": ""})
    kadis.call("GET", "portal", f"/gw/letters/api/v1/letters/{uuid4()}")


def schedule_full_branch(users: dict[str, User]) -> str:
    """Every host account taken at one time, then a request for it: closed with a letter."""
    opd, kadis, kabid, subko = (users[k] for k in ("opd", "kadis", "kabid", "subko"))
    start, end = future_slot(22, 13)
    for participants in (450, 250, 90, 50):
        request_id = file_request(opd, start=start, end=end, participants=participants)
        kadis.dispose(request_id, "kabid")
        kabid.dispose(request_id, "subkoordinator")
        wait_until(partial(slot_checked, kadis.system, request_id), what="SlotChecked")
    subko.dispose(request_id, "opd", instruction="Jadwal penuh")
    letter = subko.when_ready("POST", "letters", "/api/v1/letters", json={"request_id": request_id})
    assert letter["kind"] == "schedule_full", letter
    subko.when_ready("POST", "letters", f"/api/v1/letters/{letter['letter_id']}/send")
    opd.when_ready("POST", "letters", f"/api/v1/letters/{letter['letter_id']}/receipt")
    return request_id


def slot_checked(system: System, request_id: str) -> bool:
    return "SlotChecked" in types(events_of(system, request_id))


def operation(document: Document, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The operation answering ``method path``, and its path template; literal segments win."""
    segments = path.rstrip("/").split("/")
    for template in sorted(document["paths"], key=lambda t: t.count("{")):
        parts = template.rstrip("/").split("/")
        if len(parts) == len(segments) and all(
            p == s or (p.startswith("{") and p.endswith("}") and s)
            for p, s in zip(parts, segments, strict=True)
        ):
            op = document["paths"][template].get(method.lower())
            if op is not None:
                return template, op
    return None


def mismatches(exchange: Exchange, documents: dict[str, Document]) -> list[str]:
    """What about this answer its service's document does not declare."""
    where = f"{exchange.service} {exchange.method} {exchange.path} {exchange.status}"
    document = documents.get(exchange.service)
    found = operation(document, exchange.method, exchange.path) if document else None
    if document is None or found is None:
        return [f"{where}: no such operation in the document"]
    template, op = found
    where = f"{exchange.service} {exchange.method} {template} {exchange.status}"
    declared = op.get("responses", {}).get(str(exchange.status))
    if declared is None:
        return [f"{where}: status not declared"]
    if exchange.status >= 400:
        return [f"{where}: not an ErrorBody: {e}" for e in errors(exchange, ERROR_BODY, document)]
    schema = declared.get("content", {}).get("application/json", {}).get("schema")
    if exchange.body is None or schema is None:
        return []  # not JSON, or nothing declared to check it against: the typed test says so
    return [f"{where}: {e}" for e in errors(exchange, schema, document)]


def errors(exchange: Exchange, schema: dict[str, Any], document: Document) -> list[str]:
    if exchange.body is None:
        return [f"a {exchange.content_type or 'bodiless'} answer, not JSON"]
    # The document's components beside the schema: `#/components/schemas/...` resolves as there.
    root = {"components": document.get("components", {}), "allOf": [schema]}
    validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [
        f"at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
        for e in validator.iter_errors(exchange.body)
    ]


def untyped_answer(exchange: Exchange, documents: dict[str, Document]) -> list[str]:
    """Each part of a 2xx answer whose declared schema does not say what it holds."""
    document = documents.get(exchange.service)
    found = operation(document, exchange.method, exchange.path) if document else None
    if document is None or found is None:
        return []  # the other test names it
    template, op = found
    where = f"{exchange.service} {exchange.method} {template} {exchange.status}"
    content = op.get("responses", {}).get(str(exchange.status), {}).get("content", {})
    if exchange.content_type not in content:
        return [f"{where}: declares no {exchange.content_type or 'body'} answer"]
    schema = content[exchange.content_type].get("schema")
    if exchange.content_type != "application/json":
        return []
    if not schema:
        return [f"{where}: declares no JSON schema"]
    components = document.get("components", {}).get("schemas", {})
    return [f"{where}: {part}" for part in untyped_parts(schema, components, "answer")]


def untyped_parts(
    schema: dict[str, Any], components: dict[str, Any], at: str, seen: frozenset[str] = frozenset()
) -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return untyped_parts(components[name], components, at, seen | {name})
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return [p for s in schema[key] for p in untyped_parts(s, components, at, seen)]
    kind = schema.get("type")
    if kind is None and not {"enum", "const"} & schema.keys():
        return [f"{at} may be anything"]
    if kind == "array":
        return untyped_parts(schema.get("items", {}), components, at + "[]", seen)
    if kind != "object":
        return []
    properties: dict[str, Any] = schema.get("properties", {})
    parts = [
        p
        for name, s in properties.items()
        for p in untyped_parts(s, components, f"{at}.{name}", seen)
    ]
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and extra:
        parts += untyped_parts(extra, components, at + ".*", seen)
    elif not properties:
        parts.append(f"{at} is an object of anything")
    return parts
