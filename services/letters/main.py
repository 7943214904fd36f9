"""Composition root of the letters service."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.letters.api import router
from services.letters.application import LettersApplication
from services.letters.consumers import consumer_specs
from services.letters.integration import to_integration
from services.letters.pdf import Office
from shared.documents import DocumentStore
from shared.runtime import ServiceRuntime, serve
from shared.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    configured: dict[str, Any] = {
        "address": settings.letters_office_address,
        "unit_code": settings.letters_unit_code,
        "classification": settings.letters_classification,
        "head_title": settings.letters_head_title,
        "head_pangkat": settings.letters_head_pangkat,
        "head_nip": settings.letters_head_nip,
    }
    office = Office(
        timezone=settings.timezone,
        **{name: value for name, value in configured.items() if value is not None},
    )
    application = LettersApplication(
        env=settings.eventstore_env("letters"),
        documents=DocumentStore(settings.documents_dir("letters")),
        verification_base=settings.letters_verification_base
        or f"{settings.portal_url.rstrip('/')}/verifikasi",
        office=office,
    )
    runtime = ServiceRuntime(
        settings,
        "letters",
        application,
        to_integration=to_integration,
        consumers=consumer_specs(application),
    )
    api = runtime.build_api(
        "SIVICON letters",
        "Reply letters (Surat Tanggapan): drafted, signed, numbered, sent, received, verifiable.",
    )
    api.include_router(router)
    return api


def run() -> None:
    settings = load_settings()
    serve(create_app(settings), settings, "letters")
