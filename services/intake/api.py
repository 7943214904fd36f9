"""Intake's HTTP API: OPD staff file request letters; machine clients submit JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from services.intake.application import IntakeApplication, SubmissionInvalid
from shared.auth import require_role
from shared.errors import Forbidden, InvalidInput
from shared.events import Actor
from shared.httpapi import CurrentActor
from shared.roles import OFFICE_ROLES, effective_role
from shared.settings import Settings
from shared.validation import EMAIL_PATTERN

router = APIRouter(prefix="/api/v1", tags=["intake"])
OFFICE_READERS = (*OFFICE_ROLES, "operator", "auditor", "admin")


def get_app(request: Request) -> IntakeApplication:
    app: IntakeApplication = request.app.state.application
    return app


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppDep = Annotated[IntakeApplication, Depends(get_app)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _opd_of(actor: Actor) -> str:
    require_role(actor, "opd")
    if not actor.opd_code:
        raise Forbidden("your account is not linked to an agency", "akun Anda tidak terkait OPD")
    return actor.opd_code


def _may_read(actor: Actor, view: dict[str, Any]) -> None:
    if effective_role(actor) == "opd":
        if actor.opd_code != view["opd_code"]:
            raise Forbidden(
                "this request belongs to another agency",
                "permohonan ini milik OPD lain",
                code="wrong_agency",
            )
    else:
        require_role(actor, *OFFICE_READERS)


def _as_time(value: str, field: str, tz: ZoneInfo) -> str:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{field}: not a date and time ({value!r})",
            f"{field}: format tanggal dan jam tidak valid",
        ) from None
    if parsed.tzinfo is None:  # a form's local time is the office's time (WITA)
        parsed = parsed.replace(tzinfo=tz)
    return parsed.isoformat()


@router.post("/requests", status_code=201)
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
    letter_date: Annotated[date, Form()],
    letter_subject: Annotated[str, Form(min_length=1, max_length=300)],
    topic: Annotated[str, Form(min_length=1, max_length=200)],
    start: Annotated[str, Form()],
    end: Annotated[str, Form()],
    participants: Annotated[int, Form(ge=1, le=1000)],
    letter_pdf: Annotated[UploadFile, File(description="the request letter (PDF)")],
    notes: Annotated[str, Form(max_length=2000)] = "",
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> dict[str, Any]:
    """File a request letter (SOP step 1) with its PDF; answers with the agenda number."""
    opd_code = _opd_of(actor)
    data = letter_pdf.file.read(settings.max_letter_pdf_bytes + 1)
    app.check_letter_pdf(data, settings.max_letter_pdf_bytes)
    tz = ZoneInfo(settings.timezone)
    view, created = app.submit(
        opd_code=opd_code,
        channel="http",
        client_ref=idempotency_key,
        requester={
            "name": requester_name,
            "position": requester_position,
            "phone": requester_phone,
            "email": requester_email,
        },
        letter={
            "number": letter_number,
            "date": letter_date.isoformat(),
            "subject": letter_subject,
        },
        meeting={
            "topic": topic,
            "start": _as_time(start, "start", tz),
            "end": _as_time(end, "end", tz),
            "participants": participants,
            "notes": notes,
        },
        pdf=data,
        submitted_by=actor,
    )
    if not created:
        response.status_code = 200
    return view


@router.post("/submissions", status_code=201)
async def submit_machine(
    request: Request,
    app: AppDep,
    actor: CurrentActor,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> Any:
    """A machine submission in the inbound JSON format; ``Idempotency-Key`` = ``client_ref``."""
    import asyncio

    opd_code = _opd_of(actor)
    body = await request.body()
    try:
        view, created = await asyncio.to_thread(
            app.submit_json,
            opd_code=opd_code,
            body=body,
            channel="http",
            submitted_by=actor,
            client_ref_hint=idempotency_key,
        )
    except SubmissionInvalid as invalid:
        details = [e.model_dump() for e in invalid.errors]
        raise InvalidInput(
            invalid.message, invalid.pesan, code=invalid.code, details=details
        ) from None
    if not created:
        response.status_code = 200
    return view


@router.get("/requests")
def list_requests(
    app: AppDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """Requests, newest first: an OPD sees its own, the office sees all."""
    if effective_role(actor) == "opd":
        return app.list_requests(_opd_of(actor), limit, offset)
    require_role(actor, *OFFICE_READERS)
    return app.list_requests(None, limit, offset)


@router.get("/requests/{request_id}")
def get_request(request_id: UUID, app: AppDep, actor: CurrentActor) -> dict[str, Any]:
    """One registered request letter."""
    view = app.get_request(request_id)
    _may_read(actor, view)
    return view


@router.get("/requests/{request_id}/letter", response_class=Response)
def get_request_letter(request_id: UUID, app: AppDep, actor: CurrentActor) -> Response:
    """The request letter PDF as it was filed."""
    view, data = app.letter_document(request_id)
    _may_read(actor, view)
    filename = f"permohonan-{view['agenda_number'].replace('/', '-')}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


class Withdrawal(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


@router.post("/requests/{request_id}/withdraw")
def withdraw_request(
    request_id: UUID, body: Withdrawal, app: AppDep, actor: CurrentActor
) -> dict[str, Any]:
    """The requesting OPD withdraws its request."""
    _opd_of(actor)
    return app.withdraw(request_id, body.reason, actor)


@router.get("/agencies")
def list_agencies(app: AppDep, actor: CurrentActor) -> dict[str, str]:
    """The agencies (OPD) that may request a meeting, by code."""
    return app.agencies()


class AgencyIn(BaseModel):
    code: str = Field(min_length=2, max_length=20)
    name: str = Field(min_length=1, max_length=200)


@router.post("/agencies", status_code=201)
def register_agency(body: AgencyIn, app: AppDep, actor: CurrentActor) -> dict[str, str]:
    """Register an agency (admin)."""
    require_role(actor, "admin")
    return app.register_agency(body.code, body.name)
