"""Hardened inputs, each attacked over real HTTP (uvicorn on a free port; the portal and the
documents through httpx against the running apps):

- a request body over the cap is refused with 413 before it is read: a declared
  ``Content-Length`` over it is answered without a byte of the body sent; a chunked body is cut
  off at the first chunk past the cap, the rest never sent;
- an uploaded letter that is not a real PDF (an HTML page with a ``%PDF`` header), or carries
  JavaScript or embedded files, is refused with a clear message in both languages, and nothing
  is kept;
- documents are served as downloads with ``nosniff`` and a sandboxing CSP; the portal shows a
  letter in place only when it passes the same check, and then with ``nosniff`` too;
- a date of year 9999 or year 1, or one that overflows in UTC, is a 422 naming the field,
  never a 500;
- health details and the AsyncAPI document are for operators and administrators; the bare
  liveness answer stays public.
"""

from __future__ import annotations

import base64
import contextlib
import re
import select
import socket
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from services.disposition.main import create_app as disposition_app
from services.intake.main import create_app as intake_app
from services.letters.main import create_app as letters_app
from services.portal.main import create_app as portal_app
from services.portal.sessions import COOKIE
from services.portal.users import DEMO_PASSWORD
from services.scheduler.main import create_app as scheduler_app
from shared.httpapi import FORM_OVERHEAD_BYTES, OTHER_BODY_BYTES, create_api
from shared.settings import Settings
from tests.builders import request_form, submission
from tests.pdfs import HOSTILE_LETTERS, make_pdf, pdf_with_javascript
from tests.support import auth, make_settings, running, serving

LETTER_CAP = 64 * 1024  # max_letter_pdf_bytes in these tests
FORM_CAP = LETTER_CAP + FORM_OVERHEAD_BYTES
APPS: dict[str, Callable[[Settings], FastAPI]] = {
    "intake": intake_app,
    "disposition": disposition_app,
    "scheduler": scheduler_app,
    "letters": letters_app,
    "portal": portal_app,
}


def offline_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for an app served without its lifespan: what is tested here is HTTP alone."""
    return make_settings(
        tmp_path / "var", "nats://127.0.0.1:9", max_letter_pdf_bytes=LETTER_CAP, **overrides
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, Settings]]]:
    """Every service over real HTTP (no lifespan: no NATS needed to answer these)."""
    urls: dict[str, tuple[str, Settings]] = {}
    with contextlib.ExitStack() as stack:
        for name, create in APPS.items():
            settings = offline_settings(tmp_path_factory.mktemp(name))
            url = stack.enter_context(serving(create(settings), lifespan="off"))
            urls[name] = (url, settings)
        yield urls


# --------------------------------------------------------------------------- raw HTTP


def _answer(sock: socket.socket) -> bytes:
    """The response on ``sock``: its head and as much body as it declares (or until closed)."""
    data = b""
    while True:
        head, _, body = data.partition(b"\r\n\r\n")
        if _:
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if length and len(body) >= int(length.group(1)):
                return data
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


# A form whose letter never ends: the start of a PDF file part, then its bytes.
FORM_START = (
    b'--x\r\nContent-Disposition: form-data; name="letter_pdf"; filename="surat.pdf"\r\n'
    b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
)


def post_raw(
    url: str, path: str, headers: dict[str, str], *, declared: int | None, offered: int
) -> tuple[int, str, int]:
    """POST a body of ``offered`` bytes to ``url + path``: with ``Content-Length: declared`` and
    no body at all, or (``declared=None``) chunked, 16 KiB a chunk (a form's first chunk starts
    its file part), stopping as soon as the server answers. Returns the status, the answer's
    body and how many body bytes were sent."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
    framing = (
        f"Content-Length: {declared}" if declared is not None else "Transfer-Encoding: chunked"
    )
    lines = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", framing]
    lines += [f"{key}: {value}" for key, value in headers.items()]
    sent = 0
    with sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        form = headers.get("Content-Type", "").startswith("multipart/")
        chunk = (FORM_START if form else b"") + b"0" * (16 * 1024)
        while declared is None and sent < offered:
            answered, _, _ = select.select([sock], [], [], 0)
            if answered:
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                break
            sent += len(chunk)
            chunk = b"0" * (16 * 1024)
        answer = _answer(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 "), f"no answer from {url}{path}: {answer!r}"
    return int(head.split()[1]), body.decode(errors="replace"), sent


# Where each service takes a body: (path, content type, the cap that applies, accept).
BODIES = [
    ("intake", "/api/v1/requests", "multipart/form-data; boundary=x", FORM_CAP, "*/*"),
    ("intake", "/api/v1/submissions", "application/json", OTHER_BODY_BYTES, "*/*"),
    (
        "disposition",
        f"/api/v1/cases/{uuid4()}/dispositions",
        "application/json",
        OTHER_BODY_BYTES,
        "*/*",
    ),
    ("scheduler", "/api/v1/host-accounts", "application/json", OTHER_BODY_BYTES, "*/*"),
    ("letters", "/api/v1/letters", "application/json", OTHER_BODY_BYTES, "*/*"),
    ("portal", "/api/v1/auth/login", "application/json", OTHER_BODY_BYTES, "*/*"),
    ("portal", "/permohonan/baru", "multipart/form-data; boundary=x", FORM_CAP, "text/html"),
]


def _caller(url: str, settings: Settings, path: str) -> dict[str, str]:
    """Who sends the body: an agency's token, or for the portal's form a signed-in session
    (without one the form is not read at all: the sign-in page answers first)."""
    if path != "/permohonan/baru":
        return auth(settings, "opd")
    signed_in = httpx.post(
        url + "/masuk", data={"username": "opd.dinkes", "password": DEMO_PASSWORD}, timeout=30
    )
    assert signed_in.status_code == 303, signed_in.text
    return {"Cookie": f"{COOKIE}={signed_in.cookies[COOKIE]}"}


def _refused_as_too_large(status: int, body: str, accept: str) -> None:
    assert status == 413, body
    if accept == "text/html":
        assert "Kiriman terlalu besar" in body
    else:
        assert '"code":"too_large"' in body
        assert "kiriman terlalu besar" in body


@pytest.mark.parametrize(("service", "path", "content_type", "cap", "accept"), BODIES)
def test_a_declared_body_over_the_cap_is_refused_before_a_byte_of_it_is_sent(
    served: dict[str, tuple[str, Settings]],
    service: str,
    path: str,
    content_type: str,
    cap: int,
    accept: str,
) -> None:
    url, settings = served[service]
    headers = {"Content-Type": content_type, "Accept": accept, **_caller(url, settings, path)}
    # 50 MB announced, nothing sent: a server that read before deciding would wait for ever.
    status, body, sent = post_raw(url, path, headers, declared=50_000_000, offered=0)
    assert sent == 0
    _refused_as_too_large(status, body, accept)


@pytest.mark.parametrize(("service", "path", "content_type", "cap", "accept"), BODIES)
def test_a_chunked_body_over_the_cap_is_cut_off_at_the_cap(
    served: dict[str, tuple[str, Settings]],
    service: str,
    path: str,
    content_type: str,
    cap: int,
    accept: str,
) -> None:
    url, settings = served[service]
    headers = {"Content-Type": content_type, "Accept": accept, **_caller(url, settings, path)}
    offered = 64 * 1024 * 1024
    status, body, sent = post_raw(url, path, headers, declared=None, offered=offered)
    _refused_as_too_large(status, body, accept)
    # Answered after the cap was passed, long before the 64 MB: what was sent beyond the cap is
    # what the sockets' buffers held by the time the answer came.
    assert cap < sent < cap + 8 * 1024 * 1024, sent


def test_a_body_under_the_cap_is_read_and_one_byte_over_is_not(
    served: dict[str, tuple[str, Settings]],
) -> None:
    url, settings = served["intake"]
    opd = {**auth(settings, "opd"), "Content-Type": "application/json"}
    with httpx.Client(base_url=url, headers=opd, timeout=30) as client:
        under = client.post("/api/v1/submissions", content=b" " * (OTHER_BODY_BYTES - 2) + b"{}")
        assert under.status_code == 422  # read, and found wanting: not a submission
        assert under.json()["error"]["code"] == "invalid_input"
        over = client.post("/api/v1/submissions", content=b" " * (OTHER_BODY_BYTES - 1) + b"{}")
        assert over.status_code == 413
        error = over.json()["error"]
        assert error["code"] == "too_large"
        assert f"over the limit of {OTHER_BODY_BYTES} bytes" in error["message"]
        assert error["pesan"].startswith("kiriman terlalu besar: paling besar 1 MB")


# --------------------------------------------------------------------------- uploaded letters


def _files(pdf: bytes) -> dict[str, tuple[str, bytes, str]]:
    return {"letter_pdf": ("surat.pdf", pdf, "application/pdf")}


def with_letter(body: dict[str, object], **letter: str) -> dict[str, object]:
    """A submission body with some of its letter's fields replaced."""
    given = body["letter"]
    assert isinstance(given, dict)
    return {**body, "letter": {**given, **letter}}


def _stored_documents(settings: Settings) -> list[Path]:
    folder = settings.documents_dir("intake")
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


async def test_intake_refuses_every_letter_that_is_not_a_clean_pdf_and_keeps_nothing(
    settings: Settings,
) -> None:
    opd = auth(settings, "opd", "DINKES")
    async with running(intake_app(settings)) as client:
        for name, (make, code) in HOSTILE_LETTERS.items():
            form = await client.post(
                "/api/v1/requests", data=request_form(), files=_files(make()), headers=opd
            )
            assert form.status_code == 422, (name, form.text)
            error = form.json()["error"]
            assert error["code"] == code, name
            assert "PDF" in error["message"]
            assert error["pesan"].startswith(("surat permohonan harus berkas PDF", "berkas PDF"))

            pdf_base64 = base64.b64encode(make()).decode()
            body = with_letter(submission(f"hostile-{len(name)}-{code}"), pdf_base64=pdf_base64)
            machine = await client.post("/api/v1/submissions", json=body, headers=opd)
            assert machine.status_code == 422, (name, machine.text)
            [detail] = machine.json()["error"]["details"]
            assert detail["field"] == "letter.pdf_base64"
            assert "PDF" in detail["message"]

        scripted = await client.post(
            "/api/v1/requests",
            data=request_form(),
            files=_files(pdf_with_javascript("names")),
            headers=opd,
        )
        assert "JavaScript" in scripted.json()["error"]["message"]
        assert "JavaScript" in scripted.json()["error"]["pesan"]
        listing = await client.get("/api/v1/requests", headers=auth(settings, "kadis"))
        assert listing.json()["total"] == 0
        assert _stored_documents(settings) == []

        # The same form with the letter as it should be is taken.
        clean = await client.post(
            "/api/v1/requests", data=request_form(), files=_files(make_pdf()), headers=opd
        )
        assert clean.status_code == 201, clean.text
        assert len(_stored_documents(settings)) == 1


# --------------------------------------------------------------------------- documents served


def _is_a_sandboxed_download(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = response.headers["content-security-policy"]
    assert "sandbox" in [part.strip().split(" ")[0] for part in policy.split(";")]
    assert "default-src 'none'" in policy


def _is_shown_in_place(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline; filename=")
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = response.headers["content-security-policy"]
    assert policy.startswith("sandbox;")
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy


async def _portal_session(client: httpx.AsyncClient, username: str) -> None:
    signed_in = await client.post("/masuk", data={"username": username, "password": DEMO_PASSWORD})
    assert signed_in.status_code == 303, signed_in.text


async def test_documents_are_downloads_and_the_portal_shows_in_place_only_a_clean_pdf(
    settings: Settings,
) -> None:
    """Intake serves the letter as a sandboxed download; the portal, whose case page frames it,
    shows it in place (still sandboxed, framed by the portal alone) only while it passes the
    upload check, so a letter kept before the check, or changed on disk, with a script in it is
    a sandboxed download there too."""
    with serving(intake_app(settings), lifespan="off") as intake_url:
        portal_settings = settings.model_copy(update={"intake_url": intake_url})
        opd = auth(settings, "opd", "DINKES")
        async with httpx.AsyncClient(base_url=intake_url, timeout=30) as intake:
            filed = await intake.post(
                "/api/v1/requests", data=request_form(), files=_files(make_pdf()), headers=opd
            )
            assert filed.status_code == 201, filed.text
            request_id = filed.json()["request_id"]
            letter = await intake.get(f"/api/v1/requests/{request_id}/letter", headers=opd)
            _is_a_sandboxed_download(letter)

        async with running(portal_app(portal_settings)) as client:
            gateway = await client.get(
                f"/gw/intake/api/v1/requests/{request_id}/letter", headers=opd
            )
            _is_a_sandboxed_download(gateway)
            await _portal_session(client, "kadis")
            framed = f"/kasus/{request_id}/surat-permohonan"
            _is_shown_in_place(await client.get(framed))

            [stored] = _stored_documents(settings)
            stored.write_bytes(pdf_with_javascript("open_action"))
            _is_a_sandboxed_download(await client.get(framed))


# --------------------------------------------------------------------------- dates


OUT_OF_RANGE_DAYS = ["9999-12-31", "0001-01-01"]
OUT_OF_RANGE_MOMENTS = [
    "9999-12-31T23:59:59-12:00",  # year 10000 in UTC
    "0001-01-01T00:00:00+14:00",  # year 0 in UTC
    "9999-12-31T09:00:00",
    "2200-01-01T09:00:00+08:00",
]


def _names_the_years(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert "2000 to 2100" in error["message"]
    assert field in {detail["field"] for detail in error["details"]}


def test_dates_out_of_range_are_422_naming_the_field_never_500(
    served: dict[str, tuple[str, Settings]],
) -> None:
    clients = {
        name: httpx.Client(base_url=url, headers=auth(settings, role), timeout=30)
        for name, role in (
            ("intake", "opd"),
            ("scheduler", "subkoordinator"),
            ("disposition", "admin"),
        )
        for url, settings in [served[name]]
    }
    intake, scheduler, disposition = clients["intake"], clients["scheduler"], clients["disposition"]
    try:
        for day in OUT_OF_RANGE_DAYS:
            form = request_form(letter_date=day)
            _names_the_years(
                intake.post("/api/v1/requests", data=form, files=_files(make_pdf())), "letter_date"
            )
            body = with_letter(submission(f"tanggal-{day}"), date=day)
            _names_the_years(intake.post("/api/v1/submissions", json=body), "letter.date")
            _names_the_years(scheduler.get("/api/v1/schedule", params={"date": day}), "date")
            cases = disposition.get("/api/v1/cases", params={"date_from": day, "date_to": day})
            _names_the_years(cases, "date_from")
            holiday = {"day": day, "name": "Libur", "decree": "SK 1/2026"}
            answer = disposition.post("/api/v1/calendar/holidays", json=holiday)
            assert answer.status_code == 422, answer.text
            assert "2000 to 2100" in answer.json()["error"]["message"]
        for moment in OUT_OF_RANGE_MOMENTS:
            form = request_form(start=moment, end=moment)
            filed = intake.post("/api/v1/requests", data=form, files=_files(make_pdf()))
            _names_the_years(filed, "start")
            body = submission(f"waktu-{moment}", start=moment, end=moment)
            machine = intake.post("/api/v1/submissions", json=body)
            assert machine.status_code == 422, machine.text
            params: dict[str, str | int] = {"start": moment, "end": moment, "participants": 5}
            _names_the_years(scheduler.get("/api/v1/slots/check", params=params), "start")
        for year in ("9999", "1", "99999999999999999999"):
            answer = disposition.get(f"/api/v1/calendar/{year}")
            assert answer.status_code == 422, answer.text
    finally:
        for client in clients.values():
            client.close()


async def test_a_date_overflow_that_escaped_a_bound_is_still_a_422_not_a_500() -> None:
    app = create_api("overflow")

    @app.get("/day-after")
    def day_after(day: date) -> str:  # deliberately unbounded: the backstop is what is tested
        return (day + timedelta(days=1)).isoformat()

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/day-after", params={"day": "2026-12-01"})).status_code == 200
        answer = await client.get("/day-after", params={"day": "9999-12-31"})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "out_of_range"
    assert "di luar jangkauan" in answer.json()["error"]["pesan"]


async def test_the_portal_request_form_refuses_hostile_letters_and_dates_in_indonesian(
    settings: Settings,
) -> None:
    async with running(portal_app(settings)) as client:
        await _portal_session(client, "opd.dinkes")
        page = await client.get("/permohonan/baru")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf, page.text
        form = {
            "csrf": csrf.group(1),
            "topic": "Rapat koordinasi Posyandu",
            "requester_name": "dr. Sri Wahyuni",
            "requester_position": "Kepala Dinas Kesehatan",
            "requester_phone": "+62 811 555 0101",
            "requester_email": "dinkes@tarakankota.go.id",
            "letter_number": "800/123/DINKES",
            "letter_subject": "Permohonan fasilitas Zoom",
            "participants": "50",
            "start_time": "09:00",
            "end_time": "11:00",
        }
        cases = {
            "html": (html_letter := HOSTILE_LETTERS["html with a PDF header"][0](), "2026-12-31"),
            "javascript": (pdf_with_javascript("open_action"), "2026-12-31"),
            "year 9999": (make_pdf(), "9999-12-31"),
        }
        said = {
            "html": "tidak dapat dibaca sebagai PDF",
            "javascript": "berisi JavaScript",
            "year 9999": "tahun 2000 sampai 2100",
        }
        for name, (pdf, day) in cases.items():
            fields = {**form, "meeting_date": day, "letter_date": "2026-11-20"}
            answer = await client.post("/permohonan/baru", data=fields, files=_files(pdf))
            assert answer.status_code == 422, (name, answer.status_code)
            assert said[name] in answer.text, name
        assert html_letter.startswith(b"%PDF-")


# --------------------------------------------------------------------------- health and AsyncAPI


@pytest.mark.parametrize("service", list(APPS))
def test_health_details_are_for_operators_and_liveness_for_anyone(
    served: dict[str, tuple[str, Settings]], service: str
) -> None:
    url, settings = served[service]
    with httpx.Client(base_url=url, timeout=30) as client:
        liveness = client.get("/api/v1/health")
        assert liveness.status_code == 200
        assert set(liveness.json()) == {"service", "status", "nats_connected"}
        assert client.get("/api/v1/health/details").status_code == 401
        for role in ("opd", "kadis", "auditor"):
            refused = client.get("/api/v1/health/details", headers=auth(settings, role))
            assert refused.status_code == 403, role
            assert refused.json()["error"]["code"] == "wrong_role"
        for role in ("operator", "admin"):
            details = client.get("/api/v1/health/details", headers=auth(settings, role))
            assert details.status_code == 200, details.text
            assert "consumers" in details.json()
            assert "relay" in details.json()


def test_the_asyncapi_document_is_for_operators(served: dict[str, tuple[str, Settings]]) -> None:
    url, settings = served["portal"]
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/api/v1/asyncapi.json").status_code == 401
        opd = client.get("/api/v1/asyncapi.json", headers=auth(settings, "opd"))
        assert opd.status_code == 403
        for role in ("operator", "admin"):
            document = client.get("/api/v1/asyncapi.json", headers=auth(settings, role))
            assert document.status_code == 200
            assert "sivicon.RequestSubmitted.v1" in document.json()["channels"]
