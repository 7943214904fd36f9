"""Composition root of the letters service: the office as configured, the application, and the
shared runtime (its consumer follows the application's policy)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.letters.api import router
from services.letters.application import LettersApplication
from services.letters.integration import to_integration
from services.letters.office import Office
from shared.datadir import keep_private
from shared.documents import DocumentStore
from shared.runtime import compose, serve
from shared.settings import Settings, load_settings


def configured_office(settings: Settings) -> Office:
    """The office as printed on the letters; an unset setting keeps ``Office``'s default."""
    configured: dict[str, Any] = {
        "address": settings.letters_office_address,
        "unit_code": settings.letters_unit_code,
        "classification": settings.letters_classification,
        "head_title": settings.letters_head_title,
        "head_pangkat": settings.letters_head_pangkat,
        "head_nip": settings.letters_head_nip,
    }
    return Office(
        timezone=settings.timezone,
        **{name: value for name, value in configured.items() if value is not None},
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    keep_private(settings.data_dir)
    application = LettersApplication(
        env=settings.eventstore_env("letters"),
        documents=DocumentStore(settings.documents_dir("letters")),
        verification_base=settings.letters_verification_base
        or f"{settings.portal_url.rstrip('/')}/verifikasi",
        office=configured_office(settings),
    )
    return compose(
        settings,
        "letters",
        application,
        title="SIVICON letters",
        description="Reply letters (Surat Tanggapan): drafted, signed, numbered, sent, received, "
        "verifiable.",
        router=router,
        to_integration=to_integration,
    )


def run() -> None:
    settings = load_settings()
    serve(create_app(settings), settings, "letters")
