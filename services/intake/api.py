"""Intake's HTTP API: OPD staff file request letters; machine clients submit JSON."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Header, Request, Response, UploadFile
from pydantic import BaseModel, Field

from services.intake.application import IntakeApplication
from services.intake.domain import MAX_ADDRESS
from services.intake.submissions import Filing, check_letter_pdf, office_time, parse_submission
from services.intake.values import Letter, Meeting, Requester
from services.intake.views import (
    Agencies,
    AgencyView,
    Duplicate,
    RequestRow,
    RequestView,
    request_view,
)
from shared.access import RequestReader, check_owner, may_read
from shared.auth import require_role
from shared.errors import Forbidden
from shared.events import Actor, Submission
from shared.httpapi import (
    PDF_ANSWER,
    CurrentActor,
    Page,
    PageLimit,
    PageOffset,
    document_download,
    page,
    the_application,
)
from shared.settings import Settings
from shared.validation import EMAIL_PATTERN, BoundedDate

router = APIRouter(prefix="/api/v1", tags=["intake"])


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppDep = Annotated[IntakeApplication, Depends(the_application)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` written in place, to stand in an operation."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {key: resolve(value) for key, value in node.items()}
        return [resolve(item) for item in node] if isinstance(node, list) else node

    return dict(resolve(schema))


AGAIN: dict[int | str, dict[str, Any]] = {
    200: {"model": RequestView, "description": "Sent again: the answer it had the first time."}
}
SUBMISSION_BODY = {
    "required": True,
    "content": {"application/json": {"schema": _inlined(Submission.model_json_schema())}},
}


def _opd_of(actor: Actor) -> str:
    require_role(actor, "opd")
    if not actor.opd_code:
        raise Forbidden("your account is not linked to an agency", "akun Anda tidak terkait OPD")
    return actor.opd_code


@router.post("/requests", status_code=201, responses=AGAIN)
def submit_request(
    app: AppDep,
    settings: SettingsDep,
    actor: CurrentActor,
    response: Response,
    requester_name: Annotated[str, Form(min_length=1, max_length=200)],
    requester_position: Annotated[str, Form(min_length=1, max_length=200)],
    requester_phone: Annotated[str, Form(min_length=4, max_length=40)],
    requester_email: Annotated[str, Form(pattern=EMAIL_PATTERN)],
    letter_number: Annotated[str, Form(min_length=1, max_length=100)],
    letter_date: Annotated[BoundedDate, Form()],
    letter_subject: Annotated[str, Form(min_length=1, max_length=300)],
    topic: Annotated[str, Form(min_length=1, max_length=200)],
    start: Annotated[str, Form()],
    end: Annotated[str, Form()],
    participants: Annotated[int, Form(ge=1, le=1000)],
    letter_pdf: Annotated[UploadFile, File(description="the request letter (PDF)")],
    notes: Annotated[str, Form(max_length=2000)] = "",
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> RequestView:
    """File a request letter (SOP step 1) with its PDF; answers with the agenda number."""
    opd_code = _opd_of(actor)
    limit = settings.max_letter_pdf_bytes
    pdf = check_letter_pdf(letter_pdf.file.read(limit + 1), limit)
    tz = ZoneInfo(settings.timezone)
    filing = Filing(
        opd_code=opd_code,
        channel="http",
        client_ref=idempotency_key,
        requester=Requester(requester_name, requester_position, requester_phone, requester_email),
        letter=Letter(letter_number, letter_date, letter_subject),
        meeting=Meeting(
            topic,
            office_time(start, "start", tz),
            office_time(end, "end", tz),
            participants,
            notes,
        ),
        pdf=pdf,
        submitted_by=actor,
        message_id=idempotency_key,
    )
    request, created = app.submit(filing)
    if not created:  # sent again: the same answer
        response.status_code = 200
    return request_view(request)


@router.post(
    "/submissions",
    status_code=201,
    responses=AGAIN,
    openapi_extra={"requestBody": SUBMISSION_BODY},
)
async def submit_machine(
    request: Request,
    app: AppDep,
    actor: CurrentActor,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> RequestView:
    """A machine submission in the inbound JSON format; ``Idempotency-Key`` = ``client_ref``."""
    filing = await asyncio.to_thread(
        parse_submission,
        await request.body(),
        opd_code=_opd_of(actor),
        channel="http",
        submitted_by=actor,
        message_id=idempotency_key,
    )
    request_file, created = await asyncio.to_thread(app.submit, filing)
    if not created:  # sent again: the same answer
        response.status_code = 200
    return request_view(request_file)


@router.get("/requests")
def list_requests(
    app: AppDep, actor: RequestReader, limit: PageLimit = 50, offset: PageOffset = 0
) -> Page[RequestRow]:
    """Requests, newest first: an OPD sees its own, the office sees all."""
    rows = [row for row in app.list_requests() if may_read(actor, "request", row.opd_code)]
    return page(rows, limit, offset)


@router.get("/requests/{request_id}")
def get_request(request_id: UUID, app: AppDep, actor: RequestReader) -> RequestView:
    """One registered request letter."""
    request = app.get_request(request_id)
    check_owner(actor, "request", request.opd_code)
    return request_view(request)


@router.get("/requests/{request_id}/duplicates")
def list_duplicates(request_id: UUID, app: AppDep, actor: RequestReader) -> list[Duplicate]:
    """The agency's other requests filed with the same letter number or the same PDF."""
    request, found = app.duplicates(request_id)
    check_owner(actor, "request", request.opd_code)
    return found


@router.get("/requests/{request_id}/letter", response_class=Response, responses=PDF_ANSWER)
def get_request_letter(request_id: UUID, app: AppDep, actor: RequestReader) -> Response:
    """The request letter PDF as it was filed, as a download."""
    request, data = app.letter_document(request_id)
    check_owner(actor, "request", request.opd_code)
    return document_download(data, f"permohonan-{request.agenda_number}.pdf")


class Withdrawal(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


@router.post("/requests/{request_id}/withdraw")
def withdraw_request(
    request_id: UUID, body: Withdrawal, app: AppDep, actor: CurrentActor
) -> RequestView:
    """The requesting OPD withdraws its request."""
    _opd_of(actor)
    return request_view(app.withdraw(request_id, body.reason, actor))


@router.get("/agencies")
def list_agencies(app: AppDep, actor: CurrentActor) -> Agencies:
    """The agencies (OPD) that may request a meeting, by code."""
    return Agencies(app.agencies())


@router.get("/agencies/details")
def list_agency_details(app: AppDep, actor: CurrentActor) -> list[AgencyView]:
    """The agencies with their address and e-mail, by code."""
    return [AgencyView.model_validate(agency) for agency in app.agency_details()]


@router.get("/agencies/{code}")
def get_agency(code: str, app: AppDep, actor: CurrentActor) -> AgencyView:
    """One agency with its address and e-mail."""
    return AgencyView.model_validate(app.agency(code))


class AgencyIn(BaseModel):
    code: str = Field(min_length=2, max_length=20)
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(
        None,
        max_length=2 * MAX_ADDRESS,
        description=f"the postal address (alamat), may span lines (at most {MAX_ADDRESS} "
        "characters, blank lines left out); omitted: unchanged, '': none",
    )
    email: str | None = Field(
        None, max_length=200, description="the agency's e-mail; omitted: unchanged, '': none"
    )


@router.post("/agencies", status_code=201)
def register_agency(body: AgencyIn, app: AppDep, actor: CurrentActor) -> Agencies:
    """Register an agency, or change a registered one's details (admin); answers the names
    by code, as before addresses were kept (the details: ``GET /agencies/details``)."""
    require_role(actor, "admin")
    app.register_agency(body.code, body.name, body.address, body.email)
    return Agencies(app.agencies())
